"""Text-layer assessment and legacy font conversion (TCVN3/ABC, VNI-Windows)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.documents.textlayer import (
    TextLayerQuality,
    assess_text_layer,
    convert_legacy,
    convert_legacy_named,
    encode_tcvn3,
    encode_vni,
    is_vietnamese_syllable,
    syllable_share,
)

CASES = Path(__file__).resolve().parent / "reader_cases"
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"

SENTENCES = [
    "Cộng hòa xã hội chủ nghĩa Việt Nam. Độc lập - Tự do - Hạnh phúc.",
    "Căn cứ Nghị định số 98/2023/NĐ-CP ngày 31 tháng 12 năm 2023 của Chính phủ quy định chi tiết "
    "thi hành một số điều của Luật Thi đua, khen thưởng;",
    "Đơn vị xếp thứ nhất được đề nghị tặng Cờ thi đua của Ủy ban nhân dân tỉnh; những người đứng "
    "đầu phải gương mẫu, thường xuyên kiểm tra việc thực hiện giao ước thi đua.",
    "Khuya rồi, người quản lý vẫn giữ quyển sổ ghi chép; khuỷu tay đau, thuở ấy, xoong nồi, "
    "giường chiếu, nghiêng ngả, quốc phòng, an ninh.",
    "Ăn quả nhớ kẻ trồng cây; Ông Ích Khiêm; Ơn nghĩa; Ưu tiên; Ấp Bắc; Ẩn số; Ỷ lại; Ỹ.",
]
HEADING = "KẾ HOẠCH TỔ CHỨC HOẠT ĐỘNG CÁC KHỐI THI ĐUA NĂM 2025\nỦY BAN NHÂN DÂN TỈNH LAM SƠN"


def _clean_texts() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(CASES.glob("*.txt")) if "damaged" not in p.name]
    if SAMPLES.is_dir():
        texts += [
            p.read_text(encoding="utf-8")
            for p in sorted(SAMPLES.glob("*.txt"))
            if "extracted" not in p.name
        ]
    return texts


# --- syllables ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word",
    ["người", "NGƯỜI", "quyết", "giữ", "gì", "khuya", "khuỷu", "thuở", "xoong", "nghiêng", "Ủy",
     "uỷ", "hoà", "hòa", "yêu", "oanh", "ếch", "ạch", "a", "ô", "y", "đ" + "ồng", "chuyển", "tuyết"],
)
def test_real_syllables_are_valid(word):
    assert is_vietnamese_syllable(word)
    assert is_vietnamese_syllable(unicodedata.normalize("NFD", word))


@pytest.mark.parametrize("word", ["đ", "ng", "th", "điề", "phươ", "ờng", "covid", "UBND", "cac", "hoạt" + "t", "bàá"])
def test_broken_or_foreign_tokens_are_not_syllables(word):
    assert not is_vietnamese_syllable(word)


def test_every_clean_case_text_reads_as_vietnamese():
    for text in _clean_texts():
        share, counted, lone = syllable_share(text)
        assert counted > 50
        assert share > 0.95, (share, text[:60])


# --- assessment ----------------------------------------------------------------------------------


def test_good_text():
    for text in _clean_texts():
        q = assess_text_layer(text, 1)
        assert isinstance(q, TextLayerQuality)
        assert q.status == "good", (q, text[:60])
        assert q.score > 0.95
        assert q.reasons == []


@pytest.mark.parametrize("text, pages", [("", 1), ("   \n\n  ", 3), ("Trang 1\n\nTrang 2\n2\n3", 3), ("x" * 100, 4)])
def test_empty_layer_means_a_scan(text, pages):
    q = assess_text_layer(text, pages)
    assert q.status == "empty"
    assert q.score == 0.0
    assert "OCR" in q.reasons[0]


def test_zero_or_bad_page_count_does_not_break():
    assert assess_text_layer("", 0).status == "empty"
    assert assess_text_layer(SENTENCES[2] * 3, -1).status == "good"


def test_damaged_layer_with_broken_syllables():
    damaged = (
        "Các phong trào thi đua được triển khai đ ng th i, thi t th c và hi u qu . Tỷ l h i lòng "
        "c a ng i b nh đ t 92%. Đ n v đã hoàn thành t t các ch tiêu đ c giao trong năm.\n"
    ) * 10
    q = assess_text_layer(damaged, 1)
    assert q.status == "damaged"
    assert q.score < 0.85
    assert any("âm tiết" in r for r in q.reasons)
    assert any("phụ âm đứng riêng" in r for r in q.reasons)


def test_replacement_characters_inside_words_point_to_a_lost_legacy_font():
    text = "C\ufffdng h\ufffda x\ufffd h\ufffdi ch\ufffd ngh\ufffda Vi\ufffdt Nam. " * 20
    q = assess_text_layer(text, 1)
    assert q.status == "legacy_font"
    assert "OCR" in q.reasons[0]


def test_unmapped_cid_codes_are_damage():
    text = ("Kế hoạch tổ chức hoạt động các Khối thi đua " + "(cid:71)(cid:72)(cid:73) " * 3) * 10
    q = assess_text_layer(text, 1)
    assert q.status == "damaged"
    assert any("cid" in r for r in q.reasons)


def test_legacy_fonts_are_recognised():
    body = "\n".join(SENTENCES[:3]) * 3
    q = assess_text_layer(encode_tcvn3(body), 1)
    assert (q.status, q.encoding) == ("legacy_font", "tcvn3")
    assert "TCVN3" in q.reasons[0]
    q = assess_text_layer(encode_vni(body), 1)
    assert (q.status, q.encoding) == ("legacy_font", "vni")
    assert "VNI" in q.reasons[0]


def test_assess_never_raises():
    assert assess_text_layer(None, 1).status in ("empty", "damaged")  # type: ignore[arg-type]
    assert assess_text_layer("\x00" * 1000, "x").status in ("empty", "damaged")  # type: ignore[arg-type]


# --- legacy conversion ----------------------------------------------------------------------------


def test_known_tcvn3_and_vni_strings():
    assert convert_legacy("Céng hoµ x· héi chñ nghÜa ViÖt Nam\n§éc lËp - Tù do - H¹nh phóc") == (
        "Cộng hoà xã hội chủ nghĩa Việt Nam\nĐộc lập - Tự do - Hạnh phúc"
    )
    assert convert_legacy("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam\nÑoäc laäp - Töï do - Haïnh phuùc") == (
        "Cộng hòa xã hội chủ nghĩa Việt Nam\nĐộc lập - Tự do - Hạnh phúc"
    )


@pytest.mark.parametrize("sentence", SENTENCES[:4])
def test_tcvn3_round_trip(sentence):
    # TCVN3 has no capital letters with a tone; these sentences only start words with capitals
    # that it has (A-Z, Ă Â Ê Ô Ơ Ư Đ) — see the heading test for whole words in capitals.
    text = sentence if not sentence.startswith("Đơn vị xếp") else sentence.replace("Ủy", "ủy")
    assert convert_legacy(encode_tcvn3(text)) == text


def test_tcvn3_capitals_of_a_vntimeh_heading_come_back_as_capitals():
    text = HEADING + "\n" + SENTENCES[1]
    assert convert_legacy(encode_tcvn3(text)) == text


@pytest.mark.parametrize("sentence", SENTENCES + [HEADING])
def test_vni_round_trip(sentence):
    text = sentence + "\n" + SENTENCES[1]
    assert convert_legacy(encode_vni(text)) == text


def test_whole_documents_round_trip():
    for name in ("07_ttr_so_noi_vu.txt", "29_cv_ubnd_vv_two_columns.txt"):
        text = (CASES / name).read_text(encoding="utf-8")
        assert convert_legacy(encode_vni(text)) == text
    text = (CASES / "26_qd_ubnd_huyen_tm_title_one_line.txt").read_text(encoding="utf-8")
    assert convert_legacy_named(encode_tcvn3(text)) == (text, "tcvn3")


def test_unicode_text_is_not_legacy():
    for text in _clean_texts():
        assert convert_legacy(text) is None
    assert convert_legacy("") is None
    assert convert_legacy("Hello world, plain English text with café and naïve.") is None
    # French quotes, a section sign and a degree sign in Unicode Vietnamese are not TCVN3
    assert convert_legacy("Theo «Điều 5» § 2, nhiệt độ 30° và giá 1.000 ¥. " * 10) is None


def test_mixed_text_keeps_unicode_words():
    legacy = encode_tcvn3(SENTENCES[1])
    mixed = "Ghi chú: văn bản gốc —\n" + legacy + "\n" + legacy
    out = convert_legacy(mixed)
    assert out == "Ghi chú: văn bản gốc —\n" + SENTENCES[1] + "\n" + SENTENCES[1]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_convert_and_assess_never_raise(text):
    out = convert_legacy(text)
    assert out is None or isinstance(out, str)
    assert assess_text_layer(text, 1).status in ("good", "damaged", "legacy_font", "empty")


def test_central_highlands_place_names_are_syllables():
    """Đắk Lắk's documents must not read as damaged: "Đắk", "Lắk", "Pắk" end in k (with a stop's tone only)."""
    from portal.documents.textlayer import is_vietnamese_syllable

    assert all(is_vietnamese_syllable(w) for w in ("Đắk", "Lắk", "Pắk", "ĐẮK", "LẮK"))
    assert not any(is_vietnamese_syllable(w) for w in ("ak", "bok", "Lăk"))
