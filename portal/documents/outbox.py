"""The index outbox's write side: one row per change for search to apply, and the signal after commit.

Search (and anything else derived) listens to `outbox_written`; the archive never imports search (DESIGN §3).
"""
from blinker import Namespace

from portal.documents.models import IndexOutbox
from portal.extensions import db

signals = Namespace()
outbox_written = signals.signal("documents-outbox-written")


def record_index_update(document_id: int, action: str) -> None:
    """Queue the document for the index in the caller's transaction (so the change and its index row commit together)."""
    db.session.add(IndexOutbox(document_id=document_id, action=action))
