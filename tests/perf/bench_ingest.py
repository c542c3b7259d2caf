"""Ingest benchmark: the archive's guarded ingest against bare in-process pypdf extraction.

Run by hand (prints the figures)::

    BENCH_DOCS=50 .venv/bin/python -m tests.perf.bench_ingest

or as a test (CI size by default, 5 documents)::

    .venv/bin/python -m pytest tests/perf/bench_ingest.py -m perf

Environment: `BENCH_DOCS` (documents, default 5), `BENCH_PAGES` (pages per document, default 10),
`BENCH_DIR` (where the app, archive and PDFs live; default a temporary directory, removed afterwards).

It generates N distinct Vietnamese text PDFs of 10 pages, ingests each through
`portal.documents.services.ingest` (size check, hash, duplicate check, the PDF parsed in a limited
child process, metadata reading, citations, the row, the outbox, the audit event, the original put
in place) in an app made by `tests.conftest.make_app`, then reads the same files with bare pypdf in
this process (`PdfReader(path).pages[i].extract_text()` for every page). One extra document is
processed first by each path and not counted (imports, caches). It prints throughput (documents/s),
p50 and p95 per document for both, and the ratios ingest/bare. The test asserts correctness only
(every document stored once with its pages, text and number; bare pypdf reads the same words).
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


def run_ingest(app, paths: list[Path]) -> tuple[Figures, list[int]]:
    from portal.auth.services import SYSTEM
    from portal.documents import services as docs

    seconds, ids = [], []
    with app.app_context():
        for path in paths:
            start = time.perf_counter()
            with open(path, "rb") as stream:
                result = docs.ingest(SYSTEM, stream, path.name)
            seconds.append(time.perf_counter() - start)
            ids.append(result.document.id)
    return Figures("ingest", seconds), ids


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


def bench(workdir: Path, count: int, pages: int, out=print) -> dict:
    """Generate, ingest, extract bare, print; return what the test checks."""
    from tests.conftest import make_app

    pdf_dir = workdir / "pdf"
    t0 = time.perf_counter()
    paths = make_files(pdf_dir, count + 1, pages)  # the first one warms each path up and is not counted
    out(f"ingest benchmark: {count} documents of {pages} pages "
        f"({sum(p.stat().st_size for p in paths[1:]) / count / 1024:.0f} kB each on average; "
        f"generated in {time.perf_counter() - t0:.1f} s)")

    app = make_app(workdir / "app")
    try:
        _, warm_ids = run_ingest(app, paths[:1])
        ingest, ids = run_ingest(app, paths[1:])
        run_bare(paths[:1])
        bare, texts = run_bare(paths[1:])
        rows = [("", "docs/s", "p50 ms", "p95 ms", "total s")]
        for f in (ingest, bare):
            rows.append((f.label, f"{f.throughput:.1f}", f"{f.pct(50) * 1000:.1f}", f"{f.pct(95) * 1000:.1f}", f"{f.total:.2f}"))
        for row in rows:
            out(f"  {row[0]:<12}{row[1]:>9}{row[2]:>10}{row[3]:>10}{row[4]:>10}")
        out(f"  ratio ingest/bare: p50 {ingest.pct(50) / bare.pct(50):.1f}x · p95 {ingest.pct(95) / bare.pct(95):.1f}x · "
            f"throughput {bare.throughput / ingest.throughput:.1f}x")
        with app.app_context():
            from portal.documents.models import Document
            from portal.extensions import db

            stored = [db.session.get(Document, i) for i in warm_ids + ids]
            checked = [{"page_count": d.page_count, "text_source": d.text_source, "number": d.number,
                        "text": d.text, "sha256": d.sha256, "path_exists": _original_exists(app, d)} for d in stored[1:]]
    finally:
        from portal.extensions import db

        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return {"paths": paths[1:], "stored": checked, "bare_texts": texts, "ingest": ingest, "bare": bare}


def _original_exists(app, document) -> bool:
    from portal.documents import archive

    return archive.original_path(archive.archive_root(app.config), document.sha256).is_file()


def settings() -> tuple[int, int]:
    return int(os.environ.get("BENCH_DOCS", "5")), int(os.environ.get("BENCH_PAGES", "10"))


@pytest.mark.perf
def test_bench_ingest(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    count, pages = settings()
    workdir = Path(os.environ["BENCH_DIR"]) if os.environ.get("BENCH_DIR") else tmp_path
    with capsys.disabled():
        print()
        result = bench(workdir, count, pages)
    import hashlib

    assert len(result["stored"]) == count
    assert len({d["sha256"] for d in result["stored"]}) == count
    for i, (path, doc, bare) in enumerate(zip(result["paths"], result["stored"], result["bare_texts"])):
        assert doc["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() and doc["path_exists"]
        assert doc["page_count"] == pages and doc["text_source"] == "text"
        assert doc["number"] == f"{101 + i}/KH-UBND"
        for phrase in ("Cờ thi đua của Ủy ban nhân dân tỉnh", f"Nội dung thứ {pages} của kế hoạch số {101 + i}"):
            assert phrase in doc["text"] and phrase in bare
    assert len(result["ingest"].seconds) == len(result["bare"].seconds) == count


def main() -> None:
    count, pages = settings()
    if os.environ.get("BENCH_DIR"):
        bench(Path(os.environ["BENCH_DIR"]), count, pages)
        return
    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        bench(workdir, count, pages)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
