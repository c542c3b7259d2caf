"""Ingest benchmark: bulk import and uploads against bare in-process pypdf on the same files.

Run by hand (prints the figures)::

    BENCH_DOCS=200 BENCH_UPLOADS=40 .venv/bin/python -m tests.perf.bench_ingest

or as a test (CI size by default)::

    .venv/bin/python -m pytest tests/perf/bench_ingest.py -m perf

Environment: `BENCH_DOCS` (documents imported, default 5), `BENCH_PAGES` (pages per document,
default 10), `BENCH_SIGNED` (signed and unsigned files inspected, default 3 of each), `BENCH_UPLOADS`
(uploads over HTTP, default 5; 0 skips the server), `BENCH_ENGINE` (the server's
`PORTAL_SEARCH_ENGINE` for the uploads, default the portal's), `BENCH_DIR` (where the apps, archives and PDFs
live; default a temporary directory, removed afterwards).

1. Import: N distinct Vietnamese text PDFs of `BENCH_PAGES` pages go through
   `portal.documents.imports.import_files` (what `flask import` runs: hash and duplicate check, the
   guarded parse in a warm child, metadata reading, the row, outbox and audit event, the original put
   in place, the index updated once per batch, the thumbnail queued for the worker) in an app made by
   `tests.conftest.make_app`; then the same files are read with bare pypdf in this process
   (`PdfReader(path).pages[i].extract_text()`).
   It prints documents/s, p50/p95 per document for both and the ratio import/bare (goal ≤ 3×). Then
   the same import runs again (a resumed run: everything skipped) and prints its time.
2. Signed vs unsigned: `inspect_pdf` of signed PDFs (pyHanko reads the signature) and of the same
   texts unsigned (pyHanko is never imported for them); p50 each, first file of each kind not counted.
3. Upload → searchable: a real waitress server (`tests.procs.PortalProcess`); each upload of a
   distinct 10-page PDF carrying a made-up word is timed from the request until
   `GET /api/v1/search?q=WORD` finds it (polled every 10 ms); p50/p95, with the upload's own response
   time (goal p95 ≤ 0.5 s on an idle machine).

One extra document warms each path up and is not counted. The test asserts correctness only (every
document stored once with its pages, text and number; bare pypdf reads the same words; uploads found).
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

# Short lines (no wrapping, so the text comes back exactly): about 60 characters each.
PARAGRAPHS = [
    "Thực hiện Kế hoạch của Ủy ban nhân dân tỉnh về các Khối thi đua,",
    "các đơn vị đã xây dựng chương trình công tác, ký giao ước thi đua",
    "và triển khai phong trào thi đua yêu nước gắn với nhiệm vụ chính trị.",
    "Công tác khen thưởng kịp thời, đúng người, đúng thành tích;",
    "chú trọng khen thưởng người lao động trực tiếp, đồng bào dân tộc.",
    "Đề nghị tặng Cờ thi đua của Ủy ban nhân dân tỉnh cho tập thể;",
    "tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh cho cá nhân.",
    "Hội đồng tổ chức thẩm định, bình xét, xếp loại theo bảng điểm.",
]


@dataclass
class Figures:
    label: str
    seconds: list[float]

    @property
    def total(self) -> float:
        return sum(self.seconds)

    @property
    def throughput(self) -> float:
        return len(self.seconds) / self.total if self.total else float("inf")

    def pct(self, p: int) -> float:
        data = sorted(self.seconds)
        if len(data) == 1:
            return data[0]
        return statistics.quantiles(data, n=100, method="inclusive")[p - 1]


def document_text(i: int, pages: int) -> list[str]:
    """Page texts of document i: a plan's header on page 1, then body pages; short lines so no page overflows."""
    first = (
        "ỦY BAN NHÂN DÂN                    CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "TỈNH LAM SƠN                              Độc lập - Tự do - Hạnh phúc\n"
        f"Số: {100 + i}/KH-UBND                        Lam Sơn, ngày 08 tháng 01 năm 2025\n"
        "KẾ HOẠCH\n"
        f"Tổ chức hoạt động các Khối thi đua thuộc tỉnh năm 2025 (đợt {i + 1})\n"
        "Căn cứ Chỉ thị số 05/CT-UBND ngày 20/12/2024 của Chủ tịch Ủy ban nhân dân tỉnh.\n"
        + "\n".join(PARAGRAPHS)
    )
    body = []
    for p in range(2, pages + 1):
        lines = [f"{p}. Nội dung thứ {p} của kế hoạch số {100 + i}"]
        for k in range(3):
            lines += [f"{p}.{k + 1}. " + PARAGRAPHS[(p + k + j) % len(PARAGRAPHS)] for j in range(8)]
        body.append("\n".join(lines))
    signature = "\nTM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\nTrần Văn Minh"
    if body:
        body[-1] += signature
    else:
        first += signature
    return [first, *body]


def make_files(folder: Path, count: int, pages: int) -> list[Path]:
    from tests.pdf_factory import make_text_pdf

    paths = []
    for i in range(count):
        path = folder / f"ke-hoach-{100 + i}.pdf"
        make_text_pdf(path, document_text(i, pages))
        paths.append(path)
    return paths


def run_import(app, paths: list[Path]) -> tuple[Figures, float, list[int]]:
    """`import_files` over `paths` as `flask import` runs it: per-document seconds (between progress
    calls), the wall time of the whole run (the last index batch included) and the ids."""
    from portal.auth.services import SYSTEM
    from portal.documents.imports import import_files

    marks: list[float] = []
    with app.app_context():
        start = time.perf_counter()
        summary = import_files(SYSTEM, paths, {}, progress=lambda _p: marks.append(time.perf_counter()))
        total = time.perf_counter() - start
    assert not summary.refused, summary.refused
    seconds = [b - a for a, b in zip([start, *marks], marks)]
    return Figures("import", seconds), total, [i for _, i in summary.imported]


def run_bare(paths: list[Path]) -> tuple[Figures, list[str]]:
    from pypdf import PdfReader

    seconds, texts = [], []
    for path in paths:
        start = time.perf_counter()
        reader = PdfReader(path)
        text = "\n".join(reader.pages[i].extract_text() for i in range(len(reader.pages)))
        seconds.append(time.perf_counter() - start)
        texts.append(text)
    return Figures("bare pypdf", seconds), texts


def bench(workdir: Path, cfg: dict, out=print) -> dict:
    """Generate, import, extract bare, inspect signed/unsigned, upload over HTTP, print; return what the test checks."""
    from tests.conftest import make_app

    count, pages = cfg["docs"], cfg["pages"]
    pdf_dir = workdir / "pdf"
    t0 = time.perf_counter()
    paths = make_files(pdf_dir, count + 1, pages)  # the first one warms each path up and is not counted
    out(f"ingest benchmark: {count} documents of {pages} pages "
        f"({sum(p.stat().st_size for p in paths[1:]) / count / 1024:.0f} kB each on average; "
        f"generated in {time.perf_counter() - t0:.1f} s); load {_load()}")

    # Thumbnails go to the task queue as in production (the worker renders them), not into the import.
    app = make_app(workdir / "app", PORTAL_TASKS_IMMEDIATE=False)
    try:
        _, _, warm_ids = run_import(app, paths[:1])
        imported, wall, ids = run_import(app, paths[1:])
        run_bare(paths[:1])
        bare, texts = run_bare(paths[1:])
        rows = [("", "docs/s", "p50 ms", "p95 ms", "total s")]
        for f, total in ((imported, wall), (bare, bare.total)):
            rows.append((f.label, f"{len(f.seconds) / total:.1f}", f"{f.pct(50) * 1000:.1f}", f"{f.pct(95) * 1000:.1f}",
                         f"{total:.2f}"))
        for row in rows:
            out(f"  {row[0]:<12}{row[1]:>9}{row[2]:>10}{row[3]:>10}{row[4]:>10}")
        ratio = (wall / count) / (bare.total / count)
        out(f"  ratio import/bare: throughput {ratio:.1f}x (goal ≤ 3x) · p50 {imported.pct(50) / bare.pct(50):.1f}x · "
            f"p95 {imported.pct(95) / bare.pct(95):.1f}x")
        _, resumed_wall, resumed_ids = run_import(app, paths)
        out(f"  the same import again (all {count + 1} files already archived): {resumed_wall:.2f} s, "
            f"{len(resumed_ids)} imported")
        with app.app_context():
            from portal.documents.models import Document
            from portal.extensions import db
            from portal.search import services as search

            stored = [db.session.get(Document, i) for i in warm_ids + ids]
            checked = [{"page_count": d.page_count, "text_source": d.text_source, "number": d.number,
                        "text": d.text, "sha256": d.sha256, "path_exists": _original_exists(app, d)} for d in stored[1:]]
            indexed = search.engine().ids() >= set(ids) and search.pending_count() == 0
    finally:
        from portal.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        from portal.tasks import huey

        huey.immediate = True  # as every test app has it (an in-memory queue)
    signed = bench_signed(workdir / "signed", cfg["signed"], out) if cfg["signed"] else None
    uploads = bench_uploads(workdir / "server", cfg["uploads"], pages, out) if cfg["uploads"] else None
    return {"paths": paths[1:], "stored": checked, "bare_texts": texts, "import": imported, "bare": bare,
            "indexed": indexed, "resumed_ids": resumed_ids, "signed": signed, "uploads": uploads}


def bench_signed(folder: Path, count: int, out=print) -> dict:
    """`inspect_pdf` p50 for signed PDFs and for the same texts unsigned (warm children both)."""
    from portal.documents.pdf import inspect_pdf
    from tests.pdf_factory import make_signed_pdf, make_text_pdf

    folder.mkdir(parents=True, exist_ok=True)
    timings: dict[str, Figures] = {}
    found: dict[str, list[int]] = {}
    for kind in ("unsigned", "signed"):
        seconds, signatures = [], []
        for i in range(count + 1):
            pages = document_text(700 + i, 2)
            data = make_signed_pdf(None, pages).data if kind == "signed" else make_text_pdf(None, pages)
            path = folder / f"{kind}-{i}.pdf"
            path.write_bytes(data)
            start = time.perf_counter()
            result = inspect_pdf(path)
            if i:
                seconds.append(time.perf_counter() - start)
                signatures.append(len(result.signatures))
        timings[kind], found[kind] = Figures(kind, seconds), signatures
    out(f"  inspect 2-page PDF: unsigned p50 {timings['unsigned'].pct(50) * 1000:.0f} ms · signed p50 "
        f"{timings['signed'].pct(50) * 1000:.0f} ms (p95 {timings['signed'].pct(95) * 1000:.0f} ms) · "
        f"ratio {timings['signed'].pct(50) / timings['unsigned'].pct(50):.1f}x; n {count} each")
    return {"timings": timings, "signatures": found}


def bench_uploads(root: Path, count: int, pages: int, out=print) -> dict:
    """Upload → searchable over HTTP against a real server process."""
    import random
    import string

    from tests.pdf_factory import make_text_pdf
    from tests.procs import PortalProcess

    rng = random.Random(14)
    searchable, responded, statuses, found = [], [], [], []
    engine = os.environ.get("BENCH_ENGINE")
    with PortalProcess(root, env={"PORTAL_SEARCH_ENGINE": engine} if engine else None) as portal:
        portal.init()
        portal.start()
        token = portal.token("admin")
        for i in range(count + 1):  # the first one warms the server's paths up and is not counted
            word = "zq" + "".join(rng.choice(string.ascii_lowercase) for _ in range(10))
            text = document_text(900 + i, pages)
            text[-1] += f"\nMã hồ sơ {word}"
            data = make_text_pdf(None, text)
            start = time.perf_counter()
            status, body = portal.upload(data, f"ke-hoach-{900 + i}.pdf", token=token, timeout=120)
            answered = time.perf_counter() - start
            hit = False
            while time.perf_counter() - start < 30:
                _, result = portal.request("GET", f"/api/v1/search?q={word}", token=token)
                if isinstance(result, dict) and result.get("items"):
                    hit = result["items"][0]["id"] == (body.get("id") if isinstance(body, dict) else None)
                    break
                time.sleep(0.01)
            if i:
                searchable.append(time.perf_counter() - start)
                responded.append(answered)
                statuses.append(status)
                found.append(hit)
    up, srch = Figures("upload answered", responded), Figures("searchable", searchable)
    out(f"  upload → searchable over HTTP ({engine or 'default engine'}, {pages} pages, n {count}): p50 {srch.pct(50) * 1000:.0f} ms · "
        f"p95 {srch.pct(95) * 1000:.0f} ms (goal ≤ 500) · upload answered p50 {up.pct(50) * 1000:.0f} ms, "
        f"p95 {up.pct(95) * 1000:.0f} ms")
    return {"statuses": statuses, "found": found, "searchable": srch}


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _original_exists(app, document) -> bool:
    from portal.documents import archive

    return archive.original_path(archive.archive_root(app.config), document.sha256).is_file()


def settings() -> dict:
    env = os.environ.get
    return {"docs": int(env("BENCH_DOCS", "5")), "pages": int(env("BENCH_PAGES", "10")),
            "signed": int(env("BENCH_SIGNED", "3")), "uploads": int(env("BENCH_UPLOADS", "5"))}


@pytest.mark.perf
def test_bench_ingest(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = settings()
    count, pages = cfg["docs"], cfg["pages"]
    workdir = Path(os.environ["BENCH_DIR"]) if os.environ.get("BENCH_DIR") else tmp_path
    with capsys.disabled():
        print()
        result = bench(workdir, cfg)
    import hashlib

    assert len(result["stored"]) == count
    assert len({d["sha256"] for d in result["stored"]}) == count
    for i, (path, doc, bare) in enumerate(zip(result["paths"], result["stored"], result["bare_texts"])):
        assert doc["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() and doc["path_exists"]
        assert doc["page_count"] == pages and doc["text_source"] == "text"
        assert doc["number"] == f"{101 + i}/KH-UBND"
        for phrase in ("Cờ thi đua của Ủy ban nhân dân tỉnh", f"Nội dung thứ {pages} của kế hoạch số {101 + i}"):
            assert phrase in doc["text"] and phrase in bare
    assert len(result["import"].seconds) == len(result["bare"].seconds) == count
    assert result["indexed"] and result["resumed_ids"] == []
    if result["signed"]:
        assert set(result["signed"]["signatures"]["signed"]) == {1}
        assert set(result["signed"]["signatures"]["unsigned"]) == {0}
    if result["uploads"]:
        assert set(result["uploads"]["statuses"]) == {201} and all(result["uploads"]["found"])


def main() -> None:
    cfg = settings()
    if os.environ.get("BENCH_DIR"):
        bench(Path(os.environ["BENCH_DIR"]), cfg)
        return
    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        bench(workdir, cfg)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
