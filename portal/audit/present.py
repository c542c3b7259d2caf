"""The trail in words: before/after as "field: value" lines, and a link to each object's page where it has one."""
from __future__ import annotations

import json
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

# Field names the features write into before/after, as the Board reads them; others show as written.
FIELD_LABELS = {
    "code": _l("Mã"), "name": _l("Tên"), "short_name": _l("Tên viết tắt"), "kind": _l("Loại"),
    "active": _l("Đang hoạt động"), "full_name": _l("Họ và tên"), "role": _l("Vai trò"), "unit": _l("Đơn vị"),
    "bloc": _l("Khối"), "year": _l("Năm"), "type": _l("Loại văn bản"), "report_kind": _l("Loại báo cáo"),
    "number": _l("Số, ký hiệu"), "issue_date": _l("Ngày ban hành"), "issuer": _l("Cơ quan ban hành"),
    "signer": _l("Người ký"), "signer_title": _l("Chức vụ người ký"), "title": _l("Tiêu đề"),
    "group": _l("Nhóm"), "max_points": _l("Điểm tối đa"), "guidance": _l("Hướng dẫn chấm"),
    "criterion": _l("Tiêu chí"), "criteria": _l("Tiêu chí"), "stage": _l("Giai đoạn"), "points": _l("Điểm"),
    "scores": _l("Điểm"), "note": _l("Ghi chú"), "version": _l("Phiên bản"), "status": _l("Trạng thái"),
    "locked": _l("Đã khóa"), "reason": _l("Lý do"), "flags": _l("Đề nghị cờ"), "done_on": _l("Ngày hoàn thành"),
    "due_on": _l("Hạn"), "starts_on": _l("Ngày bắt đầu"), "seq": _l("Thứ tự"), "scope": _l("Phạm vi"),
    "sessions_ended": _l("Số phiên đã kết thúc"), "original_name": _l("Tên tệp gốc"), "size": _l("Dung lượng (byte)"),
}
# A value longer than this (or of more lines) is folded behind its first words.
FOLD_CHARS = 160
FOLD_LINES = 3


def field_label(key: str) -> str:
    """Return the Vietnamese name of a before/after field (the key itself when unknown)."""
    return str(FIELD_LABELS.get(key, key))


def value_lines(value) -> list[str]:
    """Return a JSON value as readable lines: text as is, "có"/"không", lists one item a line, objects as key: value."""
    if value is None:
        return ["—"]
    if isinstance(value, bool):
        return [_("có") if value else _("không")]
    if isinstance(value, (int, float, str)):
        return [str(value) if value != "" else "—"]
    if isinstance(value, dict):
        return [_pairs(value)] if value else ["—"]
    if isinstance(value, list):
        return [_pairs(item) if isinstance(item, dict) else _inline(item) for item in value] or ["—"]
    return [str(value)]


def _pairs(value: dict) -> str:
    return "; ".join(f"{field_label(str(k))}: {_inline(v)}" for k, v in value.items())


def _inline(value) -> str:
    if isinstance(value, dict):
        return "{" + _pairs(value) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if value is None or isinstance(value, bool) or value == "":
        return value_lines(value)[0]
    if isinstance(value, (int, float, str)):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


@dataclass
class Value:
    """A value as lines, folded when long."""

    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def folded(self) -> bool:
        return len(self.lines) > FOLD_LINES or len(self.text) > FOLD_CHARS

    @property
    def head(self) -> str:
        first = self.lines[0] if self.lines else ""
        return first[:80].rstrip() + "…" if self.folded else first


@dataclass
class ChangeRow:
    """One field of a change: its name, the value before and after (None where that side is absent)."""

    key: str
    label: str
    before: Value | None
    after: Value | None

    @property
    def changed(self) -> bool:
        return self.before is None or self.after is None or self.before.lines != self.after.lines


@dataclass
class Change:
    """An event's before/after as rows; `same` holds the fields an update did not touch (shown folded)."""

    rows: list[ChangeRow]
    same: list[ChangeRow]
    has_before: bool
    has_after: bool

    @property
    def empty(self) -> bool:
        return not self.rows and not self.same


def change(before, after) -> Change:
    """Lay a before/after pair out field by field (objects) or as one row (anything else)."""
    has_before, has_after = before is not None, after is not None
    if isinstance(before, (dict, type(None))) and isinstance(after, (dict, type(None))):
        keys = list(dict.fromkeys([*(before or {}), *(after or {})]))
        rows = [ChangeRow(str(k), field_label(str(k)),
                          Value(value_lines(before[k])) if has_before and k in before else None,
                          Value(value_lines(after[k])) if has_after and k in after else None) for k in keys]
        if has_before and has_after:
            return Change([r for r in rows if r.changed], [r for r in rows if not r.changed], True, True)
        return Change(rows, [], has_before, has_after)
    row = ChangeRow("", "", Value(value_lines(before)) if has_before else None, Value(value_lines(after)) if has_after else None)
    return Change([row], [], has_before, has_after)


def as_text(value) -> str:
    """Return a before/after value as plain text for a spreadsheet cell (one "field: value" a line)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return "\n".join(f"{field_label(str(k))}: {' | '.join(value_lines(v))}" for k, v in value.items())
    return "\n".join(value_lines(value))


def object_link(kind: str, object_id: str | None, before=None, after=None) -> str | None:
    """Return the address of the object's page, or None where it has none (or its feature renamed the page)."""
    if object_id is None:
        return None
    try:
        if kind == "document":
            return url_for("documents.show", document_id=int(object_id))
        if kind == "unit":
            return url_for("org.edit_unit", code=object_id)
        if kind == "bloc":
            return url_for("org.edit_bloc", code=object_id)
        if kind == "memberships":
            return url_for("org.memberships", year=int(object_id))
        if kind == "user":
            return url_for("auth.users")
        if kind == "schedule":
            return url_for("schedule.year_view", year=int(object_id))
        if kind == "scoring_thresholds":
            return url_for("scoring.year", year=int(object_id))
        if kind == "scorecard":
            return url_for("scoring.card", scorecard_id=int(object_id))
        if kind in ("criteria_table", "bloc_results", "bloc_meeting"):
            # The key is "<bloc code>-<year>"; a bloc code may hold "-" itself.
            bloc_code, _sep, year = object_id.rpartition("-")
            endpoint = {"criteria_table": "scoring.criteria", "bloc_results": "scoring.results",
                        "bloc_meeting": "scoring.meeting"}[kind]
            return url_for(endpoint, year=int(year), bloc_code=bloc_code) if bloc_code else None
        if kind == "milestone":
            bloc = next((side.get("bloc") for side in (after, before) if isinstance(side, dict) and side.get("bloc")), None)
            return url_for("dashboard.cell", milestone_id=int(object_id), code=bloc) if bloc else None
        if kind == "saved_view":
            return url_for("saved_views.manage")
    except (BuildError, ValueError):
        return None
    return None
