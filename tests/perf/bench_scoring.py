"""Scoring benchmark: a cell save and the scoring sheet, by size, with query counts.

Run by hand (prints a table; the full size is 20 units × 40 criteria against a 5 × 10 baseline)::

    BENCH_SIZES=5x10,20x40 BENCH_REPEAT=200 .venv/bin/python -m tests.perf.bench_scoring

or as a test (CI size by default: 5 × 10 and 8 × 16, 20 runs each)::

    .venv/bin/python -m pytest tests/perf/bench_scoring.py -m perf -s

Environment: `BENCH_SIZES` (comma-separated `UNITSxCRITERIA`, the first is the baseline; default
"5x10,8x16"), `BENCH_REPEAT` (timed runs per figure, default 20). Each size gets a fresh SQLite
database with a bloc of that many units, a table of that many criteria (10 points each, in groups of
eight), submitted self-scores for every unit and bloc scores for half of them — a meeting in progress.

Figures, through the Flask test client (routing, session, policy, database, templates; no network):
p50/p95 of saving one cell from the sheet (htmx POST: the version-checked write, its audit line and
the live totals and ranks), of the same save through the JSON API (bearer token), and of rendering
the whole sheet; the SQL statements each runs; and each size's ratio to the baseline. Targets: a save
≤ 15 ms p95, the sheet ≤ 50 ms p95 at 20 × 40, query counts that do not grow with the size. The test
checks only correctness (every answer 200, the same number of queries at every size), never a time.
"""
from __future__ import annotations

import os
import re
import statistics
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, AuthActions, count_queries, make_app

YEAR = 2026


def _sizes() -> list[tuple[int, int]]:
    raw = os.environ.get("BENCH_SIZES", "5x10,8x16")
    return [tuple(int(n) for n in part.lower().split("x")) for part in raw.split(",") if part.strip()]  # type: ignore[misc]


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def build(tmp: Path, units: int, criteria: int):
    """A fresh app with one bloc of `units` units and a table of `criteria` criteria, mid-meeting."""
    from decimal import Decimal

    import sqlalchemy as sa

    from portal.auth import services as accounts
    from portal.demo.scoring import _insert_scores
    from portal.extensions import db
    from portal.org import services as org
    from portal.scoring import services as scoring
    from portal.scoring.models import Scorecard
    from portal.text import utcnow

    app = make_app(tmp)
    with app.app_context():
        for i in range(units):
            org.create_unit(None, {"code": f"B{i:02d}", "name": f"Đơn vị thử {i:02d}", "short_name": f"ĐV {i:02d}", "kind": "so_nganh"},
                            commit=False)
        org.create_bloc(None, {"code": "K1", "name": "Khối thử nghiệm"}, commit=False)
        db.session.commit()
        org.replace_memberships(None, YEAR, [org.MembershipRow(f"B{i:02d}", "K1", "leader" if i == 0 else "member") for i in range(units)])
        accounts.create_user(None, username="leader", password=PASSWORD, role="officer", unit_code="B00")
        table = scoring.table_for(org.get_bloc("K1"), YEAR)
        items = [{"group": f"{'I II III IV V VI VII VIII'.split()[i // 8 % 8]}. Nhóm tiêu chí {i // 8 + 1}",
                  "title": f"Tiêu chí số {i + 1} về một nhiệm vụ được giao trong năm", "max_points": "10", "kind": "scored",
                  "guidance": "Đạt: 10 điểm."} for i in range(criteria)]
        scoring.replace_criteria(accounts.SYSTEM, table, items)
        table = scoring.get_table(table.id)
        table.locked = True
        members = scoring.ensure_scorecards(table)
        ids = [c.id for c in scoring.criteria_of(table)]
        for n, member in enumerate(members):
            points = {cid: Decimal(5 + (n + k) % 5) for k, cid in enumerate(ids)}
            _insert_scores(member.scorecard.id, "self", points, utcnow())
            db.session.execute(sa.update(Scorecard).where(Scorecard.id == member.scorecard.id)
                               .values(self_submitted_at=utcnow(), self_submitted_by="bench"))
            if n < units // 2:
                _insert_scores(member.scorecard.id, "bloc", points, utcnow())
        db.session.commit()
        token = accounts.create_token(None, accounts.get_user("leader"))
        # The cell saved over and over: the last unit (no bloc score yet), first criterion.
        target = (members[-1].scorecard.id, ids[0])
    return app, token, target


def measure(units: int, criteria: int, repeat: int) -> dict:
    """Time the cell save (page and API) and the sheet for one size; return figures and query counts."""
    with tempfile.TemporaryDirectory() as tmp:
        app, token, (sc, cr) = build(Path(tmp), units, criteria)
        client = app.test_client()
        AuthActions(client).login("leader", PASSWORD)
        csrf = AuthActions(client).csrf(f"/scoring/{YEAR}")
        sheet_url = f"/scoring/{YEAR}/K1/sheet"
        cell_url = f"/scoring/cells/{sc}/{cr}/bloc"
        api_url = f"/api/v1/scores/{sc}/{cr}/bloc"
        headers = {"HX-Request": "true", "X-CSRFToken": csrf}
        version = 0
        statuses: set[int] = set()

        def save(i):
            nonlocal version
            response = client.post(cell_url, data={f"p-{sc}-{cr}": f"{i % 9 + 1},5", f"v-{sc}-{cr}": str(version)}, headers=headers)
            statuses.add(response.status_code)
            version = int(re.search(rf'name="v-{sc}-{cr}" value="(\d+)"', response.text).group(1))

        def api_save(i):
            nonlocal version
            response = client.put(api_url, json={"points": f"{i % 9 + 1}.25", "version": version},
                                  headers={"Authorization": f"Bearer {token}"})
            statuses.add(response.status_code)
            version = response.json["version"]

        def sheet(_i):
            response = client.get(sheet_url)
            statuses.add(response.status_code)
            return len(response.data)

        figures = {}
        for name, fn in (("save", save), ("api", api_save), ("sheet", sheet)):
            for i in range(3):  # warm up: templates compiled, caches filled
                fn(i)
            times = []
            for i in range(repeat):
                start = time.perf_counter()
                fn(i)
                times.append((time.perf_counter() - start) * 1000)
            with count_queries(app) as queries:
                fn(repeat)
            figures[name] = {"p50": statistics.median(times), "p95": _percentile(times, 95), "queries": len(queries)}
        figures["bytes"] = sheet(0)
        figures["statuses"] = statuses
        with app.app_context():
            from portal.extensions import db

            db.session.remove()
            db.engine.dispose()
        return figures


def run(sizes=None, repeat=None, echo=print) -> list[tuple[tuple[int, int], dict]]:
    """Measure every size and print the table with each size's ratio to the first (the baseline)."""
    sizes = sizes or _sizes()
    repeat = repeat or int(os.environ.get("BENCH_REPEAT", "20"))
    results = [((u, c), measure(u, c, repeat)) for u, c in sizes]
    base = results[0][1]
    echo(f"\nScoring benchmark: {repeat} runs per figure, SQLite, Flask test client (ms; queries per request)")
    echo(f"{'size':>8} | {'save p50':>8} {'p95':>7} {'q':>3} | {'api p50':>8} {'p95':>7} {'q':>3} | "
         f"{'sheet p50':>9} {'p95':>7} {'q':>3} {'KB':>6} | ratio to {sizes[0][0]}×{sizes[0][1]} (p95 save / api / sheet)")
    for (u, c), f in results:
        ratio = " / ".join(f"{f[k]['p95'] / base[k]['p95']:.2f}" for k in ("save", "api", "sheet"))
        echo(f"{u:>3}×{c:<4} | {f['save']['p50']:8.2f} {f['save']['p95']:7.2f} {f['save']['queries']:>3} | "
             f"{f['api']['p50']:8.2f} {f['api']['p95']:7.2f} {f['api']['queries']:>3} | "
             f"{f['sheet']['p50']:9.2f} {f['sheet']['p95']:7.2f} {f['sheet']['queries']:>3} {f['bytes'] / 1024:6.0f} | {ratio}")
    return results


@pytest.mark.perf
def test_scoring_benchmark(capsys):
    results = run()
    for _size, figures in results:
        assert figures["statuses"] == {200}
    # Not a timing: the number of SQL statements of each request must not grow with the sheet.
    for key in ("save", "api", "sheet"):
        assert len({figures[key]["queries"] for _size, figures in results}) == 1, [(s, f[key]["queries"]) for s, f in results]


if __name__ == "__main__":
    run()
