"""Notes on documents: short remarks officials leave on a document (audited, indexed with it, DESIGN §4.1)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from portal import audit, people
from portal.auth import policy
from portal.db import row_id
from portal.documents.models import Document, DocumentNote
from portal.documents.outbox import outbox_written, record_index_update
from portal.errors import Conflict, NotFound, ValidationFailed, control_message
from portal.extensions import db
from portal.text import UnsafeText, check_plain_text

NOTE_MAX = 2000


def add_note(actor, document: Document, text) -> DocumentNote:
    """Leave a note on a document (audited, and indexed with the document so search finds it)."""
    policy.require(actor, "document.note", document, year=document.year)
    if document.deleted:
        raise Conflict(_("Văn bản đang ở thùng rác; không thêm ghi chú được."))
    if not isinstance(text, str):
        raise ValidationFailed(_("Ghi chú phải là một đoạn chữ."), errors={"text": _("Bắt buộc.")})
    try:
        text = check_plain_text(text, multiline=True).strip()
    except UnsafeText as exc:
        message = control_message(exc, _("Ghi chú"))
        raise ValidationFailed(message, errors={"text": message}) from None
    if not text:
        raise ValidationFailed(_("Ghi chú đang để trống; chưa lưu."), errors={"text": _("Bắt buộc.")})
    if len(text) > NOTE_MAX:
        raise ValidationFailed(_("Ghi chú dài tối đa %(n)s ký tự; chưa lưu.", n=NOTE_MAX),
                               errors={"text": _("Dài tối đa %(n)s ký tự.", n=NOTE_MAX)})
    note = DocumentNote(document=document, text=text, author_id=getattr(actor, "id", None),
                        author_username=getattr(actor, "username", None) or people.SYSTEM)
    db.session.add(note)
    db.session.flush()
    record_index_update(document.id, "index")
    audit.record(actor, "note.add", "document", document.id, after={"note": note.id, "text": text},
                 summary=f"Ghi chú vào văn bản {document.label}")
    db.session.commit()
    outbox_written.send(current_app._get_current_object())
    return note


def get_note_for(user, document: Document, note_id, action: str = "document.note.delete") -> DocumentNote:
    """A note of this document, with the user's right on it checked (NotFound, Forbidden)."""
    note_id = row_id(note_id)
    note = db.session.get(DocumentNote, note_id) if note_id is not None else None
    if note is None or note.document_id != document.id:
        raise NotFound(_("Không tìm thấy ghi chú."))
    policy.require(user, action, note)
    return note


def delete_note(actor, note: DocumentNote) -> None:
    """Remove a note (its author or the Board; audited with its text, so nothing is lost silently)."""
    document = note.document
    snapshot = {"note": note.id, "text": note.text, "author": note.author_username,
                "created_at": note.created_at.isoformat() if note.created_at else None}
    db.session.delete(note)
    record_index_update(document.id, "index")
    audit.record(actor, "note.delete", "document", document.id, before=snapshot,
                 summary=f"Xóa ghi chú của văn bản {document.label}")
    db.session.commit()
    outbox_written.send(current_app._get_current_object())


def notes_of(document_ids: list[int]) -> dict[int, list[DocumentNote]]:
    """The notes of these documents, oldest first, in one query."""
    found: dict[int, list[DocumentNote]] = {}
    if document_ids:
        for note in db.session.scalars(sa.select(DocumentNote).where(DocumentNote.document_id.in_(document_ids))
                                       .order_by(DocumentNote.created_at, DocumentNote.id)):
            found.setdefault(note.document_id, []).append(note)
    return found


def note_dict(note: DocumentNote, names: people.Names | None = None) -> dict:
    """The API's view of a note: `{id, text, author, created_at}` (author: the username; author_name: as pages show it)."""
    names = names if names is not None else people.names_for([note.author_id], usernames=[note.author_username])
    return {"id": note.id, "text": note.text, "author": note.author_username,
            "author_name": names.of(note.author_id, note.author_username),
            "created_at": note.created_at.isoformat() if note.created_at else None}


def note_dicts(notes: dict[int, list[DocumentNote]]) -> dict[int, list[dict]]:
    """The API's view of many documents' notes, their authors' names in one query."""
    every = [n for rows in notes.values() for n in rows]
    names = people.names_for([n.author_id for n in every], usernames=[n.author_username for n in every])
    return {doc_id: [note_dict(n, names) for n in rows] for doc_id, rows in notes.items()}
