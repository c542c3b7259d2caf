"""OCR of scanned PDFs (tesseract ``vie`` + pdftoppm); skipped only where they are not installed."""

from __future__ import annotations

import os
import tempfile
import unicodedata

import pytest

from portal.documents.ocr import OcrFailed, OcrResult, ocr_available, ocr_pdf
from portal.text import fold
from tests import pdf_factory as f

needs_ocr = pytest.mark.skipif(not ocr_available(), reason="tesseract with 'vie' and poppler-utils not installed")

SCAN_PAGES = [
    "ỦY BAN NHÂN DÂN TỈNH LAM SƠN\n"
    "Kế hoạch tổ chức phong trào thi đua yêu nước năm 2025\n"
    "Cờ thi đua của Chính phủ",
    "Báo cáo tổng kết công tác khen thưởng",
]


@needs_ocr
def test_ocr_reads_vietnamese_scan(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(f.make_scanned_pdf(None, SCAN_PAGES))
    result = ocr_pdf(path)
    assert isinstance(result, OcrResult)
    assert result.page_count == 2 and len(result.pages_text) == 2
    assert all(unicodedata.is_normalized("NFC", t) for t in result.pages_text)
    folded = fold(result.text)
    for words in ("thi dua", "lam son", "ke hoach", "khen thuong"):
        assert words in folded, (words, result.text)
    assert result.warnings == []


@needs_ocr
def test_ocr_respects_max_pages(tmp_path):
    path = tmp_path / "scan3.pdf"
    path.write_bytes(f.make_scanned_pdf(None, ["Trang một thi đua", "Trang hai", "Trang ba"], dpi=100, font_px=24))
    result = ocr_pdf(path, max_pages=1, dpi=100)
    assert result.page_count == 3 and len(result.pages_text) == 1
    assert any("3 trang" in w and "1 trang" in w for w in result.warnings)


@needs_ocr
def test_ocr_of_a_damaged_file_fails_in_vietnamese(tmp_path):
    path = tmp_path / "bad.pdf"
    path.write_bytes(f.make_truncated_pdf())
    with pytest.raises(OcrFailed) as info:
        ocr_pdf(path, timeout_s=30)
    assert "PDF" in info.value.message and "được" in info.value.message


@needs_ocr
def test_ocr_cleans_up_its_temporary_files(tmp_path, monkeypatch):
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    path = tmp_path / "scan.pdf"
    path.write_bytes(f.make_scanned_pdf(None, "Thi đua", dpi=100, font_px=24))
    ocr_pdf(path, dpi=100)
    assert os.listdir(private_tmp) == []


def test_ocr_unavailable_raises_ocrfailed(tmp_path, monkeypatch):
    from portal.documents import ocr

    monkeypatch.setattr(ocr, "ocr_available", lambda lang="vie": False)
    path = tmp_path / "x.pdf"
    path.write_bytes(f.make_text_pdf(None, "x"))
    with pytest.raises(OcrFailed) as info:
        ocr.ocr_pdf(path)
    assert "tesseract" in info.value.message


def test_ocr_available_is_false_for_an_unknown_language():
    assert ocr_available("khong-co-ngon-ngu-nay") is False
