"""Digital-signature facts, offline: signer in Vietnamese, intact/valid/trusted, tampering."""

from __future__ import annotations

import io
import json
import logging
import re
import socket
from pathlib import Path

import pytest

from portal.documents.pdf import inspect_pdf
from portal.documents.signatures import SignatureFacts, load_trust_roots, read_signature_facts
from tests import pdf_factory as f


@pytest.fixture(scope="module")
def signed() -> f.SignedPdf:
    return f.make_signed_pdf()


@pytest.fixture
def trust_dir(tmp_path, signed) -> Path:
    folder = tmp_path / "trust"
    folder.mkdir()
    (folder / "test-ca.pem").write_bytes(signed.ca_pem)
    (folder / "README.txt").write_text("không phải chứng thư")  # ignored: wrong suffix
    return folder


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("signature checking must stay offline")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def _check_signer(facts: SignatureFacts) -> None:
    assert facts.field_name == "ChuKy1"
    assert facts.signer_name == "Trần Văn Minh"
    assert facts.signer_org == "UBND tỉnh Lam Sơn"
    assert "CN=Trần Văn Minh" in (facts.subject or "") and "O=UBND tỉnh Lam Sơn" in (facts.subject or "")
    assert facts.issuer == "Test CA Thi đua"
    assert facts.reason == "Phê duyệt"
    assert facts.location == "Lam Sơn"
    assert facts.signed_at and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", facts.signed_at)
    assert facts.time_source == "self_declared"
    assert facts.digest_algorithm == "sha256"


def test_signed_pdf_without_trust_roots(signed, caplog):
    caplog.set_level(logging.DEBUG)
    [facts] = read_signature_facts(signed.data)
    # pyHanko's "Failed to build path" ERROR (with a traceback) is silenced
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    _check_signer(facts)
    assert facts.intact is True and facts.valid is True
    assert facts.trusted is False
    assert facts.coverage == "entire_file"
    assert facts.modified_after_signing is False
    assert facts.summary_vi.startswith("Chữ ký nguyên vẹn")
    assert "chưa kiểm tra thu hồi chứng thư (ngoại tuyến)" in facts.summary_vi
    assert "chưa được xác nhận tin cậy" in facts.summary_vi


def test_signed_pdf_trusted_with_the_test_ca_as_root(tmp_path, signed, trust_dir):
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed.data)
    [facts] = read_signature_facts(path, trust_roots_dir=trust_dir)
    _check_signer(facts)
    assert facts.intact and facts.valid and facts.trusted
    assert "chứng thư số tin cậy" in facts.summary_vi


def test_other_ca_is_not_trusted(tmp_path, signed):
    other = f.make_signed_pdf(signer_cn="Lê Văn Khác", signer_org="Đơn vị khác")
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "other.pem").write_bytes(other.ca_pem)
    [facts] = read_signature_facts(io.BytesIO(signed.data), trust_roots_dir=folder)
    assert facts.intact and facts.valid and not facts.trusted


def test_tampered_signed_pdf_is_not_intact(signed):
    [facts] = read_signature_facts(f.tamper_signed_pdf(signed.data))
    assert facts.intact is False
    assert facts.valid is False
    assert facts.trusted is False
    assert facts.modified_after_signing is True
    assert facts.summary_vi.startswith("Tệp đã bị thay đổi sau khi ký")


def test_content_appended_after_signing(signed):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed.data))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 12 Tf 9 9 Td (SUA) Tj ET"))
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    [facts] = read_signature_facts(out.getvalue())
    assert facts.intact is True  # the signed revision itself is untouched …
    assert facts.coverage == "entire_revision"
    assert facts.modified_after_signing is True  # … but the file shows something else now
    assert facts.summary_vi.startswith("Tệp đã bị thay đổi sau khi ký")


def test_second_signature_is_form_filling_for_the_first(signed):
    both = f.make_signed_pdf(base_pdf=signed.data, field_name="ChuKy2", signer_cn="Nguyễn Thị Lan")
    first, second = read_signature_facts(both.data)
    assert (first.field_name, second.field_name) == ("ChuKy1", "ChuKy2")
    assert second.signer_name == "Nguyễn Thị Lan" and second.coverage == "entire_file"
    assert first.intact and first.coverage == "entire_revision"
    assert first.modification_level == "form_filling"
    assert first.summary_vi.startswith("Chữ ký nguyên vẹn; sau khi ký tệp được bổ sung")


def test_broken_signature_blob_is_reported_not_raised(signed):
    m = re.search(rb"/Contents <([0-9a-fA-F]+)>", signed.data)
    assert m
    broken = signed.data[: m.start(1)] + b"ff" * 8 + signed.data[m.start(1) + 16 :]
    [facts] = read_signature_facts(broken)
    assert facts.field_name == "ChuKy1"
    assert facts.intact is False and facts.valid is False
    assert facts.error
    assert facts.summary_vi.startswith("Không kiểm tra được chữ ký số")


def test_unsigned_pdf_has_no_signatures():
    assert read_signature_facts(f.make_text_pdf(None, "Văn bản không ký số")) == []


def test_facts_round_trip_through_json(signed):
    [facts] = read_signature_facts(signed.data)
    data = json.loads(json.dumps(facts.to_dict(), ensure_ascii=False))
    assert SignatureFacts.from_dict(data) == facts
    assert SignatureFacts.from_dict({**data, "added_later": 1}) == facts
    assert SignatureFacts.from_dict({"signer_name": "A"}).trusted is False


def test_load_trust_roots_skips_bad_files(tmp_path, signed, caplog):
    (tmp_path / "good.pem").write_bytes(signed.ca_pem + signed.ca_pem)  # two certs, one file
    (tmp_path / "bad.crt").write_bytes(b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
    assert len(load_trust_roots(tmp_path)) == 2
    assert load_trust_roots(tmp_path / "missing") == []
    assert load_trust_roots(None) == []


def test_inspect_pdf_reports_signatures_from_the_child(tmp_path, signed, trust_dir):
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed.data)
    plain = inspect_pdf(path)
    [facts] = plain.signatures
    _check_signer(facts)
    assert facts.intact and facts.valid and not facts.trusted
    assert plain.pages_text[0].startswith("QUYẾT ĐỊNH")

    [trusted] = inspect_pdf(path, trust_roots_dir=trust_dir).signatures
    assert trusted.trusted is True

    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(f.tamper_signed_pdf(signed.data))
    [bad] = inspect_pdf(tampered).signatures
    assert bad.intact is False and bad.valid is False

    unsigned = tmp_path / "unsigned.pdf"
    unsigned.write_bytes(f.make_text_pdf(None, "Không ký"))
    assert inspect_pdf(unsigned).signatures == []
