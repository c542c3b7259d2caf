"""A year's schedule: its milestones, and the hand check-offs of a milestone for a bloc or a unit."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.documents.models import Document
from portal.extensions import db
from portal.org.models import Bloc, Unit
from portal.text import utcnow

SCOPES = ("bloc", "unit", "board", "council")
RESPONSIBLES = ("leader", "member", "board", "council")


class Milestone(db.Model):
    """One step of a year's schedule: a window, who does it, and the document type that proves it."""

    __tablename__ = "milestone"
    __table_args__ = (
        sa.UniqueConstraint("year", "seq", name="uq_milestone_year_seq"),
        sa.CheckConstraint("scope IN ('bloc', 'unit', 'board', 'council')", name="scope"),
        sa.CheckConstraint("responsible IN ('leader', 'member', 'board', 'council')", name="responsible"),
        sa.CheckConstraint("starts_on IS NULL OR starts_on <= due_on", name="window"),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    seq: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(300))
    starts_on: Mapped[date | None] = mapped_column(sa.Date)  # None: open start
    due_on: Mapped[date] = mapped_column(sa.Date)
    scope: Mapped[str] = mapped_column(sa.String(10), default="bloc")
    responsible: Mapped[str] = mapped_column(sa.String(10), default="leader")
    # A document type code, or BC-SK / BC-TK for the 6-month / year-end report; None: checked by hand only.
    evidence_type: Mapped[str | None] = mapped_column(sa.String(8))
    source_document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("document.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    source_document: Mapped[Document | None] = relationship()
    checks: Mapped[list[MilestoneCheck]] = relationship(back_populates="milestone", cascade="all, delete-orphan",
                                                        passive_deletes=True)

    def to_dict(self) -> dict:
        return {
            "seq": self.seq, "title": self.title,
            "starts_on": self.starts_on.isoformat() if self.starts_on else None,
            "due_on": self.due_on.isoformat(), "scope": self.scope, "responsible": self.responsible,
            "evidence_type": self.evidence_type,
        }

    def __repr__(self) -> str:
        return f"<Milestone {self.year}#{self.seq} {self.title[:30]}>"


class MilestoneCheck(db.Model):
    """A milestone checked off by hand for a bloc (or one unit of it), with who, when and why."""

    __tablename__ = "milestone_check"
    __table_args__ = (
        # One check-off per bloc cell and one per unit cell; partial indexes because unit_id may be NULL.
        sa.Index("uq_milestone_check_bloc", "milestone_id", "bloc_id", unique=True,
                 sqlite_where=sa.text("unit_id IS NULL"), postgresql_where=sa.text("unit_id IS NULL")),
        sa.Index("uq_milestone_check_unit", "milestone_id", "unit_id", unique=True,
                 sqlite_where=sa.text("unit_id IS NOT NULL"), postgresql_where=sa.text("unit_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(sa.ForeignKey("milestone.id", ondelete="CASCADE"), index=True)
    bloc_id: Mapped[int] = mapped_column(sa.ForeignKey("bloc.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))
    done_on: Mapped[date] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.String(500))
    # Kept by id and by name so the record survives a renamed or removed account.
    checked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    checked_by_name: Mapped[str] = mapped_column(sa.String(200), default="system")
    checked_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    milestone: Mapped[Milestone] = relationship(back_populates="checks")
    bloc: Mapped[Bloc] = relationship()
    unit: Mapped[Unit | None] = relationship()
    checked_by: Mapped[User | None] = relationship()

    def to_dict(self) -> dict:
        return {"done_on": self.done_on.isoformat(), "note": self.note, "checked_by": self.checked_by_name,
                "checked_at": self.checked_at.isoformat() if self.checked_at else None}
