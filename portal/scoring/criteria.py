"""Criteria tables: the bloc-year's table, its members and scorecards, editing the criteria, the lock.

Every write is guarded against lost updates by the table's version (`UPDATE … WHERE version = :v`) inside one
transaction with its audit event.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portal import audit
from portal.auth import policy
from portal.db import get_by_id, insert_ignoring_conflicts, row_id
from portal.errors import INT_MAX, Conflict, NotFound, ValidationFailed, checked_text, control_message
from portal.extensions import db
from portal.org import services as org
from portal.org.models import Bloc, Membership, Unit
from portal.scoring import rules
from portal.scoring.labels import points_vi
from portal.scoring.models import CriteriaTable, Criterion, Score, Scorecard
from portal.text import UnsafeText, check_plain_text, clean_text, nfc, utcnow, vi_key

ROLE_ORDER = {"leader": 0, "deputy": 1, "member": 2}
MAX_CRITERION_POINTS = Decimal("1000")
MAX_CRITERIA = 300
GROUP_PREFIX = re.compile(r"^\s*([IVXLC]+|[A-Z]|\d+)\s*[.)/-]")


def scoring_started(table: CriteriaTable) -> bool:
    """Whether any score of the table is stored: why a table is locked (by its first score, or by hand before)."""
    return db.session.scalar(sa.select(sa.exists().where(Score.scorecard_id == Scorecard.id, Scorecard.table_id == table.id)))


def _locked_message(table: CriteriaTable) -> str:
    if scoring_started(table):
        return _("Bảng điểm %(bloc)s năm %(year)s đã khóa vì việc chấm điểm đã bắt đầu; không sửa được tiêu chí. "
                 "Nếu thật sự cần sửa, Ban Thi đua - Khen thưởng có thể mở khóa (ghi rõ lý do).",
                 bloc=table.bloc.name, year=table.year)
    return _("Bảng điểm %(bloc)s năm %(year)s đã được khóa để chuẩn bị chấm điểm; không sửa được tiêu chí. "
             "Nếu thật sự cần sửa, Ban Thi đua - Khen thưởng có thể mở khóa (ghi rõ lý do).",
             bloc=table.bloc.name, year=table.year)


def _stale_table_message() -> str:
    return _("Bảng điểm vừa được người khác thay đổi. Trang đã hiện bản mới nhất; hãy làm lại thao tác của bạn.")


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
        insert_ignoring_conflicts(CriteriaTable.__table__, [{
            "bloc_id": bloc.id, "year": year, "status": "draft", "locked": False, "created_at": now,
            "updated_at": now, "version": 1}])
        db.session.commit()
        table = find_table(bloc, year)
    return table


def existing_table(user, year, bloc_code) -> CriteriaTable:
    """The bloc-year's table, its bloc found through the user's rights (pages and API alike); 404 when it has none."""
    year = org.check_year(year)
    bloc = policy.get_bloc_for(user, bloc_code)
    table = find_table(bloc, year)
    if table is None:
        raise NotFound(_("%(bloc)s chưa có bảng điểm năm %(year)s.", bloc=bloc.name, year=year))
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
        insert_ignoring_conflicts(Scorecard.__table__, [{"table_id": table.id, "unit_id": u.id, "created_at": now}
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
    expected = version_arg(version, allow_none=True)
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


def version_arg(version, *, allow_none: bool = False) -> int | None:
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



def criteria_json(table: CriteriaTable) -> dict:
    """The table as the API gives it: `{criteria: [...], locked, ...}`."""
    criteria = criteria_of(table)
    maxima = rules.table_maxima(criteria)
    return {"bloc": table.bloc.code, "year": table.year, "locked": table.locked, "status": table.status,
            "version": table.version, "criteria": [c.to_dict() for c in criteria],
            "max_total": rules.format_points(maxima.scored), "max_bonus": rules.format_points(maxima.bonus),
            "max_deduction": rules.format_points(maxima.deduction)}
