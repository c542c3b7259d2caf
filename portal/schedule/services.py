"""Schedule services: a year's milestones, copying a year, proposing one from the year's plan."""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import audit
from portal.auth import policy
from portal.db import get_by_id
from portal.documents.labels import TYPE_LABELS
from portal.documents.models import DOCUMENT_TYPES, Document
from portal.errors import Conflict, NotFound, ValidationFailed, bounded_int, control_message
from portal.extensions import db
from portal.org import services as org
from portal.schedule.models import RESPONSIBLES, SCOPES, Milestone
from portal.text import UnsafeText, check_plain_text, nfc, parse_date

TITLE_MAX = 300

SCOPE_LABELS = {
    "bloc": _l("Từng khối"), "unit": _l("Từng đơn vị"), "board": _l("Ban TĐKT"), "council": _l("Hội đồng TĐKT tỉnh"),
}
RESPONSIBLE_LABELS = {
    "leader": _l("Trưởng khối"), "member": _l("Đơn vị thành viên"), "board": _l("Ban TĐKT"), "council": _l("Hội đồng TĐKT tỉnh"),
}
# Who usually does a step of each scope (used when a row names no responsible role).
DEFAULT_RESPONSIBLE = {"bloc": "leader", "unit": "member", "board": "board", "council": "council"}
EVIDENCE_SPLIT = {"BC-SK": ("BC", "so_ket"), "BC-TK": ("BC", "tong_ket")}


def evidence_labels() -> dict[str, str]:
    """Return {evidence code: Vietnamese label}: document types, with the two kinds of report."""
    labels = {}
    for code in DOCUMENT_TYPES:
        labels[code] = f"{code} · {TYPE_LABELS[code]}"
        if code == "BC":
            labels["BC-SK"] = "BC-SK · " + _("Báo cáo sơ kết 6 tháng")
            labels["BC-TK"] = "BC-TK · " + _("Báo cáo tổng kết năm")
    return labels


EVIDENCE_TYPES = tuple(list(DOCUMENT_TYPES) + list(EVIDENCE_SPLIT))


def split_evidence(code: str) -> tuple[str, str | None]:
    """Return (document type, report kind or None) for an evidence code: 'BC-TK' -> ('BC', 'tong_ket')."""
    return EVIDENCE_SPLIT.get(code, (code, None))


@dataclass
class MilestoneRow:
    """One line of a year's schedule as entered (API, form, copy or proposal), already validated."""

    seq: int
    title: str
    starts_on: date | None
    due_on: date
    scope: str
    responsible: str
    evidence_type: str | None
    id: int | None = None  # an existing milestone kept (with its check-offs) when the list is saved


# --- reading ------------------------------------------------------------------------------------

def milestones_for_year(year: int) -> list[Milestone]:
    """Return the year's milestones in order."""
    return list(db.session.scalars(sa.select(Milestone).where(Milestone.year == year).order_by(Milestone.seq)))


def schedule_years() -> list[int]:
    """Return the years that have a schedule, newest first."""
    return list(db.session.scalars(sa.select(Milestone.year).distinct().order_by(Milestone.year.desc())))


def get_milestone(milestone_id) -> Milestone:
    """Return a milestone by id, or raise NotFound."""
    milestone = get_by_id(Milestone, milestone_id)
    if milestone is None:
        raise NotFound(_("Không tìm thấy mốc công việc %(id)s.", id=milestone_id))
    return milestone


def rows_of(milestones: list[Milestone]) -> list[MilestoneRow]:
    """Return milestones as rows (with their ids)."""
    return [MilestoneRow(m.seq, m.title, m.starts_on, m.due_on, m.scope, m.responsible, m.evidence_type, m.id)
            for m in milestones]


def schedule_stamp(milestones: list[Milestone]) -> str:
    """Return a short fingerprint of a year's list, so a save based on a stale page is refused."""
    payload = json.dumps([[m.id, *m.to_dict().values()] for m in milestones], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


# --- validating ---------------------------------------------------------------------------------

_TEXT_LABELS = {"title": _l("Tên mốc"), "scope": _l("Phạm vi"), "responsible": _l("Người thực hiện"),
                "evidence_type": _l("Loại văn bản minh chứng")}


def _text(value, errors: dict, key: str) -> str:
    if value is None or isinstance(value, str):
        try:
            return check_plain_text(value)
        except UnsafeText as exc:
            # key is "row:field": the message names both, like every other row error.
            row, _sep, field = key.rpartition(":")
            label = str(_TEXT_LABELS.get(field, field))
            errors[key] = control_message(exc, _("Dòng %(n)s, %(field)s", n=row, field=label) if row else label)
            return ""
    errors[key] = _("Giá trị không hợp lệ: cần một chuỗi ký tự.")
    return ""


def _date(value, errors: dict, key: str, *, required: bool) -> date | None:
    if isinstance(value, date):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[key] = _("Vui lòng nhập ngày (dd/mm/yyyy).")
        return None
    if not isinstance(value, str):
        errors[key] = _("Ngày không hợp lệ: cần dạng dd/mm/yyyy hoặc yyyy-mm-dd.")
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        errors[key] = str(exc)
        return None


def _seq(value, default: int, errors: dict, key: str) -> float:
    if value is None or value == "":
        return default
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
        if not math.isfinite(number):
            raise ValueError
        return number
    except (TypeError, ValueError):
        errors[key] = _("Số thứ tự phải là một số.")
        return default


def clean_rows(year: int, items: list[dict]) -> list[MilestoneRow]:
    """Validate raw rows (dicts of text or dates) for a year; raise ValidationFailed naming every faulty field.

    Error keys are `<n>:<field>` with n the row's place in the list (from 1), or `_` for the list.
    Rows are put in `seq` order (ties keep their place) and numbered 1..n.
    """
    errors: dict[str, str] = {}
    rows: list[tuple[float, int, MilestoneRow]] = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors[f"{n}:_"] = _("Dòng %(n)s không phải là một đối tượng.", n=n)
            continue
        seq = _seq(item.get("seq"), n, errors, f"{n}:seq")
        title = _text(item.get("title"), errors, f"{n}:title")
        if f"{n}:title" not in errors:
            if not title:
                errors[f"{n}:title"] = _("Vui lòng nhập nội dung công việc.")
            elif len(title) > TITLE_MAX:
                errors[f"{n}:title"] = _("Nội dung dài tối đa %(n)s ký tự.", n=TITLE_MAX)
        starts_on = _date(item.get("starts_on"), errors, f"{n}:starts_on", required=False)
        due_on = _date(item.get("due_on"), errors, f"{n}:due_on", required=True)
        if due_on and not year <= due_on.year <= year + 1:
            errors[f"{n}:due_on"] = _("Hạn phải thuộc năm %(year)s (hoặc đầu năm %(next)s).", year=year, next=year + 1)
        if starts_on and not year - 1 <= starts_on.year <= year + 1:
            errors[f"{n}:starts_on"] = _("Ngày bắt đầu phải gần năm %(year)s.", year=year)
        if starts_on and due_on and starts_on > due_on and f"{n}:due_on" not in errors:
            errors[f"{n}:starts_on"] = _("Ngày bắt đầu phải trước hoặc bằng hạn hoàn thành.")
        scope = _text(item.get("scope"), errors, f"{n}:scope").lower() or "bloc"
        if scope not in SCOPES:
            errors[f"{n}:scope"] = _("Phạm vi phải là bloc, unit, board hoặc council.")
        responsible = _text(item.get("responsible"), errors, f"{n}:responsible").lower() or DEFAULT_RESPONSIBLE.get(scope, "leader")
        if responsible not in RESPONSIBLES:
            errors[f"{n}:responsible"] = _("Người thực hiện phải là leader, member, board hoặc council.")
        evidence = _text(item.get("evidence_type"), errors, f"{n}:evidence_type")
        evidence = _evidence_code(evidence)
        if evidence is False:
            errors[f"{n}:evidence_type"] = _("Loại văn bản minh chứng không hợp lệ (ví dụ GU, TC, BC-SK, BC-TK, BB, QĐ).")
            evidence = None
        raw_id = item.get("id")
        try:
            row_id = int(raw_id) if raw_id not in (None, "") and not isinstance(raw_id, bool) else None
        except (TypeError, ValueError):
            errors[f"{n}:id"] = _("Mã mốc không hợp lệ.")
            row_id = None
        if not any(k.startswith(f"{n}:") for k in errors):
            rows.append((seq, n, MilestoneRow(0, title, starts_on, due_on, scope, responsible, evidence, row_id)))
    if errors:
        raise ValidationFailed(_("Lịch công việc năm %(year)s chưa hợp lệ; chưa có thay đổi nào được lưu.", year=year),
                               errors=errors)
    ordered = [row for _seq, _n, row in sorted(rows, key=lambda r: (r[0], r[1]))]
    for i, row in enumerate(ordered, start=1):
        row.seq = i
    return ordered


def _evidence_code(value: str):
    """Return the evidence code for a typed value ('bc-tk', 'QD', 'QĐ'), None for empty, False when unknown."""
    if not value:
        return None
    folded = nfc(value).strip().upper().replace("Đ", "D").replace("_", "-")
    for code in EVIDENCE_TYPES:
        if code.upper().replace("Đ", "D") == folded:
            return code
    return False


# --- saving -------------------------------------------------------------------------------------

def replace_milestones(actor, year, items: list[dict] | list[MilestoneRow], *, stamp: str | None = None,
                       source_document_id: int | None = None, commit: bool = True) -> list[Milestone]:
    """Replace the year's whole schedule in one transaction; nothing changes if any row is wrong.

    Rows that carry the id of one of the year's milestones, or else have the same title as one,
    keep that milestone (and its check-offs); milestones left out are deleted with theirs.
    """
    year = org.check_year(year)
    if items and isinstance(items[0], MilestoneRow):
        items = [row_dict(r) for r in items]
    rows = clean_rows(year, list(items))
    existing = milestones_for_year(year)
    if stamp is not None and stamp != schedule_stamp(existing):
        raise Conflict(_("Lịch năm %(year)s vừa được người khác sửa. Hãy tải lại trang để xem bản mới nhất rồi sửa lại.", year=year))
    by_id = {m.id: m for m in existing}
    unknown = [r.id for r in rows if r.id is not None and r.id not in by_id]
    if unknown:
        raise ValidationFailed(_("Mốc %(ids)s không thuộc lịch năm %(year)s.", ids=", ".join(map(str, unknown)), year=year))
    by_title: dict[str, list[Milestone]] = {}
    for m in existing:
        by_title.setdefault(nfc(m.title).casefold(), []).append(m)
    targets: list[tuple[MilestoneRow, Milestone | None]] = []
    used: set[int] = {r.id for r in rows if r.id is not None}
    for row in rows:
        target = by_id.get(row.id) if row.id is not None else None
        if target is None:
            candidates = [m for m in by_title.get(nfc(row.title).casefold(), []) if m.id not in used]
            if candidates:
                target = candidates[0]
                used.add(target.id)
        targets.append((row, target))
    before = [m.to_dict() for m in existing]
    removed = [m for m in existing if m.id not in used]
    for m in removed:
        db.session.delete(m)
    # Move the kept rows out of the way first: (year, seq) is unique, and a reorder swaps numbers.
    for _row, m in targets:
        if m is not None:
            m.seq = -m.id
    db.session.flush()
    saved: list[Milestone] = []
    for row, m in targets:
        if m is None:
            m = Milestone(year=year)
            db.session.add(m)
            if source_document_id:
                m.source_document_id = source_document_id
        m.seq, m.title, m.starts_on, m.due_on = row.seq, row.title, row.starts_on, row.due_on
        m.scope, m.responsible, m.evidence_type = row.scope, row.responsible, row.evidence_type
        saved.append(m)
    db.session.flush()
    after = [m.to_dict() for m in saved]
    if before != after:
        audit.record(actor, "replace", "schedule", year, before=before, after=after,
                     summary=f"Cập nhật lịch công việc năm {year}: {len(after)} mốc"
                             + (f", xóa {len(removed)} mốc" if removed else ""))
    if commit:
        db.session.commit()
    return saved


def row_dict(row: MilestoneRow) -> dict:
    """Return a row as the dict clean_rows reads."""
    return {"id": row.id, "seq": row.seq, "title": row.title, "starts_on": row.starts_on, "due_on": row.due_on,
            "scope": row.scope, "responsible": row.responsible, "evidence_type": row.evidence_type}


def rows_from_json(items) -> list[dict]:
    """Check the API's list shape; the rows themselves are validated by clean_rows."""
    if not isinstance(items, list):
        raise ValidationFailed(_("Cần một danh sách dạng [{\"seq\", \"title\", \"starts_on\", \"due_on\", \"scope\", "
                                 "\"responsible\", \"evidence_type\"}]."))
    return items


# --- copying a year -----------------------------------------------------------------------------

def shift_year(day: date | None, years: int) -> date | None:
    """Move a date by whole years; 29 February becomes 28 February in a common year."""
    if day is None:
        return None
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def copy_year(actor, from_year, to_year, *, replace: bool = False) -> list[Milestone]:
    """Copy one year's schedule into another with every date moved by the years between them."""
    from_year, to_year = org.check_year(from_year), org.check_year(to_year)
    if from_year == to_year:
        raise ValidationFailed(_("Năm nguồn và năm đích phải khác nhau."), errors={"from_year": _("Chọn một năm khác.")})
    source = milestones_for_year(from_year)
    if not source:
        raise ValidationFailed(_("Năm %(year)s chưa có lịch công việc để sao chép.", year=from_year),
                               errors={"from_year": _("Năm này chưa có lịch.")})
    if milestones_for_year(to_year) and not replace:
        raise Conflict(_("Năm %(year)s đã có lịch công việc; hãy xác nhận thay thế nếu muốn sao chép đè.", year=to_year))
    shift = to_year - from_year
    items = [{"seq": m.seq, "title": m.title, "starts_on": shift_year(m.starts_on, shift), "due_on": shift_year(m.due_on, shift),
              "scope": m.scope, "responsible": m.responsible, "evidence_type": m.evidence_type} for m in source]
    return replace_milestones(actor, to_year, items)


# --- proposing from the plan --------------------------------------------------------------------

def plan_documents(year: int) -> list[Document]:
    """Return the archived plans (type KH) of a year and the year before, newest first."""
    return list(db.session.scalars(
        sa.select(Document).where(Document.type == "KH", Document.deleted_at.is_(None), Document.year.in_((year, year - 1)))
        .order_by(Document.year.desc(), Document.issue_date.desc().nulls_last(), Document.id.desc())
    ))


def get_plan_for(user, document_id) -> Document:
    """Return an archived plan a schedule may be read from, or raise NotFound / ValidationFailed / Forbidden."""
    policy.require(user, "schedule.manage")
    if document_id in (None, "") or isinstance(document_id, bool):
        raise ValidationFailed(_("Hãy chọn văn bản kế hoạch để đọc lịch."), errors={"document": _("Bắt buộc.")})
    document = db.session.get(Document, bounded_int(document_id, "document", label=_("Mã văn bản")))
    if document is None or document.deleted:
        raise NotFound(_("Không tìm thấy văn bản %(id)s.", id=document_id))
    if document.type != "KH":
        raise ValidationFailed(_("Văn bản %(number)s không phải là kế hoạch (KH); chỉ đọc lịch từ kế hoạch.",
                                 number=document.number or document.display_title), errors={"document": _("Không phải kế hoạch.")})
    return document


@dataclass
class Proposal:
    """The milestones read from a plan, with the text they were read from."""

    document: Document
    text: str
    milestones: list  # ProposedMilestone
    segments: list[tuple[str, int | None]]  # the text cut at the proposals' sources: (piece, seq or None)


def propose(year: int, document: Document) -> Proposal:
    """Read the plan's text into proposed milestones for the year (nothing is saved)."""
    from portal.schedule.plan_reader import propose_milestones

    year = org.check_year(year)
    text = nfc(document.text or "")
    if not text.strip():
        raise ValidationFailed(_("Văn bản %(number)s chưa có nội dung chữ (bản quét chưa nhận dạng xong?); chưa đọc được lịch.",
                                 number=document.number or document.display_title))
    milestones = propose_milestones(text, year)
    return Proposal(document, text, milestones, source_segments(text, milestones))


def source_segments(text: str, milestones) -> list[tuple[str, int | None]]:
    """Cut the text into pieces, each either outside every source or inside one milestone's source."""
    spans = sorted((m.source_start, m.source_end, m.seq) for m in milestones if 0 <= m.source_start < m.source_end <= len(text))
    pieces: list[tuple[str, int | None]] = []
    pos = 0
    for start, end, seq in spans:
        if start < pos:  # overlapping sources: the first one keeps the shared text
            start = pos
        if start >= end:
            continue
        if start > pos:
            pieces.append((text[pos:start], None))
        pieces.append((text[start:end], seq))
        pos = end
    if pos < len(text):
        pieces.append((text[pos:], None))
    return pieces
