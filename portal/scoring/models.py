"""Scoring: a bloc-year's criteria table, each unit's scorecard and scores, results and thresholds.

Points are `Numeric(7, 2)`: exact decimals in PostgreSQL; in SQLite they round-trip exactly for
the two decimal places the rules allow (SQLAlchemy quantizes on the way out). Versions of scores,
tables and thresholds are bumped by the services with `UPDATE … WHERE version = :v`, so the check
against a lost update happens atomically in the database.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.org.models import Bloc, Unit
from portal.text import to_local, utcnow, vi_key

POINTS = sa.Numeric(7, 2)
TOTAL = sa.Numeric(9, 2)
KINDS = ("scored", "bonus", "deduction")
STAGES = ("self", "bloc", "appraisal")
STATUSES = ("draft", "submitted", "appraised", "final")


class CriteriaTable(db.Model):
    """A bloc-year's scoring table (thang bảng điểm), and the status of that bloc-year's results."""

    __tablename__ = "criteria_table"
    __table_args__ = (
        sa.UniqueConstraint("bloc_id", "year", name="uq_criteria_table_bloc_year"),
        sa.CheckConstraint("status IN ('draft', 'submitted', 'appraised', 'final')", name="status"),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bloc_id: Mapped[int] = mapped_column(sa.ForeignKey("bloc.id"), index=True)
    year: Mapped[int] = mapped_column(index=True)
    # Results of the bloc-year: draft → submitted (leader) → appraised (Board) → final (council).
    status: Mapped[str] = mapped_column(sa.String(10), default="draft")
    locked: Mapped[bool] = mapped_column(default=False)
    locked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    # The table's score feed: every score write takes the next number (score.seq), so a live sheet asks
    # for "what changed since n" exactly; the row lock orders the numbers as the writes commit.
    score_seq: Mapped[int] = mapped_column(default=0, server_default="0")

    bloc: Mapped[Bloc] = relationship()
    criteria: Mapped[list[Criterion]] = relationship(back_populates="table", order_by="Criterion.position",
                                                     cascade="all, delete-orphan", passive_deletes=True)

    @property
    def key(self) -> str:
        """The table's name in the audit log: bloc code and year, e.g. `K1-2026`."""
        return f"{self.bloc.code}-{self.year}"

    def __repr__(self) -> str:
        return f"<CriteriaTable {self.bloc_id}/{self.year} {self.status}>"


class Criterion(db.Model):
    """One line of a criteria table: a scored item, a bonus or a deduction, inside a group or not."""

    __tablename__ = "criterion"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('scored', 'bonus', 'deduction')", name="kind"),
        sa.CheckConstraint("max_points > 0", name="max_points"),
        sa.Index("ix_criterion_table_position", "table_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria_table.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    group: Mapped[str] = mapped_column(sa.String(300), default="")
    title: Mapped[str] = mapped_column(sa.String(1000))
    max_points: Mapped[Decimal] = mapped_column(POINTS)
    kind: Mapped[str] = mapped_column(sa.String(10), default="scored")
    guidance: Mapped[str] = mapped_column(sa.Text, default="")

    table: Mapped[CriteriaTable] = relationship(back_populates="criteria")

    def to_dict(self) -> dict:
        from portal.scoring.rules import format_points

        return {"id": self.id, "group": self.group, "title": self.title, "max_points": format_points(self.max_points),
                "kind": self.kind, "guidance": self.guidance}

    def __repr__(self) -> str:
        return f"<Criterion {self.id} {self.title[:30]!r}>"


class Scorecard(db.Model):
    """One unit's scores in a bloc-year, all stages; the self-score is submitted once, by the unit."""

    __tablename__ = "scorecard"
    __table_args__ = (sa.UniqueConstraint("table_id", "unit_id", name="uq_scorecard_table_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria_table.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    self_submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    self_submitted_by: Mapped[str | None] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    table: Mapped[CriteriaTable] = relationship()
    unit: Mapped[Unit] = relationship()

    # The policy module reads these (duck typing: it never imports scoring).
    @property
    def bloc_id(self) -> int:
        return self.table.bloc_id

    @property
    def year(self) -> int:
        return self.table.year

    def __repr__(self) -> str:
        return f"<Scorecard {self.id} unit={self.unit_id}>"


class Score(db.Model):
    """Points of one criterion at one stage for one scorecard; never-set scores have no row (version 0)."""

    __tablename__ = "score"
    __table_args__ = (
        sa.UniqueConstraint("scorecard_id", "criterion_id", "stage", name="uq_score_cell"),
        sa.CheckConstraint("stage IN ('self', 'bloc', 'appraisal')", name="stage"),
        sa.CheckConstraint("points IS NULL OR points >= 0", name="points"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(sa.ForeignKey("scorecard.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("criterion.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(sa.String(10))
    points: Mapped[Decimal | None] = mapped_column(POINTS)
    note: Mapped[str] = mapped_column(sa.String(2000), default="")
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    updated_by: Mapped[str] = mapped_column(sa.String(80), default="system")
    seq: Mapped[int] = mapped_column(default=0, server_default="0", index=True)  # criteria_table.score_seq when written

    def __repr__(self) -> str:
        return f"<Score {self.scorecard_id}/{self.criterion_id}/{self.stage} {self.points} v{self.version}>"


class Result(db.Model):
    """A unit's line of the bloc-year's results, stored at every status change and flag decision."""

    __tablename__ = "result"

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(sa.ForeignKey("scorecard.id", ondelete="CASCADE"), unique=True)
    total_self: Mapped[Decimal | None] = mapped_column(TOTAL)
    total_bloc: Mapped[Decimal | None] = mapped_column(TOTAL)
    total_appraisal: Mapped[Decimal | None] = mapped_column(TOTAL)
    effective_total: Mapped[Decimal | None] = mapped_column(TOTAL)
    rank: Mapped[int | None] = mapped_column()
    tie: Mapped[bool] = mapped_column(default=False)
    classification: Mapped[str | None] = mapped_column(sa.String(20))
    # co_ubnd_tinh / co_chinh_phu / None: the proposal after appraisal, then the Board's and council's decisions.
    flag: Mapped[str | None] = mapped_column(sa.String(20))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    scorecard: Mapped[Scorecard] = relationship()


class ScoringThresholds(db.Model):
    """A year's classification thresholds (xuất sắc, tốt, hoàn thành), set by the Board."""

    __tablename__ = "scoring_thresholds"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    excellent: Mapped[Decimal] = mapped_column(POINTS)
    good: Mapped[Decimal] = mapped_column(POINTS)
    completed: Mapped[Decimal] = mapped_column(POINTS)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


# Units present at a bloc meeting: a join table rather than a JSON list, because the project stores no JSON
# columns, the foreign keys keep the attendance pointing at real units, and one IN query loads them.
bloc_meeting_unit = sa.Table(
    "bloc_meeting_unit", db.metadata,
    sa.Column("meeting_id", sa.ForeignKey("bloc_meeting.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("unit_id", sa.ForeignKey("unit.id"), primary_key=True, index=True),
)


class BlocMeeting(db.Model):
    """A bloc's year-end meeting (họp Khối): its details and its proposal of next year's leader and deputy.

    The proposal is for year + 1; the Board's confirmation writes it into that year's memberships.
    """

    __tablename__ = "bloc_meeting"
    __table_args__ = (
        sa.UniqueConstraint("bloc_id", "year", name="uq_bloc_meeting_bloc_year"),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bloc_id: Mapped[int] = mapped_column(sa.ForeignKey("bloc.id"), index=True)
    year: Mapped[int] = mapped_column(index=True)
    # Stored in UTC like every datetime here (SQLite gives it back naive); `held_at` reads it in local time.
    held_at_utc: Mapped[datetime | None] = mapped_column("held_at", sa.DateTime(timezone=True))
    place: Mapped[str] = mapped_column(sa.String(300), default="")
    chair: Mapped[str] = mapped_column(sa.String(300), default="")  # name and title
    secretary: Mapped[str] = mapped_column(sa.String(300), default="")
    content: Mapped[str] = mapped_column(sa.Text, default="")
    next_leader_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))
    next_deputy_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))
    leadership_note: Mapped[str] = mapped_column(sa.String(2000), default="")
    proposed_by: Mapped[str | None] = mapped_column(sa.String(80))
    proposed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    confirmed_by: Mapped[str | None] = mapped_column(sa.String(80))
    confirmed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(sa.String(80), default="system")
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    bloc: Mapped[Bloc] = relationship()
    attendees: Mapped[list[Unit]] = relationship(secondary=bloc_meeting_unit)
    next_leader: Mapped[Unit | None] = relationship(foreign_keys=[next_leader_unit_id])
    next_deputy: Mapped[Unit | None] = relationship(foreign_keys=[next_deputy_unit_id])

    @property
    def held_at(self) -> datetime | None:
        """When the meeting was held, aware, in Asia/Ho_Chi_Minh."""
        return to_local(self.held_at_utc) if self.held_at_utc else None

    @property
    def present_units(self) -> list[Unit]:
        """The units present, in Vietnamese order of their names."""
        return sorted(self.attendees, key=lambda u: vi_key(u.name))

    @property
    def key(self) -> str:
        """The meeting's name in the audit log: bloc code and year, e.g. `K1-2026`."""
        return f"{self.bloc.code}-{self.year}"

    def __repr__(self) -> str:
        return f"<BlocMeeting {self.bloc_id}/{self.year} v{self.version}>"
