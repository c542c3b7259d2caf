"""Audit trail: who did what to which object, with the state before and after."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.text import utcnow


class AuditEvent(db.Model):
    """One recorded change; never updated or deleted by the portal."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    # The actor is kept by id and by name so the trail survives a renamed or removed account.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    actor_name: Mapped[str] = mapped_column(sa.String(80), default="system")
    action: Mapped[str] = mapped_column(sa.String(40))
    object_type: Mapped[str] = mapped_column(sa.String(40), index=True)
    object_id: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    summary: Mapped[str] = mapped_column(sa.String(300), default="")
    before: Mapped[Any | None] = mapped_column(sa.JSON)
    after: Mapped[Any | None] = mapped_column(sa.JSON)

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.object_type}:{self.object_id}>"


def record(actor, action: str, obj_type: str, obj_id, *, before=None, after=None, summary: str = "") -> AuditEvent:
    """Add an audit event to the current transaction (committed with the change it describes)."""
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", None) or "system",
        action=action,
        object_type=obj_type,
        object_id=None if obj_id is None else str(obj_id),
        summary=summary[:300],
        before=before,
        after=after,
    )
    db.session.add(event)
    return event


def events_for(obj_type: str, obj_id=None, *, limit: int = 100) -> list[AuditEvent]:
    """Return the newest audit events for one object (or one kind of object)."""
    query = sa.select(AuditEvent).where(AuditEvent.object_type == obj_type)
    if obj_id is not None:
        query = query.where(AuditEvent.object_id == str(obj_id))
    return list(db.session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)))


def recent(object_types: tuple[str, ...], *, limit: int = 200) -> list[AuditEvent]:
    """Return the newest audit events for several kinds of object."""
    query = sa.select(AuditEvent).where(AuditEvent.object_type.in_(object_types))
    return list(db.session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)))
