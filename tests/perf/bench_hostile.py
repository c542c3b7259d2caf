"""Hostile-upload benchmark: other users' latency while hostile PDFs are uploaded, and clean-upload latency.

Run by hand (prints the figures)::

    BENCH_HOSTILE_TIMEOUT_S=15 BENCH_PROBES=100 .venv/bin/python -m tests.perf.bench_hostile

or as a test (CI size by default)::

    .venv/bin/python -m pytest tests/perf/bench_hostile.py -m perf

Environment: `BENCH_HOSTILE` (concurrent hostile uploads per round, default 8), `BENCH_PROBES` (baseline
requests, default 20), `BENCH_CLEAN` (clean uploads, default 5), `BENCH_PAGES` (pages per clean PDF,
default 10), `BENCH_HOSTILE_TIMEOUT_S` (`PORTAL_PDF_TIMEOUT_S` of the server, default 5; the portal's
default is 15), `BENCH_THREADS` (waitress threads, default 8 as scripts/serve), `BENCH_DIR` (where the
instance lives; default a temporary directory, removed afterwards).

It starts a real waitress server (`tests.procs.PortalProcess`), then measures a viewer's `GET /api/v1/me`
and `GET /` (p50/p95): first with no upload (the baseline), then while `BENCH_HOSTILE` concurrent uploads
of the reported hostile file (one 70 MB content stream shared by 200 pages, ~110 kB) are refused, in two
rounds: with the content budget off (each admitted upload holds its inspection slot for the whole
wall-clock limit, the worst case) and with the portal's defaults (the budget refuses the file early).
Last, `BENCH_CLEAN` distinct clean text PDFs are uploaded one after the other (p50/p95). It prints the
ratios against the baseline measured in the same run. The test asserts only what must hold (hostile
uploads refused, clean ones stored, every probe answered), never a time.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.perf.bench_ingest import Figures, document_text

API = "/api/v1"
PASSWORD = "Mat-khau-can-bo-2026!"


def settings() -> dict:
    env = os.environ.get
    return {"hostile": int(env("BENCH_HOSTILE", "8")), "probes": int(env("BENCH_PROBES", "20")),
            "clean": int(env("BENCH_CLEAN", "5")), "pages": int(env("BENCH_PAGES", "10")),
            "timeout_s": float(env("BENCH_HOSTILE_TIMEOUT_S", "5")), "threads": int(env("BENCH_THREADS", "8"))}


def _probe_once(portal, token: str, out: list[float], statuses: list[int]) -> None:
    for path in ("/api/v1/me", "/"):
        start = time.perf_counter()
        status, _ = portal.request("GET", path, token=token, timeout=60)
        out.append(time.perf_counter() - start)
        statuses.append(status)


def baseline(portal, token: str, count: int) -> tuple[Figures, list[int]]:
    seconds: list[float] = []
    statuses: list[int] = []
    _probe_once(portal, token, [], [])  # warm-up, not counted
    while len(seconds) < count:
        _probe_once(portal, token, seconds, statuses)
    return Figures("no upload", seconds), statuses


def hostile_round(portal, label: str, hostile: bytes, officers: list[str], reader: str, uploads: int):
    """`uploads` concurrent hostile uploads spread over `officers`; the reader probes until they are answered."""
    seconds: list[float] = []
    statuses: list[int] = []
    stop = threading.Event()

    def probe():
        while not stop.is_set():
            _probe_once(portal, reader, seconds, statuses)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(uploads) as executor:
            futures = [executor.submit(portal.upload, hostile, f"doc-hai-{i}.pdf", token=officers[i % len(officers)],
                                       timeout=120) for i in range(uploads)]
            results = [f.result()[0] for f in futures]
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        prober.join(120)
    return Figures(label, seconds), statuses, results, elapsed


def clean_uploads(portal, token: str, folder: Path, count: int, pages: int) -> tuple[Figures, list[int]]:
    from tests.pdf_factory import make_text_pdf

    seconds, statuses = [], []
    for i in range(count + 1):  # the first one warms the path up and is not counted
        data = make_text_pdf(None, document_text(500 + i, pages))
        start = time.perf_counter()
        status, _ = portal.upload(data, f"ke-hoach-{500 + i}.pdf", token=token, timeout=120)
        if i:
            seconds.append(time.perf_counter() - start)
            statuses.append(status)
    return Figures("clean upload", seconds), statuses


def _restart(portal, config: str) -> None:
    from tests.procs import INSTANCE_CONFIG

    portal.stop()
    (portal.instance / "config.py").write_text(INSTANCE_CONFIG + config)
    portal.start()


def bench(workdir: Path, cfg: dict, out=print) -> dict:
    """Start a server, measure, print; return what the test checks."""
    from tests.pdf_factory import make_shared_stream_pdf
    from tests.procs import PortalProcess

    budget_off = f"PORTAL_PDF_TIMEOUT_S = {cfg['timeout_s']}\nPORTAL_PDF_CONTENT_BUDGET_MB = 0\n"
    portal = PortalProcess(workdir, threads=cfg["threads"], instance_config=budget_off)
    try:
        portal.init()
        portal.start()
        admin = portal.token("admin")
        portal.request("POST", f"{API}/units", token=admin,
                       json_body={"code": "U1", "name": "Sở Nội vụ", "short_name": "SNV", "kind": "so_nganh"})
        for name, role in (("canbo0", "officer"), ("canbo1", "officer"), ("xem", "viewer")):
            status, body = portal.request("POST", f"{API}/users", token=admin, json_body={
                "username": name, "password": PASSWORD, "role": role, **({"unit": "U1"} if role == "officer" else {})})
            assert status == 201, body
        officers = [portal.token("canbo0"), portal.token("canbo1")]
        reader = portal.token("xem")
        hostile = make_shared_stream_pdf(None)
        out(f"hostile-upload benchmark: waitress --threads {cfg['threads']}, PORTAL_PDF_TIMEOUT_S {cfg['timeout_s']:g}, "
            f"{cfg['hostile']} concurrent hostile uploads ({len(hostile) / 1024:.0f} kB: one 70 MB stream drawn by "
            f"200 pages) by 2 officers; other requests: a viewer's GET /api/v1/me and GET /")

        base, base_statuses = baseline(portal, reader, cfg["probes"])
        rounds = []
        worst = hostile_round(portal, "budget off", hostile, officers, reader, cfg["hostile"])
        rounds.append(worst)
        _restart(portal, f"PORTAL_PDF_TIMEOUT_S = {cfg['timeout_s']}\n")  # the portal's default budget
        rounds.append(hostile_round(portal, "defaults", hostile, officers, reader, cfg["hostile"]))
        clean, clean_statuses = clean_uploads(portal, admin, workdir / "pdf", cfg["clean"], cfg["pages"])

        out(f"  {'other requests':<26}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'ratio p50':>11}{'ratio p95':>11}")
        out(f"  {'no upload (baseline)':<26}{len(base.seconds):>5}{base.pct(50) * 1000:>10.1f}{base.pct(95) * 1000:>10.1f}"
            f"{max(base.seconds) * 1000:>10.1f}{'1.0x':>11}{'1.0x':>11}")
        for figures, _, results, elapsed in rounds:
            label = f"during hostile ({figures.label})"
            out(f"  {label:<26}{len(figures.seconds):>5}{figures.pct(50) * 1000:>10.1f}{figures.pct(95) * 1000:>10.1f}"
                f"{max(figures.seconds) * 1000:>10.1f}{figures.pct(50) / base.pct(50):>10.1f}x"
                f"{figures.pct(95) / base.pct(95):>10.1f}x")
            counts = {s: results.count(s) for s in sorted(set(results))}
            out(f"    hostile uploads answered {counts} within {elapsed:.1f} s")
        out(f"  clean upload ({cfg['pages']} pages): n {len(clean.seconds)} · p50 {clean.pct(50) * 1000:.0f} ms · "
            f"p95 {clean.pct(95) * 1000:.0f} ms")
        status, listing = portal.request("GET", f"{API}/documents", token=admin)
        return {"base_statuses": base_statuses, "rounds": rounds, "clean_statuses": clean_statuses,
                "stored": listing["total"] if status == 200 else None, "clean": clean}
    finally:
        portal.close()


@pytest.mark.perf
def test_bench_hostile(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = settings()
    workdir = Path(os.environ["BENCH_DIR"]) if os.environ.get("BENCH_DIR") else tmp_path
    with capsys.disabled():
        print()
        result = bench(workdir, cfg)
    assert set(result["base_statuses"]) == {200}
    for figures, statuses, results, _ in result["rounds"]:
        assert statuses and set(statuses) == {200}, figures.label
        assert all(400 <= s < 500 for s in results), results
    assert set(result["clean_statuses"]) == {201}
    assert result["stored"] == cfg["clean"] + 1  # the warm-up upload is stored too; no hostile one is


def main() -> None:
    cfg = settings()
    if os.environ.get("BENCH_DIR"):
        bench(Path(os.environ["BENCH_DIR"]), cfg)
        return
    workdir = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    try:
        bench(workdir, cfg)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
