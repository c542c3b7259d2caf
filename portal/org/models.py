"""The province's organisation: units, blocs, and each year's memberships."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.text import utcnow

UNIT_KINDS = ("so_nganh", "dia_phuong", "doanh_nghiep", "doan_the", "khac")
ROLES = ("leader", "deputy", "member")


class Unit(db.Model):
    """A member unit: a department, a district or town, an enterprise, a mass organisation."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    short_name: Mapped[str] = mapped_column(sa.String(80), default="")
    kind: Mapped[str] = mapped_column(sa.String(20), default="khac")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    memberships: Mapped[list[Membership]] = relationship(back_populates="unit")

    __mapper_args__ = {"version_id_col": version}

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "short_name": self.short_name, "kind": self.kind, "active": self.active}

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class Bloc(db.Model):
    """An emulation bloc (Khối thi đua): a standing group of comparable units."""

    __tablename__ = "bloc"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    memberships: Mapped[list[Membership]] = relationship(back_populates="bloc")

    __mapper_args__ = {"version_id_col": version}

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "active": self.active}

    def __repr__(self) -> str:
        return f"<Bloc {self.code}>"


class Membership(db.Model):
    """A unit's place in a bloc for one year: leader (Trưởng khối), deputy (Phó) or member."""

    __tablename__ = "membership"
    __table_args__ = (
        # One bloc per unit per year; one leader and one deputy per bloc-year (partial unique indexes
        # back up the service's validation, so even a direct write cannot make two leaders).
        sa.UniqueConstraint("unit_id", "year", name="uq_membership_unit_year"),
        sa.Index(
            "uq_membership_leader", "bloc_id", "year", unique=True,
            sqlite_where=sa.text("role = 'leader'"), postgresql_where=sa.text("role = 'leader'"),
        ),
        sa.Index(
            "uq_membership_deputy", "bloc_id", "year", unique=True,
            sqlite_where=sa.text("role = 'deputy'"), postgresql_where=sa.text("role = 'deputy'"),
        ),
        sa.CheckConstraint("role IN ('leader', 'deputy', 'member')", name="role"),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    bloc_id: Mapped[int] = mapped_column(sa.ForeignKey("bloc.id"), index=True)
    year: Mapped[int] = mapped_column(index=True)
    role: Mapped[str] = mapped_column(sa.String(10), default="member")

    unit: Mapped[Unit] = relationship(back_populates="memberships")
    bloc: Mapped[Bloc] = relationship(back_populates="memberships")

    def __repr__(self) -> str:
        return f"<Membership {self.year} {self.unit_id}->{self.bloc_id} {self.role}>"
