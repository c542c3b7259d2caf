"""Digital-signature facts of a PDF, read offline with pyHanko.

``read_signature_facts`` is meant to run inside the sandboxed PDF child process
(``portal.documents.pdf_child``), which serialises the result with ``SignatureFacts.to_dict``; the
parent rebuilds it with ``SignatureFacts.from_dict``. It also works in-process (tests, scripts).

What is checked, and what is not:

- ``intact``: the signed byte ranges still hash to the digest in the signature.
- ``valid``: the signature over that digest is cryptographically correct AND ``intact``.
- ``trusted``: the signer's certificate chains to one of the trust roots given (PEM/DER files in
  a folder, e.g. the national Vietnamese root CA and its subordinate CAs). No roots → never
  trusted; the operating system's TLS store is deliberately NOT used. The chain is checked at the
  signing time (the timestamp token's time when there is a valid one, otherwise the time the
  signer declared), so an archived document signed with a certificate that has expired since
  still shows as trusted. Offline: no CRL/OCSP fetching (``allow_fetching=False``), so
  revocation is never checked; ``summary_vi`` says so.
- ``coverage`` / ``modified_after_signing``: whether bytes were appended after the signature
  (incremental updates) and whether those updates changed more than long-term-validation data.

This module imports pyHanko lazily: importing it (e.g. for the ``SignatureFacts`` dataclass in the
web process) costs nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from portal.text import nfc

log = logging.getLogger(__name__)

#: File name endings read from a trust-roots folder (PEM, possibly several certificates per
#: file, or DER).
TRUST_ROOT_SUFFIXES = (".pem", ".crt", ".cer", ".der")

COVERAGE_ENTIRE_FILE = "entire_file"
COVERAGE_ENTIRE_REVISION = "entire_revision"
COVERAGE_PARTIAL = "partial"

TIME_SELF_DECLARED = "self_declared"
TIME_TIMESTAMP = "timestamp"

_OFFLINE_NOTE = "chưa kiểm tra thu hồi chứng thư (ngoại tuyến)"


@dataclass
class SignatureFacts:
    """What an official needs to know about one embedded signature (all text NFC)."""

    field_name: str | None = None
    signer_name: str | None = None  # certificate subject CN
    signer_org: str | None = None  # certificate subject O
    subject: str | None = None  # full subject, RFC 4514 style ("CN=…,O=…,C=VN")
    issuer: str | None = None  # CN of the issuing CA
    signed_at: str | None = None  # ISO 8601 with offset
    time_source: str | None = None  # "self_declared" | "timestamp" | None (unknown)
    reason: str | None = None
    location: str | None = None
    intact: bool = False
    valid: bool = False  # cryptographically valid AND intact
    trusted: bool = False
    coverage: str = COVERAGE_PARTIAL  # "entire_file" | "entire_revision" | "partial"
    modified_after_signing: bool = False
    summary_vi: str = ""
    #: pyHanko's verdict on later incremental updates: "none", "lta_updates", "form_filling",
    #: "annotations", "other", or None when it could not be evaluated.
    modification_level: str | None = None
    #: digest algorithm of the signature, e.g. "sha256"
    digest_algorithm: str | None = None
    #: set when the signature could not be validated at all (short English detail, for logs)
    error: str | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignatureFacts:
        """Rebuild from ``to_dict`` output; unknown keys are ignored, missing ones defaulted."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


# ------------------------------------------------------------------------------------------
# trust roots
# ------------------------------------------------------------------------------------------


def load_trust_roots(folder: str | os.PathLike[str] | None) -> list[Any]:
    """Certificates (asn1crypto ``x509.Certificate``) from the PEM/DER files of ``folder``.

    A missing folder or an unreadable file is logged and skipped: no roots simply means that no
    signature is reported as trusted.
    """
    if folder is None:
        return []
    from asn1crypto import pem, x509

    root = Path(folder)
    if not root.is_dir():
        log.warning("trust-roots folder %s does not exist", root)
        return []
    certs = []
    for path in sorted(root.iterdir()):
        if path.suffix.lower() not in TRUST_ROOT_SUFFIXES or not path.is_file():
            continue
        try:
            data = path.read_bytes()
            if pem.detect(data):
                ders = [der for _type, _hdr, der in pem.unarmor(data, multiple=True) if _type == "CERTIFICATE"]
            else:
                ders = [data]
            for der in ders:
                cert = x509.Certificate.load(der)
                cert.native  # noqa: B018 - force a full parse so a broken file fails here
                certs.append(cert)
        except Exception as exc:  # noqa: BLE001 - one bad file must not hide the others
            log.warning("skipping trust root %s: %s", path, exc)
    return certs


# ------------------------------------------------------------------------------------------
# reading
# ------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_pyhanko() -> Iterator[None]:
    """pyHanko logs an ERROR with a traceback when it cannot build a path to a trust root
    (always the case without roots); that is an expected outcome here, not an error."""
    loggers = [logging.getLogger(name) for name in ("pyhanko", "pyhanko_certvalidator")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


@contextlib.contextmanager
def _open_reader(path_or_reader: Any) -> Iterator[Any]:
    from pyhanko.pdf_utils.reader import PdfFileReader

    if isinstance(path_or_reader, PdfFileReader):
        yield path_or_reader
        return
    if isinstance(path_or_reader, (str, os.PathLike)):
        with open(path_or_reader, "rb") as fh:
            yield _make_reader(fh)
        return
    if isinstance(path_or_reader, (bytes, bytearray, memoryview)):
        yield _make_reader(io.BytesIO(bytes(path_or_reader)))
        return
    if hasattr(path_or_reader, "read") and hasattr(path_or_reader, "seek"):
        yield _make_reader(path_or_reader)
        return
    raise TypeError(f"expected a path, bytes, a binary file or a pyhanko PdfFileReader, got {type(path_or_reader)!r}")


def _make_reader(stream: Any) -> Any:
    """pyHanko reader, strict first (the right mode for signature validation), lenient if the
    file has minor structural errors; an encrypted file is opened with the empty password."""
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(stream, strict=True)
    except PdfReadError:
        stream.seek(0)
        reader = PdfFileReader(stream, strict=False)
    if reader.encrypt_dict is not None:
        reader.decrypt(b"")  # owner-password-only files; a real user password fails later
    return reader


def _name_attr(name: Any, key: str) -> str | None:
    """One attribute (e.g. "common_name") of an asn1crypto Name, NFC; several values are joined."""
    try:
        value = name.native.get(key)
    except Exception:  # noqa: BLE001 - a malformed name yields "unknown", not a failure
        return None
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    return nfc(str(value)).strip() or None


def _rfc4514(cert: Any) -> str | None:
    """The certificate subject as an RFC 4514 string ("CN=…,O=…,C=VN"), NFC."""
    try:
        from cryptography import x509 as cx509

        parsed = cx509.load_der_x509_certificate(cert.dump())
        return nfc(parsed.subject.rfc4514_string()) or None
    except Exception:  # noqa: BLE001 - e.g. a certificate cryptography finds too malformed
        try:
            return nfc(cert.subject.human_friendly) or None
        except Exception:  # noqa: BLE001
            return None


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt is not None else None


def _summary_vi(f: SignatureFacts) -> str:
    if f.error is not None and not f.intact:
        return "Không kiểm tra được chữ ký số (dữ liệu chữ ký bị hỏng hoặc không được hỗ trợ)"
    if not f.intact:
        return "Tệp đã bị thay đổi sau khi ký: nội dung được ký không còn nguyên vẹn"
    if not f.valid:
        return "Chữ ký không hợp lệ: không khớp với chứng thư số của người ký"
    if f.coverage == COVERAGE_PARTIAL:
        return "Chữ ký chỉ bao phủ một phần tệp; tệp có thể đã bị thay đổi sau khi ký"
    if f.modified_after_signing:
        if f.modification_level in ("form_filling", "annotations"):
            head = "Chữ ký nguyên vẹn; sau khi ký tệp được bổ sung chữ ký, nội dung biểu mẫu hoặc ghi chú"
        else:
            return "Tệp đã bị thay đổi sau khi ký (có nội dung được thêm vào sau chữ ký)"
    else:
        head = "Chữ ký nguyên vẹn"
    trust = "chứng thư số tin cậy" if f.trusted else "chứng thư số chưa được xác nhận tin cậy"
    return f"{head}; {trust}; {_OFFLINE_NOTE}"


_COVERAGE = {"ENTIRE_FILE": COVERAGE_ENTIRE_FILE, "ENTIRE_REVISION": COVERAGE_ENTIRE_REVISION}


def _facts_for(sig: Any, trust_roots: list[Any]) -> SignatureFacts:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    now = datetime.now(timezone.utc)
    facts = SignatureFacts()
    try:
        facts.field_name = nfc(str(sig.field_name)) if sig.field_name is not None else None
    except Exception:  # noqa: BLE001
        facts.field_name = None
    for key, attr in (("/Reason", "reason"), ("/Location", "location")):
        try:
            value = sig.sig_object.get(key)
            if value is not None:
                setattr(facts, attr, nfc(str(value)).strip() or None)
        except Exception:  # noqa: BLE001
            pass
    facts.digest_algorithm = getattr(sig, "md_algorithm", None)
    try:
        cert = sig.signer_cert
        facts.signer_name = _name_attr(cert.subject, "common_name")
        facts.signer_org = _name_attr(cert.subject, "organization_name")
        facts.subject = _rfc4514(cert)
        facts.issuer = _name_attr(cert.issuer, "common_name")
    except Exception as exc:  # noqa: BLE001
        facts.error = f"certificate: {type(exc).__name__}: {exc}"[:300]
    try:
        claimed = sig.self_reported_timestamp
    except Exception:  # noqa: BLE001
        claimed = None
    if claimed is not None and claimed.tzinfo is None:
        claimed = claimed.replace(tzinfo=timezone.utc)
    if claimed is not None:
        facts.signed_at, facts.time_source = _iso(claimed), TIME_SELF_DECLARED

    try:
        vc = ValidationContext(
            trust_roots=list(trust_roots),  # never None: None would mean the OS TLS store
            allow_fetching=False,
            # see the module docstring; a claim in the future is not believed
            moment=min(claimed, now) if claimed is not None else now,
        )
        with _quiet_pyhanko():
            status = validate_pdf_signature(sig, vc)
            ts = status.timestamp_validity
            if ts is not None and ts.intact and ts.valid and ts.timestamp != claimed and ts.timestamp <= now:
                # re-check the chain at the (trustworthy) timestamp time
                vc = ValidationContext(trust_roots=list(trust_roots), allow_fetching=False, moment=ts.timestamp)
                status = validate_pdf_signature(sig, vc)
    except Exception as exc:  # noqa: BLE001 - a broken signature is a fact to report, not a crash
        facts.error = f"{type(exc).__name__}: {exc}"[:300]
        facts.summary_vi = _summary_vi(facts)
        return facts

    facts.intact = bool(status.intact)
    facts.valid = bool(status.intact and status.valid)
    facts.trusted = bool(facts.valid and status.trusted)
    coverage = getattr(status.coverage, "name", None)
    facts.coverage = _COVERAGE.get(coverage or "", COVERAGE_PARTIAL)
    level = getattr(status.modification_level, "name", None)
    facts.modification_level = level.lower() if level else None
    if not facts.intact:
        facts.modified_after_signing = True  # the signed bytes themselves were changed
    elif facts.coverage == COVERAGE_ENTIRE_FILE:
        facts.modified_after_signing = False
    elif facts.coverage == COVERAGE_ENTIRE_REVISION:
        # later revisions that only add validation data (DSS, document timestamps) change nothing
        facts.modified_after_signing = facts.modification_level not in ("none", "lta_updates")
    else:
        facts.modified_after_signing = True
    ts = status.timestamp_validity
    if ts is not None and ts.intact and ts.valid:
        facts.signed_at, facts.time_source = _iso(ts.timestamp), TIME_TIMESTAMP
    elif status.signer_reported_dt is not None:
        facts.signed_at, facts.time_source = _iso(status.signer_reported_dt), TIME_SELF_DECLARED
    facts.summary_vi = _summary_vi(facts)
    return facts


def read_signature_facts(
    path_or_reader: Any,
    *,
    trust_roots_dir: str | os.PathLike[str] | None = None,
    trust_roots: list[Any] | None = None,
) -> list[SignatureFacts]:
    """Facts about every embedded signature of a PDF, in file order; ``[]`` for an unsigned PDF.

    ``path_or_reader``: a path, the file's bytes, a binary file object or a pyHanko
    ``PdfFileReader``. Trust roots come from ``trust_roots_dir`` (PEM/DER files) plus
    ``trust_roots`` (asn1crypto certificates or PEM/DER bytes); by default there are none.
    Offline only. Raises only when the file cannot be parsed as a PDF at all (pyHanko
    ``PdfReadError`` and friends): a signature that cannot be validated is reported with
    ``intact=False`` and ``error`` set instead.
    """
    roots = load_trust_roots(trust_roots_dir)
    for extra in trust_roots or []:
        if isinstance(extra, (bytes, bytearray)):
            from asn1crypto import pem, x509

            der = pem.unarmor(bytes(extra))[2] if pem.detect(bytes(extra)) else bytes(extra)
            roots.append(x509.Certificate.load(der))
        else:
            roots.append(extra)
    with _open_reader(path_or_reader) as reader:
        return [
            _facts_for(item, roots) if not isinstance(item, SignatureFacts) else item
            for item in _embedded_signatures(reader)
        ]


def _embedded_signatures(reader: Any) -> list[Any]:
    """Like pyHanko's ``reader.embedded_signatures`` (signing order), except that a signature
    whose CMS blob cannot even be parsed is returned as a ``SignatureFacts`` with ``error`` set
    instead of making the whole file unreadable. Document timestamps (/DocTimeStamp) are not
    signers and are left out."""
    from pyhanko.sign.fields import enumerate_sig_fields
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

    parsed: list[Any] = []
    broken: list[SignatureFacts] = []
    for fq_name, _sig_obj, sig_field in enumerate_sig_fields(reader, filled_status=True):
        try:
            sig = EmbeddedPdfSignature(reader, sig_field, fq_name)
            if sig.sig_object_type == "/DocTimeStamp":
                continue
            parsed.append(sig)
        except Exception as exc:  # noqa: BLE001 - report it, keep the other signatures
            facts = SignatureFacts(field_name=nfc(str(fq_name)) or None, error=f"{type(exc).__name__}: {exc}"[:300])
            facts.summary_vi = _summary_vi(facts)
            broken.append(facts)
    parsed.sort(key=lambda sig: sig.signed_revision)
    return [*parsed, *broken]
