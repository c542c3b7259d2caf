"""JSON API for the archive (DESIGN §4): the same services and policy as the pages."""
from __future__ import annotations

from flask import current_app, jsonify, request, send_file
from flask_babel import gettext as _
from flask_login import current_user

from portal.api.views import bp, json_object
from portal.auth import policy
from portal.documents import notes as document_notes
from portal.documents import services as docs
from portal.documents.models import DOCUMENT_TYPES
from portal.documents.views import DOWNLOAD_CSP, content_disposition
from portal.errors import ValidationFailed, control_message, json_error
from portal.extensions import db
from portal.text import UnsafeText, check_plain_text
from portal.web import int_arg, year_arg


@bp.get("/documents")
def list_documents():
    """List documents with filters year, type, bloc, unit, issuer, confirmed and paging."""
    policy.require(current_user, "portal.read")
    filters = filters_from_args(page=int_arg("page", 1, label=_("Số trang")),
                                per_page=int(current_app.config.get("PORTAL_PAGE_SIZE", 50)))
    # Counted up to docs.COUNT_CAP: beyond, `total` is the cap, `"total_exact": false` is added and `pages`
    # stays one more than `page` while more documents follow ("while page < pages" still reads every page).
    result = docs.list_documents(filters, count_cap=docs.COUNT_CAP)
    body = {"items": docs.to_dicts(result.items), "total": result.total, "page": result.page, "pages": result.pages}
    if not result.total_exact:
        body["total_exact"] = False
    return jsonify(body)


def filters_from_args(**paging) -> docs.DocumentFilters:
    """The archive list's filters from the query (the list and its register export read the same ones)."""
    args = request.args
    doc_type = args.get("type") or None
    if doc_type and doc_type not in DOCUMENT_TYPES:
        raise ValidationFailed(_("Loại văn bản không hợp lệ."), errors={"type": _("Loại văn bản không hợp lệ.")})
    texts = {}
    for key, label in (("bloc", _("Khối")), ("unit", _("Đơn vị")), ("issuer", _("Cơ quan ban hành"))):
        try:
            texts[key] = check_plain_text(args.get(key) or "").strip() or None
        except UnsafeText as exc:
            message = control_message(exc, label)
            raise ValidationFailed(message, errors={key: message}) from None
    return docs.DocumentFilters(year=year_arg("year"), type=doc_type, **texts,
                                sort=args.get("sort") if args.get("sort") in docs.SORTS else "date",
                                confirmed=_confirmed_arg(), **paging)


def _confirmed_arg() -> bool | None:
    """`confirmed=false` lists what nobody has confirmed yet (the inbox), `true` the rest; absent: all."""
    raw = (request.args.get("confirmed") or "").strip().lower()
    if not raw:
        return None
    if raw in ("false", "0", "no"):
        return False
    if raw in ("true", "1", "yes"):
        return True
    message = _("Tham số confirmed phải là true hoặc false.")
    raise ValidationFailed(message, errors={"confirmed": message})


@bp.get("/documents/<int:document_id>")
def get_document(document_id):
    """One document with its citations and cited-by."""
    return jsonify(docs.to_dict(docs.get_document_for(current_user, document_id)))


@bp.post("/documents")
def upload_document():
    """Upload one PDF (multipart `file`) with optional metadata; 201 with the stored document and what was detected."""
    policy.require(current_user, "document.upload")
    storage = request.files.get("file")
    if storage is None or not storage.filename:
        raise ValidationFailed(_("Thiếu tệp: gửi tệp PDF trong trường multipart “file”."), errors={"file": _("Bắt buộc.")})
    fields = {key: request.form[key] for key in ("type", "number", "issue_date", "year", "bloc", "unit", "title",
                                                 "issuer", "signer", "signer_title", "report_kind") if key in request.form}
    result = docs.ingest(current_user, storage.stream, storage.filename, fields)
    body = docs.to_dict(result.document)
    body["detected"] = {k: v for k, v in result.detected.items() if k != "warnings"}
    body["warnings"] = result.warnings
    return jsonify(body), 201


@bp.errorhandler(docs.UploadBusy)
def upload_busy(exc: docs.UploadBusy):
    """429 `busy` with Retry-After: the PDF inspection pool had no slot for this upload (nothing stored)."""
    db.session.rollback()
    response, status = json_error(exc.status, exc.code, str(exc.message))
    response.headers["Retry-After"] = str(exc.retry_after)
    return response, status


@bp.patch("/documents/<int:document_id>")
def patch_document(document_id):
    """Change metadata; `version` is required and a stale one gets 409 with the current values."""
    document = docs.get_document_for(current_user, document_id, "document.write")
    data = json_object()
    if "version" not in data:
        raise ValidationFailed(_("Thiếu phiên bản dữ liệu (version)."), errors={"version": _("Bắt buộc.")})
    unknown = set(data) - set(docs.EDITABLE) - {"version", "confirmed"}
    if unknown:
        raise ValidationFailed(_("Không sửa được các trường: %(names)s.", names=", ".join(sorted(unknown))))
    docs.update_metadata(current_user, document, {k: v for k, v in data.items() if k != "version"}, version=data["version"])
    return jsonify(docs.to_dict(document))


@bp.post("/documents/<int:document_id>/notes")
def add_note(document_id):
    """Leave a note `{text}` on a document → 201 `{id, text, author, created_at}` (officers and the Board)."""
    document = docs.get_document_for(current_user, document_id)
    data = json_object()
    if "text" not in data:
        raise ValidationFailed(_("Thiếu nội dung ghi chú (text)."), errors={"text": _("Bắt buộc.")})
    note = document_notes.add_note(current_user, document, data["text"])
    return jsonify(document_notes.note_dict(note)), 201


@bp.delete("/documents/<int:document_id>/notes/<int:note_id>")
def delete_note(document_id, note_id):
    """Remove a note (its author or the Board) → 204."""
    document = docs.get_document_for(current_user, document_id)
    document_notes.delete_note(current_user, document_notes.get_note_for(current_user, document, note_id))
    return "", 204


@bp.delete("/documents/<int:document_id>")
def delete_document(document_id):
    """Move to the trash."""
    document = docs.get_document_for(current_user, document_id, "document.write")
    docs.delete(current_user, document)
    return jsonify(docs.to_dict(document, with_links=False))


@bp.post("/documents/<int:document_id>/restore")
def restore_document(document_id):
    """Bring back from the trash (Board)."""
    document = docs.get_document_for(current_user, document_id, "document.trash")
    docs.restore(current_user, document)
    return jsonify(docs.to_dict(document))


@bp.get("/documents/<int:document_id>/file")
def document_file(document_id):
    """The original bytes, exactly as uploaded."""
    document = docs.get_document_for(current_user, document_id)
    response = send_file(docs.original_file(document), mimetype="application/pdf", as_attachment=True,
                         download_name=document.original_name, etag=document.sha256)
    response.headers["Content-Disposition"] = content_disposition(document.original_name, inline=False)
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    return response


