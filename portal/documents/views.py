"""Archive pages: browse, upload, read, edit, trash (thin: parse, call a service, render)."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from portal import people
from portal.auth import policy
from portal.auth.forms import EmptyForm
from portal.documents import notes as document_notes
from portal.documents import ocr_jobs
from portal.documents import services as docs
from portal.documents.forms import MetadataForm, NoteForm, UploadForm
from portal.documents.labels import TYPE_LABELS
from portal.documents.models import DOCUMENT_TYPES, REPORT_KINDS
from portal.errors import Conflict, ServiceError, ValidationFailed
from portal.extensions import htmx
from portal.forms import choices
from portal.org import services as org
from portal.text import as_utc, ascii_fallback, format_datetime, utcnow
from portal.web import int_arg, year_arg

bp = Blueprint("documents", __name__, url_prefix="/documents")

# The PDF shown inside the document page: Chrome's viewer cannot run under a CSP `sandbox`
# (it is a plugin in a synthetic page; see chromium issue 41131921), so the inline copy gets a
# CSP that allows nothing but the viewer's own styles and images, and may only be framed by us.
INLINE_PDF_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data: blob:; object-src 'self'; "
                  "frame-ancestors 'self'; form-action 'none'; base-uri 'none'")
# A download is never rendered by us: sandbox it completely.
DOWNLOAD_CSP = "sandbox; default-src 'none'"


def content_disposition(name: str, *, inline: bool) -> str:
    """RFC 6266 header: an ASCII fallback that keeps the words (Đợt → Dot), and the exact UTF-8 name."""
    fallback = ascii_fallback(name).replace('"', "'").replace("\\", "_") or "van-ban.pdf"
    return f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@bp.before_request
@login_required
def require_login():
    """Every archive page needs a logged-in user."""


def _filters_from_args(trash: bool = False) -> docs.DocumentFilters:
    args = request.args

    doc_type = args.get("type") or None
    return docs.DocumentFilters(
        year=year_arg("year"), type=doc_type if doc_type in DOCUMENT_TYPES else None,
        bloc=args.get("bloc") or None, unit=args.get("unit") or None, issuer=args.get("issuer") or None,
        sort=args.get("sort") if args.get("sort") in docs.SORTS else "date", page=int_arg("page", 1, lenient=True), trash=trash,
        per_page=int(current_app.config.get("PORTAL_PAGE_SIZE", 50)),
        confirmed={"false": False, "0": False, "true": True, "1": True}.get((args.get("confirmed") or "").strip().lower()),
    )


@bp.route("")
def index():
    """Browse the archive by year, type, bloc, unit and issuer, in pages."""
    policy.require(current_user, "portal.read")
    filters = _filters_from_args()
    result = docs.list_documents(filters, count_cap=docs.COUNT_CAP)
    context = {"result": result, "filters": filters, "facets": docs.facet_values(), "blocs": org.list_blocs(),
               "units": org.list_units(), "types": TYPE_LABELS, "inbox_cap": docs.INBOX_BADGE_CAP,
               "inbox_count": docs.inbox_count(current_user, cap=docs.INBOX_BADGE_CAP)}
    if htmx and htmx.target == "document-results":
        return render_block("documents/index.html", "results", **context)
    return render_template("documents/index.html", **context)


def _org_choices(form, *, with_empty_unit_label=None, document=None) -> None:
    """Offer the places the user may file to (filing rules): the Board anywhere; an officer its own
    unit and the blocs its unit has belonged to (the year decides which one is right, checked on save)."""
    blocs, units = org.list_blocs(), org.list_units()
    if not current_user.is_admin:
        member_of = {m.bloc_id for m in org.memberships_of_unit(current_user.unit_id).values()} if current_user.unit_id else set()
        keep_bloc = document.bloc_id if document is not None else None
        keep_unit = document.unit_id if document is not None else None
        blocs = [b for b in blocs if b.id in member_of or b.id == keep_bloc]
        units = [u for u in units if u.id in (current_user.unit_id, keep_unit)]
    form.bloc.choices = choices([("", _("— không thuộc khối —"))] + [(b.code, f"{b.code} · {b.name}") for b in blocs])
    form.unit.choices = choices([("", with_empty_unit_label or _("— không thuộc đơn vị —"))] + [(u.code, u.name) for u in units])


@bp.route("/upload", methods=["GET", "POST"])
def upload():
    """Upload one or many PDFs; each is checked, read and stored on its own, with its outcome shown."""
    form = UploadForm()
    _org_choices(form, with_empty_unit_label=_("— đơn vị của tôi / đọc từ văn bản —"))
    policy.require(current_user, "document.upload")
    if request.method == "GET":
        return render_template("documents/upload.html", form=form, outcomes=None)
    files = [f for f in request.files.getlist("files") if f and f.filename]
    outcomes = []
    if not files:
        form.files.errors = [_("Hãy chọn ít nhất một tệp PDF.")]
    elif form.validate():
        fields = {k: v for k, v in (("year", form.year.data), ("bloc", form.bloc.data), ("unit", form.unit.data)) if v}
        for storage in files:
            outcomes.append(_ingest_one(storage, fields))
    status = 200 if outcomes and any(o["ok"] for o in outcomes) else (422 if request.method == "POST" else 200)
    context = {"form": form, "outcomes": outcomes}
    if htmx:
        # htmx 2 swaps nothing on a 4xx answer: the fragment carries the refusals, so it is a 200.
        return render_block("documents/upload.html", "outcomes", fragment=True, **context), 200
    busy = [o["retry_after"] for o in outcomes if o.get("retry_after")]
    if outcomes and len(busy) == len(outcomes):
        # Every file waited in vain for a PDF inspection slot: the whole upload can simply be sent again.
        return render_template("documents/upload.html", **context), 429, {"Retry-After": str(max(busy))}
    return render_template("documents/upload.html", **context), status


def _ingest_one(storage, fields: dict) -> dict:
    name = storage.filename
    try:
        result = docs.ingest(current_user, storage.stream, name, fields)
    except docs.DuplicateDocument as exc:
        return {"ok": False, "name": name, "message": exc.message, "existing": exc.existing}
    except ServiceError as exc:
        details = "; ".join(str(v) for v in exc.errors.values())
        return {"ok": False, "name": name, "message": exc.message + (f" ({details})" if details else ""),
                "retry_after": getattr(exc, "retry_after", None)}
    return {"ok": True, "name": name, "document": result.document, "warnings": result.warnings}


@bp.route("/<int:document_id>")
def show(document_id):
    """Show a document: metadata, signature facts, citations, cited-by, notes, the PDF itself."""
    document = docs.get_document_for(current_user, document_id)
    return render_template("documents/show.html", **_show_context(document))


def _show_context(document, note_form=None) -> dict:
    notes = document_notes.notes_of([document.id]).get(document.id, [])
    names = people.names_for([document.uploaded_by_id, document.confirmed_by_id, *(n.author_id for n in notes)],
                             usernames=[n.author_username for n in notes])
    return {
        "document": document, "citations": docs.citations_of(document), "cited_by": docs.cited_by(document),
        "can_edit": policy.can(current_user, "document.write", docs.scope_of(document), year=document.year),
        "action_form": EmptyForm(), "report_kinds": REPORT_KINDS, "ocr": ocr_view(document),
        "signatures": [dict(s, signed_at_local=signed_at_local(s.get("signed_at"))) for s in document.signature or []],
        "names": names, **_notes_context(document, notes, names, note_form),
    }


def signed_at_local(value: str | None) -> str:
    """A signature's time (ISO 8601 with its offset, as pyhanko gives it) as dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh."""
    if not value:
        return ""
    try:
        return format_datetime(datetime.fromisoformat(value))
    except ValueError:  # never hide a time we cannot parse: show it as stored
        return value


def _notes_context(document, notes, names, note_form=None) -> dict:
    return {"notes": notes, "names": names, "note_form": note_form or NoteForm(),
            "can_note": policy.can(current_user, "document.note", document, year=document.year) and not document.deleted,
            "can_delete_note": lambda note: policy.can(current_user, "document.note.delete", note)}


def _render_notes(document, note_form=None):
    notes = document_notes.notes_of([document.id]).get(document.id, [])
    names = people.names_for([n.author_id for n in notes], usernames=[n.author_username for n in notes])
    return render_block("documents/show.html", "notes", document=document, action_form=EmptyForm(),
                        **_notes_context(document, notes, names, note_form))


@bp.route("/<int:document_id>/notes", methods=["POST"])
def add_note(document_id):
    """Leave a note on the document page (htmx swaps the notes section; without htmx, back to the page)."""
    document = docs.get_document_for(current_user, document_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            document_notes.add_note(current_user, document, form.text.data or "")
        except ValidationFailed as exc:
            form.text.errors = [exc.message]
        else:
            if htmx:
                return _render_notes(document)
            flash(_("Đã thêm ghi chú."), "success")
            return redirect(url_for("documents.show", document_id=document.id, _anchor="notes"))
    if htmx:
        # htmx 2 swaps nothing on a 4xx answer: the section carries the refusal, so it is a 200.
        return _render_notes(document, form)
    return render_template("documents/show.html", **_show_context(document, form)), 422


@bp.route("/<int:document_id>/notes/<int:note_id>/delete", methods=["POST"])
def delete_note(document_id, note_id):
    """Remove a note (its author or the Board)."""
    document = docs.get_document_for(current_user, document_id)
    document_notes.delete_note(current_user, document_notes.get_note_for(current_user, document, note_id))
    if htmx:
        return _render_notes(document)
    flash(_("Đã xóa ghi chú."), "success")
    return redirect(url_for("documents.show", document_id=document.id, _anchor="notes"))


# --- the inbox: documents whose metadata nobody has confirmed --------------------------------------

@bp.route("/inbox")
def inbox():
    """What still needs a look, oldest first: the PDF beside the form, one key to confirm and go on."""
    policy.require(current_user, "portal.read")
    queue = docs.inbox(current_user)
    chosen = request.args.get("document", type=int)
    current = next((d for d in queue if d.id == chosen), queue[0] if queue else None)
    form = None
    if current is not None:
        form = MetadataForm(obj=current)
        _org_choices(form, document=current)
        _fill_metadata_form(form, current)
    return _render_inbox(queue, current, form)


@bp.route("/inbox/<int:document_id>", methods=["POST"])
def inbox_confirm(document_id):
    """Save the corrections (if any), confirm, and open the next document of the inbox."""
    document = docs.get_document_for(current_user, document_id, "document.write")
    form = MetadataForm()
    _org_choices(form, document=document)
    saved, conflict = _save_metadata(form, document, docs.confirm)
    if saved:
        flash(_("Đã xác nhận văn bản “%(label)s”.", label=document.label), "success")
        following = request.form.get("next", type=int)
        return redirect(url_for("documents.inbox", document=following) if following else url_for("documents.inbox"))
    queue = docs.inbox(current_user)
    return _render_inbox(queue, document, form, conflict=conflict), 409 if conflict else 422


def _save_metadata(form, document, save) -> tuple[bool, Conflict | None]:
    """Validate the metadata form and save it through `save` (update_metadata or confirm): (saved, conflict).

    Refused fields get their message on the form (a refusal naming no field is flashed); a stale version
    comes back as the conflict, the form then carrying the current version.
    """
    if not form.validate_on_submit():
        return False, None
    data = {key: getattr(form, key).data for key in docs.EDITABLE}
    try:
        save(current_user, document, data, version=form.version.data)
    except ValidationFailed as exc:
        for key, message in exc.errors.items():
            if hasattr(form, key):
                getattr(form, key).errors = [message]
        if not exc.errors:
            flash(exc.message, "error")
        return False, None
    except Conflict as exc:
        form.version.data = document.version
        return False, exc
    return True, None


def _render_inbox(queue, current, form, *, conflict=None):
    position = next((i for i, d in enumerate(queue) if current is not None and d.id == current.id), None)
    following = None
    if position is not None and len(queue) > 1:
        following = queue[(position + 1) % len(queue)]
    names = people.names_for([d.uploaded_by_id for d in queue])
    return render_template("documents/inbox.html", queue=queue, current=current, form=form, position=position,
                           following=following, total=docs.inbox_count(current_user), names=names, conflict=conflict)


def _fill_metadata_form(form, document) -> None:
    """The form's values that are not plain attributes of the document."""
    form.version.data = document.version
    form.issue_date.data = document.issue_date.strftime("%d/%m/%Y") if document.issue_date else ""
    form.year.data = str(document.year or "")
    form.bloc.data = document.bloc.code if document.bloc else ""
    form.unit.data = document.unit.code if document.unit else ""
    form.report_kind.data = document.report_kind or ""


@bp.route("/<int:document_id>/status")
def status(document_id):
    """The text-reading status block, polled while OCR waits or runs."""
    document = docs.get_document_for(current_user, document_id)
    return render_block("documents/show.html", "text_status", document=document, ocr=ocr_view(document),
                        action_form=EmptyForm())


@bp.route("/<int:document_id>/ocr", methods=["POST"])
def retry_ocr(document_id):
    """Read a scan's text again ("Nhận dạng lại") after a failure."""
    document = docs.get_document_for(current_user, document_id)
    try:
        ocr_jobs.retry_ocr(current_user, document)
    except Conflict as exc:
        if not htmx:
            flash(exc.message, "warning")
    else:
        if not htmx:
            flash(_("Đã đưa văn bản vào hàng chờ nhận dạng chữ."), "success")
    if htmx:
        return render_block("documents/show.html", "text_status", document=document, ocr=ocr_view(document),
                            action_form=EmptyForm())
    return redirect(url_for("documents.show", document_id=document.id))


# Why OCR failed, and what the reader can do about it, by `OcrFailed.reason` (and the queue's own reasons).
def _ocr_reasons() -> dict[str, tuple[str, str]]:
    again = _("Nếu vẫn lỗi, hãy bấm “Nhận dạng lại” hoặc báo quản trị hệ thống.")
    return {
        "unavailable": (_("Máy chủ chưa cài chương trình nhận dạng chữ (tesseract với gói tiếng Việt)."),
                        _("Hãy báo quản trị hệ thống cài gói tesseract-ocr-vie và poppler-utils rồi khởi động lại "
                          "trình xử lý nền (worker); văn bản sẽ được nhận dạng lại khi worker khởi động.")),
        "unreadable": (_("Không mở được tệp PDF để nhận dạng chữ (tệp bị hỏng hoặc có mật khẩu)."),
                       _("Hãy quét hoặc xuất lại tệp PDF, không đặt mật khẩu, rồi tải lên bản mới.")),
        "no_pages": (_("Tệp PDF không có trang nào để nhận dạng chữ."),
                     _("Hãy kiểm tra tệp gốc rồi tải lên lại.")),
        "timeout": (_("Nhận dạng chữ vượt quá thời gian cho phép mà chưa đọc xong trang nào."),
                    _("Máy chủ có thể đang bận. Nếu vẫn lỗi, hãy tách tệp thành nhiều phần nhỏ hơn hoặc quét ở "
                      "độ phân giải 200–300 dpi.")),
        "no_text": (_("Không nhận dạng được chữ ở trang nào (ảnh quét quá mờ, bị nghiêng hoặc không có chữ)."),
                    _("Hãy quét lại rõ hơn (200–300 dpi, trang thẳng) rồi tải lên bản mới, hoặc nhập thông tin "
                      "văn bản bằng tay.")),
        "missing_file": (_("Không tìm thấy tệp gốc của văn bản trong kho lưu trữ."),
                         _("Hãy báo quản trị hệ thống kiểm tra kho lưu trữ (lệnh check).")),
        "interrupted": (_("Việc nhận dạng chữ bị dừng giữa chừng (máy chủ khởi động lại hoặc thiếu bộ nhớ)."), again),
        "error": (_("Có lỗi không mong đợi trong lúc nhận dạng chữ."), again),
    }


def ocr_view(document) -> dict:
    """What the page says about a document's OCR: waiting, running, done (with its gaps) or failed (why, what to do)."""
    state = ocr_jobs.ocr_state(document)
    limits = ocr_jobs.ocr_limits()
    attempts = int(state.get("attempts") or 0)
    reason = state.get("reason")
    why, advice = _ocr_reasons().get(reason, (None, None)) if reason else (None, None)
    facts = state.get("facts") or {}
    notes = []
    if document.ocr_status == "done":
        failed = facts.get("failed_pages") or []
        if failed:
            notes.append(_("Không nhận dạng được chữ ở %(num)s trang (trang %(pages)s).", num=len(failed),
                           pages=", ".join(str(p) for p in failed[:10]) + ("…" if len(failed) > 10 else "")))
        if facts.get("stopped_for_time"):
            notes.append(_("Hết thời gian nhận dạng chữ: mới đọc được %(done)s/%(total)s trang. Hãy tách tệp thành "
                           "nhiều phần nhỏ hơn để đọc hết.", done=facts.get("pages_read"), total=document.page_count))
        elif facts.get("page_limit"):
            notes.append(_("Tệp có %(total)s trang; chỉ nhận dạng chữ %(limit)s trang đầu (giới hạn của cổng). "
                           "Hãy tách tệp thành nhiều phần nhỏ hơn để đọc hết.", total=document.page_count,
                           limit=facts["page_limit"]))
    waited = utcnow() - as_utc(document.updated_at) if document.updated_at else None
    return {
        "status": document.ocr_status, "attempts": attempts, "max_attempts": limits["max_attempts"],
        "reason": reason, "why": why, "advice": advice, "notes": notes,
        "will_retry": document.ocr_status == "failed" and reason in ocr_jobs.OCR_RETRYABLE
        and attempts < limits["max_attempts"],
        # Waiting much longer than one job lasts: most likely no worker runs.
        "waiting_long": document.ocr_status == "pending" and waited is not None
        and waited.total_seconds() > max(600, 2 * limits["timeout_s"]),
        "can_retry": ocr_jobs.can_retry_ocr(document)
        and policy.can(current_user, "document.ocr", document, year=document.year),
    }


@bp.route("/<int:document_id>/edit", methods=["GET", "POST"])
def edit(document_id):
    """Confirm or correct a document's metadata; a stale edit is refused with the current values."""
    document = docs.get_document_for(current_user, document_id, "document.write")
    form = MetadataForm(obj=None if request.method == "POST" else document)
    _org_choices(form, document=document)
    if request.method == "GET":
        _fill_metadata_form(form, document)
    saved, conflict = _save_metadata(form, document, docs.update_metadata)
    if saved:
        flash(_("Đã lưu thông tin văn bản."), "success")
        return redirect(url_for("documents.show", document_id=document.id))
    status = 200 if request.method == "GET" else (409 if conflict else 422)
    return render_template("documents/edit.html", form=form, document=document, conflict=conflict), status


@bp.route("/<int:document_id>/delete", methods=["POST"])
def delete(document_id):
    """Move a document to the trash."""
    document = docs.get_document_for(current_user, document_id, "document.write")
    docs.delete(current_user, document)
    flash(_("Đã chuyển văn bản vào thùng rác. Ban TĐKT có thể khôi phục."), "success")
    if htmx:
        return "", 200
    return redirect(url_for("documents.index"))


@bp.route("/trash")
def trash():
    """The Board's trash: restore or purge."""
    policy.require(current_user, "document.trash")
    filters = _filters_from_args(trash=True)
    return render_template("documents/trash.html", result=docs.list_documents(filters), action_form=EmptyForm())


@bp.route("/<int:document_id>/restore", methods=["POST"])
def restore(document_id):
    """Bring a document back from the trash."""
    document = docs.get_document_for(current_user, document_id, "document.trash")
    docs.restore(current_user, document)
    flash(_("Đã khôi phục văn bản “%(title)s”.", title=document.display_title), "success")
    return redirect(url_for("documents.trash"))


@bp.route("/<int:document_id>/purge", methods=["POST"])
def purge(document_id):
    """Delete a trashed document for good (separate from delete, audited)."""
    document = docs.get_document_for(current_user, document_id, "document.purge")
    if request.form.get("confirm") != "1":
        abort(400)
    docs.purge(current_user, document)
    flash(_("Đã xóa vĩnh viễn văn bản."), "success")
    return redirect(url_for("documents.trash"))


@bp.route("/<int:document_id>/file")
def file(document_id):
    """Serve the original bytes: a download, or inline for the viewer on the document page."""
    document = docs.get_document_for(current_user, document_id)
    inline = request.args.get("inline") == "1"
    response = send_file(docs.original_file(document), mimetype="application/pdf", as_attachment=not inline,
                         download_name=document.original_name, conditional=True, etag=document.sha256)
    response.headers["Content-Disposition"] = content_disposition(document.original_name, inline=inline)
    response.headers["Content-Security-Policy"] = INLINE_PDF_CSP if inline else DOWNLOAD_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN" if inline else "DENY"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "private, no-cache"
    return response
