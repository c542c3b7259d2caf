"""Scoring services: criteria tables, scorecards and scores, results and their status (no request here).

The pure rules (points, totals, ranks, classification, flags, the status machine) live in
`portal.scoring.rules`; this module loads and stores, checks rights through the policy module, and
guards every write against lost updates with an `UPDATE … WHERE version = :v` whose row count decides
(or an insert that does nothing when the row already exists), all inside one transaction with its
audit event. Writes come first and checks that must see the latest committed state come right after,
so on SQLite (one writer at a time) nothing can slip in between.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portal import audit, people
from portal.auth import policy
from portal.db import get_by_id, row_id
from portal.errors import INT_MAX, Conflict, Forbidden, NotFound, ServiceError, ValidationFailed, checked_text, control_message
from portal.extensions import db
from portal.org import services as org
from portal.org.models import Bloc, Membership, Unit
from portal.scoring import rules
from portal.scoring.models import STAGES, TOTAL, CriteriaTable, Criterion, Result, Score, Scorecard, ScoringThresholds
from portal.text import UnsafeText, check_plain_text, clean_text, nfc, utcnow, vi_key

# Labels shown in pages and exports (the same words as rules.*_LABELS, marked for translation here).
STAGE_LABELS = {"self": _l("Tự chấm"), "bloc": _l("Khối chấm"), "appraisal": _l("Thẩm định")}
STATUS_LABELS = {"draft": _l("Dự thảo"), "submitted": _l("Đã gửi"), "appraised": _l("Đã thẩm định"),
                 "final": _l("Đã công nhận")}
KIND_LABELS = {"scored": _l("Tiêu chí chấm điểm"), "bonus": _l("Điểm thưởng"), "deduction": _l("Điểm trừ")}
KIND_SHORT = {"scored": _l("Chấm điểm"), "bonus": _l("Thưởng"), "deduction": _l("Trừ")}
CLASSIFICATION_LABELS = {"xuat_sac": _l("Xuất sắc"), "tot": _l("Tốt"), "hoan_thanh": _l("Hoàn thành"),
                         "khong_hoan_thanh": _l("Không hoàn thành")}
FLAG_LABELS = {"co_ubnd_tinh": _l("Cờ thi đua của UBND tỉnh"), "co_chinh_phu": _l("Cờ thi đua của Chính phủ")}
ACTION_LABELS = {"submit": _l("Gửi kết quả"), "appraise": _l("Xác nhận thẩm định"), "finalize": _l("Công nhận kết quả"),
                 "reopen": _l("Mở lại")}
ROLE_ORDER = {"leader": 0, "deputy": 1, "member": 2}
MAX_CRITERION_POINTS = Decimal("1000")
MAX_CRITERIA = 300
GROUP_PREFIX = re.compile(r"^\s*([IVXLC]+|[A-Z]|\d+)\s*[.)/-]")


def points_vi(value: Decimal | None) -> str:
    """Points for the page: a Vietnamese decimal comma ("8,5"), "" when not set."""
    return rules.format_points_vi(value)


def _locked_message(table: CriteriaTable) -> str:
    return _("Bảng điểm %(bloc)s năm %(year)s đã khóa vì việc chấm điểm đã bắt đầu; không sửa được tiêu chí. "
             "Nếu thật sự cần sửa, Ban Thi đua - Khen thưởng có thể mở khóa (ghi rõ lý do).",
             bloc=table.bloc.name, year=table.year)


def _stale_table_message() -> str:
    return _("Bảng điểm vừa được người khác thay đổi. Trang đã hiện bản mới nhất; hãy làm lại thao tác của bạn.")


# --- database helpers ------------------------------------------------------------------------------

def _insert_ignoring_conflicts(table, rows: list[dict]) -> int:
    """Insert rows, skipping any that would break a unique constraint; return how many were inserted."""
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # preserve_rowcount: without it SQLAlchemy reports -1 for an INSERT on psycopg, which read as a
    # conflict and made every first save of a score (version 0) answer 409 on PostgreSQL.
    stmt = insert(table).values(rows).on_conflict_do_nothing().execution_options(preserve_rowcount=True)
    return db.session.execute(stmt).rowcount


# --- tables and members ----------------------------------------------------------------------------

def find_table(bloc: Bloc, year: int) -> CriteriaTable | None:
    """Return the bloc-year's criteria table, if it exists."""
    return db.session.scalar(sa.select(CriteriaTable).where(CriteriaTable.bloc_id == bloc.id, CriteriaTable.year == year)
                             .options(joinedload(CriteriaTable.bloc)))


def table_for(bloc: Bloc, year: int) -> CriteriaTable:
    """Return the bloc-year's criteria table, creating an empty one when there is none (race-safe)."""
    year = org.check_year(year)
    table = find_table(bloc, year)
    if table is None:
        now = utcnow()
        _insert_ignoring_conflicts(CriteriaTable.__table__, [{
            "bloc_id": bloc.id, "year": year, "status": "draft", "locked": False, "created_at": now,
            "updated_at": now, "version": 1}])
        db.session.commit()
        table = find_table(bloc, year)
    return table


def get_table(table_id: int) -> CriteriaTable:
    """Return a criteria table by id, or raise NotFound."""
    table = get_by_id(CriteriaTable, table_id, options=[joinedload(CriteriaTable.bloc)])
    if table is None:
        raise NotFound(_("Không tìm thấy bảng điểm."))
    return table


def criteria_of(table: CriteriaTable) -> list[Criterion]:
    """Return the table's criteria in order (one query)."""
    return list(db.session.scalars(sa.select(Criterion).where(Criterion.table_id == table.id)
                                   .order_by(Criterion.position, Criterion.id)))


@dataclass
class Member:
    """A unit of the bloc that year with its role and its scorecard."""

    unit: Unit
    role: str
    scorecard: Scorecard


def members(table: CriteriaTable) -> list[Member]:
    """Return the bloc's units that year (leader, deputy, then members by name) with their scorecards.

    A unit's scorecard is created (flushed, not committed) the first time it is needed; read paths call
    `ensure_scorecards` to keep it.
    """
    return _members(table)[0]


def _members(table: CriteriaTable) -> tuple[list[Member], bool]:
    rows = db.session.execute(
        sa.select(Membership.role, Unit).join(Unit, Unit.id == Membership.unit_id)
        .where(Membership.bloc_id == table.bloc_id, Membership.year == table.year)
    ).all()
    rows.sort(key=lambda r: (ROLE_ORDER.get(r[0], 3), vi_key(r[1].name)))
    cards = {c.unit_id: c for c in db.session.scalars(sa.select(Scorecard).where(Scorecard.table_id == table.id))}
    missing = [unit for _role, unit in rows if unit.id not in cards]
    if missing:
        now = utcnow()
        _insert_ignoring_conflicts(Scorecard.__table__, [{"table_id": table.id, "unit_id": u.id, "created_at": now}
                                                         for u in missing])
        cards = {c.unit_id: c for c in db.session.scalars(sa.select(Scorecard).where(Scorecard.table_id == table.id))}
    for card in cards.values():
        set_committed_value(card, "table", table)  # already loaded: no lazy load per card for bloc_id/year
    return [Member(unit=unit, role=role, scorecard=cards[unit.id]) for role, unit in rows], bool(missing)


def ensure_scorecards(table: CriteriaTable) -> list[Member]:
    """Return the members, committing the scorecards of units that had none yet (safe when two requests race)."""
    result, inserted = _members(table)
    if inserted and not (db.session.new or db.session.dirty or db.session.deleted):
        db.session.commit()  # expires what was loaded: load it again, fresh
        result = members(get_table(table.id))
    return result


def get_scorecard(scorecard_id) -> Scorecard:
    """Return a scorecard with its table, bloc and unit, or raise NotFound."""
    scorecard_id = row_id(scorecard_id)
    if scorecard_id is None:
        raise NotFound(_("Không tìm thấy phiếu chấm điểm."))
    card = db.session.scalar(sa.select(Scorecard).where(Scorecard.id == scorecard_id).options(
        joinedload(Scorecard.table).joinedload(CriteriaTable.bloc), joinedload(Scorecard.unit)))
    if card is None:
        raise NotFound(_("Không tìm thấy phiếu chấm điểm."))
    return card


def scorecard_of_unit(table: CriteriaTable, unit_id: int) -> Scorecard | None:
    """Return the scorecard of one member unit (creating it when the unit is a member)."""
    for member in members(table):
        if member.unit.id == unit_id:
            return member.scorecard
    return None


def get_criterion(table: CriteriaTable, criterion_id) -> Criterion:
    """Return a criterion of this table, or raise NotFound."""
    criterion = get_by_id(Criterion, criterion_id)
    if criterion is None or criterion.table_id != table.id:
        raise NotFound(_("Không tìm thấy tiêu chí này trong bảng điểm."))
    return criterion


# --- criteria tables -------------------------------------------------------------------------------

@dataclass
class CriteriaRow:
    """A line of the table as shown: a group heading or an item with its number in the group."""

    kind: str  # "group" or "item"
    criterion: Criterion | None = None
    number: str = ""
    group: str = ""
    maxima: rules.TableMax | None = None
    index: int = 0  # position of the item in the whole table (0-based)
    ref: str = ""  # short reference for labels: "I.2" (group I, item 2) or "3"


def criteria_rows(criteria: list[Criterion]) -> list[CriteriaRow]:
    """Lay criteria out as group headings (with the group's maxima) and numbered items."""
    rows: list[CriteriaRow] = []
    current_group: str | None = None
    heading: CriteriaRow | None = None
    group_items: list[Criterion] = []
    number = 0

    def close():
        if heading is not None:
            heading.maxima = rules.table_maxima(group_items)

    for index, criterion in enumerate(criteria):
        if criterion.group != current_group:
            close()
            current_group, number, group_items = criterion.group, 0, []
            heading = CriteriaRow("group", group=criterion.group) if criterion.group else None
            if heading is not None:
                rows.append(heading)
        number += 1
        group_items.append(criterion)
        prefix = GROUP_PREFIX.match(criterion.group or "")
        ref = f"{prefix.group(1)}.{number}" if prefix else str(number)
        rows.append(CriteriaRow("item", criterion=criterion, number=f"{number}.", group=criterion.group, index=index, ref=ref))
    close()
    return rows


_TEXT_LABELS = {"group": _l("Nhóm tiêu chí"), "title": _l("Nội dung tiêu chí"), "guidance": _l("Hướng dẫn chấm")}


def _text_field(data: dict, key: str, errors: dict, *, limit: int, multiline: bool = False) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[key] = _("Giá trị không hợp lệ: cần một chuỗi ký tự.")
        return ""
    try:
        check_plain_text(value, multiline=multiline)
    except UnsafeText as exc:
        errors[key] = control_message(exc, str(_TEXT_LABELS.get(key, key)))
        return ""
    text = "\n".join(clean_text(line) for line in nfc(value).strip().splitlines()).strip() if multiline else clean_text(value)
    if len(text) > limit:
        errors[key] = _("Dài tối đa %(n)s ký tự.", n=limit)
    return text


def clean_item(data: dict) -> tuple[dict, dict]:
    """Return a criterion's cleaned fields and {field: Vietnamese message} for what is wrong."""
    errors: dict[str, str] = {}
    group = _text_field(data, "group", errors, limit=300)
    title = _text_field(data, "title", errors, limit=1000)
    guidance = _text_field(data, "guidance", errors, limit=5000, multiline=True)
    kind = data.get("kind") or "scored"
    raw_max = data.get("max_points")
    max_points = rules.parse_max_points(raw_max.strip() if isinstance(raw_max, str) else raw_max)
    if "title" not in errors and not title:
        errors["title"] = _("Vui lòng nhập nội dung tiêu chí.")
    if isinstance(raw_max, float):
        errors["max_points"] = _("Điểm tối đa gửi dạng chuỗi số thập phân, ví dụ \"10\" hoặc \"2.5\".")
    elif max_points is None:
        errors["max_points"] = _("Điểm tối đa phải là số dương, tối đa hai chữ số thập phân (ví dụ 10 hoặc 2,5).")
    elif max_points > MAX_CRITERION_POINTS:
        errors["max_points"] = _("Điểm tối đa không quá %(n)s.", n=points_vi(MAX_CRITERION_POINTS))
    if not isinstance(kind, str) or kind not in rules.KIND_LABELS:
        errors["kind"] = _("Loại tiêu chí phải là tiêu chí chấm điểm, điểm thưởng hoặc điểm trừ.")
    return {"group": group, "title": title, "guidance": guidance, "kind": kind, "max_points": max_points}, errors


def _claim_table(table: CriteriaTable, version, *, unlocked: bool = True) -> None:
    """Bump the table's version if it is still the one the editor saw (and unlocked); else refuse."""
    expected = _version_arg(version, allow_none=True)
    stmt = sa.update(CriteriaTable).where(CriteriaTable.id == table.id)
    if unlocked:
        stmt = stmt.where(CriteriaTable.locked.is_(False))
    if expected is not None:
        stmt = stmt.where(CriteriaTable.version == expected)
    result = db.session.execute(stmt.values(version=CriteriaTable.version + 1, updated_at=utcnow())
                                .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(table)
        if unlocked and table.locked:
            raise Conflict(_locked_message(table), current={"version": table.version, "locked": True})
        raise Conflict(_stale_table_message(), current={"version": table.version, "locked": table.locked})
    db.session.refresh(table)


def _version_arg(version, *, allow_none: bool = False) -> int | None:
    if version is None or (isinstance(version, str) and not version.strip()):
        if allow_none:
            return None
        raise ValidationFailed(_("Thiếu phiên bản dữ liệu (version)."), errors={"version": _("Bắt buộc.")})
    if isinstance(version, bool):
        raise ValidationFailed(_("Phiên bản dữ liệu không hợp lệ."), errors={"version": _("Cần một số nguyên.")})
    try:
        value = int(version)
    except (TypeError, ValueError, OverflowError):
        raise ValidationFailed(_("Phiên bản dữ liệu không hợp lệ."), errors={"version": _("Cần một số nguyên.")}) from None
    # Above INT_MAX it is no version ever stored, and the database could not even compare it.
    if value < 0 or value > INT_MAX or (isinstance(version, float) and value != version):
        raise ValidationFailed(_("Phiên bản dữ liệu không hợp lệ."), errors={"version": _("Cần một số nguyên không âm.")})
    return value


def _item_dict(c: Criterion) -> dict:
    return c.to_dict()


def _renumber(criteria: list[Criterion]) -> None:
    for position, criterion in enumerate(criteria):
        if criterion.position != position:
            criterion.position = position


def _check_duplicates(items: list[dict]) -> None:
    messages = rules.validate_criteria(items)
    if messages:
        raise ValidationFailed(messages[0], errors={"items": " ".join(messages)})


def add_criterion(actor, table: CriteriaTable, data: dict, *, version=None, after_id=None) -> Criterion:
    """Add an item at the end of the table (or after another item, in its group); audited."""
    policy.require(actor, "scoring.criteria.edit", table.bloc, year=table.year)
    fields, errors = clean_item(data)
    if errors:
        raise ValidationFailed(_("Tiêu chí chưa hợp lệ."), errors=errors)
    _claim_table(table, version)
    criteria = criteria_of(table)
    if len(criteria) >= MAX_CRITERIA:
        raise ValidationFailed(_("Một bảng điểm có tối đa %(n)s tiêu chí.", n=MAX_CRITERIA))
    criterion = Criterion(table_id=table.id, **fields)
    index = len(criteria)
    if after_id:
        for i, c in enumerate(criteria):
            if str(c.id) == str(after_id):
                index = i + 1
    _check_duplicates([_item_dict(c) for c in criteria] + [{**fields, "max_points": fields["max_points"]}])
    criteria.insert(index, criterion)
    db.session.add(criterion)
    _renumber(criteria)
    db.session.flush()
    audit.record(actor, "criteria.add", "criteria_table", table.key, after=criterion.to_dict(),
                 summary=f"Thêm tiêu chí “{criterion.title}” vào bảng điểm {table.key}")
    db.session.commit()
    return criterion


def update_criterion(actor, table: CriteriaTable, criterion: Criterion, data: dict, *, version=None) -> Criterion:
    """Change an item's group, title, max points, kind or guidance; audited."""
    policy.require(actor, "scoring.criteria.edit", table.bloc, year=table.year)
    fields, errors = clean_item(data)
    if errors:
        raise ValidationFailed(_("Tiêu chí chưa hợp lệ."), errors=errors)
    _claim_table(table, version)
    criteria = criteria_of(table)
    before = criterion.to_dict()
    _check_duplicates([fields if c.id == criterion.id else _item_dict(c) for c in criteria])
    _check_points_fit(criterion, fields["max_points"])
    for key, value in fields.items():
        setattr(criterion, key, value)
    if before != criterion.to_dict():
        audit.record(actor, "criteria.update", "criteria_table", table.key, before=before, after=criterion.to_dict(),
                     summary=f"Sửa tiêu chí “{criterion.title}” của bảng điểm {table.key}")
    db.session.commit()
    return criterion


def _check_points_fit(criterion: Criterion, new_max: Decimal) -> None:
    """Refuse a smaller max when points already given to the item would exceed it."""
    if criterion.id is None or new_max >= criterion.max_points:
        return
    over = db.session.scalar(sa.select(sa.func.count(Score.id)).where(Score.criterion_id == criterion.id,
                                                                       Score.points > new_max))
    if over:
        raise ValidationFailed(
            _("Đã có %(n)s điểm chấm lớn hơn %(max)s cho tiêu chí này; không giảm được điểm tối đa.",
              n=over, max=points_vi(new_max)),
            errors={"max_points": _("Nhỏ hơn điểm đã chấm.")})


def move_criterion(actor, table: CriteriaTable, criterion: Criterion, direction: str, *, version=None) -> None:
    """Move an item one place up or down; moving past a group's edge takes it into the neighbour's group."""
    policy.require(actor, "scoring.criteria.edit", table.bloc, year=table.year)
    if direction not in ("up", "down"):
        raise ValidationFailed(_("Hướng di chuyển không hợp lệ."))
    _claim_table(table, version)
    criteria = criteria_of(table)
    i = next(i for i, c in enumerate(criteria) if c.id == criterion.id)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(criteria):
        neighbour = criteria[j]
        if neighbour.group != criterion.group:
            # Crossing a group boundary: join the neighbour's group first, then swap on the next move.
            criterion.group = neighbour.group
        else:
            criteria[i], criteria[j] = criteria[j], criteria[i]
        _renumber(criteria)
        audit.record(actor, "criteria.move", "criteria_table", table.key, after={"id": criterion.id, "direction": direction},
                     summary=f"Chuyển tiêu chí “{criterion.title}” {'lên' if direction == 'up' else 'xuống'}")
    db.session.commit()


def indent_criterion(actor, table: CriteriaTable, criterion: Criterion, *, version=None) -> None:
    """Put an item into the group of the item above it (or take it out of its group: outdent)."""
    _set_group(actor, table, criterion, version=version, indent=True)


def outdent_criterion(actor, table: CriteriaTable, criterion: Criterion, *, version=None) -> None:
    """Take an item out of its group (it stays where it is)."""
    _set_group(actor, table, criterion, version=version, indent=False)


def _set_group(actor, table, criterion, *, version, indent: bool) -> None:
    policy.require(actor, "scoring.criteria.edit", table.bloc, year=table.year)
    _claim_table(table, version)
    criteria = criteria_of(table)
    i = next(i for i, c in enumerate(criteria) if c.id == criterion.id)
    before = criterion.group
    if indent:
        above = next((c.group for c in reversed(criteria[:i]) if c.group), "")
        if not above:
            raise ValidationFailed(_("Không có nhóm nào ở phía trên để đưa tiêu chí vào. Hãy ghi tên nhóm khi sửa tiêu chí."))
        new_group = above
    else:
        new_group = ""
        # Taking an item out of the middle of a group would split it: move it below the group.
        j = i
        while j + 1 < len(criteria) and criteria[j + 1].group == before and before:
            j += 1
        criteria.insert(j, criteria.pop(i))
    _check_duplicates([{**_item_dict(c), "group": new_group} if c.id == criterion.id else _item_dict(c) for c in criteria])
    criterion.group = new_group
    _renumber(criteria)
    audit.record(actor, "criteria.group", "criteria_table", table.key, before={"id": criterion.id, "group": before},
                 after={"id": criterion.id, "group": new_group}, summary=f"Đổi nhóm của tiêu chí “{criterion.title}”")
    db.session.commit()


def delete_criterion(actor, table: CriteriaTable, criterion: Criterion, *, version=None) -> None:
    """Remove an item (and, when the Board has unlocked the table, the points already given to it); audited."""
    policy.require(actor, "scoring.criteria.edit", table.bloc, year=table.year)
    _claim_table(table, version)
    removed_scores = _scores_of_criteria([criterion.id])
    db.session.execute(sa.delete(Score).where(Score.criterion_id == criterion.id))
    before = criterion.to_dict()
    db.session.delete(criterion)
    db.session.flush()
    _renumber(criteria_of(table))
    audit.record(actor, "criteria.delete", "criteria_table", table.key, before={**before, "scores": removed_scores},
                 summary=f"Xóa tiêu chí “{before['title']}” khỏi bảng điểm {table.key}")
    db.session.commit()


def _scores_of_criteria(ids: list[int]) -> list[dict]:
    if not ids:
        return []
    rows = db.session.execute(sa.select(Score.scorecard_id, Score.criterion_id, Score.stage, Score.points, Score.note)
                              .where(Score.criterion_id.in_(ids), Score.points.is_not(None))).all()
    return [{"scorecard": r.scorecard_id, "criterion": r.criterion_id, "stage": r.stage,
             "points": rules.format_points(r.points), "note": r.note} for r in rows]


def parse_items(items) -> list[dict]:
    """Check a whole criteria list (API, import, copy); raise ValidationFailed with numbered lines."""
    if not isinstance(items, list):
        raise ValidationFailed(_("Cần một danh sách tiêu chí: {\"criteria\": [{\"group\", \"title\", \"max_points\", \"kind\", \"guidance\"}]}."))
    if len(items) > MAX_CRITERIA:
        raise ValidationFailed(_("Một bảng điểm có tối đa %(n)s tiêu chí.", n=MAX_CRITERIA))
    errors: dict[str, str] = {}
    cleaned: list[dict] = []
    for line, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors[f"line:{line}"] = _("Dòng %(n)s: cần một đối tượng tiêu chí.", n=line)
            continue
        fields, problems = clean_item(item)
        for key, message in problems.items():
            errors.setdefault(f"line:{line}", _("Dòng %(n)s: %(message)s", n=line, message=message))
        ident = item.get("id")
        if ident is not None and (isinstance(ident, bool) or not isinstance(ident, int)):
            errors.setdefault(f"line:{line}", _("Dòng %(n)s: id phải là số nguyên.", n=line))
        cleaned.append({**fields, "id": ident})
    if errors:
        raise ValidationFailed(_("Danh sách tiêu chí có %(n)s dòng lỗi; chưa có thay đổi nào được lưu.", n=len(errors)),
                               errors=errors)
    messages = rules.validate_criteria(cleaned)
    if messages:
        raise ValidationFailed(messages[0], errors={f"rule:{i}": m for i, m in enumerate(messages)})
    return cleaned


def replace_criteria(actor, table: CriteriaTable, items: list[dict], *, version=None, action: str = "criteria.replace",
                     summary: str = "") -> list[Criterion]:
    """Replace the whole table in one transaction: items with a known `id` keep it (and their points)."""
    policy.require(actor, "scoring.criteria.edit", table.bloc, year=table.year)
    cleaned = parse_items(items)
    _claim_table(table, version)
    existing = {c.id: c for c in criteria_of(table)}
    before = [c.to_dict() for c in sorted(existing.values(), key=lambda c: c.position)]
    kept_ids = set()
    result: list[Criterion] = []
    for position, item in enumerate(cleaned):
        ident = item.pop("id", None)
        criterion = existing.get(ident) if ident is not None else None
        if ident is not None and criterion is None:
            raise ValidationFailed(_("Dòng %(n)s: tiêu chí id %(id)s không thuộc bảng điểm này.", n=position + 1, id=ident))
        if criterion is None or ident in kept_ids:
            criterion = Criterion(table_id=table.id)
            db.session.add(criterion)
        else:
            kept_ids.add(ident)
            _check_points_fit(criterion, item["max_points"])
        for key, value in item.items():
            setattr(criterion, key, value)
        criterion.position = position
        result.append(criterion)
    gone = [c for ident, c in existing.items() if ident not in kept_ids]
    removed_scores = _scores_of_criteria([c.id for c in gone])
    if gone:
        db.session.execute(sa.delete(Score).where(Score.criterion_id.in_([c.id for c in gone])))
        for c in gone:
            db.session.delete(c)
    db.session.flush()
    after = [c.to_dict() for c in result]
    if before != after:
        audit.record(actor, action, "criteria_table", table.key, before={"criteria": before, "scores": removed_scores or None},
                     after={"criteria": after},
                     summary=summary or f"Thay bảng điểm {table.key}: {len(after)} tiêu chí")
    db.session.commit()
    return result


def copy_criteria(actor, table: CriteriaTable, source: CriteriaTable | None, *, version=None, replace: bool = False) -> int:
    """Start a table from another (last year's, or another bloc's); refuse to overwrite unless asked."""
    policy.require(actor, "scoring.criteria.edit", table.bloc, year=table.year)
    if source is None or source.id == table.id:
        raise ValidationFailed(_("Chưa chọn bảng điểm nguồn để sao chép."))
    items = [{k: v for k, v in c.to_dict().items() if k != "id"} for c in criteria_of(source)]
    if not items:
        raise ValidationFailed(_("Bảng điểm %(bloc)s năm %(year)s chưa có tiêu chí nào để sao chép.",
                                 bloc=source.bloc.name, year=source.year))
    if criteria_of(table) and not replace:
        raise Conflict(_("Bảng điểm năm %(year)s đã có tiêu chí; hãy xác nhận thay thế nếu muốn sao chép đè.", year=table.year))
    replace_criteria(actor, table, items, version=version, action="criteria.copy",
                     summary=f"Sao chép bảng điểm {source.key} sang {table.key}: {len(items)} tiêu chí")
    return len(items)


def import_criteria(actor, table: CriteriaTable, stream, *, version=None, replace: bool = False) -> dict:
    """Replace the table from an XLSX sheet in the officials' usual shape; all or nothing."""
    from portal.scoring import sheets

    policy.require(actor, "scoring.criteria.edit", table.bloc, year=table.year)
    items, warnings = sheets.read_criteria_xlsx(stream)
    if criteria_of(table) and not replace:
        raise Conflict(_("Bảng điểm năm %(year)s đã có tiêu chí; hãy xác nhận thay thế nếu muốn nhập đè.", year=table.year))
    replace_criteria(actor, table, items, version=version, action="criteria.import",
                     summary=f"Nhập bảng điểm {table.key} từ tệp Excel: {len(items)} tiêu chí")
    return {"count": len(items), "warnings": warnings}


def lock_table(actor, table: CriteriaTable, *, version=None) -> None:
    """Lock the table by hand before scoring starts (the first score locks it anyway)."""
    policy.require(actor, "scoring.criteria.edit", table.bloc, year=table.year)
    if not criteria_of(table):
        raise ValidationFailed(_("Bảng điểm chưa có tiêu chí nào; chưa khóa được."))
    _claim_table(table, version)
    table.locked, table.locked_at = True, utcnow()
    audit.record(actor, "criteria.lock", "criteria_table", table.key, after={"locked": True},
                 summary=f"Khóa bảng điểm {table.key}")
    db.session.commit()


def unlock_table(actor, table: CriteriaTable, reason: str, *, version=None) -> None:
    """Unlock a locked table (Board only, with a reason); audited."""
    policy.require(actor, "scoring.board", table.bloc, year=table.year)
    reason = checked_text(reason if isinstance(reason, str) else "", "reason", label=_("Lý do"))
    if not reason:
        raise ValidationFailed(_("Phải nêu lý do mở khóa bảng điểm."), errors={"reason": _("Bắt buộc.")})
    if table.status != "draft":
        raise Conflict(_("Kết quả đã gửi; không mở khóa bảng điểm được. Hãy mở lại kết quả về dự thảo trước."))
    _claim_table(table, version, unlocked=False)
    if not table.locked:
        db.session.rollback()
        return
    table.locked, table.locked_at = False, None
    audit.record(actor, "criteria.unlock", "criteria_table", table.key, before={"locked": True},
                 after={"locked": False, "reason": reason}, summary=f"Mở khóa bảng điểm {table.key}: {reason}"[:300])
    db.session.commit()


# --- scores --------------------------------------------------------------------------------------

@dataclass
class Cell:
    """A score as the sheet and the API see it: version 0 and points None when never set."""

    points: Decimal | None = None
    version: int = 0
    note: str = ""
    updated_by: str | None = None
    updated_at: datetime | None = None

    def to_current(self) -> dict:
        return {"points": rules.format_points(self.points), "version": self.version, "note": self.note,
                "updated_by": self.updated_by, "updated_at": self.updated_at.isoformat() if self.updated_at else None}


EMPTY = Cell()


def stage_action(stage: str) -> str:
    """The policy action that lets a user write scores of a stage."""
    return {"self": "scoring.self.edit", "bloc": "scoring.sheet", "appraisal": "scoring.board"}[stage]


def can_edit_stage(user, scorecard: Scorecard, stage: str) -> bool:
    """Whether the user may write this scorecard's scores of that stage (rights only, not the status)."""
    target = scorecard if stage == "self" else scorecard.table.bloc
    return policy.can(user, stage_action(stage), target, year=scorecard.year)


def visible_stages(user, table: CriteriaTable, scorecard: Scorecard) -> list[str]:
    """The stages of a scorecard the user may read (a self-score only once submitted, except for its own unit)."""
    own = user.unit_id is not None and user.unit_id == scorecard.unit_id
    stages = []
    # Whoever may write a self-score sees it as it is (the unit itself; the Board, which may do everything).
    if own or can_edit_stage(user, scorecard, "self") or (
            scorecard.self_submitted_at is not None and policy.can(user, "scoring.self.read", scorecard)):
        stages.append("self")
    if own or policy.can(user, "scoring.sheet", table.bloc, year=table.year) or policy.can(user, "scoring.results.read", table):
        stages += ["bloc", "appraisal"]
    return stages


def _read_cell(scorecard_id: int, criterion_id: int, stage: str) -> Cell:
    row = db.session.execute(
        sa.select(Score.points, Score.version, Score.note, Score.updated_by, Score.updated_at)
        .where(Score.scorecard_id == scorecard_id, Score.criterion_id == criterion_id, Score.stage == stage)
    ).first()
    if row is None:
        return Cell()
    return Cell(points=None if row.points is None else rules.normalize_points(row.points), version=row.version,
                note=row.note or "", updated_by=row.updated_by, updated_at=row.updated_at)


def read_cell(scorecard: Scorecard, criterion: Criterion, stage: str) -> Cell:
    """Return the current score of one cell."""
    return _read_cell(scorecard.id, criterion.id, stage)


def _conflict(cell: Cell) -> Conflict:
    # Name the other editor as pages do (full name); one query, only when there is a conflict.
    who = people.names_for(usernames=[cell.updated_by]).of(None, cell.updated_by) if cell.updated_by else _("người khác")
    if cell.points is None:
        message = _("%(who)s vừa xóa điểm ô này trong lúc bạn đang sửa. Hãy chọn lấy giá trị hiện tại hoặc ghi đè.", who=who)
    else:
        message = _("%(who)s vừa lưu điểm %(points)s cho ô này trong lúc bạn đang sửa. Hãy chọn lấy giá trị đó hoặc ghi đè.",
                    who=who, points=points_vi(cell.points))
    return Conflict(message, current=cell.to_current())


def _clean_note(note) -> str | None:
    if note is None:
        return None
    if not isinstance(note, str):
        raise ValidationFailed(_("Ghi chú phải là chuỗi ký tự."), errors={"note": _("Cần một chuỗi ký tự.")})
    checked_text(note, "note", label=_("Ghi chú"), multiline=True)
    text = "\n".join(line.strip() for line in nfc(note).strip().splitlines()).strip()
    if len(text) > 2000:
        raise ValidationFailed(_("Ghi chú dài tối đa 2000 ký tự."), errors={"note": _("Quá dài.")})
    return text


def parse_points(criterion: Criterion, raw) -> Decimal | None:
    """Parse points typed for a criterion, raising a Vietnamese 422 naming the allowed range."""
    try:
        return rules.parse_points(raw, max_points=criterion.max_points)
    except rules.PointsError:
        message = _("Điểm phải là số từ 0 đến %(max)s, tối đa hai chữ số thập phân.", max=points_vi(criterion.max_points))
        raise ValidationFailed(message, errors={"points": message}) from None


def _editable_message(status: str, stage: str) -> str:
    if stage == "appraisal":
        if status == "draft":
            return _("Chưa đến bước thẩm định: kết quả của khối chưa được gửi.")
        return _("Kết quả đã ở trạng thái “%(status)s”; điểm thẩm định không sửa được nữa.", status=STATUS_LABELS[status])
    return _("Kết quả của khối đã ở trạng thái “%(status)s”; điểm %(stage)s không sửa được nữa.",
             status=STATUS_LABELS[status], stage=str(STAGE_LABELS[stage]).lower())


def _check_writable(table: CriteriaTable, scorecard: Scorecard, stage: str, *, status=None, submitted_at=None) -> None:
    status = status if status is not None else table.status
    if not rules.stage_editable(status, stage):
        raise Conflict(_editable_message(status, stage), current={"status": status})
    submitted = submitted_at if submitted_at is not None else scorecard.self_submitted_at
    if stage == "self" and submitted:
        raise Conflict(_("Bản tự chấm của %(unit)s đã gửi nên không sửa được. Cần sửa thì đề nghị Ban Thi đua - Khen thưởng trả lại.",
                         unit=scorecard.unit.name), current={"self_submitted": True})


def save_score(actor, scorecard: Scorecard, criterion: Criterion, stage: str, raw_points, version, *, note=None,
               commit: bool = True) -> Cell:
    """Save one cell if it is still at `version`; refuse stale (409), bad points (422), wrong stage or status.

    Returns the saved cell. On refusal nothing is stored (the transaction is rolled back when `commit`).
    """
    try:
        cell = _write_score(actor, scorecard, criterion, stage, raw_points, version, note=note)
    except ServiceError:
        if commit:
            db.session.rollback()
        raise
    if commit:
        db.session.commit()
    return cell


def _write_score(actor, scorecard, criterion, stage, raw_points, version, *, note=None) -> Cell:
    table = scorecard.table
    if stage not in STAGES:
        raise NotFound(_("Giai đoạn chấm không hợp lệ: %(stage)s.", stage=stage))
    if criterion.table_id != scorecard.table_id:
        raise NotFound(_("Không tìm thấy tiêu chí này trong bảng điểm."))
    if not can_edit_stage(actor, scorecard, stage):
        raise Forbidden(_("Tài khoản của bạn không có quyền chấm điểm %(stage)s cho đơn vị này.",
                          stage=str(STAGE_LABELS[stage]).lower()))
    points = parse_points(criterion, raw_points)
    expected = _version_arg(version)
    note = _clean_note(note)
    _check_writable(table, scorecard, stage)

    current = _read_cell(scorecard.id, criterion.id, stage)
    if current.version != expected:
        raise _conflict(current)
    new_note = current.note if note is None else note
    if current.version and current.points == points and current.note == new_note:
        return current  # nothing changed: no write, no audit line

    now = utcnow()
    if not table.locked:
        # Scoring has started: the criteria table locks in the same transaction as the first score.
        locked = db.session.execute(sa.update(CriteriaTable).where(CriteriaTable.id == table.id, CriteriaTable.locked.is_(False))
                                    .values(locked=True, locked_at=now, version=CriteriaTable.version + 1)
                                    .execution_options(synchronize_session=False)).rowcount
        if locked:
            audit.record(actor, "criteria.lock", "criteria_table", table.key, after={"locked": True, "auto": True},
                         summary=f"Bảng điểm {table.key} tự khóa khi bắt đầu chấm điểm")
    values = {"points": points, "note": new_note, "updated_at": now, "updated_by_id": getattr(actor, "id", None),
              "updated_by": getattr(actor, "username", None) or "system"}
    if expected == 0:
        written = _insert_ignoring_conflicts(Score.__table__, [{
            "scorecard_id": scorecard.id, "criterion_id": criterion.id, "stage": stage, "version": 1, **values}])
    else:
        written = db.session.execute(
            sa.update(Score.__table__)
            .where(Score.scorecard_id == scorecard.id, Score.criterion_id == criterion.id, Score.stage == stage,
                   Score.version == expected)
            .values(version=Score.version + 1, **values)).rowcount
    if written != 1:
        db.session.rollback()
        raise _conflict(_read_cell(scorecard.id, criterion.id, stage))

    # After the write (this transaction now holds the write lock on SQLite, a share lock on PostgreSQL):
    # a status change or a self-score submission that committed meanwhile is seen here, and wins.
    state = db.session.execute(
        sa.select(CriteriaTable.status, Scorecard.self_submitted_at).join(Scorecard, Scorecard.table_id == CriteriaTable.id)
        .where(Scorecard.id == scorecard.id).with_for_update(read=True)
    ).one()
    if not rules.stage_editable(state.status, stage) or (stage == "self" and state.self_submitted_at is not None):
        db.session.rollback()
        _check_writable(table, scorecard, stage, status=state.status, submitted_at=state.self_submitted_at or False)

    saved = Cell(points=points, version=expected + 1, note=new_note, updated_by=values["updated_by"], updated_at=now)
    unit_name = scorecard.unit.name
    audit.record(actor, "score", "scorecard", scorecard.id,
                 before={"criterion": criterion.id, "stage": stage, "points": rules.format_points(current.points),
                         "note": current.note, "version": current.version},
                 after={"criterion": criterion.id, "stage": stage, "points": rules.format_points(points), "note": new_note,
                        "version": saved.version},
                 summary=(f"{rules.STAGE_LABELS[stage]} {unit_name}: “{criterion.title[:80]}” "
                          f"{points_vi(current.points) or '—'} → {points_vi(points) or '—'}"))
    return saved


@dataclass
class CellChange:
    """One cell of a whole-sheet save (the plain-form fallback of the htmx sheet)."""

    scorecard: Scorecard
    criterion: Criterion
    stage: str
    raw: Any
    version: Any
    note: Any = None


def save_many(actor, changes: list[CellChange]) -> int:
    """Save several cells in one transaction: all of them, or none with a message per refused cell."""
    errors: dict[str, str] = {}
    conflicts: dict[str, dict] = {}
    status = 422
    for change in changes:
        key = f"{change.scorecard.id}-{change.criterion.id}-{change.stage}"
        try:
            _write_score(actor, change.scorecard, change.criterion, change.stage, change.raw, change.version, note=change.note)
        except Conflict as exc:
            errors[key] = exc.message
            if exc.current and "version" in exc.current:
                conflicts[key] = exc.current
            status = 409 if status != 403 else status
        except Forbidden as exc:
            errors[key] = exc.message
            status = 403
        except ServiceError as exc:
            errors[key] = exc.errors.get("points") or exc.message
    if errors:
        db.session.rollback()
        cls = {409: Conflict, 403: Forbidden}.get(status, ValidationFailed)
        raise cls(_("%(n)s ô chưa lưu được; chưa có điểm nào trong lần lưu này được ghi. Hãy xem các ô được đánh dấu.",
                    n=len(errors)), errors=errors, current=conflicts or None)
    db.session.commit()
    return len(changes)


def save_form(actor, table: CriteriaTable, stage: str, entries: list[tuple]) -> int:
    """Save a whole submitted form (sheet or scorecard without JavaScript): the changed cells, all or none.

    `entries` are (scorecard id, criterion id, typed points, version, note or None). A cell counts as
    changed when what was typed differs from what is stored now; a stale version on a changed cell is
    a conflict like any other.
    """
    cards = {m.scorecard.id: m.scorecard for m in members(table)}
    criteria = {c.id: c for c in criteria_of(table)}
    current: dict[tuple[int, int], Cell] = {}
    if cards:
        for r in db.session.execute(sa.select(Score.scorecard_id, Score.criterion_id, Score.points, Score.version, Score.note)
                                    .where(Score.scorecard_id.in_(list(cards)), Score.stage == stage)):
            current[(r.scorecard_id, r.criterion_id)] = Cell(None if r.points is None else rules.normalize_points(r.points),
                                                             r.version, r.note or "")
    changes, errors = [], {}
    for sc_id, cr_id, raw, version, note in entries:
        key = f"{sc_id}-{cr_id}-{stage}"
        if sc_id not in cards or cr_id not in criteria:
            errors[key] = _("Không tìm thấy ô điểm này.")
            continue
        try:
            points = parse_points(criteria[cr_id], raw)
            cleaned_note = _clean_note(note)
        except ValidationFailed as exc:
            errors[key] = exc.errors.get("points") or exc.message
            continue
        now = current.get((sc_id, cr_id), EMPTY)
        if points == now.points and (cleaned_note is None or cleaned_note == now.note):
            continue
        changes.append(CellChange(cards[sc_id], criteria[cr_id], stage, raw, version, note))
    if errors:
        raise ValidationFailed(_("%(n)s ô chưa lưu được; chưa có điểm nào trong lần lưu này được ghi. Hãy xem các ô được đánh dấu.",
                                 n=len(errors)), errors=errors)
    if not changes:
        return 0
    return save_many(actor, changes)


def submit_self(actor, scorecard: Scorecard) -> None:
    """Send the unit's self-score to the bloc (then it is read-only for the unit); every scored item needs points."""
    policy.require(actor, "scoring.self.edit", scorecard)
    _check_writable(scorecard.table, scorecard, "self")
    criteria = criteria_of(scorecard.table)
    if not criteria:
        raise ValidationFailed(_("Bảng điểm chưa có tiêu chí nào."))
    given = {r.criterion_id for r in db.session.execute(
        sa.select(Score.criterion_id).where(Score.scorecard_id == scorecard.id, Score.stage == "self", Score.points.is_not(None)))}
    missing = [c for c in criteria if c.kind == "scored" and c.id not in given]
    if missing:
        names = "; ".join(c.title[:60] for c in missing[:5]) + ("…" if len(missing) > 5 else "")
        raise ValidationFailed(_("Còn %(n)s tiêu chí chưa tự chấm: %(names)s.", n=len(missing), names=names),
                               errors={f"criterion:{c.id}": _("Chưa chấm.") for c in missing})
    now = utcnow()
    done = db.session.execute(sa.update(Scorecard).where(Scorecard.id == scorecard.id, Scorecard.self_submitted_at.is_(None))
                              .values(self_submitted_at=now, self_submitted_by=actor.username)
                              .execution_options(synchronize_session=False)).rowcount
    if not done:
        db.session.rollback()
        raise Conflict(_("Bản tự chấm này đã được gửi."))
    audit.record(actor, "self.submit", "scorecard", scorecard.id, after={"self_submitted": True},
                 summary=f"{scorecard.unit.name} gửi bản tự chấm")
    db.session.commit()


def return_self(actor, scorecard: Scorecard, reason: str) -> None:
    """Give a submitted self-score back to its unit for corrections (Board, with a reason)."""
    policy.require(actor, "scoring.board", scorecard)
    reason = checked_text(reason if isinstance(reason, str) else "", "reason", label=_("Lý do"))
    if not reason:
        raise ValidationFailed(_("Phải nêu lý do trả lại bản tự chấm."), errors={"reason": _("Bắt buộc.")})
    if scorecard.table.status != "draft":
        raise Conflict(_("Kết quả của khối đã gửi; không trả lại bản tự chấm được."))
    done = db.session.execute(sa.update(Scorecard).where(Scorecard.id == scorecard.id, Scorecard.self_submitted_at.is_not(None))
                              .values(self_submitted_at=None, self_submitted_by=None)
                              .execution_options(synchronize_session=False)).rowcount
    if not done:
        db.session.rollback()
        raise Conflict(_("Bản tự chấm này chưa được gửi."))
    audit.record(actor, "self.return", "scorecard", scorecard.id, before={"self_submitted": True},
                 after={"self_submitted": False, "reason": reason}, summary=f"Trả lại bản tự chấm của {scorecard.unit.name}: {reason}"[:300])
    db.session.commit()


def copy_bloc_to_appraisal(actor, scorecard: Scorecard) -> int:
    """Fill the appraisal scores not yet entered with the bloc's scores (Board), audited cell by cell."""
    policy.require(actor, "scoring.board", scorecard)
    _check_writable(scorecard.table, scorecard, "appraisal")
    bloc = {r.criterion_id: r.points for r in db.session.execute(
        sa.select(Score.criterion_id, Score.points).where(Score.scorecard_id == scorecard.id, Score.stage == "bloc",
                                                          Score.points.is_not(None)))}
    have = {r.criterion_id for r in db.session.execute(
        sa.select(Score.criterion_id).where(Score.scorecard_id == scorecard.id, Score.stage == "appraisal"))}
    criteria = {c.id: c for c in criteria_of(scorecard.table)}
    count = 0
    for criterion_id, points in bloc.items():
        if criterion_id in have or criterion_id not in criteria:
            continue
        _write_score(actor, scorecard, criteria[criterion_id], "appraisal", rules.format_points(points), 0)
        count += 1
    db.session.commit()
    return count


# --- totals, sheets and results -------------------------------------------------------------------

def totals_by_scorecard(table: CriteriaTable, *, include_draft_self: bool = False) -> dict[int, dict[str, Decimal | None]]:
    """Return {scorecard id: {stage: total}} in one query; a stage with no points has no total (None).

    A self-score counts only once submitted (its unit sees its own draft total on its own page).
    """
    signed = sa.case((Criterion.kind == "deduction", -Score.points), else_=Score.points)
    query = (sa.select(Score.scorecard_id, Score.stage, sa.type_coerce(sa.func.sum(signed), TOTAL))
             .join(Criterion, Criterion.id == Score.criterion_id)
             .join(Scorecard, Scorecard.id == Score.scorecard_id)
             .where(Scorecard.table_id == table.id, Score.points.is_not(None))
             .group_by(Score.scorecard_id, Score.stage))
    if not include_draft_self:
        query = query.where(sa.or_(Score.stage != "self", Scorecard.self_submitted_at.is_not(None)))
    totals: dict[int, dict[str, Decimal | None]] = defaultdict(lambda: {s: None for s in STAGES})
    for scorecard_id, stage, value in db.session.execute(query):
        totals[scorecard_id][stage] = rules.normalize_points(Decimal(value))
    return totals


def own_total(scorecard: Scorecard, stage: str) -> Decimal | None:
    """Return one scorecard's total of one stage, drafts included (for the unit's own page)."""
    signed = sa.case((Criterion.kind == "deduction", -Score.points), else_=Score.points)
    row = db.session.execute(
        sa.select(sa.type_coerce(sa.func.sum(signed), TOTAL), sa.func.count(Score.points))
        .join(Criterion, Criterion.id == Score.criterion_id)
        .where(Score.scorecard_id == scorecard.id, Score.stage == stage, Score.points.is_not(None))).one()
    return rules.normalize_points(Decimal(row[0])) if row[1] else None


def thresholds_row(year: int) -> ScoringThresholds | None:
    """Return the stored thresholds of a year, if the Board set them."""
    return db.session.scalar(sa.select(ScoringThresholds).where(ScoringThresholds.year == year))


def thresholds_for(year: int) -> rules.Thresholds:
    """Return the year's thresholds, or the usual ones (95 / 85 / 70) when none were set."""
    row = thresholds_row(year)
    if row is None:
        return rules.DEFAULT_THRESHOLDS
    return rules.Thresholds(excellent=row.excellent, good=row.good, completed=row.completed)


def set_thresholds(actor, year: int, data: dict, *, version=None) -> ScoringThresholds:
    """Set a year's classification thresholds (Board); refused once a bloc's results that year are appraised."""
    policy.require(actor, "scoring.board")
    year = org.check_year(year)
    errors = {}
    try:
        thresholds = rules.Thresholds(excellent=_threshold_text(data.get("excellent")), good=_threshold_text(data.get("good")),
                                      completed=_threshold_text(data.get("completed")))
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(_("Ngưỡng xếp loại chưa hợp lệ: %(message)s", message=str(exc)),
                               errors={"thresholds": str(exc)}) from None
    maxima = [rules.table_max(criteria_of(t)) for t in db.session.scalars(sa.select(CriteriaTable).where(CriteriaTable.year == year))]
    maxima = [m for m in maxima if m > 0]
    if maxima:
        try:
            rules.validate_thresholds(thresholds, max_total=min(maxima))
        except ValueError as exc:
            errors["excellent"] = str(exc)
    if errors:
        raise ValidationFailed(errors["excellent"], errors=errors)
    closed = db.session.scalar(sa.select(sa.func.count(CriteriaTable.id)).where(
        CriteriaTable.year == year, CriteriaTable.status.in_(("appraised", "final"))))
    if closed:
        raise Conflict(_("Đã có %(n)s khối được thẩm định hoặc công nhận kết quả năm %(year)s; không đổi ngưỡng xếp loại được.",
                         n=closed, year=year))
    row = thresholds_row(year)
    new = {"excellent": thresholds.excellent, "good": thresholds.good, "completed": thresholds.completed}
    if row is None:
        inserted = _insert_ignoring_conflicts(ScoringThresholds.__table__, [{"year": year, "version": 1, "updated_at": utcnow(), **new}])
        if not inserted:
            raise Conflict(_("Ngưỡng xếp loại vừa được người khác đặt. Hãy xem lại rồi lưu."))
        before = None
    else:
        expected = _version_arg(version, allow_none=True)
        stmt = sa.update(ScoringThresholds).where(ScoringThresholds.id == row.id)
        if expected is not None:
            stmt = stmt.where(ScoringThresholds.version == expected)
        before = {k: rules.format_points(getattr(row, k)) for k in new}
        if not db.session.execute(stmt.values(version=ScoringThresholds.version + 1, updated_at=utcnow(), **new)
                                  .execution_options(synchronize_session=False)).rowcount:
            db.session.rollback()
            raise Conflict(_("Ngưỡng xếp loại vừa được người khác sửa. Hãy xem lại rồi lưu."))
    audit.record(actor, "thresholds", "scoring_thresholds", year, before=before,
                 after={k: rules.format_points(v) for k, v in new.items()},
                 summary=f"Ngưỡng xếp loại năm {year}: {points_vi(thresholds.excellent)} / {points_vi(thresholds.good)} / {points_vi(thresholds.completed)}")
    db.session.commit()
    db.session.expire_all()
    return thresholds_row(year)


def _threshold_text(value):
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(_("Vui lòng nhập đủ ba ngưỡng."))
    return value.strip() if isinstance(value, str) else value


@dataclass
class ResultLine:
    """One unit's line of the bloc's results."""

    member: Member
    totals: dict[str, Decimal | None]
    effective_total: Decimal | None
    effective_stage: str | None
    rank: int | None
    tie: bool
    classification: str | None
    flag: str | None
    appraised: bool = False  # among the units the Board appraises (ranked 1st–3rd when submitted)

    @property
    def unit(self) -> Unit:
        return self.member.unit

    @property
    def scorecard(self) -> Scorecard:
        return self.member.scorecard


@dataclass
class BlocResults:
    """The bloc-year's results: status, lines by rank, thresholds, and what the flags note says."""

    table: CriteriaTable
    status: str
    lines: list[ResultLine]
    thresholds: rules.Thresholds
    flag_note: str | None = None
    tie_candidates: list[int] = field(default_factory=list)  # scorecard ids tied at rank 1 (Board decides)
    members: list[Member] = field(default_factory=list)

    @property
    def appraisal_members(self) -> list[Member]:
        return [line.member for line in sorted(self.lines, key=lambda l: (l.rank or 999)) if line.appraised]


def compute(table: CriteriaTable, *, stored_flags: bool = True, the_members: list[Member] | None = None,
            totals=None) -> BlocResults:
    """Compute the results from the scores (live): totals per stage, rank with ties, classification, flags."""
    the_members = the_members if the_members is not None else members(table)
    totals = totals if totals is not None else totals_by_scorecard(table)
    thresholds = thresholds_for(table.year)
    by_card = {m.scorecard.id: totals.get(m.scorecard.id, {s: None for s in STAGES}) for m in the_members}
    member_of = {m.scorecard.id: m for m in the_members}
    computed = rules.compute_results(by_card, table.status, thresholds)
    # The units the Board appraises: ranked 1st–3rd on the bloc's submitted results (ties included).
    submitted_ranks = rules.compute_results(by_card, "submitted", thresholds)
    appraised = set(rules.which_units_appraised({k: v.rank for k, v in submitted_ranks.items()}))
    proposal = rules.propose_flags(computed, table.status)
    flags: dict[int, str | None] = {k: (None if v is None else str(v)) for k, v in proposal.flags.items()}
    if stored_flags and table.status in ("appraised", "final"):
        stored = {r.scorecard_id: r.flag for r in db.session.scalars(
            sa.select(Result).where(Result.scorecard_id.in_(list(by_card))))}
        if stored:
            flags = {k: stored.get(k) for k in by_card}
    lines = [ResultLine(member=member_of[k], totals={str(s): v for s, v in r.totals.items()}, effective_total=r.effective_total,
                        effective_stage=None if r.effective_stage is None else str(r.effective_stage), rank=r.rank, tie=r.tie,
                        classification=None if r.classification is None else str(r.classification), flag=flags.get(k),
                        appraised=k in appraised)
             for k, r in computed.items()]
    tie = [k for k, r in computed.items() if r.rank == 1] if proposal.tie else []
    return BlocResults(table=table, status=table.status, lines=lines, thresholds=thresholds, flag_note=proposal.note,
                       tie_candidates=tie, members=the_members)


def _store_results(results: BlocResults, flags: dict[int, str | None] | None = None) -> None:
    """Write the computed lines (and flags) to the Result table, in the current transaction."""
    existing = {r.scorecard_id: r for r in db.session.scalars(
        sa.select(Result).where(Result.scorecard_id.in_([line.scorecard.id for line in results.lines])))}
    now = utcnow()
    for line in results.lines:
        row = existing.get(line.scorecard.id)
        if row is None:
            row = Result(scorecard_id=line.scorecard.id)
            db.session.add(row)
        row.total_self, row.total_bloc, row.total_appraisal = (line.totals["self"], line.totals["bloc"], line.totals["appraisal"])
        row.effective_total, row.rank, row.tie = line.effective_total, line.rank, line.tie
        row.classification = line.classification
        row.flag = flags.get(line.scorecard.id) if flags is not None else line.flag
        row.updated_at = now


def _actor_role(actor, table: CriteriaTable) -> str:
    if getattr(actor, "role", None) == "admin":
        return rules.ActorRole.BOARD
    if policy.can(actor, "scoring.sheet", table.bloc, year=table.year):
        return rules.ActorRole.LEADER
    return rules.ActorRole.VIEWER


def allowed_actions(actor, table: CriteriaTable) -> list[str]:
    """The status actions this user may take now (for showing buttons)."""
    return [str(a) for a in rules.allowed_actions(table.status, actor_role=_actor_role(actor, table))]


def change_status(actor, table: CriteriaTable, action: str, *, reason: str | None = None) -> BlocResults:
    """Move the bloc's results on (submit, appraise, finalize) or one step back (reopen, Board with a reason)."""
    if action not in ACTION_LABELS:
        raise NotFound(_("Thao tác không hợp lệ."))
    if action == "submit":
        policy.require(actor, "scoring.sheet", table.bloc, year=table.year)
    else:
        policy.require(actor, "scoring.board", table.bloc, year=table.year)
    reason = checked_text(reason, "reason", label=_("Lý do")) if isinstance(reason, str) else None
    if action == "reopen" and not reason:
        raise ValidationFailed(_("Phải nêu lý do khi mở lại kết quả."), errors={"reason": _("Bắt buộc.")})
    try:
        target = rules.transition(table.status, action, actor_role=_actor_role(actor, table), reason=reason)
    except rules.TransitionError:
        raise Conflict(_("Không thể “%(action)s” khi kết quả đang ở trạng thái “%(status)s”.",
                         action=ACTION_LABELS[action], status=STATUS_LABELS[table.status]), current={"status": table.status}) from None
    _check_complete(table, action)
    source = table.status
    moved = db.session.execute(sa.update(CriteriaTable).where(CriteriaTable.id == table.id, CriteriaTable.status == source)
                               .values(status=str(target), version=CriteriaTable.version + 1, updated_at=utcnow())
                               .execution_options(synchronize_session=False)).rowcount
    if not moved:
        db.session.rollback()
        db.session.refresh(table)
        raise Conflict(_("Kết quả vừa được người khác chuyển sang trạng thái “%(status)s”.", status=STATUS_LABELS[table.status]),
                       current={"status": table.status})
    db.session.refresh(table)
    # The write above holds the lock: the scores read now are the final ones for this step.
    if action == "appraise":
        results = compute(table, stored_flags=False)
        _store_results(results)
    elif action == "reopen" and target == rules.Status.SUBMITTED:
        results = compute(table, stored_flags=False)
        _store_results(results, flags={})
    else:
        results = compute(table)
        _store_results(results)
    audit.record(actor, f"results.{action}", "bloc_results", table.key, before={"status": source},
                 after={"status": str(target), **({"reason": reason} if reason else {})},
                 summary=f"{ACTION_LABELS[action]} kết quả {table.key}: {STATUS_LABELS[source]} → {STATUS_LABELS[str(target)]}"
                         + (f" ({reason})" if reason else ""))
    db.session.commit()
    return compute(table)


def _check_complete(table: CriteriaTable, action: str) -> None:
    """Submitting needs every unit's bloc score on every scored item; appraising, the appraised units' appraisal scores."""
    if action not in ("submit", "appraise"):
        return
    criteria = [c for c in criteria_of(table) if c.kind == "scored"]
    if not criteria:
        raise ValidationFailed(_("Bảng điểm chưa có tiêu chí chấm điểm nào."))
    the_members = members(table)
    if action == "submit":
        stage, who = "bloc", the_members
    else:
        stage, who = "appraisal", compute(table, the_members=the_members).appraisal_members
    given = defaultdict(set)
    for r in db.session.execute(sa.select(Score.scorecard_id, Score.criterion_id).join(Scorecard)
                                .where(Scorecard.table_id == table.id, Score.stage == stage, Score.points.is_not(None))):
        given[r.scorecard_id].add(r.criterion_id)
    errors = {}
    for m in who:
        missing = [c for c in criteria if c.id not in given[m.scorecard.id]]
        if missing:
            errors[f"unit:{m.unit.code}"] = _("%(unit)s: còn %(n)s tiêu chí chưa có điểm %(stage)s.", unit=m.unit.name,
                                              n=len(missing), stage=str(STAGE_LABELS[stage]).lower())
    if not the_members:
        raise ValidationFailed(_("Khối chưa có đơn vị thành viên nào trong năm %(year)s.", year=table.year))
    if errors:
        raise ValidationFailed(_("Chưa chấm đủ điểm %(stage)s cho %(n)s đơn vị.", stage=str(STAGE_LABELS[stage]).lower(),
                                 n=len(errors)), errors=errors)


def decide_flag_tie(actor, table: CriteriaTable, chosen_ids: list[int]) -> BlocResults:
    """Record the Board's choice among units tied at rank 1 for the provincial flag; audited."""
    policy.require(actor, "scoring.board", table.bloc, year=table.year)
    results = compute(table)
    live = compute(table, stored_flags=False)
    proposal = rules.FlagProposal(flags={l.scorecard.id: l.flag for l in live.lines},
                                  candidates=tuple(live.tie_candidates), tie=bool(live.tie_candidates))
    try:
        decided = rules.decide_flag_tie(proposal, [int(i) for i in chosen_ids], status=table.status, actor_role=rules.ActorRole.BOARD)
    except (rules.FlagError, ValueError) as exc:
        raise ValidationFailed(getattr(exc, "message", _("Lựa chọn không hợp lệ."))) from None
    current = {l.scorecard.id: l.flag for l in results.lines}
    flags = {k: (current.get(k) if v and current.get(k) == "co_chinh_phu" else (None if v is None else str(v)))
             for k, v in decided.flags.items()}
    _store_results(results, flags=flags)
    names = ", ".join(l.unit.name for l in results.lines if flags.get(l.scorecard.id))
    audit.record(actor, "results.flag_tie", "bloc_results", table.key, before={"flags": _flag_names(results, current)},
                 after={"flags": _flag_names(results, flags)}, summary=f"Chọn đơn vị đề nghị Cờ thi đua {table.key}: {names}")
    db.session.commit()
    return compute(table)


def set_government_flag(actor, table: CriteriaTable, scorecard: Scorecard, marked: bool) -> BlocResults:
    """Mark (or take back) a Government-flag proposal for a provincial-flag unit (council's decision, recorded by the Board)."""
    policy.require(actor, "scoring.board", table.bloc, year=table.year)
    results = compute(table)
    current = {l.scorecard.id: l.flag for l in results.lines}
    try:
        flags = rules.mark_government_flag(current, scorecard.id, status=table.status, actor_role=rules.ActorRole.BOARD, marked=marked)
    except rules.FlagError as exc:
        raise ValidationFailed(exc.message) from None
    flags = {k: None if v is None else str(v) for k, v in flags.items()}
    _store_results(results, flags=flags)
    audit.record(actor, "results.gov_flag", "bloc_results", table.key, before={"flags": _flag_names(results, current)},
                 after={"flags": _flag_names(results, flags)},
                 summary=f"{'Đề nghị' if marked else 'Bỏ đề nghị'} Cờ thi đua của Chính phủ cho {scorecard.unit.name}")
    db.session.commit()
    return compute(table)


def _flag_names(results: BlocResults, flags: dict) -> dict:
    return {l.unit.code: flags.get(l.scorecard.id) for l in results.lines if flags.get(l.scorecard.id)}


# --- the scoring sheet ----------------------------------------------------------------------------

@dataclass
class Sheet:
    """Everything the scoring sheet shows: criteria rows, unit columns, cells, comparison, totals, ranks."""

    table: CriteriaTable
    stage: str
    compare_stage: str | None
    criteria: list[Criterion]
    rows: list[CriteriaRow]
    columns: list[Member]
    cells: dict[tuple[int, int], Cell]
    compare: dict[tuple[int, int], Decimal | None]
    totals: dict[int, Decimal | None]
    compare_totals: dict[int, Decimal | None]
    ranks: dict[int, rules.RankInfo]
    editable: bool
    maxima: rules.TableMax
    # Per criterion, per unit column: (scorecard id, "sc-cr" key, shown points, version, shown comparison,
    # " differs" or "") — ready to print, so the 800 cells of a big sheet cost no function call each.
    grid: dict[int, list[tuple]] = field(default_factory=dict)


def sheet_ranks(stage: str, totals: dict[int, dict[str, Decimal | None]], columns: list[Member],
                all_members: list[Member]) -> tuple[dict, dict]:
    """Return ({scorecard: stage total}, {scorecard: RankInfo}) as the sheet shows them live.

    The bloc sheet ranks on the bloc totals; the appraisal sheet ranks every unit as appraisal would
    (the appraisal total where there is one, else the bloc total).
    """
    stage_totals = {m.scorecard.id: totals.get(m.scorecard.id, {}).get(stage) for m in columns}
    if stage == "appraisal":
        basis = {m.scorecard.id: rules.effective_total(totals.get(m.scorecard.id, {}), "appraised") for m in all_members}
    elif stage == "bloc":
        basis = stage_totals
    else:
        basis = {}
    return stage_totals, rules.rank_with_ties(basis)


def build_sheet(user, table: CriteriaTable, stage: str, *, the_members: list[Member] | None = None) -> Sheet:
    """Load the bloc or appraisal scoring sheet in a fixed number of queries, whatever its size."""
    if stage not in ("bloc", "appraisal"):
        raise NotFound(_("Giai đoạn chấm không hợp lệ: %(stage)s.", stage=stage))
    criteria = criteria_of(table)
    the_members = the_members if the_members is not None else members(table)
    totals = totals_by_scorecard(table)
    if stage == "appraisal":
        columns = compute(table, the_members=the_members, totals=totals).appraisal_members
        compare_stage = "bloc"
    else:
        columns = the_members
        compare_stage = "self"
    ids = [m.scorecard.id for m in columns]
    cells: dict[tuple[int, int], Cell] = {}
    compare: dict[tuple[int, int], Decimal | None] = {}
    submitted = {m.scorecard.id for m in columns if m.scorecard.self_submitted_at is not None}
    normal: dict[Decimal | None, Decimal | None] = {None: None}  # a sheet has few distinct points: normalise each once
    if ids:
        rows = db.session.execute(
            sa.select(Score.scorecard_id, Score.criterion_id, Score.stage, Score.points, Score.version)
            .where(Score.scorecard_id.in_(ids), Score.stage.in_((stage, compare_stage))))
        for sc_id, cr_id, row_stage, points, version in rows:
            if points not in normal:
                normal[points] = rules.normalize_points(points)
            points = normal[points]
            if row_stage == stage:
                cells[(sc_id, cr_id)] = Cell(points, version)
            elif compare_stage != "self" or sc_id in submitted:
                compare[(sc_id, cr_id)] = points
    shown = {value: points_vi(value) for value in normal.values()}
    grid = {}
    for c in criteria:
        line = []
        for sc_id in ids:
            cell = cells.get((sc_id, c.id), EMPTY)
            other = compare.get((sc_id, c.id))
            differs = " differs" if other is not None and cell.points is not None and other != cell.points else ""
            line.append((sc_id, f"{sc_id}-{c.id}", shown[cell.points], cell.version, shown[other], differs))
        grid[c.id] = line
    stage_totals, ranks = sheet_ranks(stage, totals, columns, the_members)
    compare_totals = {i: totals.get(i, {}).get(compare_stage) for i in ids}
    editable = rules.stage_editable(table.status, stage) and policy.can(user, stage_action(stage), table.bloc, year=table.year)
    return Sheet(table=table, stage=stage, compare_stage=compare_stage, criteria=criteria, rows=criteria_rows(criteria),
                 columns=columns, cells=cells, compare=compare, totals=stage_totals, compare_totals=compare_totals,
                 ranks=ranks, editable=editable, maxima=rules.table_maxima(criteria), grid=grid)


def live_totals(table: CriteriaTable, stage: str) -> tuple[list[Member], dict, dict]:
    """Return the columns, totals and ranks of a sheet after a save (for the live footer)."""
    the_members = members(table)
    totals = totals_by_scorecard(table)
    if stage == "appraisal":
        columns = compute(table, the_members=the_members, totals=totals).appraisal_members
    else:
        columns = the_members
    stage_totals, ranks = sheet_ranks(stage, totals, columns, the_members)
    return columns, stage_totals, ranks


def scorecard_cells(scorecard: Scorecard, stages: list[str]) -> dict[tuple[int, str], Cell]:
    """Return {(criterion, stage): Cell} of one scorecard for the stages asked."""
    rows = db.session.execute(sa.select(Score.criterion_id, Score.stage, Score.points, Score.version, Score.note, Score.updated_by,
                                        Score.updated_at).where(Score.scorecard_id == scorecard.id, Score.stage.in_(stages)))
    return {(r.criterion_id, r.stage): Cell(None if r.points is None else rules.normalize_points(r.points), r.version,
                                            r.note or "", r.updated_by, r.updated_at) for r in rows}


# --- history and overview -------------------------------------------------------------------------

@dataclass
class HistoryLine:
    event: audit.AuditEvent
    criterion: str
    stage: str
    old: str
    new: str
    note_changed: bool
    who: str = ""


def can_read_history(user, scorecard: Scorecard) -> bool:
    """Whether the user may read a scorecard's history: its own unit, the bloc's leader that year and the Board."""
    table = scorecard.table
    return bool(visible_stages(user, table, scorecard)) and (
        user.unit_id == scorecard.unit_id or policy.can(user, "scoring.sheet", table.bloc, year=table.year))


def scorecard_history(scorecard: Scorecard, stages: list[str] | tuple[str, ...] = STAGES) -> list[HistoryLine]:
    """Return the audited changes of a scorecard, newest first, with the criterion's title and who made them.

    Only the score changes of `stages` are listed (the reader's `visible_stages`): a unit's self-score
    stays its own, points and notes alike, until it is submitted (issue 11, item 8).
    """
    titles = {}
    for row in criteria_rows(criteria_of(scorecard.table)):
        if row.kind == "item":
            titles[row.criterion.id] = f"{row.number} {row.criterion.title}"
    events = [e for e in audit.events_for("scorecard", scorecard.id, limit=5000)
              if e.action != "score" or (e.after or e.before or {}).get("stage") in stages]
    names = people.event_names(events)
    lines = []
    for event in events:
        before, after = event.before or {}, event.after or {}
        criterion = titles.get(after.get("criterion") or before.get("criterion"), "")
        stage = after.get("stage") or ""
        lines.append(HistoryLine(event=event, criterion=criterion, stage=str(STAGE_LABELS.get(stage, "")),
                                 old=_vi(before.get("points")), new=_vi(after.get("points")),
                                 note_changed=before.get("note") != after.get("note") and event.action == "score",
                                 who=names.actor(event)))
    return lines


def _vi(points: str | None) -> str:
    return "" if points is None else points.replace(".", ",")


def table_history(table: CriteriaTable) -> list[audit.AuditEvent]:
    """Return the audited changes of a table's criteria, lock and results status."""
    events = audit.events_for("criteria_table", table.key, limit=500) + audit.events_for("bloc_results", table.key, limit=500)
    return sorted(events, key=lambda e: (e.at, e.id), reverse=True)


def status_steps(table: CriteriaTable) -> dict[str, audit.AuditEvent]:
    """Return, for each status reached, the audit event that last moved the results there."""
    steps = {}
    for event in sorted(audit.events_for("bloc_results", table.key, limit=500), key=lambda e: (e.at, e.id)):
        status = (event.after or {}).get("status")
        if status:
            steps[status] = event
    return steps


@dataclass
class BlocOverview:
    bloc: Bloc
    table: CriteriaTable | None
    criteria: int
    leader: Unit | None
    units: int
    my_role: str | None


def year_overview(user, year: int) -> list[BlocOverview]:
    """Return every active bloc with that year's table, criteria count, leader and unit count (constant queries)."""
    tables = {t.bloc_id: t for t in db.session.scalars(sa.select(CriteriaTable).where(CriteriaTable.year == year))}
    counts = dict(db.session.execute(sa.select(Criterion.table_id, sa.func.count(Criterion.id)).join(CriteriaTable)
                                     .where(CriteriaTable.year == year).group_by(Criterion.table_id)).all())
    mine = policy.unit_membership(user, year) if getattr(user, "unit_id", None) else None
    lines = []
    for entry in org.bloc_overview(year):
        bloc = entry["bloc"]
        if not bloc.active and bloc.id not in tables:
            continue
        table = tables.get(bloc.id)
        lines.append(BlocOverview(bloc=bloc, table=table, criteria=counts.get(table.id, 0) if table else 0,
                                  leader=entry["leader"], units=entry["count"],
                                  my_role=mine.role if mine is not None and mine.bloc_id == bloc.id else None))
    return lines


def scoring_years() -> list[int]:
    """Return the years with memberships or tables, newest first."""
    years = set(org.membership_years()) | set(db.session.scalars(sa.select(CriteriaTable.year).distinct()))
    return sorted(years, reverse=True)


# --- JSON shapes (DESIGN §4) ----------------------------------------------------------------------

def criteria_json(table: CriteriaTable) -> dict:
    """The table as the API gives it: `{criteria: [...], locked, ...}`."""
    criteria = criteria_of(table)
    maxima = rules.table_maxima(criteria)
    return {"bloc": table.bloc.code, "year": table.year, "locked": table.locked, "status": table.status,
            "version": table.version, "criteria": [c.to_dict() for c in criteria],
            "max_total": rules.format_points(maxima.scored), "max_bonus": rules.format_points(maxima.bonus),
            "max_deduction": rules.format_points(maxima.deduction)}


def scores_json(user, table: CriteriaTable) -> dict:
    """Every scorecard the user may see, each with every criterion × visible stage (version 0 when never set)."""
    criteria = criteria_of(table)
    the_members = members(table)
    visible = []
    for m in the_members:
        stages = visible_stages(user, table, m.scorecard)
        if stages:
            visible.append((m, stages))
    ids = [m.scorecard.id for m, _s in visible]
    cells: dict[tuple[int, int, str], Cell] = {}
    if ids:
        for r in db.session.execute(sa.select(Score.scorecard_id, Score.criterion_id, Score.stage, Score.points, Score.version,
                                              Score.note).where(Score.scorecard_id.in_(ids))):
            cells[(r.scorecard_id, r.criterion_id, r.stage)] = Cell(
                None if r.points is None else rules.normalize_points(r.points), r.version, r.note or "")
    cards = []
    for m, stages in visible:
        scores = []
        for c in criteria:
            for stage in stages:
                cell = cells.get((m.scorecard.id, c.id, stage), EMPTY)
                entry = {"criterion": c.id, "stage": stage, "points": rules.format_points(cell.points), "version": cell.version}
                if cell.note:
                    entry["note"] = cell.note
                scores.append(entry)
        cards.append({"id": m.scorecard.id, "unit": {"code": m.unit.code, "name": m.unit.name},
                      "self_submitted": m.scorecard.self_submitted_at is not None, "scores": scores})
    return {"bloc": table.bloc.code, "year": table.year, "status": table.status,
            "criteria": [c.to_dict() for c in criteria], "scorecards": cards}


def results_json(results: BlocResults) -> dict:
    """The results as the API gives them: `{status, items: [...]}` by rank."""
    t = results.thresholds
    return {
        "bloc": results.table.bloc.code, "year": results.table.year, "status": results.status,
        "thresholds": {"excellent": rules.format_points(t.excellent), "good": rules.format_points(t.good),
                       "completed": rules.format_points(t.completed)},
        "items": [{"unit": {"code": l.unit.code, "name": l.unit.name},
                   "totals": {s: rules.format_points(l.totals.get(s)) for s in STAGES},
                   "total": rules.format_points(l.effective_total), "rank": l.rank, "tie": l.tie,
                   "classification": l.classification, "flag": l.flag, "appraised": l.appraised}
                  for l in results.lines],
        "flag_note": results.flag_note,
    }
