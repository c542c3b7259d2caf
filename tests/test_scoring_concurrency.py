"""No lost update against a live server: writers in threads, each with its own HTTP connection and bearer
token, save the same cell from the same version over and over; exactly one wins each time.

The version check is one `UPDATE … WHERE version = :v` (or an insert that does nothing when the row
exists) whose row count decides, so the database, not a read-then-write in Python, picks the winner.
"""
from __future__ import annotations

import http.client
import json
import os
import threading
from decimal import Decimal as D

import pytest
from werkzeug.serving import make_server

from portal import audit
from portal.auth import services as accounts
from portal.scoring import services as scoring
from tests.conftest import Org, make_app
from tests.unit.test_scoring_services import build_table

ROUNDS = int(os.environ.get("SCORING_RACE_ROUNDS", "40"))


@pytest.fixture
def live(tmp_path, database_url):
    app = make_app(tmp_path, DATABASE_URL=database_url)
    Org(app)
    with app.app_context():
        table, cards, criteria = build_table()
        tokens = {name: accounts.create_token(None, accounts.get_user(name)) for name in ("off2", "admin")}
        ids = {"scorecard": cards["U1"].id, "criterion": criteria[0].id}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, server.server_port, tokens, ids
    server.shutdown()
    thread.join(timeout=5)


class Writer:
    """One person at the meeting: a connection of its own and a bearer token."""

    def __init__(self, port: int, token: str, path: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.token, self.path = token, path

    def put(self, points: str, version: int) -> tuple[int, dict]:
        body = json.dumps({"points": points, "version": version})
        self.conn.request("PUT", self.path, body=body, headers={"Authorization": f"Bearer {self.token}",
                                                                "Content-Type": "application/json"})
        response = self.conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")

    def close(self):
        self.conn.close()


def test_two_writers_same_cell_same_version_exactly_one_wins(live):
    app, port, tokens, ids = live
    path = f"/api/v1/scores/{ids['scorecard']}/{ids['criterion']}/bloc"
    start = threading.Barrier(2)
    outcomes: dict[int, dict[str, tuple[int, dict]]] = {r: {} for r in range(ROUNDS)}
    failures: list[BaseException] = []

    def run(name: str, token: str, base: int):
        writer = Writer(port, token, path)
        try:
            for r in range(ROUNDS):
                points = f"{base}.{r % 100:02d}"  # "1.07" vs "2.07": who won is visible in the stored value
                start.wait(timeout=30)
                outcomes[r][name] = (*writer.put(points, r), points)
                start.wait(timeout=30)  # both have finished round r before r + 1 starts
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)
            start.abort()
        finally:
            writer.close()

    threads = [threading.Thread(target=run, args=("a", tokens["off2"], 1)), threading.Thread(target=run, args=("b", tokens["admin"], 2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures

    winners = []
    for r in range(ROUNDS):
        statuses = sorted(status for status, _body, _points in outcomes[r].values())
        assert statuses == [200, 409], (r, outcomes[r])
        (won_status, won_body, won_points), = [o for o in outcomes[r].values() if o[0] == 200]
        (_lost_status, lost_body, _lost_points), = [o for o in outcomes[r].values() if o[0] == 409]
        assert won_body["version"] == r + 1 and won_body["points"] == str(D(won_points).normalize())
        # The loser is told the value that beat it, so it can take it or overwrite knowingly.
        assert lost_body["error"]["current"] == {**lost_body["error"]["current"], "version": r + 1, "points": won_body["points"]}
        winners.append(won_body["points"])

    with app.app_context():
        card = scoring.get_scorecard(ids["scorecard"])
        cell = scoring.read_cell(card, scoring.get_criterion(card.table, ids["criterion"]), "bloc")
        assert (cell.version, str(cell.points)) == (ROUNDS, winners[-1])
        events = sorted((e for e in audit.events_for("scorecard", ids["scorecard"], limit=10 * ROUNDS) if e.action == "score"),
                        key=lambda e: e.id)
        # Every accepted write was based on the one before it: an unbroken chain, nothing overwritten unseen.
        assert [(e.before["version"], e.after["version"]) for e in events] == [(v, v + 1) for v in range(ROUNDS)]
        assert [e.after["points"] for e in events] == winners
        assert [e.before["points"] for e in events[1:]] == winners[:-1]


def test_writers_that_retry_on_conflict_lose_no_increment(live):
    app, port, tokens, ids = live
    path = f"/api/v1/scores/{ids['scorecard']}/{ids['criterion']}/bloc"
    # Each writer adds its own step, so two writers never aim at the same value: a save of the value already stored
    # is agreement, not a conflict (issue 12), and would not count as an increment here. Another writer's steps never
    # add up to mine (6 × 0.01 < 0.1, 6 × 0.1 + 6 × 0.01 < 1).
    writers, increments, steps = 3, 6, (D("0.01"), D("0.1"), D("1"))
    counts = {"ok": 0, "conflict": 0}
    lock = threading.Lock()
    failures: list[BaseException] = []
    names = ["off2", "admin", "off2"]

    def run(i: int):
        writer = Writer(port, tokens[names[i]], path)
        points, version = D(0), 0
        try:
            done = 0
            while done < increments:
                status, body = writer.put(str(points + steps[i]), version)
                if status == 200:
                    points, version, done = D(body["points"]), body["version"], done + 1
                    with lock:
                        counts["ok"] += 1
                elif status == 409:
                    current = body["error"]["current"]
                    points, version = D(current["points"] or "0"), current["version"]
                    with lock:
                        counts["conflict"] += 1
                else:
                    raise AssertionError((status, body))
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)
        finally:
            writer.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures
    assert counts["ok"] == writers * increments
    with app.app_context():
        card = scoring.get_scorecard(ids["scorecard"])
        cell = scoring.read_cell(card, scoring.get_criterion(card.table, ids["criterion"]), "bloc")
        assert cell.points == increments * sum(steps) and cell.version == writers * increments
