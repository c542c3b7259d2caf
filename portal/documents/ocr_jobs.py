"""OCR of scanned documents as queue jobs: claim, read, store, fail, retry, and put back what was left behind.

ocr_status: pending (waiting for a worker) → running (a worker claimed it) → done | failed.
A worker claims a document with one conditional UPDATE (pending → running), so two workers never
read the same scan at once; `requeue_ocr` (periodic, and at worker start) puts back what was left
behind: pending documents no queued task will reach, running ones whose worker died, failed ones
with attempts left. The state of the attempts lives in `detected["ocr"]` (no schema change):
{attempts, token, worker, started_at, reason, detail, failed_at, facts}.
"""
from __future__ import annotations

import os
import secrets
import socket
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from portal import audit
from portal.auth import policy
from portal.documents.models import Document
from portal.documents.reader import read_metadata
from portal.documents.services import (
    metadata_dict,
    number_key,
    original_file,
    outbox_written,
    queue_ocr,
    record_index_update,
    set_citations,
    strip_nul,
    type_code,
)
from portal.documents.textlayer import assess_text_layer
from portal.errors import Conflict, NotFound
from portal.extensions import db
from portal.text import utcnow

# Failures worth trying again by themselves: the machine may be less busy, the worker restarted,
# tesseract installed meanwhile. The others (damaged file, no page, nothing readable) need a person.
OCR_RETRYABLE = ("timeout", "error", "interrupted", "unavailable")


def ocr_state(document: Document) -> dict:
    """The OCR attempt record of a document (empty before the first attempt)."""
    return dict((document.detected or {}).get("ocr") or {})


def ocr_limits() -> dict:
    """Attempts and delays of the OCR queue, from the config (PORTAL_OCR_*)."""
    cfg = current_app.config
    return {
        "max_attempts": int(cfg.get("PORTAL_OCR_MAX_ATTEMPTS", 3)),
        # Longer than one OCR job may last (ocr_pdf stops itself at PORTAL_OCR_TIMEOUT_S), so a
        # document still running after it has lost its worker.
        "stale": timedelta(minutes=float(cfg.get("PORTAL_OCR_STALE_MINUTES", 30))),
        "retry_after": timedelta(minutes=float(cfg.get("PORTAL_OCR_RETRY_MINUTES", 10))),
        "timeout_s": float(cfg.get("PORTAL_OCR_TIMEOUT_S", 300)),
        "max_pages": int(cfg.get("PORTAL_OCR_MAX_PAGES", 200)),
    }


def _with_ocr_state(document: Document, **changes) -> dict:
    detected = dict(document.detected or {})
    detected["ocr"] = {**ocr_state(document), **changes}
    return detected


def _set_ocr_status(document: Document, from_status: str, to_status: str, *, detected: dict,
                    changed_before=None, commit: bool = True) -> bool:
    """Move one document from one OCR status to another if nobody moved it first (a conditional UPDATE).

    Not an ORM flush: the status is not metadata, so it neither bumps `version` (an edit form open
    meanwhile stays valid) nor races with one.
    """
    stmt = sa.update(Document).where(Document.id == document.id, Document.ocr_status == from_status)
    if changed_before is not None:
        stmt = stmt.where(Document.updated_at < changed_before)
    result = db.session.execute(stmt.values(ocr_status=to_status, detected=detected, updated_at=utcnow())
                                .execution_options(synchronize_session=False))
    if commit:
        db.session.commit()
    return result.rowcount == 1


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _worker_gone(worker: str | None) -> bool:
    """True when the worker that claimed a document was a process of this machine that no longer runs."""
    host, _sep, pid = (worker or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def apply_ocr(document_id: int) -> str:
    """Read a scanned document's text by OCR and store it (run by the task queue); returns what happened."""
    from portal.documents.ocr import OcrFailed, ocr_pdf

    document = db.session.get(Document, document_id)
    if document is None or document.ocr_status != "pending":
        return "skipped"  # done, or another worker has it
    token = secrets.token_hex(8)
    attempts = int(ocr_state(document).get("attempts") or 0) + 1
    claim = _with_ocr_state(document, attempts=attempts, token=token, worker=_worker_id(),
                            started_at=utcnow().isoformat(), reason=None, detail=None, failed_at=None)
    if not _set_ocr_status(document, "pending", "running", detected=claim):
        return "skipped"
    limits = ocr_limits()
    try:
        result = ocr_pdf(original_file(document), max_pages=limits["max_pages"], timeout_s=limits["timeout_s"])
    except (OcrFailed, NotFound) as exc:
        reason = getattr(exc, "reason", "missing_file")
        return _ocr_failed(document_id, token, reason, str(getattr(exc, "message", exc)), getattr(exc, "detail", None))
    except Exception as exc:  # noqa: BLE001  (any crash of the job is a failed attempt, not a document stuck "running")
        current_app.logger.exception("OCR of document %s crashed", document_id)
        db.session.rollback()
        return _ocr_failed(document_id, token, "error", "Lỗi không mong đợi khi nhận dạng chữ.", repr(exc)[:300])
    for _attempt in range(3):
        try:
            return _store_ocr_result(document_id, token, result)
        except StaleDataError:
            db.session.rollback()  # someone saved the metadata meanwhile: apply the result to their version
    return _ocr_failed(document_id, token, "error", "Lỗi không mong đợi khi nhận dạng chữ.", "stale data")


def _owned(document_id: int, token: str) -> Document | None:
    """The document, fresh, if this attempt still holds it (a requeue may have handed it to another)."""
    db.session.expire_all()
    document = db.session.get(Document, document_id)
    if document is None or document.ocr_status != "running" or ocr_state(document).get("token") != token:
        current_app.logger.warning("OCR of document %s: result dropped, the document was handed over", document_id)
        return None
    return document


def _ocr_failed(document_id: int, token: str, reason: str, message: str, detail: str | None) -> str:
    document = _owned(document_id, token)
    if document is None:
        return "skipped"
    detected = _with_ocr_state(document, reason=reason, detail=(detail or message)[:500], failed_at=utcnow().isoformat())
    detected["warnings"] = list(detected.get("warnings") or []) + [message]
    _set_ocr_status(document, "running", "failed", detected=detected)
    current_app.logger.info("OCR of document %s failed (%s): %s", document_id, reason, detail or message)
    return "failed"


def _store_ocr_result(document_id: int, token: str, result) -> str:
    document = _owned(document_id, token)
    if document is None:
        return "skipped"
    state = {**ocr_state(document), "facts": {"failed_pages": result.failed_pages[:50],
                                               "stopped_for_time": result.stopped_for_time,
                                               "page_limit": result.page_limit, "pages_read": len(result.pages_text)}}
    text = strip_nul(result.text)
    document.text = text
    document.text_source = "ocr" if text.strip() else "none"
    document.text_quality = assess_text_layer(text, document.page_count).status
    document.ocr_status = "done"
    meta = read_metadata(text) if text.strip() else None
    detected = dict(document.detected or {})
    if meta is not None:
        detected = metadata_dict(meta)
        detected["warnings"] = list(result.warnings) + list(meta.warnings)
        if not document.metadata_confirmed:
            # Nobody has confirmed the metadata yet: fill the gaps from what OCR could read.
            for key in ("number", "issuer", "signer", "signer_title", "title"):
                if not getattr(document, key) and detected.get(key):
                    setattr(document, key, detected[key])
            document.number_key = number_key(document.number)
            if document.issue_date is None and detected.get("issue_date"):
                document.issue_date = date.fromisoformat(detected["issue_date"])
            if document.type == "OTHER" and detected.get("type"):
                document.type = type_code(detected["type"]) or "OTHER"
            set_citations(document, detected.get("citations") or [])
    detected["ocr"] = state
    document.detected = detected
    record_index_update(document.id, "index")
    audit.record(None, "ocr", "document", document.id, summary=f"Nhận dạng chữ (OCR) văn bản {document.label}")
    db.session.commit()
    outbox_written.send(current_app._get_current_object())
    return "done"


def retry_ocr(actor, document: Document) -> Document:
    """Read a scan again from the start (the "Nhận dạng lại" button): attempts counted afresh."""
    policy.require(actor, "document.ocr", document, year=document.year)
    if not can_retry_ocr(document):
        raise Conflict(_("Văn bản này đang chờ hoặc đang được nhận dạng chữ; không cần nhận dạng lại."),
                       current={"ocr_status": document.ocr_status})
    detected = _with_ocr_state(document, attempts=0, reason=None, detail=None, failed_at=None,
                               requested_by=getattr(actor, "username", None))
    if not _set_ocr_status(document, document.ocr_status, "pending", detected=detected, commit=False):
        db.session.rollback()
        raise Conflict(_("Trạng thái nhận dạng chữ vừa thay đổi; hãy tải lại trang."),
                       current={"ocr_status": document.ocr_status})
    audit.record(actor, "ocr_retry", "document", document.id, summary=f"Yêu cầu nhận dạng lại văn bản {document.label}")
    db.session.commit()
    db.session.refresh(document)
    queue_ocr(document.id)
    return document


def can_retry_ocr(document: Document) -> bool:
    """A failed OCR, or one that read no text at all, may be started again by hand."""
    return document.ocr_status == "failed" or (document.ocr_status == "done" and document.text_source == "none")


def requeue_ocr(*, at_start: bool = False) -> list[int]:
    """Queue again the OCR of documents left behind; returns their ids.

    Pending documents no queued task will reach (the worker was down, the queue lost), running ones
    whose worker died (its process is gone, or it has run past the stale limit), failed ones whose
    reason may pass with attempts left. At a worker's start a missing tesseract is tried again
    whatever the attempts (it may just have been installed).
    """
    limits = ocr_limits()
    now = utcnow()
    queued = _queued_ocr_ids()
    again: list[int] = []
    documents = db.session.scalars(sa.select(Document).where(Document.ocr_status.in_(("pending", "running", "failed")))
                                   .order_by(Document.id)).all()
    for document in documents:
        state = ocr_state(document)
        attempts = int(state.get("attempts") or 0)
        if document.ocr_status == "pending":
            if document.id not in queued:
                again.append(document.id)
        elif document.ocr_status == "running":
            cutoff = now if _worker_gone(state.get("worker")) else now - limits["stale"]
            if attempts >= limits["max_attempts"]:
                detected = _with_ocr_state(document, reason="interrupted", failed_at=now.isoformat(),
                                           detail="the worker stopped during OCR")
                _set_ocr_status(document, "running", "failed", detected=detected, changed_before=cutoff)
            elif _set_ocr_status(document, "running", "pending", detected=_with_ocr_state(document, reason="interrupted"),
                                 changed_before=cutoff):
                again.append(document.id)
        elif state.get("reason") in OCR_RETRYABLE:
            fresh_start = at_start and state.get("reason") == "unavailable"
            if (attempts < limits["max_attempts"] or fresh_start) and _set_ocr_status(
                    document, "failed", "pending", detected=document.detected or {},
                    changed_before=now if fresh_start else now - limits["retry_after"]):
                again.append(document.id)
    for document_id in again:
        queue_ocr(document_id)
    if again:
        current_app.logger.info("OCR queued again for %d document(s): %s", len(again), again[:20])
    return again


def _queued_ocr_ids() -> set[int]:
    """Documents whose OCR task is already waiting in the queue (so it is not queued twice)."""
    from portal.documents.tasks import ocr_document
    from portal.tasks import huey

    if huey.immediate:
        return set()
    name = huey._registry.task_to_string(ocr_document.task_class)
    ids = set()
    for task in list(huey.pending()) + list(huey.scheduled()):
        if huey._registry.task_to_string(type(task)) == name and task.args:
            ids.add(task.args[0])
    return ids
