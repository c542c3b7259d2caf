"""Live meeting view benchmark: many open sheets polling the score feed while scorers save, on a real waitress.

Run by hand (prints a table; the first viewer count is the baseline)::

    BENCH_VIEWERS=1,10,30,60 BENCH_SECONDS=20 .venv/bin/python -m tests.perf.bench_live

or as a test (CI size by default: 1 and 5 viewers, 3 seconds each)::

    .venv/bin/python -m pytest tests/perf/bench_live.py -m perf -s

Environment: `BENCH_VIEWERS` (comma-separated counts of open sheets, default "1,5"), `BENCH_SECONDS` (how long
each count runs, default 3), `BENCH_INTERVAL` (seconds between a viewer's polls, default the sheet's 1.5),
`BENCH_SIZE` (`UNITSxCRITERIA` of the bloc, default 13x20, K2 of the demo province).

Each count gets a fresh SQLite database and a waitress server (8 threads, as scripts/serve) on a free port. One
scorer saves a bloc score through the JSON API every 0.4 s; every viewer asks `scores?since=<token>` as the page does,
by HTTP with its own connection. Figures: the feed request's p50/p95 (ms), its throughput, the refresh delay from a
save's answer to the first poll that brings it (p50/p95/max, s) — what a person at the meeting waits for — errors,
and the p95 ratio to the baseline count. The test checks correctness only (no error, every save seen by every
viewer), never a time.
"""
from __future__ import annotations

import http.client
import json
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.perf.bench_scoring import YEAR, _percentile, build


def _viewer_counts() -> list[int]:
    return [int(n) for n in os.environ.get("BENCH_VIEWERS", "1,5").split(",") if n.strip()]


class _connection:
    """One HTTP connection per simulated person, closed however its thread ends."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def __enter__(self):
        return self.conn

    def __exit__(self, *exc):
        self.conn.close()


def _request(conn, method, path, token, body=None):
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    response = conn.getresponse()
    return response.status, json.loads(response.read() or b"null")


def measure(viewers: int, seconds: float, interval: float, units: int, criteria: int) -> dict:
    from waitress.server import create_server

    with tempfile.TemporaryDirectory() as tmp:
        app, token, (sc, cr) = build(Path(tmp), units, criteria)
        server = create_server(app, host="127.0.0.1", port=0, threads=8)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        port = server.effective_port
        feed = f"/api/v1/years/{YEAR}/blocs/K1/scores"
        saved: dict[int, float] = {}  # version → when its save was answered
        seen: list[dict[int, float]] = [{} for _ in range(viewers)]
        times: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        stop = time.monotonic() + seconds

        def scorer():
            with _connection(port) as conn:
                _score(conn)

        def _score(conn):
            version, i = 0, 0
            while time.monotonic() < stop - interval * 1.5:  # the last saves still have time to be seen
                status, body = _request(conn, "PUT", f"/api/v1/scores/{sc}/{cr}/bloc", token,
                                        {"points": f"{i % 9 + 1}.5", "version": version})
                if status != 200:
                    errors.append(f"save {status}")
                    return
                version = body["version"]
                saved[version] = time.monotonic()
                i += 1
                time.sleep(0.4)

        def viewer(n):
            with _connection(port) as conn:
                _view(conn, n)

        def _view(conn, n):
            status, body = _request(conn, "GET", feed, token)
            token_seen = body["token"]
            time.sleep(interval * n / max(viewers, 1))  # open sheets don't poll in step
            while time.monotonic() < stop:
                start = time.perf_counter()
                status, body = _request(conn, "GET", f"{feed}?since={token_seen}", token)
                elapsed = (time.perf_counter() - start) * 1000
                now = time.monotonic()
                if status != 200:
                    errors.append(f"feed {status}")
                    return
                token_seen = body["token"]
                for card in body["scorecards"]:
                    for score in card["scores"]:
                        if card["id"] == sc and score["criterion"] == cr and score["stage"] == "bloc":
                            seen[n].setdefault(score["version"], now)
                with lock:
                    times.append(elapsed)
                time.sleep(interval)

        threads = [threading.Thread(target=scorer)] + [threading.Thread(target=viewer, args=(n,)) for n in range(viewers)]
        began = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - began
        server.close()
        thread.join(timeout=5)
        with app.app_context():
            from portal.extensions import db

            db.session.remove()
            db.engine.dispose()
    # A save is "seen" when a poll brings its version or a later one (a viewer skips versions between polls).
    delays, missed = [], 0
    for version, at in saved.items():
        for view in seen:
            later = [when for v, when in view.items() if v >= version]
            if later:
                delays.append(max(0.0, min(later) - at))
            else:
                missed += 1
    return {"viewers": viewers, "polls": len(times), "p50": statistics.median(times) if times else 0.0,
            "p95": _percentile(times, 95) if times else 0.0, "rate": len(times) / wall, "saves": len(saved),
            "delay50": statistics.median(delays) if delays else 0.0, "delay95": _percentile(delays, 95) if delays else 0.0,
            "delay_max": max(delays) if delays else 0.0, "missed": missed, "errors": errors}


def run(echo=print) -> list[dict]:
    counts = _viewer_counts()
    seconds = float(os.environ.get("BENCH_SECONDS", "3"))
    from portal.scoring.views import LIVE_INTERVAL_MS

    interval = float(os.environ.get("BENCH_INTERVAL", LIVE_INTERVAL_MS / 1000))
    units, criteria = (int(n) for n in os.environ.get("BENCH_SIZE", "13x20").lower().split("x"))
    results = [measure(n, seconds, interval, units, criteria) for n in counts]
    base = results[0]
    echo(f"\nLive meeting view: {units} units × {criteria} criteria, a save every 0.4 s, each viewer polls every {interval:g} s, "
         f"{seconds:g} s per row, waitress 8 threads, SQLite")
    echo(f"{'viewers':>7} | {'polls':>5} {'/s':>6} | {'feed p50':>8} {'p95':>7} ms | {'delay p50':>9} {'p95':>6} {'max':>6} s | "
         f"{'saves':>5} {'missed':>6} {'errors':>6} | p95 ratio to {base['viewers']} viewer(s)")
    for r in results:
        ratio = r["p95"] / base["p95"] if base["p95"] else 0.0
        echo(f"{r['viewers']:>7} | {r['polls']:>5} {r['rate']:6.1f} | {r['p50']:8.2f} {r['p95']:7.2f}    | "
             f"{r['delay50']:9.2f} {r['delay95']:6.2f} {r['delay_max']:6.2f}   | {r['saves']:>5} {r['missed']:>6} "
             f"{len(r['errors']):>6} | {ratio:.2f}")
    return results


@pytest.mark.perf
def test_live_view_benchmark():
    for r in run():
        assert r["errors"] == [] and r["saves"] > 0 and r["missed"] == 0, r


if __name__ == "__main__":
    run()
