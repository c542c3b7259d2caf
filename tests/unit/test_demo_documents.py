"""The demo PDF documents (portal.demo.documents): valid, dated, numbered, deterministic."""

import io
import re
import unicodedata
from collections import Counter
from datetime import date

import pypdf
import pytest

from portal.demo import documents as dd
from portal.demo import province

TODAY = date(2026, 11, 25)


def squash(text):
    return " ".join(unicodedata.normalize("NFC", text).split())


def pdf_text(data):
    reader = pypdf.PdfReader(io.BytesIO(data))
    return reader, squash(" ".join(page.extract_text() or "" for page in reader.pages))


@pytest.fixture(scope="module")
def docs():
    return list(dd.generate_demo_documents(today=TODAY, sign=False))


@pytest.fixture(scope="module")
def story():
    return dd.demo_story(TODAY)


def test_every_document_is_a_readable_pdf_with_its_number_and_signer(docs):
    for doc in docs:
        if doc.scanned:
            continue
        reader, text = pdf_text(doc.data)
        assert 1 <= len(reader.pages) <= 2, doc.filename
        assert reader.metadata.title and doc.title in reader.metadata.title, doc.filename
        if doc.number:
            assert f"Số: {doc.number}" in text, doc.filename
        assert doc.signer in text, doc.filename
        assert squash(doc.title).casefold() in text.casefold(), doc.filename
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text, doc.filename


def test_metadata_is_consistent(docs):
    bloc_codes = {bloc.code for bloc in province.BLOCS}
    unit_codes = {unit.code for unit in province.UNITS}
    for doc in docs:
        assert doc.type in dd.DOCUMENT_TYPES
        assert (doc.report_kind is not None) == (doc.type == "BC"), doc.filename
        assert doc.report_kind in (None, "so_ket", "tong_ket")
        assert doc.bloc is None or doc.bloc in bloc_codes
        assert doc.unit is None or doc.unit in unit_codes
        assert doc.year in province.YEARS
        assert doc.data.startswith(b"%PDF-")
        assert not doc.signed
        for value in (doc.text, doc.title, doc.issuer, doc.signer):
            assert unicodedata.normalize("NFC", value) == value
        assert (doc.number is None) == (doc.type in ("GU", "TC")), doc.filename
        assert doc.filename.endswith(".pdf") and doc.filename.startswith(f"{doc.year}/")


def test_nothing_is_dated_after_today(docs):
    assert docs
    assert max(doc.issue_date for doc in docs) <= TODAY


def test_filenames_are_unique_ascii(docs):
    names = [doc.filename for doc in docs]
    assert len(names) == len(set(names))
    assert all(name.isascii() and " " not in name for name in names)


def test_numbers_are_unique_per_issuer_and_year(docs):
    keys = Counter((doc.issuer, doc.issue_date.year, doc.number) for doc in docs if doc.number)
    assert [key for key, n in keys.items() if n > 1] == []


def test_each_year_has_its_directive_and_plan(docs):
    for year in province.YEARS:
        directive = [d for d in docs if d.year == year and d.type == "CT"]
        plan = [d for d in docs if d.year == year and d.type == "KH"]
        assert len(directive) == len(plan) == 1, year
        assert directive[0].issue_date < plan[0].issue_date
        assert directive[0].title == f"Về việc phát động phong trào thi đua năm {year}"
        assert re.fullmatch(r"\d{2}/CT-UBND", directive[0].number)
        assert re.fullmatch(r"\d+/KH-UBND", plan[0].number)
        assert "III. THỜI GIAN THỰC HIỆN" in plan[0].text
        steps = re.findall(r"^(\d)\. ", plan[0].text.split("III. THỜI GIAN THỰC HIỆN")[1], re.M)
        assert steps == [str(i) for i in range(1, 9)]


def test_citations_resolve_between_documents(docs):
    plans = {(d.number, d.issue_date) for d in docs if d.type == "KH"}
    directives = {(d.number, d.issue_date) for d in docs if d.type == "CT"}
    cited = 0
    for doc in docs:
        for number, day in re.findall(r"Kế hoạch số (\S+) ngày (\d\d/\d\d?/\d{4})", doc.text):
            d, m, y = map(int, day.split("/"))
            assert (number, date(y, m, d)) in plans, doc.filename
            cited += 1
        for number, day in re.findall(r"Chỉ thị số (\S+) ngày (\d\d/\d\d?/\d{4})", doc.text):
            d, m, y = map(int, day.split("/"))
            assert (number, date(y, m, d)) in directives, doc.filename
    assert cited > 200


def test_per_year_counts(docs):
    counts = Counter((d.year, d.type, d.report_kind, d.unit is not None) for d in docs)
    for year in (2024, 2025):
        members = len(province.memberships(year))
        assert counts[(year, "BC", "tong_ket", True)] == members
        assert counts[(year, "BC", "tong_ket", False)] == 6
        for kind in ("GU", "TC", "BB"):
            assert counts[(year, kind, None, False)] == 6
        assert counts[(year, "QĐ", None, False)] == 1
        assert counts[(year, "TB", None, False)] == 2  # the Board's notices about two blocs
    assert counts[(2026, "QĐ", None, False)] == 0  # not a past year
    assert counts[(2026, "BB", None, False)] == 0  # meetings after today


def test_every_unit_document_lies_in_its_units_bloc(docs):
    # The filing rule (DESIGN §4.1): a unit's document is filed in the bloc the unit belongs to that year.
    for doc in docs:
        if doc.unit is not None:
            bloc = {m.unit_code: m.bloc_code for m in province.memberships(doc.year)}.get(doc.unit)
            assert doc.bloc in (None, bloc), doc.filename


def test_current_year_story(docs, story):
    plan = next(d for d in docs if d.year == 2026 and d.type == "KH")
    match = re.search(r"Trước ngày (\d\d)/(\d\d?)/2026: [^\n]*sơ kết", plan.text)
    deadline = date(2026, int(match[2]), int(match[1]))
    so_ket = {d.bloc: d for d in docs if d.year == 2026 and d.report_kind == "so_ket"}
    assert so_ket["K4"].issue_date > deadline
    assert all(d.issue_date <= deadline for bloc, d in so_ket.items() if bloc != "K4")
    pledges = {d.bloc for d in docs if d.year == 2026 and d.type == "GU"}
    assert pledges == {"K1", "K2", "K3", "K4", "K5"}
    members = len(province.memberships(2026))
    reports = [d for d in docs if d.year == 2026 and d.report_kind == "tong_ket" and d.unit]
    assert 0.4 * members <= len(reports) <= 0.6 * members

    assert story["year"] == 2026
    assert story["late_so_ket"]["bloc"] == "K4"
    assert story["late_so_ket"]["number"] == so_ket["K4"].number
    assert story["late_so_ket"]["days_late"] == (so_ket["K4"].issue_date - deadline).days > 0
    assert story["missing_pledge"]["bloc"] == "K6" and story["missing_pledge"]["overdue"]
    assert story["unit_reports"]["received"] == len(reports)
    assert story["unit_reports"]["expected"] == members
    assert sorted(story["unit_reports"]["received_units"]) == sorted(d.unit for d in reports)
    assert story["plan"]["number"] == plan.number
    assert story["scanned"]["filename"] == next(d.filename for d in docs if d.scanned)
    assert len(story["summary"]) == 4


def test_exactly_one_scanned_document_without_text_layer(docs):
    scans = [doc for doc in docs if doc.scanned]
    assert len(scans) == 1
    scan = scans[0]
    assert (scan.type, scan.report_kind, scan.year) == ("BC", "tong_ket", 2025)
    assert scan.unit is not None
    reader, text = pdf_text(scan.data)
    assert text == ""
    assert reader.metadata.title
    assert b"/Image" in scan.data and b"/FontFile" not in scan.data  # no embedded font
    assert scan.number in scan.text and scan.signer in scan.text


def test_generation_is_deterministic(docs):
    again = list(dd.generate_demo_documents(today=TODAY, sign=False))

    def key(doc):
        return doc.filename, doc.number, doc.issue_date, doc.text, doc.data

    assert [key(d) for d in again] == [key(d) for d in docs]


def test_one_year_alone_gives_the_same_documents(docs):
    # 2024 is a past year both "today" and in TODAY's run: the same documents, the same texts.
    alone = list(dd.generate_demo_documents([2024], today=date(2025, 6, 30), sign=False))
    same = {d.filename: d for d in docs if d.year == 2024}
    assert [d.filename for d in alone] == list(same)
    assert all(d.text == same[d.filename].text for d in alone)
    # Only the scan moves: it is the report of the year before "today".
    assert [d.filename for d in alone if d.scanned] == ["2024/K1/donvi/BC-H-MUONGTE-2024.pdf"]


def test_unknown_year_is_rejected():
    with pytest.raises(ValueError):
        list(dd.generate_demo_documents([2023], today=TODAY))


def test_signed_plan_and_directive():
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    signed = list(dd.generate_demo_documents([2025], today=date(2025, 1, 8), sign=True))
    assert [(d.type, d.signed) for d in signed] == [("CT", True), ("KH", True)]
    plan = signed[1]
    _, text = pdf_text(plan.data)
    assert plan.number in text and dd.PPC_SIGNER in text
    sig = PdfFileReader(io.BytesIO(plan.data)).embedded_signatures[0]
    assert sig.field_name == "ChuKy1"
    subject = sig.signer_cert.subject.native
    assert subject["common_name"] == "Trần Văn Minh"
    assert subject["organization_name"] == "UBND tỉnh Lam Sơn"
    assert subject["country_name"] == "VN"
    trust = ValidationContext(trust_roots=[x509.Certificate.load(pem.unarmor(dd.demo_ca_pem())[2])])
    status = validate_pdf_signature(sig, trust)
    assert status.intact and status.valid and status.trusted
