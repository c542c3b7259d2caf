"""Recording and reading the audit trail: one filtered, paged query for every feature's changes."""
from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.audit.models import AuditEvent
from portal.errors import ValidationFailed, checked_text
from portal.extensions import db
from portal.people import ACCOUNTS, SYSTEM, display_name
from portal.text import TZ, format_date, parse_date, to_local, vi_key

PAGE_SIZE = 50
# An export beyond this many rows is refused by no one but read by no one either: the newest rows, and a note.
EXPORT_LIMIT = 10_000
# Dates in filters: wide enough for any archive, narrow enough that a day after the last one still exists.
YEAR_LO, YEAR_HI = 1900, 2200

# Every kind of object the features record, in the order the filter lists them.
KIND_LABELS = {
    "document": _l("Văn bản"),
    "unit": _l("Đơn vị"),
    "bloc": _l("Khối thi đua"),
    "memberships": _l("Thành viên khối (theo năm)"),
    "user": _l("Tài khoản"),
    "schedule": _l("Lịch công việc (theo năm)"),
    "milestone": _l("Mốc công việc"),
    "criteria_table": _l("Bảng tiêu chí"),
    "scorecard": _l("Phiếu chấm điểm"),
    "scoring_thresholds": _l("Ngưỡng xếp loại (theo năm)"),
    "bloc_results": _l("Kết quả của khối"),
    "bloc_meeting": _l("Cuộc họp Khối (đề xuất Trưởng khối)"),
    "saved_view": _l("Bộ lọc đã lưu"),
}

ACTION_LABELS = {
    "create": _l("Tạo mới"),
    "update": _l("Sửa"),
    "replace": _l("Thay cả danh sách"),
    "upload": _l("Tải lên"),
    "consume": _l("Nhập từ thư mục theo dõi"),
    "delete": _l("Chuyển vào thùng rác"),
    "restore": _l("Khôi phục"),
    "purge": _l("Xóa vĩnh viễn"),
    "confirm": _l("Xác nhận thông tin"),
    "note.add": _l("Thêm ghi chú"),
    "note.delete": _l("Xóa ghi chú"),
    "rename": _l("Đổi tên"),
    "share": _l("Chia sẻ với mọi người"),
    "unshare": _l("Thôi chia sẻ"),
    "pin": _l("Ghim lên trang chủ"),
    "unpin": _l("Bỏ ghim"),
    "remove": _l("Xóa"),
    "ocr": _l("Nhận dạng chữ (OCR)"),
    "ocr_retry": _l("Yêu cầu nhận dạng lại"),
    "set_password": _l("Đổi mật khẩu"),
    "create_token": _l("Tạo mã API"),
    "revoke_token": _l("Thu hồi mã API"),
    "change_password": _l("Tự đổi mật khẩu"),
    "reset_password": _l("Đặt mật khẩu tạm"),
    "deactivate": _l("Khóa tài khoản"),
    "reactivate": _l("Mở lại tài khoản"),
    "check": _l("Đánh dấu hoàn thành"),
    "uncheck": _l("Hủy đánh dấu hoàn thành"),
    "criteria.add": _l("Thêm tiêu chí"),
    "criteria.update": _l("Sửa tiêu chí"),
    "criteria.move": _l("Đổi thứ tự tiêu chí"),
    "criteria.group": _l("Đổi nhóm tiêu chí"),
    "criteria.delete": _l("Xóa tiêu chí"),
    "criteria.replace": _l("Thay bảng tiêu chí"),
    "criteria.copy": _l("Sao chép bảng tiêu chí"),
    "criteria.import": _l("Nhập bảng tiêu chí từ tệp"),
    "criteria.demo": _l("Bảng tiêu chí mẫu"),
    "criteria.lock": _l("Khóa bảng tiêu chí"),
    "criteria.unlock": _l("Mở khóa bảng tiêu chí"),
    "demo": _l("Dữ liệu mẫu"),
    "score": _l("Chấm điểm"),
    "self.submit": _l("Gửi bản tự chấm điểm"),
    "self.return": _l("Trả lại bản tự chấm điểm"),
    "thresholds": _l("Đặt ngưỡng xếp loại"),
    "results.submit": _l("Gửi kết quả"),
    "results.appraise": _l("Xác nhận thẩm định"),
    "results.finalize": _l("Công nhận kết quả"),
    "results.reopen": _l("Mở lại kết quả"),
    "results.flag_tie": _l("Chọn đơn vị đề nghị cờ khi đồng hạng"),
    "results.gov_flag": _l("Đề nghị Cờ thi đua của Chính phủ"),
    "meeting.save": _l("Ghi thông tin cuộc họp Khối"),
    "leadership.propose": _l("Đề xuất Trưởng khối năm sau"),
    "leadership.confirm": _l("Xác nhận Trưởng khối năm sau"),
}

# Kinds and actions are code words ("criteria_table", "results.flag_tie"); anything else is a typo or a probe.
CODE_WORD = re.compile(r"[a-z][a-z0-9_.]{0,39}")


def kind_label(kind: str | None) -> str:
    """Return the Vietnamese name of a kind of object (the code itself for a kind this module does not know)."""
    return str(KIND_LABELS.get(kind, kind or ""))


def action_label(action: str | None) -> str:
    """Return the Vietnamese name of an action (the code itself for an action this module does not know)."""
    return str(ACTION_LABELS.get(action, action or ""))


# --- recording ---------------------------------------------------------------------------------

def record(actor, action: str, obj_type: str, obj_id, *, before=None, after=None, summary: str = "") -> AuditEvent:
    """Add an audit event to the current transaction (committed with the change it describes)."""
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", None) or SYSTEM,
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


# --- filters -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditFilters:
    """What the trail is narrowed to; every field optional. Dates are days in Asia/Ho_Chi_Minh, both included."""

    kind: str | None = None
    object_id: str | None = None
    actor: str | None = None
    action: str | None = None
    since: _dt.date | None = None
    until: _dt.date | None = None

    @property
    def object(self) -> str | None:
        """The object filter as the API writes it: `kind:id`, or just `kind`."""
        if not self.kind:
            return None
        return self.kind if self.object_id is None else f"{self.kind}:{self.object_id}"

    def query_args(self) -> dict[str, str]:
        """The filters as the page's query arguments (for page links and the export link)."""
        args = {"kind": self.kind, "object_id": self.object_id, "actor": self.actor, "action": self.action,
                "since": format_date(self.since) if self.since else None,
                "until": format_date(self.until) if self.until else None}
        return {k: v for k, v in args.items() if v}


def parse_filters(args: Mapping[str, str]) -> AuditFilters:
    """Read filters from query arguments (`object=kind:id` or `kind` + `object_id`, `actor`, `action`, `since`,
    `until`); raise ValidationFailed (422) naming each bad field, in Vietnamese."""
    errors: dict[str, str] = {}

    def text(name: str, label: str, raw) -> str | None:
        try:
            value = checked_text(raw, name, label=label)
        except ValidationFailed as exc:
            errors[name] = exc.errors[name]
            return None
        if len(value) > 80:
            errors[name] = _("%(name)s dài tối đa %(n)s ký tự.", name=label, n=80)
            return None
        return value or None

    if (args.get("object") or "").strip():
        kind_field = id_field = "object"
        kind, sep, object_id = str(args["object"]).strip().partition(":")
        object_id = object_id if sep else None
    else:
        kind_field, id_field = "kind", "object_id"
        kind, object_id = (args.get("kind") or "").strip(), args.get("object_id")
    kind = kind or None
    if kind is not None and not CODE_WORD.fullmatch(kind):
        errors[kind_field] = _("Loại đối tượng “%(kind)s” không hợp lệ.", kind=kind[:40])
        kind = None
    object_id = text(id_field, _("Mã đối tượng"), object_id)
    if object_id is not None and kind is None and kind_field not in errors:
        errors[id_field] = _("Hãy chọn loại đối tượng trước khi nhập mã đối tượng.")
    actor = text("actor", _("Người thực hiện"), args.get("actor"))
    action = (args.get("action") or "").strip() or None
    if action is not None and not CODE_WORD.fullmatch(action):
        errors["action"] = _("Thao tác “%(action)s” không hợp lệ.", action=action[:40])
        action = None
    since = _date_arg(args.get("since"), "since", _("Từ ngày"), errors)
    until = _date_arg(args.get("until"), "until", _("Đến ngày"), errors)
    if since and until and since > until:
        errors["until"] = _("“Đến ngày” phải cùng hoặc sau “Từ ngày”.")
    if errors:
        raise ValidationFailed(" ".join(dict.fromkeys(errors.values())), errors=errors)
    return AuditFilters(kind=kind, object_id=object_id, actor=actor, action=action, since=since, until=until)


def _date_arg(raw, field: str, label: str, errors: dict) -> _dt.date | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        value = parse_date(text)
    except ValueError:
        errors[field] = _("%(name)s: “%(value)s” không phải là ngày; hãy nhập dd/mm/yyyy.", name=label, value=text[:40])
        return None
    if not YEAR_LO <= value.year <= YEAR_HI:
        errors[field] = _("%(name)s phải trong các năm %(lo)s–%(hi)s.", name=label, lo=YEAR_LO, hi=YEAR_HI)
        return None
    return value


def _day_start(day: _dt.date) -> _dt.datetime:
    """The first moment of a day in Asia/Ho_Chi_Minh, in UTC (SQLite stores the trail's times as UTC)."""
    return _dt.datetime.combine(day, _dt.time.min, tzinfo=TZ).astimezone(_dt.timezone.utc)


def _conditions(filters: AuditFilters) -> list:
    conditions = []
    if filters.kind:
        conditions.append(AuditEvent.object_type == filters.kind)
    if filters.object_id is not None:
        conditions.append(AuditEvent.object_id == filters.object_id)
    if filters.actor:
        conditions.append(AuditEvent.actor_name == filters.actor)
    if filters.action:
        conditions.append(AuditEvent.action == filters.action)
    if filters.since:
        conditions.append(AuditEvent.at >= _day_start(filters.since))
    if filters.until:
        conditions.append(AuditEvent.at < _day_start(filters.until + _dt.timedelta(days=1)))
    return conditions


# --- reading -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditEntry:
    """One event with its actor's full name, read in the same query (no query per row)."""

    event: AuditEvent
    full_name: str | None = None

    @property
    def actor(self) -> str:
        """The person's full name; the account name when it has none or is gone; "Hệ thống" for the system."""
        return self.full_name or display_name(None, self.event.actor_name)

    @property
    def object(self) -> str:
        """`kind:id` (just `kind` for an event about no single object)."""
        e = self.event
        return e.object_type if e.object_id is None else f"{e.object_type}:{e.object_id}"

    @property
    def local_at(self) -> _dt.datetime:
        return to_local(self.event.at)


@dataclass
class AuditPage:
    """One page of the trail, newest first."""

    items: list[AuditEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    def page_numbers(self, around: int = 2) -> list[int | None]:
        """Page numbers to link: the first, the last and a few around this one; None marks a gap."""
        wanted = {1, self.pages, *range(self.page - around, self.page + around + 1)}
        numbers: list[int | None] = []
        for n in sorted(p for p in wanted if 1 <= p <= self.pages):
            if numbers and n - numbers[-1] > 1:
                numbers.append(None)
            numbers.append(n)
        return numbers


def _select(conditions: list):
    return (sa.select(AuditEvent, ACCOUNTS.c.full_name)
            .outerjoin(ACCOUNTS, ACCOUNTS.c.id == AuditEvent.actor_id)
            .where(*conditions)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))


def _count(conditions: list) -> int:
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(*conditions)) or 0


def query(filters: AuditFilters | None = None, *, page: int = 1, per_page: int = PAGE_SIZE) -> AuditPage:
    """Return one page of the filtered trail, newest first, each event with its actor's full name (two queries)."""
    conditions = _conditions(filters or AuditFilters())
    page = max(1, page)
    total = _count(conditions)
    rows = db.session.execute(_select(conditions).offset((page - 1) * per_page).limit(per_page)).all()
    return AuditPage([AuditEntry(event, full_name) for event, full_name in rows], total, page, per_page)


def export_entries(filters: AuditFilters | None = None, *, limit: int = EXPORT_LIMIT) -> tuple[list[AuditEntry], int]:
    """Return the newest `limit` events of the filtered trail and how many there are in all."""
    conditions = _conditions(filters or AuditFilters())
    rows = db.session.execute(_select(conditions).limit(limit)).all()
    total = len(rows) if len(rows) < limit else _count(conditions)
    return [AuditEntry(event, full_name) for event, full_name in rows], total


def event_dict(entry: AuditEntry) -> dict:
    """Return an event as the API shows it: {at (ISO 8601, +07:00), actor, action, object, summary, before, after}."""
    e = entry.event
    return {"at": entry.local_at.isoformat(timespec="seconds"), "actor": entry.actor, "action": e.action,
            "object": entry.object, "summary": e.summary, "before": e.before, "after": e.after}


def people() -> list[tuple[str, str]]:
    """Return every account as (username, full name or username), in Vietnamese order, for the person filter."""
    rows = db.session.execute(sa.select(ACCOUNTS.c.username, ACCOUNTS.c.full_name)).all()
    return sorted(((r.username, display_name(r)) for r in rows), key=lambda p: (vi_key(p[1]), p[0]))
