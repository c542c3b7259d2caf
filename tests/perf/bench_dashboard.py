"""Dashboard benchmark: the progress grid's render time and query count, big province against a small one.

Run by hand (full size: 30 blocs × 10 milestones over 3 years with 5,000 documents, against the same
page with 3 blocs and the same density of units and documents)::

    BENCH_SIZE=full .venv/bin/python -m tests.perf.bench_dashboard

or as a test (CI size by default: 8 blocs and 1,300 documents against 3 blocs)::

    .venv/bin/python -m pytest tests/perf/bench_dashboard.py -m perf -s

Environment: `BENCH_SIZE` (`small`, the default, or `full`), `BENCH_REPEAT` (timed runs per figure;
default 30 small, 100 full). Each size gets a fresh SQLite database: 15 units per bloc, memberships
and a 10-milestone schedule for 2024–2026, the blocs' and units' documents of each step (some late,
some missing) and other documents up to the total. Today is pinned to 25/11/2026.

Figures, through the Flask test client (routing, session, policy, database, templates; no network):
p50/p95 of the Board's home page (the whole grid), of the progress API and of the print view; the SQL
statements each runs; and the big size's ratio to the small one. Target: the home page ≤ 30 ms p95,
query counts that do not grow with the size. The test checks only correctness (every answer 200, the
same number of queries at both sizes), never a time.
"""
from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, AuthActions, count_queries, make_app
from tests.perf.stats import percentile

YEARS = (2024, 2025, 2026)
UNITS_PER_BLOC = 15
SIZES = {"small": ((3, 500), (8, 1300)), "full": ((3, 500), (30, 5000))}  # (blocs, documents): baseline, big
PAGES = (("home (grid)", "/"), ("progress API", "/api/v1/years/2026/progress"), ("print view", "/progress/2026/print"))


@contextmanager
def _pinned_today():
    """Pin today to 25/11/2026 for the benchmark only; the real clock comes back afterwards.

    (It used to stay pinned for the rest of the test run, so clock tests failed on any other day.)
    """
    import portal.text.dates as dates
    from portal.text import TZ

    real = dates.now_local
    dates.now_local = lambda: datetime(2026, 11, 25, 9, 0, tzinfo=TZ)
    try:
        yield
    finally:
        dates.now_local = real


def build(tmp: Path, blocs: int, documents: int):
    """A fresh app: `blocs` blocs of 15 units, three years of memberships and schedules, `documents` documents."""
    import sqlalchemy as sa

    from portal.auth import services as accounts
    from portal.demo.schedule import usual_plan
    from portal.documents.models import Document
    from portal.extensions import db
    from portal.org import services as org
    from portal.org.models import Bloc, Unit
    from portal.schedule import services as schedule

    app = make_app(tmp)
    rng = random.Random(f"bench-dashboard:{blocs}:{documents}")
    with app.app_context():
        for b in range(1, blocs + 1):
            org.create_bloc(None, {"code": f"K{b}", "name": f"Khối thi đua số {b}"}, commit=False)
            for u in range(UNITS_PER_BLOC):
                org.create_unit(None, {"code": f"U{b}-{u}", "name": f"Đơn vị {u + 1} của khối {b}", "kind": "so_nganh"},
                                commit=False)
        db.session.commit()
        for i, year in enumerate(YEARS):
            rows = []
            for b in range(1, blocs + 1):
                for u in range(UNITS_PER_BLOC):
                    role = "leader" if u == i else "deputy" if u == i + 1 else "member"
                    rows.append(org.MembershipRow(f"U{b}-{u}", f"K{b}", role))
            org.replace_memberships(None, year, rows)
            plan = usual_plan(year) + [{"title": "Gửi danh sách đăng ký danh hiệu thi đua", "starts_on": date(year, 1, 2),
                                        "due_on": date(year, 3, 15), "scope": "unit", "responsible": "member",
                                        "evidence_type": "TTr"}]
            schedule.replace_milestones(accounts.SYSTEM, year, plan)
        accounts.create_user(None, username="admin", password=PASSWORD, role="admin", full_name="Ban TĐKT")

        bloc_ids = dict(db.session.execute(sa.select(Bloc.code, Bloc.id)).all())
        unit_ids = dict(db.session.execute(sa.select(Unit.code, Unit.id)).all())
        now = datetime.now(timezone.utc)
        rows: list[dict] = []

        def doc(year, type_, day, bloc=None, unit=None, kind=None):
            n = len(rows) + 1
            rows.append({"type": type_, "report_kind": kind, "year": year, "issue_date": day, "title": f"Văn bản {n}",
                         "number": f"{n}/{type_}", "number_key": f"{n}/{type_}".lower(), "bloc_id": bloc, "unit_id": unit,
                         "sha256": f"{n:064x}", "size": 1000, "original_name": f"vb-{n}.pdf", "text": "",
                         "uploaded_at": now, "updated_at": now, "page_count": 1, "text_source": "text",
                         "text_quality": "good", "ocr_status": "none", "metadata_confirmed": True, "version": 1,
                         "issuer": "", "signer": "", "signer_title": ""})

        for year in YEARS:
            steps = [m for m in schedule.milestones_for_year(year) if m.evidence_type]
            for m in steps:
                doc_type, kind = schedule.split_evidence(m.evidence_type)
                for b in range(1, blocs + 1):
                    targets = [(None, u) for u in range(UNITS_PER_BLOC)] if m.scope == "unit" else [(bloc_ids[f"K{b}"], None)]
                    for bloc_id, u in targets:
                        if rng.random() < 0.1:
                            continue  # missing
                        day = m.due_on - timedelta(days=rng.randint(-6, 20))
                        if m.starts_on and day < m.starts_on:
                            day = m.starts_on
                        unit_id = unit_ids[f"U{b}-{u}"] if u is not None else None
                        doc(year, doc_type, day, bloc_ids[f"K{b}"] if unit_id else bloc_id, unit_id, kind)
        others = ("CT", "CV", "QĐ", "TB", "HD", "NQ", "OTHER", "KH")
        while len(rows) < documents:
            year = rng.choice(YEARS)
            b = rng.randint(1, blocs)
            unit = unit_ids[f"U{b}-{rng.randrange(UNITS_PER_BLOC)}"] if rng.random() < 0.5 else None
            doc(year, rng.choice(others), date(year, rng.randint(1, 12), rng.randint(1, 28)), bloc_ids[f"K{b}"], unit)
        rows = rows[:documents]
        db.session.execute(sa.insert(Document), rows)
        db.session.commit()
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        counts = {"blocs": blocs, "units": len(unit_ids), "documents": db.session.scalar(sa.select(sa.func.count(Document.id)))}
    return app, counts


def measure(app, repeat: int) -> dict:
    """Time each page `repeat` times after a warm-up; count its SQL statements."""
    client = app.test_client()
    AuthActions(client).login("admin")
    out = {}
    for label, path in PAGES:
        for _ in range(3):
            assert client.get(path).status_code == 200
        with count_queries(app) as statements:
            response = client.get(path)
        assert response.status_code == 200
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        out[label] = {"p50": statistics.median(times), "p95": percentile(times, 95), "queries": len(statements),
                      "kb": len(response.data) / 1024}
    return out


def run(size: str | None = None, repeat: int | None = None, echo=print) -> dict:
    """Build both sizes, measure them, print a table; return the figures."""
    with _pinned_today():
        return _run(size, repeat, echo)


def _run(size: str | None, repeat: int | None, echo) -> dict:
    size = size or os.environ.get("BENCH_SIZE", "small")
    if size not in SIZES:
        raise ValueError(f"BENCH_SIZE must be one of {', '.join(SIZES)}")
    repeat = repeat or int(os.environ.get("BENCH_REPEAT", "100" if size == "full" else "30"))
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        for i, (blocs, documents) in enumerate(SIZES[size]):
            started = time.perf_counter()
            app, counts = build(Path(tmp) / f"s{i}", blocs, documents)
            built = time.perf_counter() - started
            figures = measure(app, repeat)
            results.append((counts, figures))
            echo(f"built {counts['blocs']} blocs, {counts['units']} units, {counts['documents']} documents, "
                 f"3 years × 10 milestones in {built:.1f} s")
            from portal.extensions import db

            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    (base_counts, base), (big_counts, big) = results
    echo("")
    echo(f"dashboard benchmark ({size}; {repeat} runs each; today 25/11/2026)")
    echo(f"{'page':<14} {'size':<26} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'KB':>7}")
    for label, _path in PAGES:
        for counts, figures in ((base_counts, base), (big_counts, big)):
            f = figures[label]
            name = f"{counts['blocs']} blocs, {counts['documents']} docs"
            echo(f"{label:<14} {name:<26} {f['p50']:>8.1f} {f['p95']:>8.1f} {f['queries']:>8} {f['kb']:>7.0f}")
        ratio = big[label]["p95"] / base[label]["p95"] if base[label]["p95"] else float("nan")
        echo(f"{'':<14} {'ratio big / small (p95)':<26} {ratio:>17.2f}")
    echo("target: home page p95 ≤ 30 ms at the big size; the same number of queries at both sizes")
    return {"base": (base_counts, base), "big": (big_counts, big)}


@pytest.mark.perf
def test_dashboard_benchmark(capsys):
    with capsys.disabled():
        figures = run(echo=lambda line: print(line))
    _base_counts, base = figures["base"]
    _big_counts, big = figures["big"]
    for label, _path in PAGES:
        assert big[label]["queries"] == base[label]["queries"], label


if __name__ == "__main__":
    run()
