"""Documents (văn bản) of the archive, the numbers they cite, and the outbox of index updates."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from portal.auth.models import User
from portal.extensions import db
from portal.org.models import Bloc, Unit
from portal.text import utcnow

# DESIGN §4 document type codes, with their Vietnamese names.
DOCUMENT_TYPES = {
    "CT": "Chỉ thị", "KH": "Kế hoạch", "GU": "Giao ước thi đua", "TC": "Tiêu chí, bảng điểm", "BC": "Báo cáo",
    "BB": "Biên bản", "QĐ": "Quyết định", "TB": "Thông báo", "TTr": "Tờ trình", "CV": "Công văn",
    "NQ": "Nghị quyết", "NĐ": "Nghị định", "HD": "Hướng dẫn", "OTHER": "Văn bản khác",
}
REPORT_KINDS = {"so_ket": "Sơ kết", "tong_ket": "Tổng kết"}
TEXT_SOURCES = ("text", "ocr", "none")


class Document(db.Model):
    """One archived document: its metadata, its extracted text, and its original file (never modified)."""

    __tablename__ = "document"
    __table_args__ = (
        sa.Index("ix_document_year_type", "year", "type"),
        sa.Index("ix_document_listing", "deleted_at", "issue_date"),
        # The inbox: live documents nobody has confirmed yet, oldest first (migration 0009).
        sa.Index("ix_document_inbox", "metadata_confirmed", "deleted_at", "uploaded_at"),
        # The archive list at 100,000 documents (issue 14, migration 0011): partial indexes on the live
        # documents, one per sort and per filter-and-sort pair, so a page and its count read a few index
        # entries instead of sorting the table. Walked backwards for the newest-first sorts. The title ones
        # are (title COLLATE vi / "vi-x-icu", id) in the database: the migration adds the collation, which
        # autogenerate cannot see and create_all (tests) leaves out.
        *(sa.Index(f"ix_document_live_{name}", *columns, "id", sqlite_where=sa.text("deleted_at IS NULL"),
                   postgresql_where=sa.text("deleted_at IS NULL"))
          for name, columns in (
              ("date", ("issue_date",)), ("title", ("title",)), ("number", ("number_key",)),
              ("uploaded", ("uploaded_at",)), ("year_date", ("year", "issue_date")), ("year_title", ("year", "title")),
              ("year_number", ("year", "number_key")), ("year_uploaded", ("year", "uploaded_at")),
              ("type_date", ("type", "issue_date")), ("bloc_date", ("bloc_id", "issue_date")),
              ("unit_date", ("unit_id", "issue_date")), ("issuer_date", ("issuer", "issue_date")))),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(8), default="OTHER", index=True)
    report_kind: Mapped[str | None] = mapped_column(sa.String(10))
    number: Mapped[str | None] = mapped_column(sa.String(80))
    # The number folded for matching ("27/kh-ubnd"), so "27/KH-UBND" cited anywhere finds it.
    number_key: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    issue_date: Mapped[date | None] = mapped_column(sa.Date)
    year: Mapped[int | None] = mapped_column(index=True)
    issuer: Mapped[str] = mapped_column(sa.String(300), default="")
    signer: Mapped[str] = mapped_column(sa.String(200), default="")
    signer_title: Mapped[str] = mapped_column(sa.String(200), default="")
    title: Mapped[str] = mapped_column(sa.String(1000), default="")
    bloc_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bloc.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"), index=True)

    text: Mapped[str] = deferred(mapped_column(sa.Text, default=""))
    page_count: Mapped[int] = mapped_column(default=0)
    text_source: Mapped[str] = mapped_column(sa.String(6), default="none")
    text_quality: Mapped[str] = mapped_column(sa.String(12), default="empty")
    ocr_status: Mapped[str] = mapped_column(sa.String(10), default="none")  # none, pending, running, done, failed
    signature: Mapped[list | None] = mapped_column(sa.JSON)  # list of signature facts (pyhanko, offline)
    detected: Mapped[dict | None] = mapped_column(sa.JSON)  # what the reader proposed at upload
    # Confirmed: a person looked at the metadata (or typed it all at upload); the inbox lists the others.
    metadata_confirmed: Mapped[bool] = mapped_column(default=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # Filed by the Board (or the portal's own import): only such documents prove a Board or council step.
    filed_by_board: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    original_name: Mapped[str] = mapped_column(sa.String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), index=True)
    deleted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    bloc: Mapped[Bloc | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])
    deleted_by: Mapped[User | None] = relationship(foreign_keys=[deleted_by_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])
    notes: Mapped[list[DocumentNote]] = relationship(
        back_populates="document", cascade="all, delete-orphan", passive_deletes=True,
        order_by="DocumentNote.created_at, DocumentNote.id")
    citations: Mapped[list[Citation]] = relationship(
        back_populates="document", foreign_keys="Citation.document_id", cascade="all, delete-orphan",
        order_by="Citation.position")

    __mapper_args__ = {"version_id_col": version}

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def type_label(self) -> str:
        """The type's name in the interface language (official outputs use DOCUMENT_TYPES)."""
        from portal.documents.labels import type_label  # babel stays out of the PDF child's imports

        return type_label(self.type, self.report_kind)

    @property
    def display_title(self) -> str:
        return self.title or self.original_name

    @property
    def label(self) -> str:
        """How messages name the document: its number, else its title (never its internal id)."""
        return self.number or self.display_title

    def __repr__(self) -> str:
        return f"<Document {self.id} {self.number or self.original_name}>"


class DocumentNote(db.Model):
    """A note a reader left on a document ("đã trình lãnh đạo ngày 12/3"): shown on its page, searchable."""

    __tablename__ = "document_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("document.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    # Kept beside the id (like the audit log): the note still says who wrote it after the account goes.
    author_username: Mapped[str] = mapped_column(sa.String(80), default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    document: Mapped[Document] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()


class Citation(db.Model):
    """A number a document cites ("Căn cứ Kế hoạch số 27/KH-UBND"), resolved to an archived document when present."""

    __tablename__ = "citation"
    __table_args__ = (sa.UniqueConstraint("document_id", "number_key", name="uq_citation_document_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("document.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(sa.String(80))
    number_key: Mapped[str] = mapped_column(sa.String(80), index=True)
    position: Mapped[int] = mapped_column(default=0)

    document: Mapped[Document] = relationship(back_populates="citations", foreign_keys=[document_id])


class IndexOutbox(db.Model):
    """An index update recorded in the same transaction as the change it reflects (search applies it)."""

    __tablename__ = "index_outbox"
    # SQLite would hand a rowid out again once the table is empty; an applier deleting by id could
    # then delete a newer update (migration 0005).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(index=True)  # no foreign key: a purged document still needs removing
    action: Mapped[str] = mapped_column(sa.String(10))  # index | remove
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))


class SavedView(db.Model):
    """A named set of the archive list's filters and sort (issue 13): its owner's, or shared with everyone."""

    __tablename__ = "saved_view"
    # Names are unique per owner, compared without case or spacing differences (name_key; migration 0010).
    __table_args__ = (sa.UniqueConstraint("owner_id", "name_key", name="uq_saved_view_owner_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    name_key: Mapped[str] = mapped_column(sa.String(80))
    # The list's query arguments (year, type, bloc, unit, issuer, confirmed), only those set; JSON is portable.
    filters: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    sort: Mapped[str] = mapped_column(sa.String(12), default="date")
    shared: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    owner: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<SavedView {self.id} {self.name!r}>"


class SavedViewPin(db.Model):
    """A view pinned to one person's home page: pins are per person, so pinning a shared view pins it for me only."""

    __tablename__ = "saved_view_pin"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    view_id: Mapped[int] = mapped_column(sa.ForeignKey("saved_view.id", ondelete="CASCADE"), primary_key=True, index=True)
    pinned_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
