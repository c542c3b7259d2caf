"""inspect_pdf: clean PDFs come back exact; every crafted bad PDF is refused, quickly, in Vietnamese."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from portal.documents import pdf as pdfmod
from portal.documents.pdf import (
    PAGE_SEPARATOR,
    REFUSAL_CODES,
    BoundedRun,
    PdfInspection,
    PdfRefused,
    inspect_pdf,
    rlimit_argv,
    run_bounded,
)
from portal.documents.pdf_child import clean_page_text
from portal.text import VIETNAMESE_LETTERS
from tests import pdf_factory as f

#: The point of the refusal tests is "no hang", not speed: a generous bound.
NO_HANG_S = 20

VI_PAGES = [
    "ỦY BAN NHÂN DÂN TỈNH LAM SƠN\n"
    "Số: 123/QĐ-UBND ngày 07/03/2025\n"
    "QUYẾT ĐỊNH\n"
    "Về việc tặng Cờ thi đua của Ủy ban nhân dân tỉnh năm 2025",
    "Căn cứ Chỉ thị số 19/CT-UBND về đẩy mạnh phong trào thi đua yêu nước;\n"
    "Xét đề nghị của Trưởng Ban Thi đua - Khen thưởng — Sở Nội vụ,\n"
    "ưu tiên: ỹ ự ằ ẵ ặ ổ ỗ ộ ờ ở ỡ ợ ừ ử ữ đĐ",
    "Điều 1. Tặng Cờ thi đua cho Khối thi đua các huyện, thị xã, thành phố.",
]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _is_vietnamese(message: str) -> bool:
    return any(not ch.isascii() and ch in VIETNAMESE_LETTERS for ch in message)


def _refused(path: Path, **kwargs) -> tuple[PdfRefused, float]:
    start = time.monotonic()
    with pytest.raises(PdfRefused) as info:
        inspect_pdf(path, **kwargs)
    return info.value, time.monotonic() - start


# --------------------------------------------------------------------------------------------
# good files
# --------------------------------------------------------------------------------------------


def test_clean_vietnamese_pdf_round_trips_exactly(tmp_path):
    path = _write(tmp_path, "qd.pdf", f.make_text_pdf(None, VI_PAGES, title="Quyết định tặng Cờ thi đua"))
    result = inspect_pdf(path)
    assert result.page_count == 3
    assert result.pages_text == [unicodedata.normalize("NFC", p) for p in VI_PAGES]
    assert all(unicodedata.is_normalized("NFC", p) for p in result.pages_text)
    assert result.text == PAGE_SEPARATOR.join(result.pages_text)
    assert result.has_text_layer is True
    assert result.info_title == "Quyết định tặng Cờ thi đua"
    assert "ReportLab" in (result.producer or "")
    assert result.pdf_version and result.pdf_version[0] in "12"
    assert result.signatures == []
    assert result.warnings == []


def test_nfd_text_comes_back_nfc(tmp_path):
    nfd = unicodedata.normalize("NFD", "Thi đua yêu nước, Khen thưởng Cờ thi đua của Chính phủ")
    result = inspect_pdf(_write(tmp_path, "nfd.pdf", f.make_text_pdf(None, nfd)))
    assert result.pages_text == [unicodedata.normalize("NFC", nfd)]


@pytest.mark.parametrize("pages", [1, 7])
def test_page_counts(tmp_path, pages):
    texts = [f"Trang {i + 1}: báo cáo sơ kết 6 tháng đầu năm của Khối thi đua" for i in range(pages)]
    result = inspect_pdf(_write(tmp_path, "p.pdf", f.make_text_pdf(None, texts)))
    assert result.page_count == pages
    assert len(result.pages_text) == pages
    assert result.pages_text[-1].startswith(f"Trang {pages}:")


def test_factory_wraps_long_lines_without_losing_words(tmp_path):
    line = " ".join(["Khối thi đua các huyện, thị xã, thành phố"] * 12)
    result = inspect_pdf(_write(tmp_path, "wrap.pdf", f.make_text_pdf(None, line)))
    assert result.page_count == 1
    assert result.pages_text[0].count("\n") >= 2  # wrapped onto several lines
    assert result.pages_text[0].replace("\n", " ").split() == line.split()


def test_scan_has_no_text_layer(tmp_path):
    result = inspect_pdf(_write(tmp_path, "scan.pdf", f.make_scanned_pdf(None, "Thi đua là yêu nước")))
    assert result.page_count == 1
    assert result.has_text_layer is False
    assert result.text.strip() == ""


def test_owner_password_only_pdf_is_accepted_with_warning(tmp_path):
    path = _write(tmp_path, "owner.pdf", f.make_encrypted_pdf(None, "Văn bản hạn chế in ấn", user_password=""))
    result = inspect_pdf(path)
    assert result.pages_text == ["Văn bản hạn chế in ấn"]
    assert any("mật khẩu" in w for w in result.warnings)


def test_text_cap_stops_extraction_with_warning(tmp_path):
    pages = [f"Trang {i}: " + "Báo cáo tổng kết công tác thi đua khen thưởng. " * 5 for i in range(6)]
    path = _write(tmp_path, "long.pdf", f.make_text_pdf(None, pages))
    result = inspect_pdf(path, text_cap_bytes=600)
    assert result.page_count == 6 and len(result.pages_text) == 6
    assert sum(len(t.encode("utf-8")) for t in result.pages_text) <= 600
    assert result.pages_text[-1] == ""
    assert any("quá dài" in w for w in result.warnings)


def test_magic_after_leading_junk_is_still_a_pdf(tmp_path):
    data = b"\r\n" * 40 + f.make_text_pdf(None, "Kế hoạch thi đua năm 2025")
    result = inspect_pdf(_write(tmp_path, "junk.pdf", data))
    assert result.pages_text == ["Kế hoạch thi đua năm 2025"]


def test_inspection_dict_round_trip(tmp_path):
    result = inspect_pdf(_write(tmp_path, "a.pdf", f.make_text_pdf(None, VI_PAGES[:2], title="Tiêu đề")))
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    again = PdfInspection.from_dict(data)
    assert again == result
    assert again.text == result.text and again.has_text_layer


# --------------------------------------------------------------------------------------------
# bad files
# --------------------------------------------------------------------------------------------

BAD_FILES = [
    # id, factory, inspect_pdf kwargs, expected code
    ("empty", f.make_empty_file, {}, "empty"),
    ("not_pdf", f.make_not_pdf, {}, "not_pdf"),
    ("zero_pages", f.make_zero_page_pdf, {}, "empty"),
    ("truncated", f.make_truncated_pdf, {}, "damaged"),
    ("header_only", lambda: b"%PDF-1.7\n%garbage, nothing else\n", {}, "damaged"),
    ("page_tree_loop", f.make_page_tree_loop_pdf, {}, "damaged"),
    ("flate_bomb", f.make_flate_bomb_pdf, {}, "too_complex"),
    ("encrypted", f.make_encrypted_pdf, {}, "encrypted"),
    ("encrypted_rc4", lambda: f.make_encrypted_pdf(algorithm="RC4-128"), {}, "encrypted"),
    ("too_many_pages", f.make_many_pages_pdf, {}, "too_many_pages"),
    # the CPU burner at test size: ~3 s of CPU against a 1 s limit → SIGXCPU
    ("cpu_burner", lambda: f.make_shared_stream_pdf(stream_mb=20, pages=40), {"cpu_s": 1}, "too_complex"),
    # the same file against the wall clock instead (CPU limit out of reach)
    ("wall_timeout", lambda: f.make_shared_stream_pdf(stream_mb=20, pages=40),
     {"cpu_s": 60, "timeout_s": 0.7}, "too_complex"),
    # the memory eater at test size: 6 × 70 MB retained streams against 256 MB
    ("memory_eater", lambda: f.make_many_streams_pdf(streams=6, stream_mb=70), {"memory_mb": 256},
     "too_large_memory"),
]


@pytest.mark.parametrize(("factory", "kwargs", "code"), [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES])
def test_bad_file_is_refused(tmp_path, factory, kwargs, code):
    path = _write(tmp_path, "bad.pdf", factory())
    refusal, elapsed = _refused(path, **kwargs)
    assert refusal.code == code, refusal.detail
    assert refusal.code in REFUSAL_CODES
    assert _is_vietnamese(refusal.message), refusal.message
    assert str(refusal) == refusal.message
    assert elapsed < NO_HANG_S


def test_too_many_pages_message_gives_the_numbers(tmp_path):
    path = _write(tmp_path, "many.pdf", f.make_many_pages_pdf(pages=30))
    refusal, _ = _refused(path, max_pages=20)
    assert refusal.code == "too_many_pages"
    assert refusal.page_count == 30
    assert "30" in refusal.message and "20" in refusal.message


def test_missing_file_is_an_internal_refusal(tmp_path):
    refusal, _ = _refused(tmp_path / "khong-co.pdf")
    assert refusal.code == "internal" and _is_vietnamese(refusal.message)


def test_cpu_limit_refusal_says_which_limit(tmp_path):
    path = _write(tmp_path, "burn.pdf", f.make_shared_stream_pdf(stream_mb=20, pages=40))
    refusal, elapsed = _refused(path, cpu_s=1, timeout_s=30)
    assert refusal.code == "too_complex"
    assert "SIGXCPU" in (refusal.detail or "") or "SIGKILL" in (refusal.detail or "")
    assert elapsed < NO_HANG_S


# --------------------------------------------------------------------------------------------
# how a child's fate maps to a refusal (no child needed)
# --------------------------------------------------------------------------------------------


def _run(rc=0, stdout=b"", stderr=b"", timed_out=False, overflow=False) -> BoundedRun:
    return BoundedRun(rc, stdout, stderr, timed_out, overflow, 0.1)


@pytest.mark.parametrize(
    ("run", "code"),
    [
        (_run(-signal.SIGXCPU), "too_complex"),
        (_run(-signal.SIGKILL), "too_complex"),
        (_run(None, timed_out=True), "too_complex"),
        (_run(-signal.SIGSEGV, stderr=b"Fatal Python error: MemoryError"), "too_large_memory"),
        (_run(1, stderr=b"Traceback ...\nMemoryError\n"), "too_large_memory"),
        (_run(-signal.SIGSEGV), "internal"),
        (_run(1, stderr=b"ImportError: no module named pypdf"), "internal"),
        (_run(0, stdout=b"not json"), "internal"),
        (_run(0, stdout=b'{"ok": false, "code": "bogus"}'), "internal"),
        (_run(0, stdout=b'{"ok": false, "code": "damaged", "detail": "x"}'), "damaged"),
        (_run(0, stdout=b"{}" * 10, overflow=True), "internal"),
    ],
)
def test_child_fate_mapping(run, code):
    outcome = pdfmod._refusal_from_run(run, 2000)
    assert isinstance(outcome, PdfRefused)
    assert outcome.code == code
    assert _is_vietnamese(outcome.message)


def test_clean_page_text_removes_controls_and_normalises():
    raw = "Cờ thi đua\x00 \r\nkhen\x07thưởng  \r\n\n\n"
    assert clean_page_text(unicodedata.normalize("NFD", raw)) == "Cờ thi đua\nkhen thưởng"


# --------------------------------------------------------------------------------------------
# the process plumbing
# --------------------------------------------------------------------------------------------


def test_run_bounded_kills_the_whole_group_on_timeout():
    start = time.monotonic()
    run = run_bounded(["sh", "-c", "sleep 30 & echo $!; wait"], timeout_s=0.5, max_stdout=1024)
    assert run.timed_out and time.monotonic() - start < 5
    grandchild = int(run.stdout.split()[0])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{grandchild}/stat").read_text().split()[2]
        except FileNotFoundError:
            break
        if state == "Z":  # killed, waiting to be reaped by init
            break
        time.sleep(0.05)
    else:
        pytest.fail("the grandchild survived the timeout")


def test_run_bounded_stops_reading_at_the_stdout_cap():
    run = run_bounded([sys.executable, "-c", "import sys\nwhile True: sys.stdout.write('x' * 65536)"],
                      timeout_s=10, max_stdout=100_000)
    assert run.stdout_overflow and len(run.stdout) <= 100_000
    assert run.returncode is not None  # reaped


def test_rlimit_argv_sets_the_limits():
    code = "import resource as r; print(r.getrlimit(r.RLIMIT_AS)[0], r.getrlimit(r.RLIMIT_CPU)[0])"
    out = subprocess.run(rlimit_argv([sys.executable, "-c", code], memory_mb=300, cpu_s=7),
                         capture_output=True, check=True, text=True).stdout.split()
    assert out == [str(300 * 1024 * 1024), "7"]


def test_child_runs_with_a_minimal_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "do-not-leak")
    env = pdfmod._child_env()
    assert "SECRET_KEY" not in env
    assert set(env) >= {"PATH", "PYTHONPATH", "LANG"}
    assert os.path.isdir(os.path.join(env["PYTHONPATH"].split(os.pathsep)[0], "portal"))
