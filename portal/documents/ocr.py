"""OCR of scanned PDFs with poppler (``pdftoppm``) and tesseract (Vietnamese model ``vie``).

Slow (seconds per page): call it from the task queue, never inside a request.

``ocr_pdf`` works page by page: ``pdftoppm -r DPI -gray -png -f N -l N -singlefile`` renders one
page into a private temporary folder, ``tesseract PAGE.png stdout -l vie --psm 3 --dpi DPI``
reads it, the picture is deleted, next page. Every program runs with an address-space limit, a
CPU limit, a cap on the size of files it writes (via ``pdf.rlimit_argv``), a clean environment,
stdin closed and a wall-clock timeout; the whole job stops at ``timeout_s``. The temporary folder
is always removed.

Partial results are results: a page that fails, or the pages left when time runs out or beyond
``max_pages``, give a Vietnamese warning and the text of the other pages is returned.
``OcrFailed`` (with a Vietnamese message) is raised only when nothing at all could be read:
OCR not installed, the PDF unreadable by poppler, or every page failing.

System packages (Debian): ``tesseract-ocr tesseract-ocr-vie poppler-utils``.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from portal.documents.pdf import PAGE_SEPARATOR, child_env, rlimit_argv, run_bounded
from portal.documents.pdf_child import clean_page_text

log = logging.getLogger(__name__)

#: Per-program limits. Tesseract with the ``vie`` LSTM model at 200–300 dpi needs about
#: 150–300 MB; pdftoppm's need grows with the page area × dpi² (A4 at 200 dpi grey: 4 MB).
DEFAULT_MEMORY_MB = 1024
MAX_PAGE_TEXT_BYTES = 1024 * 1024
MAX_PNG_MB = 256


class OcrFailed(Exception):
    """OCR produced nothing usable; ``message`` is Vietnamese and safe to show, ``reason`` one of REASONS."""

    #: Why OCR failed: the document page explains each in words (and what the user can do).
    REASONS = ("unavailable", "unreadable", "no_pages", "timeout", "no_text")

    def __init__(self, message: str, *, detail: str | None = None, reason: str = "no_text") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.reason = reason

    def __str__(self) -> str:
        return self.message


@dataclass
class OcrResult:
    """``pages_text[i]`` is the NFC text of page i+1, for the pages processed (from page 1 on;
    fewer than ``page_count`` when ``max_pages`` or the time limit stopped the job — the
    warnings then say so). ``page_count`` is the PDF's page count."""

    pages_text: list[str]
    page_count: int
    warnings: list[str] = field(default_factory=list)
    # The same facts as the warnings, for a page that words them in the reader's language.
    failed_pages: list[int] = field(default_factory=list)
    stopped_for_time: bool = False
    page_limit: int | None = None  # set when max_pages stopped the job

    @property
    def text(self) -> str:
        return PAGE_SEPARATOR.join(self.pages_text)


@functools.lru_cache(maxsize=8)
def ocr_available(lang: str = "vie") -> bool:
    """True when ``tesseract`` with language ``lang``, ``pdftoppm`` and ``pdfinfo`` are installed.
    The answer is cached for the life of the process."""
    if not all(shutil.which(tool) for tool in ("tesseract", "pdftoppm", "pdfinfo")):
        return False
    try:
        run = run_bounded(["tesseract", "--list-langs"], timeout_s=20, max_stdout=256 * 1024,
                          env=_env())
    except OSError:
        return False
    if run.returncode != 0:
        return False
    # first line is "List of available languages in ..." (on stdout or stderr by version)
    langs = {line.strip() for line in (run.stdout + b"\n" + run.stderr).decode("utf-8", "replace").splitlines()}
    return all(part in langs for part in lang.split("+"))


def _env() -> dict[str, str]:
    extra = {"OMP_THREAD_LIMIT": "1"}  # one OCR job = one core; run several jobs for more
    if os.environ.get("TESSDATA_PREFIX"):
        extra["TESSDATA_PREFIX"] = os.environ["TESSDATA_PREFIX"]
    return child_env(**extra)


def _page_count(path: str, deadline: float, memory_mb: int) -> int:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise OcrFailed(_MSG_TIMEOUT, reason="timeout")
    run = run_bounded(
        rlimit_argv(["pdfinfo", path], memory_mb=memory_mb, cpu_s=max(1, int(min(remaining, 60)))),
        timeout_s=min(remaining, 60),
        max_stdout=64 * 1024,
        env=_env(),
    )
    m = re.search(rb"^Pages:\s+(\d+)\s*$", run.stdout, re.MULTILINE)
    if run.returncode != 0 or not m:
        raise OcrFailed(
            "Không đọc được tệp PDF để nhận dạng chữ (tệp bị hỏng hoặc có mật khẩu).",
            detail=f"pdfinfo exit {run.returncode}: {run.stderr[-300:].decode('utf-8', 'replace')}",
            reason="unreadable",
        )
    return int(m.group(1))


_MSG_TIMEOUT = "Nhận dạng chữ (OCR) vượt quá thời gian cho phép; chưa nhận dạng được trang nào."


def ocr_pdf(
    path: str | os.PathLike[str],
    *,
    lang: str = "vie",
    dpi: int = 200,
    timeout_s: float = 300,
    max_pages: int = 200,
    memory_mb: int = DEFAULT_MEMORY_MB,
    page_timeout_s: float = 120,
) -> OcrResult:
    """OCR every page (up to ``max_pages``) of the PDF at ``path``; see the module docstring.

    ``timeout_s`` bounds the whole job, ``page_timeout_s`` each program run. Raises
    ``OcrFailed`` when nothing could be read.
    """
    if not ocr_available(lang):
        raise OcrFailed(
            "Máy chủ chưa cài chương trình nhận dạng chữ (tesseract, gói tiếng Việt) nên chưa "
            "đọc được văn bản scan. Vui lòng báo quản trị hệ thống.",
            reason="unavailable",
        )
    start = time.monotonic()
    deadline = start + timeout_s
    abspath = str(Path(path).resolve())
    page_count = _page_count(abspath, deadline, memory_mb)
    if page_count == 0:
        raise OcrFailed("Tệp PDF không có trang nào để nhận dạng chữ.", reason="no_pages")
    todo = min(page_count, max_pages)
    env = _env()
    pages_text: list[str] = []
    failed: list[int] = []
    warnings: list[str] = []
    stopped_for_time = False

    with tempfile.TemporaryDirectory(prefix="thidua-ocr-") as tmp:
        png = os.path.join(tmp, "page.png")
        for page in range(1, todo + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 1:
                stopped_for_time = True
                break
            limit = min(remaining, page_timeout_s)
            cpu = max(1, int(limit))
            render = run_bounded(
                rlimit_argv(
                    ["pdftoppm", "-r", str(dpi), "-gray", "-png", "-f", str(page), "-l", str(page),
                     "-singlefile", abspath, os.path.join(tmp, "page")],
                    memory_mb=memory_mb, cpu_s=cpu, fsize_mb=MAX_PNG_MB,
                ),
                timeout_s=limit, max_stdout=64 * 1024, env=env, cwd=tmp,
            )
            if render.returncode != 0 or not os.path.exists(png):
                if render.timed_out and deadline - time.monotonic() <= 1:
                    stopped_for_time = True
                    break
                log.info("pdftoppm failed on page %d: exit %s, %s", page, render.returncode,
                         render.stderr[-300:].decode("utf-8", "replace"))
                failed.append(page)
                pages_text.append("")
                continue
            remaining = deadline - time.monotonic()
            limit = min(remaining, page_timeout_s)
            if limit <= 1:
                stopped_for_time = True
                break
            read = run_bounded(
                rlimit_argv(
                    ["tesseract", png, "stdout", "-l", lang, "--psm", "3", "--dpi", str(dpi)],
                    memory_mb=memory_mb, cpu_s=max(1, int(limit)), fsize_mb=16,
                ),
                timeout_s=limit, max_stdout=MAX_PAGE_TEXT_BYTES, env=env, cwd=tmp,
            )
            try:
                os.unlink(png)
            except FileNotFoundError:
                pass
            if read.returncode != 0 or read.stdout_overflow:
                if read.timed_out and deadline - time.monotonic() <= 1:
                    stopped_for_time = True
                    break
                log.info("tesseract failed on page %d: exit %s, %s", page, read.returncode,
                         read.stderr[-300:].decode("utf-8", "replace"))
                failed.append(page)
                pages_text.append("")
                continue
            pages_text.append(clean_page_text(read.stdout.decode("utf-8", "replace")))

    done = len(pages_text) - len(failed)
    if done == 0:
        if stopped_for_time:
            raise OcrFailed(_MSG_TIMEOUT, reason="timeout")
        raise OcrFailed(
            "Không nhận dạng được chữ ở trang nào của tệp PDF.",
            detail=f"failed pages: {failed[:20]}",
            reason="no_text",
        )
    if failed:
        shown = ", ".join(str(p) for p in failed[:10]) + ("…" if len(failed) > 10 else "")
        warnings.append(f"Không nhận dạng được chữ ở {len(failed)} trang (trang {shown}).")
    if stopped_for_time:
        warnings.append(
            f"Hết thời gian nhận dạng chữ: mới nhận dạng được {len(pages_text)}/{page_count} trang."
        )
    elif todo < page_count:
        warnings.append(
            f"Tệp có {page_count} trang; chỉ nhận dạng chữ {todo} trang đầu (giới hạn {max_pages} trang)."
        )
    log.info("OCR of %s: %d/%d pages in %.1f s", abspath, len(pages_text), page_count, time.monotonic() - start)
    return OcrResult(pages_text=pages_text, page_count=page_count, warnings=warnings, failed_pages=failed,
                     stopped_for_time=stopped_for_time,
                     page_limit=max_pages if not stopped_for_time and todo < page_count else None)
