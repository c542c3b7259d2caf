"""Document services: ingest a PDF, read its metadata, browse, edit, trash, restore, purge.

Plain functions; views, the API, the bulk import and the demo all call these.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal import audit, people
from portal.auth import policy
from portal.db import row_id, vi_collate
from portal.documents import archive, thumbnails
from portal.documents.models import DOCUMENT_TYPES, REPORT_KINDS, Citation, Document
from portal.documents.notes import note_dicts, notes_of
from portal.documents.outbox import outbox_written, record_index_update
from portal.documents.pdf import InspectionBusy, PdfRefused, inspect_pdf, inspection_pool
from portal.documents.reader import read_metadata
from portal.documents.textlayer import assess_text_layer, convert_legacy
from portal.errors import Conflict, NotFound, ServiceError, ValidationFailed, control_message
from portal.extensions import db
from portal.org import services as org
from portal.org.models import Bloc, Membership, Unit
from portal.text import UnsafeText, check_plain_text, fold, nfc, parse_date, today_local, utcnow, vi_sorted

EDITABLE = ("type", "report_kind", "number", "issue_date", "year", "issuer", "signer", "signer_title", "title", "bloc", "unit")
# What describes a document (the reader proposes these): an upload is confirmed from the start only
# when none of them was left to the reader and its title was typed.
DESCRIBED = ("type", "number", "issue_date", "issuer", "signer", "signer_title", "title")


class DocumentRefused(ServiceError):
    """An upload that is not stored, with a Vietnamese reason."""

    status = 422
    code = "document_refused"

    def __init__(self, message: str, *, reason: str, status: int | None = None):
        super().__init__(message)
        self.reason = reason
        if status:
            self.status = status


class UploadBusy(DocumentRefused):
    """Too many PDF inspections in flight (for this uploader, or on the server): try again later."""

    status = 429
    code = "busy"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, reason="busy")
        self.retry_after = retry_after


class DuplicateDocument(Conflict):
    """The same bytes are already in the archive: point to that document instead of storing twice."""

    code = "duplicate"

    def __init__(self, existing: Document):
        # Named as people know it (number, title), never by the internal id.
        if existing.deleted:
            message = _("Tệp này đã có trong lưu trữ (văn bản “%(label)s”, đang ở thùng rác); Ban TĐKT có thể khôi phục.",
                        label=existing.label)
        elif existing.number:
            message = _("Tệp này đã có trong lưu trữ: văn bản %(number)s “%(title)s”.", number=existing.number,
                        title=existing.display_title)
        else:
            message = _("Tệp này đã có trong lưu trữ: văn bản “%(title)s”.", title=existing.display_title)
        super().__init__(message, current={"id": existing.id})
        self.existing = existing


@dataclass
class IngestResult:
    document: Document
    detected: dict
    warnings: list[str] = field(default_factory=list)


@dataclass
class DocumentScope:
    """What a document belongs to, for the policy: its bloc, its unit and its year."""

    bloc_id: int | None
    unit_id: int | None
    year: int | None


# --- reading a file ----------------------------------------------------------------------------

def number_key(number: str | None) -> str | None:
    """Fold a document number for matching: '98/2023/NĐ-CP' and '98/2023/nd-cp' are the same."""
    if not number:
        return None
    return re.sub(r"\s+", "", fold(number)) or None


def strip_nul(text: str) -> str:
    """Drop NUL characters, which a PDF's text layer or OCR may carry but PostgreSQL text cannot hold."""
    return text.replace("\x00", "") if text and "\x00" in text else text


def _detect(inspection) -> tuple[str, str, str, dict]:
    """Return (text, text_source, text_quality, detected metadata) for an inspected PDF."""
    text = strip_nul(inspection.text)
    quality = assess_text_layer(text, inspection.page_count)
    warnings = list(inspection.warnings) + list(quality.reasons)
    if quality.status == "legacy_font":
        converted = convert_legacy(text)
        if converted:
            text = converted
            warnings.append(_("Đã chuyển văn bản từ bảng mã cũ (TCVN3/VNI) sang Unicode."))
    source = "text" if inspection.has_text_layer else "none"
    meta = read_metadata(text) if text.strip() else None
    detected = metadata_dict(meta) if meta else {}
    detected["warnings"] = warnings + (list(meta.warnings) if meta else [])
    return text, source, quality.status, detected


def metadata_dict(meta) -> dict:
    signer = meta.main_signer
    return {
        "type": meta.type, "report_kind": meta.report_kind, "number": meta.number,
        "issue_date": meta.issue_date.isoformat() if meta.issue_date else None, "year": meta.year,
        "issuer": meta.issuer, "parent_issuer": meta.parent_issuer, "place": meta.place,
        "signer": signer.name if signer else None, "signer_title": _signer_title(signer) if signer else None,
        "signers": [asdict(s) for s in meta.signers], "title": meta.title, "citations": list(meta.citations),
    }


def _signer_title(signer) -> str | None:
    """The signing capacity and title as officials write it: 'KT. Chủ tịch, Phó Chủ tịch'."""
    title = signer.title or ""
    if signer.capacity == "KT." and title.lower().startswith("phó "):
        # A deputy signs for the head whose title is the same without "Phó" (KT. CHỦ TỊCH / PHÓ CHỦ TỊCH).
        principal = title[4:]
        principal = principal[:1].upper() + principal[1:]
        return f"KT. {principal}, {title}"
    parts = []
    if signer.capacity:
        parts.append(f"{signer.capacity} {signer.on_behalf_of}" if signer.on_behalf_of else signer.capacity)
    if title:
        parts.append(title)
    return ", ".join(parts) or None


# --- validation of metadata --------------------------------------------------------------------

FIELD_LABELS = {"type": _l("Loại văn bản"), "report_kind": _l("Loại báo cáo"), "number": _l("Số, ký hiệu"),
                "issue_date": _l("Ngày ban hành"), "year": _l("Năm"), "bloc": _l("Khối"), "unit": _l("Đơn vị"),
                "issuer": _l("Cơ quan ban hành"), "signer": _l("Người ký"), "signer_title": _l("Chức vụ người ký"),
                "title": _l("Trích yếu")}


def clean_fields(data: dict, *, partial: bool) -> tuple[dict, dict]:
    """Validate user-given metadata; return (clean values, errors). Only keys present are checked."""
    clean: dict = {}
    errors: dict[str, str] = {}
    for key in EDITABLE:
        if key not in data or (partial and data[key] is None and key not in ("report_kind", "bloc", "unit", "number", "issue_date")):
            continue
        raw = data[key]
        try:
            value = check_plain_text(str(raw)) if raw is not None else ""
        except UnsafeText as exc:
            errors[key] = control_message(exc, str(FIELD_LABELS.get(key, key)))
            continue
        if key == "type":
            value = type_code(value)
            if value is None:
                errors["type"] = _("Loại văn bản không hợp lệ.")
            else:
                clean["type"] = value
        elif key == "report_kind":
            if value and value not in REPORT_KINDS:
                errors["report_kind"] = _("Loại báo cáo phải là sơ kết hoặc tổng kết.")
            else:
                clean["report_kind"] = value or None
        elif key == "issue_date":
            if not value:
                clean["issue_date"] = None
            else:
                try:
                    clean["issue_date"] = parse_date(value)
                except ValueError as exc:
                    errors["issue_date"] = str(exc)
        elif key == "year":
            if not value:
                clean["year"] = None
            else:
                try:
                    clean["year"] = org.check_year(value)
                except ValidationFailed as exc:
                    errors["year"] = exc.message
        elif key in ("bloc", "unit"):
            if not value:
                clean[key] = None
            else:
                try:
                    clean[key] = (org.get_bloc if key == "bloc" else org.get_unit)(value)
                except NotFound as exc:
                    errors[key] = exc.message
        else:
            limit = {"number": 80, "issuer": 300, "signer": 200, "signer_title": 200, "title": 1000}[key]
            if len(value) > limit:
                errors[key] = _("Dài tối đa %(n)s ký tự.", n=limit)
            else:
                clean[key] = value
    return clean, errors


def type_code(value: str) -> str | None:
    if not value:
        return "OTHER"
    folded = {fold(code): code for code in DOCUMENT_TYPES}
    folded.update({fold(label): code for code, label in DOCUMENT_TYPES.items()})
    return folded.get(fold(value))


# --- ingest ------------------------------------------------------------------------------------

def ingest(actor, stream: BinaryIO, original_name: str, fields: dict | None = None, *,
           confirmed: bool | None = None) -> IngestResult:
    """Validate, inspect and store one PDF with its metadata; nothing is kept when it is refused.

    `fields` are what the uploader (or the import command) says; they win over what the reader
    detected. The document starts unconfirmed (in the inbox) when any of its describing values
    came from the reader or its title was not typed; `confirmed` overrides that (a loader whose
    metadata is authoritative). Raises DocumentRefused (not a usable PDF), DuplicateDocument (same bytes already
    archived), ValidationFailed (bad metadata) or Forbidden (no right to file it there).
    """
    cfg = current_app.config
    fields = dict(fields or {})
    root = archive.archive_root(cfg)
    max_bytes = int(cfg["PORTAL_UPLOAD_MAX_MB"]) * 1024 * 1024
    original_name = _safe_name(original_name)
    clean, errors = clean_fields(fields, partial=False)
    if errors:
        raise ValidationFailed(_("Thông tin văn bản chưa hợp lệ; tệp chưa được lưu."), errors=errors)
    try:
        received = archive.receive(stream, root, max_bytes=max_bytes)
    except archive.TooLarge:
        raise DocumentRefused(_("Tệp lớn hơn giới hạn %(n)s MB; tệp chưa được lưu.", n=cfg["PORTAL_UPLOAD_MAX_MB"]),
                              reason="too_large", status=413) from None
    placed_here = False
    try:
        existing = db.session.scalar(sa.select(Document).where(Document.sha256 == received.sha256))
        if existing is not None:
            raise DuplicateDocument(existing)
        try:
            inspection = _guarded_inspect(actor, received.path, cfg)
        except PdfRefused as exc:
            status = 415 if exc.code == "not_pdf" else 422
            raise DocumentRefused(f"{exc.message} " + _("Tệp chưa được lưu."), reason=exc.code, status=status) from None
        text, source, quality, detected = _detect(inspection)
        values = _merge(actor, clean, detected)
        if confirmed is None:
            confirmed = metadata_given(clean, detected)
        check_filing(actor, values["bloc"], values["unit"], values["year"])
        document = Document(
            type=values["type"], report_kind=values["report_kind"], number=values["number"] or None,
            number_key=number_key(values["number"]), issue_date=values["issue_date"], year=values["year"],
            issuer=values["issuer"] or "", signer=values["signer"] or "", signer_title=values["signer_title"] or "",
            title=values["title"] or "", bloc=values["bloc"], unit=values["unit"], text=text,
            page_count=inspection.page_count, text_source=source, text_quality=quality,
            ocr_status="pending" if source == "none" else "none",
            signature=[s.to_dict() for s in inspection.signatures], detected=detected,
            metadata_confirmed=confirmed, confirmed_at=utcnow() if confirmed else None,
            confirmed_by_id=getattr(actor, "id", None) if confirmed else None, sha256=received.sha256, size=received.size, original_name=original_name,
            uploaded_by_id=getattr(actor, "id", None), filed_by_board=getattr(actor, "role", None) == "admin",
        )
        db.session.add(document)
        set_citations(document, detected.get("citations") or [])
        db.session.flush()
        record_index_update(document.id, "index")
        audit.record(actor, "upload", "document", document.id, after=_audit_view(document),
                     summary=f"Tải lên văn bản {document.number or document.original_name}")
        placed_here = not archive.original_path(root, received.sha256).exists()
        # The original goes into place right before the commit: if the commit fails the file is
        # removed again below, and a crash in between leaves only an orphan that `check` reports.
        archive.place(received, root)
        db.session.commit()
    except BaseException as exc:
        db.session.rollback()
        received.discard()
        if placed_here and not db.session.scalar(sa.select(Document.id).where(Document.sha256 == received.sha256)):
            archive.remove_original(root, received.sha256)
        if isinstance(exc, IntegrityError):
            # Another upload of the same bytes committed first.
            existing = db.session.scalar(sa.select(Document).where(Document.sha256 == received.sha256))
            if existing is not None:
                raise DuplicateDocument(existing) from None
        raise
    received.release()  # committed: `check` may now judge the original by the database alone
    outbox_written.send(current_app._get_current_object())
    if document.ocr_status == "pending":
        queue_ocr(document.id)
    thumbnails.queue_thumbnail(document.id)
    return IngestResult(document, detected, list(detected.get("warnings") or []))


def metadata_given(clean: dict, detected: dict) -> bool:
    """True when the uploader typed the title and the reader supplied none of the describing values."""
    if not clean.get("title"):
        return False
    return not any(key not in clean and detected.get(key) for key in DESCRIBED)


def _guarded_inspect(actor, path: str, cfg):
    """Inspect the PDF holding a slot of the process's inspection pool (see pdf.InspectionPool).

    A request is refused at once (UploadBusy, 429) beyond its uploader's share or when the pool
    stays full for a short wait, so hostile files can never hold every server thread; work
    without a request (bulk import, demo, worker) waits for a slot instead.
    """
    timeout_s = float(cfg.get("PORTAL_PDF_TIMEOUT_S", 15))
    in_request = has_request_context()
    # Only waitress with channel_request_lookahead > 0 notices a client that went away.
    gone = request.environ.get("waitress.client_disconnected") if in_request else None
    try:
        with inspection_pool(current_app).slot(getattr(actor, "id", None), expected_s=timeout_s, patient=not in_request):
            return inspect_pdf(path, max_pages=int(cfg.get("PORTAL_PDF_MAX_PAGES", 2000)), timeout_s=timeout_s,
                               memory_mb=int(cfg.get("PORTAL_PDF_MEMORY_MB", 768)), cpu_s=timeout_s,
                               trust_roots_dir=_trust_dir(cfg),
                               content_budget_mb=int(cfg.get("PORTAL_PDF_CONTENT_BUDGET_MB", 256)) or None,
                               cancelled=gone)
    except InspectionBusy as exc:
        if exc.scope == "user":
            message = _("Bạn đang có tệp PDF khác đang được kiểm tra; tệp này chưa được lưu. "
                        "Vui lòng đợi khoảng %(n)s giây rồi tải lên lại.", n=exc.retry_after)
        else:
            message = _("Hệ thống đang bận kiểm tra các tệp PDF khác; tệp này chưa được lưu. "
                        "Vui lòng đợi khoảng %(n)s giây rồi tải lên lại.", n=exc.retry_after)
        raise UploadBusy(message, retry_after=exc.retry_after) from None


def _trust_dir(cfg) -> str | None:
    """The folder of trusted root certificates (PEM), when it has any."""
    folder = Path(cfg.get("PORTAL_TRUST_DIR") or "")
    return str(folder) if folder.is_dir() and any(folder.iterdir()) else None


def _merge(actor, clean: dict, detected: dict) -> dict:
    """Combine what the uploader said with what the reader found (the uploader wins)."""
    values = {}
    values["type"] = clean.get("type") or type_code(detected.get("type") or "") or "OTHER"
    values["report_kind"] = clean.get("report_kind", detected.get("report_kind") if values["type"] == "BC" else None)
    if values["type"] != "BC":
        values["report_kind"] = None
    values["number"] = clean.get("number", detected.get("number"))
    issue = clean.get("issue_date")
    if issue is None and "issue_date" not in clean and detected.get("issue_date"):
        issue = date.fromisoformat(detected["issue_date"])
    values["issue_date"] = issue
    values["year"] = clean.get("year") or detected.get("year") or (issue.year if issue else None) or today_local().year
    for key in ("issuer", "signer", "signer_title", "title"):
        values[key] = clean.get(key, detected.get(key))
    values["bloc"] = clean.get("bloc")
    values["unit"] = clean.get("unit")
    if values["bloc"] is None and values["unit"] is None and getattr(actor, "role", None) == "officer" and "unit" not in clean:
        # An officer files for its own unit unless it says otherwise.
        values["unit"] = actor.unit
    if values["unit"] is not None and values["bloc"] is None:
        values["bloc"] = _unit_bloc(values["unit"], values["year"])
    return values


def check_filing(actor, bloc, unit, year) -> None:
    """The filing rules (DESIGN §4.1): the policy says who may file there (403), and a unit's
    document lies in its unit's bloc that year, whoever files it (422)."""
    policy.require(actor, "document.write", DocumentScope(bloc.id if bloc else None, unit.id if unit else None, year),
                   year=year)
    if unit is None or bloc is None:
        return
    membership = policy.membership_of(unit.id, year)
    if membership is not None and membership.bloc_id != bloc.id:
        raise ValidationFailed(
            _("Thông tin văn bản chưa hợp lệ; chưa lưu gì."),
            errors={"bloc": _("%(unit)s thuộc %(bloc)s năm %(year)s: văn bản của đơn vị được lưu vào khối của đơn vị.",
                              unit=unit.name, bloc=membership.bloc.name, year=year)})


def _unit_bloc(unit, year):
    """The bloc the unit belongs to that year (None when it belongs to none)."""
    membership = policy.membership_of(unit.id, year) if unit is not None else None
    return membership.bloc if membership else None


def _safe_name(name: str | None) -> str:
    """Keep only the last path part of an uploaded name, NFC, without control characters."""
    name = nfc(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip() or "van-ban.pdf"
    return name[:255]


def set_citations(document: Document, numbers: list[str]) -> None:
    own = document.number_key
    seen = set()
    document.citations.clear()
    for position, number in enumerate(numbers):
        key = number_key(number)
        if not key or key == own or key in seen:
            continue
        seen.add(key)
        document.citations.append(Citation(number=number[:80], number_key=key[:80], position=position))


def queue_ocr(document_id: int) -> None:
    """Queue the OCR of a committed document. Never fails the caller: with the queue down (Redis stopped)
    the document stays pending, and the worker's requeue (periodic, and at its start) takes it."""
    from portal.documents.tasks import ocr_document
    from portal.tasks import enqueue_after_commit

    enqueue_after_commit(ocr_document, document_id, what=f"the OCR of document {document_id}")


def _audit_view(document: Document) -> dict:
    return {
        "type": document.type, "report_kind": document.report_kind, "number": document.number,
        "issue_date": document.issue_date.isoformat() if document.issue_date else None, "year": document.year,
        "issuer": document.issuer, "signer": document.signer, "signer_title": document.signer_title,
        "title": document.title, "bloc": document.bloc.code if document.bloc else None,
        "unit": document.unit.code if document.unit else None, "sha256": document.sha256,
    }


# --- reading -----------------------------------------------------------------------------------

def get_document(document_id, *, include_deleted: bool = False) -> Document:
    """Return a document (with bloc, unit, uploader), or raise NotFound."""
    document_id = row_id(document_id)
    if document_id is None:
        raise NotFound(_("Không tìm thấy văn bản."))
    document = db.session.scalar(
        sa.select(Document).where(Document.id == document_id)
        .options(joinedload(Document.bloc), joinedload(Document.unit), joinedload(Document.uploaded_by))
    )
    if document is None or (document.deleted and not include_deleted):
        raise NotFound(_("Không tìm thấy văn bản."))
    return document


def get_document_for(user, document_id, action: str = "portal.read") -> Document:
    """Load a document and check the user's right on it (flaskr's get_post shape)."""
    include_deleted = action in ("document.trash", "document.purge")
    document = get_document(document_id, include_deleted=include_deleted)
    if action == "portal.read":
        policy.require(user, action)
    else:
        policy.require(user, action, scope_of(document), year=document.year)
    return document


def scope_of(document: Document) -> DocumentScope:
    return DocumentScope(document.bloc_id, document.unit_id, document.year)


@dataclass
class DocumentFilters:
    year: int | None = None
    type: str | None = None
    bloc: str | None = None
    unit: str | None = None
    issuer: str | None = None
    sort: str = "date"
    page: int = 1
    per_page: int = 50
    trash: bool = False
    confirmed: bool | None = None  # False: only what nobody has confirmed yet (the inbox)


@dataclass
class DocumentPage:
    items: list[Document]
    total: int
    page: int
    pages: int
    # False when more than `total` (the count cap) documents match: the list says "hơn 10.000 văn bản" and
    # `pages` is a lower bound that stays above `page` while further pages exist (see list_documents).
    total_exact: bool = True


SORTS = ("date", "title", "number", "uploaded")
# The list counts exactly up to this many matches (a count stops there: an exact count of a 100,000-document
# archive is a scan of it on every request); beyond, it says "more than 10,000" (issue 14).
COUNT_CAP = 10_000


def filter_conditions(filters: DocumentFilters) -> list:
    """The list's WHERE clauses (the register export and saved views' counts use the same ones)."""
    found = [Document.deleted_at.is_not(None) if filters.trash else _live()]
    if filters.year:
        found.append(Document.year == filters.year)
    if filters.type:
        found.append(Document.type == filters.type)
    if filters.bloc:
        found.append(Document.bloc_id == _bloc_id_of(filters.bloc))
    if filters.unit:
        found.append(Document.unit_id == _unit_id_of(filters.unit))
    if filters.issuer:
        found.append(Document.issuer == filters.issuer)
    if filters.confirmed is not None:
        found.append(Document.metadata_confirmed.is_(filters.confirmed))
    return found


def _live():
    """`deleted_at IS NULL`, the condition of the partial indexes of migration 0011.

    On SQLite as likely(…): SQLite estimates `deleted_at IS NULL` as a selective lookup of the single-column
    deleted_at index (its statistics count NULLs as distinct values) and would then sort every live document;
    marked likely it still selects the partial indexes, which the list's order and filters walk.
    """
    live = Document.deleted_at.is_(None)
    return sa.func.likely(live) if db.engine.dialect.name == "sqlite" else live


def _list_order(filters: DocumentFilters) -> list:
    """The list's ORDER BY, written so that the partial indexes of migration 0011 deliver it without a sort.

    The same order as ever: date = issue date newest first, undated last, then newest filed; title =
    Vietnamese order; number = number key, documents without a number last; uploaded = newest first.
    """
    if filters.sort == "title":
        return [vi_collate(Document.title), Document.id]
    if filters.sort == "number":
        # NULLS LAST: PostgreSQL's own order of an ascending index; SQLite walks its index twice (keys, then NULLs).
        return [Document.number_key.asc().nulls_last(), Document.id]
    if filters.sort == "uploaded" or filters.trash:
        return [(Document.deleted_at if filters.trash else Document.uploaded_at).desc(), Document.id.desc()]
    # SQLite sorts NULL lowest, so a descending walk of (issue_date, id) already ends with the undated ones.
    return [Document.issue_date.desc().nulls_last(), Document.id.desc()]


def _page_statement(conditions: list, filters: DocumentFilters, limit: int, offset: int):
    """SELECT of one page of documents (bloc, unit, uploader and trasher joined), in the list's order."""
    loads = (joinedload(Document.bloc), joinedload(Document.unit), joinedload(Document.uploaded_by),
             joinedload(Document.deleted_by))
    if not filters.trash and filters.sort not in ("title", "number", "uploaded") and db.engine.dialect.name == "postgresql":
        # PostgreSQL cannot walk the plain (issue_date, id) index in "DESC NULLS LAST" order (its index would
        # need NULLS FIRST, which SQLite cannot declare, and the models declare one index for both): take
        # the first offset+limit dated documents and the first offset+limit undated ones, each straight
        # from the index, and order those few rows.
        reach = offset + limit
        dated = (sa.select(Document.id.label("id"), Document.issue_date.label("day"), sa.literal(0).label("arm"))
                 .where(*conditions, Document.issue_date.is_not(None))
                 .order_by(Document.issue_date.desc(), Document.id.desc()).limit(reach))
        undated = (sa.select(Document.id.label("id"), Document.issue_date.label("day"), sa.literal(1).label("arm"))
                   .where(*conditions, Document.issue_date.is_(None)).order_by(Document.id.desc()).limit(reach))
        first = sa.union_all(dated.subquery().select(), undated.subquery().select()).subquery("first_rows")
        return (sa.select(Document).join(first, first.c.id == Document.id).options(*loads)
                .order_by(first.c.arm, first.c.day.desc(), first.c.id.desc()).limit(limit).offset(offset))
    return (sa.select(Document).where(*conditions).options(*loads)
            .order_by(*_list_order(filters)).limit(limit).offset(offset))


def _count(conditions: list, cap: int | None = None) -> int:
    """How many documents match, counting no further than cap + 1 when a cap is given."""
    matching = sa.select(Document.id).where(*conditions)
    if cap is not None:
        matching = matching.limit(cap + 1)
    return db.session.scalar(sa.select(sa.func.count()).select_from(matching.subquery())) or 0


def list_documents(filters: DocumentFilters, *, count_cap: int | None = None) -> DocumentPage:
    """Return one page of documents matching the filters, in two queries whatever the page size and archive size.

    With `count_cap` (the list page and the API pass COUNT_CAP) the count stops at the cap: beyond it the
    page has `total` = the cap, `total_exact` False, and `pages` = the pages the cap fills or, from there
    on, one more than this page while more documents follow (a client reading "while page < pages" still
    reads everything). A page asked beyond the end gives the last page, as with an exact count. Without
    a cap (the register export, the trash) the count is exact, as before.
    """
    conditions = filter_conditions(filters)
    per_page = max(1, min(int(filters.per_page), 200))
    asked = max(1, int(filters.page))
    counted = _count(conditions, count_cap)
    if count_cap is None or counted <= count_cap:
        pages = max(1, math.ceil(counted / per_page))
        page = min(asked, pages)
        items = _fetch(conditions, filters, per_page, (page - 1) * per_page)
        return DocumentPage(items, counted, page, pages)
    rows = _fetch(conditions, filters, per_page + 1, (asked - 1) * per_page)
    if not rows and asked > 1:  # beyond the end of a long list: count it all once and give its last page
        total = _count(conditions)
        pages = max(1, math.ceil(total / per_page))
        return DocumentPage(_fetch(conditions, filters, per_page, (pages - 1) * per_page), total, pages, pages)
    more = len(rows) > per_page
    pages = max(math.ceil(count_cap / per_page), asked + 1 if more else asked)
    return DocumentPage(rows[:per_page], count_cap, asked, pages, total_exact=False)


def all_documents(filters: DocumentFilters) -> list[Document]:
    """Every document of the filtered list, in the list's order, in one statement (the register reads it whole)."""
    return list(db.session.scalars(
        sa.select(Document).where(*filter_conditions(filters))
        .options(joinedload(Document.bloc), joinedload(Document.unit)).order_by(*_list_order(filters))).unique())


def _fetch(conditions: list, filters: DocumentFilters, limit: int, offset: int) -> list[Document]:
    return list(db.session.scalars(_page_statement(conditions, filters, limit, offset)).unique().all())


# --- the inbox: what nobody has confirmed yet, that this user may edit ------------------------

def _editable_by(user):
    """SQL for the policy's `document.write` (filing rules) on a document row; None when the user may edit all.

    The same rule as policy._write_document, as a query: an officer's own unit's documents (in its
    unit's bloc that year, or in none), and the bloc documents of a bloc its unit leads that year.
    """
    if not policy.can(user, "document.upload"):
        return sa.false()
    if user.role == "admin":
        return None
    same_year_bloc = sa.and_(Membership.unit_id == user.unit_id, Membership.year == Document.year,
                             Membership.bloc_id == Document.bloc_id)
    own_unit = sa.and_(Document.unit_id == user.unit_id,
                       sa.or_(Document.bloc_id.is_(None), sa.exists().where(same_year_bloc)))
    led_bloc = sa.and_(Document.unit_id.is_(None), Document.bloc_id.is_not(None),
                       sa.exists().where(same_year_bloc, Membership.role == "leader"))
    return sa.or_(own_unit, led_bloc)


def _inbox_query(user):
    query = sa.select(Document).where(Document.metadata_confirmed.is_(False), Document.deleted_at.is_(None))
    rule = _editable_by(user)
    return query if rule is None else query.where(rule)


def inbox(user, *, limit: int = 200) -> list[Document]:
    """The documents whose metadata nobody has confirmed and that `user` may edit, oldest upload first."""
    return list(db.session.scalars(
        _inbox_query(user).options(joinedload(Document.bloc), joinedload(Document.unit), joinedload(Document.uploaded_by))
        .order_by(Document.uploaded_at, Document.id).limit(limit)).unique())


# The archive list shows "Cần xác nhận (n)" on every request: counted up to this (after an import of a whole
# folder everything waits), beyond it the button says "999+".
INBOX_BADGE_CAP = 999


def inbox_count(user, *, cap: int | None = None) -> int:
    """How many documents wait in `user`'s inbox; with `cap`, counting stops at `cap + 1`."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    query = _inbox_query(user).with_only_columns(Document.id)
    if cap is not None:
        query = query.limit(cap + 1)
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def confirm(actor, document: Document, data: dict | None = None, *, version) -> Document:
    """Confirm a document's metadata, with the corrections in `data` if any (the inbox's one key)."""
    return update_metadata(actor, document, {**(data or {}), "confirmed": True}, version=version)


def _bloc_id_of(code: str):
    return sa.select(Bloc.id).where(Bloc.code == code.upper()).scalar_subquery()


def _unit_id_of(code: str):
    return sa.select(Unit.id).where(Unit.code == code.upper()).scalar_subquery()


# Each value present, found by seeking the index for the next smaller one (a "loose index scan"): as many
# index seeks as there are distinct values, whatever the size of the archive, on SQLite and PostgreSQL
# alike, and always current (no cache to invalidate across server processes). The partial indexes of
# migration 0011 on (year, …), (type, …) and (issuer, …) serve them.
_DISTINCT_LIVE = """
WITH RECURSIVE found(value) AS (
    SELECT max({column}) FROM document WHERE {live}
    UNION ALL
    SELECT (SELECT max({column}) FROM document WHERE {live} AND {column} < found.value)
    FROM found WHERE found.value IS NOT NULL
)
SELECT value FROM found WHERE value IS NOT NULL
"""


def _distinct_live(column: str) -> list:
    """The distinct non-null values of a document column among live documents, largest first."""
    live = "likely(deleted_at IS NULL)" if db.engine.dialect.name == "sqlite" else "deleted_at IS NULL"  # see _live
    return list(db.session.scalars(sa.text(_DISTINCT_LIVE.format(column=column, live=live))))


def facet_values() -> dict:
    """Years, types and issuers present in the archive, for the filter menus (three index walks)."""
    years = _distinct_live("year")
    types = set(_distinct_live("type"))
    issuers = [i for i in _distinct_live("issuer") if i != ""]
    return {"years": years, "types": [t for t in DOCUMENT_TYPES if t in types], "issuers": vi_sorted(issuers)}


def citations_of(document: Document) -> list[dict]:
    """The numbers the document cites, each with the archived document it resolves to (or None)."""
    keys = [c.number_key for c in document.citations]
    targets = _live_by_number_key(keys)
    return [{"number": c.number, "document": targets.get(c.number_key)} for c in document.citations]


def cited_by(document: Document) -> list[Document]:
    """Live documents that cite this one's number."""
    if not document.number_key:
        return []
    return list(db.session.scalars(
        sa.select(Document).join(Citation, Citation.document_id == Document.id)
        .where(Citation.number_key == document.number_key, Document.deleted_at.is_(None), Document.id != document.id)
        .order_by(Document.issue_date.desc(), Document.id.desc())
    ).unique())


def _live_by_number_key(keys: list[str]) -> dict[str, Document]:
    if not keys:
        return {}
    rows = db.session.scalars(
        sa.select(Document).where(Document.number_key.in_(keys), Document.deleted_at.is_(None)).order_by(Document.id)
    )
    found: dict[str, Document] = {}
    for row in rows:
        found.setdefault(row.number_key, row)
    return found


# --- changing ----------------------------------------------------------------------------------

def update_metadata(actor, document: Document, data: dict, *, version) -> Document:
    """Change a document's metadata, refusing an edit based on a stale version.

    Any edit confirms the metadata (the editor has looked at it), and so does `"confirmed": true`
    alone: the document leaves the inbox.
    """
    _check_version(document, version)
    data = dict(data)
    confirm = data.pop("confirmed", None)
    if confirm is not None and confirm is not True:
        raise ValidationFailed(_("Chỉ có thể xác nhận thông tin văn bản (confirmed: true); chưa lưu thay đổi nào."),
                               errors={"confirmed": _("Chỉ nhận giá trị true.")})
    confirm = confirm is True or any(key in data for key in EDITABLE)
    clean, errors = clean_fields(data, partial=True)
    if errors:
        raise ValidationFailed(_("Thông tin văn bản chưa hợp lệ; chưa lưu thay đổi nào."), errors=errors)
    # The new place must be one the editor may file to, too (no moving a document out of reach):
    # check it before changing anything.
    place = new_place(document, clean)
    check_filing(actor, *place)
    apply_metadata(actor, document, clean, place, confirm=confirm)
    db.session.commit()
    outbox_written.send(current_app._get_current_object())
    return document


def new_place(document: Document, clean: dict) -> tuple:
    """(bloc, unit, year) the document will have after this edit: a unit's document follows its unit's bloc that year."""
    year = clean.get("year") or (clean["issue_date"].year if clean.get("issue_date") and "year" in clean else document.year)
    unit = clean["unit"] if "unit" in clean else document.unit
    if "bloc" in clean:
        bloc = clean["bloc"]
    elif unit is not None and ("unit" in clean or year != document.year):
        bloc = _unit_bloc(unit, year)
    else:
        bloc = document.bloc
    return bloc, unit, year


def apply_metadata(actor, document: Document, clean: dict, place: tuple, *, confirm: bool, how: str = "") -> None:
    """Write checked values and the new place, confirm, audit and queue the index update, without committing
    (the single edit commits one document, the bulk edit a whole batch). `how` ends the audit summary."""
    before = _audit_view(document)
    if "number" in clean:
        document.number = clean["number"] or None
        document.number_key = number_key(document.number)
    for key in ("type", "issue_date", "issuer", "signer", "signer_title", "title"):
        if key in clean:
            setattr(document, key, clean[key])
    if "report_kind" in clean:
        document.report_kind = clean["report_kind"]
    if document.type != "BC":
        document.report_kind = None
    document.bloc, document.unit, document.year = place
    after = _audit_view(document)
    was_confirmed = document.metadata_confirmed
    newly_confirmed = confirm and not was_confirmed
    if newly_confirmed:
        _confirm(actor, document)
    if before != after:
        record_index_update(document.id, "index")
        audit.record(actor, "update", "document", document.id, before=before | {"confirmed": was_confirmed},
                     after=after | {"confirmed": document.metadata_confirmed},
                     summary=f"Sửa{' và xác nhận' if newly_confirmed else ''} thông tin văn bản {document.label}{how}")
    elif newly_confirmed:
        audit.record(actor, "confirm", "document", document.id, before={"confirmed": False}, after={"confirmed": True},
                     summary=f"Xác nhận thông tin văn bản {document.label}{how}")


def _confirm(actor, document: Document) -> None:
    document.metadata_confirmed = True
    document.confirmed_at = utcnow()
    document.confirmed_by_id = getattr(actor, "id", None)


def _check_version(document: Document, version) -> None:
    try:
        expected = int(version)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Thiếu phiên bản dữ liệu (version); hãy tải lại văn bản rồi sửa."),
                               errors={"version": _("Bắt buộc.")}) from None
    if expected != document.version:
        raise Conflict(_("Văn bản đã được người khác sửa trong lúc bạn đang sửa. Hãy xem bản mới nhất rồi sửa lại."),
                       current={"version": document.version, **_audit_view(document)})


def delete(actor, document: Document) -> Document:
    """Move a document to the trash (restorable by the Board)."""
    if document.deleted:
        return document
    move_to_trash(actor, document)
    db.session.commit()
    outbox_written.send(current_app._get_current_object())
    return document


def move_to_trash(actor, document: Document, *, how: str = "") -> None:
    """Mark the document trashed, audit it and queue its removal from the index, without committing."""
    document.deleted_at = utcnow()
    document.deleted_by_id = getattr(actor, "id", None)
    record_index_update(document.id, "remove")
    audit.record(actor, "delete", "document", document.id, before=_audit_view(document),
                 summary=f"Chuyển vào thùng rác văn bản {document.label}{how}")


def restore(actor, document: Document) -> Document:
    """Bring a document back from the trash."""
    if not document.deleted:
        return document
    document.deleted_at = None
    document.deleted_by_id = None
    record_index_update(document.id, "index")
    audit.record(actor, "restore", "document", document.id, after=_audit_view(document),
                 summary=f"Khôi phục văn bản {document.number or document.original_name}")
    db.session.commit()
    outbox_written.send(current_app._get_current_object())
    return document


def purge(actor, document: Document) -> None:
    """Delete a trashed document and its original for good (Board only, audited)."""
    if not document.deleted:
        raise Conflict(_("Chỉ xóa vĩnh viễn được văn bản đã ở thùng rác."))
    root = archive.archive_root(current_app.config)
    snapshot = _audit_view(document) | {"original_name": document.original_name, "size": document.size}
    document_id, sha = document.id, document.sha256
    db.session.delete(document)
    record_index_update(document_id, "remove")
    audit.record(actor, "purge", "document", document_id, before=snapshot, summary=f"Xóa vĩnh viễn văn bản {document.label}")
    db.session.commit()
    archive.remove_original(root, sha)
    thumbnails.forget(sha)
    outbox_written.send(current_app._get_current_object())


def original_file(document: Document) -> Path:
    """Path of the original bytes; NotFound if the file is missing (a `check` finding)."""
    path = archive.original_path(archive.archive_root(current_app.config), document.sha256)
    if not path.is_file():
        raise NotFound(_("Không tìm thấy tệp gốc của văn bản “%(label)s” trong kho lưu trữ.", label=document.label))
    return path


# --- JSON --------------------------------------------------------------------------------------

def to_dicts(documents: list[Document]) -> list[dict]:
    """The API's view of many documents, citations and cited-by included, in a fixed number of queries."""
    if not documents:
        return []
    ids = [d.id for d in documents]
    citations: dict[int, list[Citation]] = {}
    for c in db.session.scalars(sa.select(Citation).where(Citation.document_id.in_(ids)).order_by(Citation.position)):
        citations.setdefault(c.document_id, []).append(c)
    targets = _live_by_number_key(sorted({c.number_key for rows in citations.values() for c in rows}))
    keys = [d.number_key for d in documents if d.number_key]
    citing: dict[str, list[Document]] = {}
    if keys:
        # Only the citation's number is a condition in SQL, and the order is made here: with "live" or an ORDER BY on
        # the document, SQLite walked the whole archive by an index of the document table and probed the citations of
        # each (16 ms at 100,000 documents, whatever the page). The citing documents are a few.
        rows = db.session.execute(
            sa.select(Citation.number_key, Document).join(Document, Citation.document_id == Document.id)
            .where(Citation.number_key.in_(keys)))
        live = [(key, citer) for key, citer in rows if citer.deleted_at is None]
        for key, citer in sorted(live, key=lambda row: (row[1].issue_date is not None, row[1].issue_date or date.min, row[1].id),
                                 reverse=True):
            citing.setdefault(key, []).append(citer)
    notes = note_dicts(notes_of(ids))
    out = []
    for d in documents:
        data = to_dict(d, with_links=False)
        data["notes"] = notes.get(d.id, [])
        data["citations"] = [{"number": c.number, "document": targets[c.number_key].id if c.number_key in targets else None}
                             for c in citations.get(d.id, [])]
        data["cited_by"] = [{"id": x.id, "number": x.number, "title": x.title} for x in citing.get(d.number_key, []) if x.id != d.id]
        out.append(data)
    return out


def to_dict(document: Document, *, with_links: bool = True) -> dict:
    """The API's view of a document (DESIGN §4)."""
    signatures = document.signature or []
    data = {
        "id": document.id, "type": document.type, "report_kind": document.report_kind, "number": document.number,
        "issue_date": document.issue_date.isoformat() if document.issue_date else None, "year": document.year,
        "issuer": document.issuer, "signer": document.signer, "signer_title": document.signer_title,
        "title": document.title, "bloc": document.bloc.code if document.bloc else None,
        "unit": document.unit.code if document.unit else None, "page_count": document.page_count,
        "text_source": document.text_source, "text_quality": document.text_quality, "ocr_status": document.ocr_status,
        "signature": {"signed": bool(signatures), "intact": all(s.get("intact") for s in signatures) if signatures else None,
                      "signatures": signatures},
        "sha256": document.sha256, "size": document.size, "original_name": document.original_name,
        "uploaded_by": document.uploaded_by.username if document.uploaded_by else None,
        "uploaded_by_name": people.display_name(document.uploaded_by) if document.uploaded_by else None,
        "uploaded_at": document.uploaded_at.isoformat() if document.uploaded_at else None,
        "version": document.version, "deleted": document.deleted, "confirmed": document.metadata_confirmed,
    }
    if with_links:
        data["notes"] = note_dicts(notes_of([document.id])).get(document.id, [])
        data["citations"] = [{"number": c["number"], "document": c["document"].id if c["document"] else None}
                             for c in citations_of(document)]
        data["cited_by"] = [{"id": d.id, "number": d.number, "title": d.title} for d in cited_by(document)]
    return data
