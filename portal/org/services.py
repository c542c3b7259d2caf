"""Org services: units, blocs and each year's memberships (plain functions, no request)."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from portal import audit
from portal.db import get_by_id
from portal.errors import Conflict, NotFound, ValidationFailed, control_message
from portal.extensions import db
from portal.org.models import ROLES, UNIT_KINDS, Bloc, Membership, Unit
from portal.text import UnsafeText, check_plain_text, clean_text, fold, vi_key, vi_sorted

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,19}$")
MIN_YEAR, MAX_YEAR = 2000, 2100

UNIT_KIND_LABELS = {
    "so_nganh": _l("Sở, ban, ngành"),
    "dia_phuong": _l("Huyện, thị xã, thành phố"),
    "doanh_nghiep": _l("Doanh nghiệp"),
    "doan_the": _l("Đoàn thể"),
    "khac": _l("Khác"),
}
ROLE_LABELS = {"leader": _l("Trưởng khối"), "deputy": _l("Phó Trưởng khối"), "member": _l("Thành viên")}


@dataclass(frozen=True)
class MembershipRow:
    """One line of a year's membership list, by codes (as in the API and the org sheet)."""

    unit: str
    bloc: str
    role: str = "member"


# --- units and blocs ---------------------------------------------------------------------------

def list_units(*, active_only: bool = False, q: str = "") -> list[Unit]:
    """Return units in Vietnamese order of name, optionally filtered by a folded text match."""
    query = sa.select(Unit)
    if active_only:
        query = query.where(Unit.active.is_(True))
    units = list(db.session.scalars(query))
    if q:
        needle = fold(q.strip())
        units = [u for u in units if needle in fold(f"{u.code} {u.name} {u.short_name}")]
    return vi_sorted(units, key=lambda u: u.name)


def list_blocs(*, active_only: bool = False) -> list[Bloc]:
    """Return blocs ordered by code the Vietnamese way (K1, K2 … then names)."""
    query = sa.select(Bloc)
    if active_only:
        query = query.where(Bloc.active.is_(True))
    return sorted(db.session.scalars(query), key=lambda b: (_natural_key(b.code), vi_key(b.name)))


def _natural_key(code: str) -> tuple:
    """Sort 'K2' before 'K10'."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", code))


def get_unit(code_or_id) -> Unit:
    """Return a unit by code or id, or raise NotFound."""
    unit = _by_code_or_id(Unit, code_or_id)
    if unit is None:
        raise NotFound(_("Không tìm thấy đơn vị %(code)s.", code=code_or_id))
    return unit


def get_bloc(code_or_id) -> Bloc:
    """Return a bloc by code or id, or raise NotFound."""
    bloc = _by_code_or_id(Bloc, code_or_id)
    if bloc is None:
        raise NotFound(_("Không tìm thấy khối thi đua %(code)s.", code=code_or_id))
    return bloc


def _by_code_or_id(model, code_or_id):
    if isinstance(code_or_id, int):
        return get_by_id(model, code_or_id)
    return db.session.scalar(sa.select(model).where(model.code == str(code_or_id).strip().upper()))


def _clean_code(raw) -> str:
    return clean_text(str(raw or "")).upper()


_TEXT_LABELS = {"name": _l("Tên"), "short_name": _l("Tên viết tắt"), "kind": _l("Loại đơn vị")}


def _text(data: dict, key: str, errors: dict) -> str:
    """Return a text field cleaned; a value that is not text (a JSON number, list or object) is an error."""
    value = data.get(key)
    if value is None or isinstance(value, str):
        try:
            return check_plain_text(value)
        except UnsafeText as exc:
            errors[key] = control_message(exc, str(_TEXT_LABELS.get(key, key)))
            return ""
    # A JSON client sending {"name": 5} must get a 422 naming the field, not a 500.
    errors[key] = _("Giá trị không hợp lệ: cần một chuỗi ký tự.")
    return ""


def _validate_unit_fields(data: dict, *, existing: Unit | None) -> dict:
    errors: dict[str, str] = {}
    code = _clean_code(data.get("code")) if existing is None else existing.code
    name = _text(data, "name", errors)
    short_name = _text(data, "short_name", errors)
    kind = _text(data, "kind", errors) or "khac"
    if existing is None:
        if not code:
            errors["code"] = _("Vui lòng nhập mã đơn vị.")
        elif not CODE_RE.match(code):
            errors["code"] = _("Mã chỉ gồm chữ in hoa không dấu, chữ số, dấu chấm, gạch ngang; tối đa 20 ký tự.")
        elif db.session.scalar(sa.select(Unit.id).where(Unit.code == code)):
            errors["code"] = _("Mã %(code)s đã được dùng cho đơn vị khác.", code=code)
    if "name" not in errors:
        if not name:
            errors["name"] = _("Vui lòng nhập tên đơn vị.")
        elif len(name) > 200:
            errors["name"] = _("Tên đơn vị dài tối đa 200 ký tự.")
    if len(short_name) > 80:
        errors["short_name"] = _("Tên viết tắt dài tối đa 80 ký tự.")
    if kind not in UNIT_KINDS:
        errors["kind"] = _("Loại đơn vị không hợp lệ.")
    if errors:
        raise ValidationFailed(_("Thông tin đơn vị chưa hợp lệ."), errors=errors)
    return {"code": code, "name": name, "short_name": short_name, "kind": kind}


def create_unit(actor, data: dict, *, commit: bool = True) -> Unit:
    """Create a unit from form or API data; audited."""
    fields = _validate_unit_fields(data, existing=None)
    unit = Unit(**fields, active=_as_bool(data.get("active"), True))
    db.session.add(unit)
    db.session.flush()
    audit.record(actor, "create", "unit", unit.code, after=unit.to_dict(), summary=f"Tạo đơn vị {unit.name}")
    if commit:
        db.session.commit()
    return unit


def update_unit(actor, unit: Unit, data: dict, *, version: int | None, commit: bool = True) -> Unit:
    """Change a unit's name, short name, kind or active flag, refusing a stale edit."""
    _check_version(unit, version)
    fields = _validate_unit_fields(data, existing=unit)
    before = unit.to_dict()
    unit.name, unit.short_name, unit.kind = fields["name"], fields["short_name"], fields["kind"]
    unit.active = _as_bool(data.get("active"), unit.active)
    if before != unit.to_dict():
        audit.record(actor, "update", "unit", unit.code, before=before, after=unit.to_dict(), summary=f"Sửa đơn vị {unit.name}")
    if commit:
        db.session.commit()
    return unit


def _validate_bloc_fields(data: dict, *, existing: Bloc | None) -> dict:
    errors: dict[str, str] = {}
    code = _clean_code(data.get("code")) if existing is None else existing.code
    name = _text(data, "name", errors)
    if existing is None:
        if not code:
            errors["code"] = _("Vui lòng nhập mã khối.")
        elif not CODE_RE.match(code):
            errors["code"] = _("Mã chỉ gồm chữ in hoa không dấu, chữ số, dấu chấm, gạch ngang; tối đa 20 ký tự.")
        elif db.session.scalar(sa.select(Bloc.id).where(Bloc.code == code)):
            errors["code"] = _("Mã %(code)s đã được dùng cho khối khác.", code=code)
    if "name" not in errors:
        if not name:
            errors["name"] = _("Vui lòng nhập tên khối.")
        elif len(name) > 200:
            errors["name"] = _("Tên khối dài tối đa 200 ký tự.")
    if errors:
        raise ValidationFailed(_("Thông tin khối thi đua chưa hợp lệ."), errors=errors)
    return {"code": code, "name": name}


def create_bloc(actor, data: dict, *, commit: bool = True) -> Bloc:
    """Create a bloc; audited."""
    fields = _validate_bloc_fields(data, existing=None)
    bloc = Bloc(**fields, active=_as_bool(data.get("active"), True))
    db.session.add(bloc)
    db.session.flush()
    audit.record(actor, "create", "bloc", bloc.code, after=bloc.to_dict(), summary=f"Tạo khối {bloc.name}")
    if commit:
        db.session.commit()
    return bloc


def update_bloc(actor, bloc: Bloc, data: dict, *, version: int | None, commit: bool = True) -> Bloc:
    """Rename a bloc or change its active flag, refusing a stale edit."""
    _check_version(bloc, version)
    fields = _validate_bloc_fields(data, existing=bloc)
    before = bloc.to_dict()
    bloc.name = fields["name"]
    bloc.active = _as_bool(data.get("active"), bloc.active)
    if before != bloc.to_dict():
        audit.record(actor, "update", "bloc", bloc.code, before=before, after=bloc.to_dict(), summary=f"Sửa khối {bloc.name}")
    if commit:
        db.session.commit()
    return bloc


def _check_version(obj, version) -> None:
    if version is None or str(version).strip() == "":
        return
    try:
        expected = int(version)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Phiên bản dữ liệu không hợp lệ.")) from None
    if expected != obj.version:
        raise Conflict(
            _("Dữ liệu đã được người khác sửa trong lúc bạn đang sửa. Hãy xem bản mới nhất rồi sửa lại."),
            current={"version": obj.version},
        )


def _as_bool(value, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on", "có", "co", "x")


# --- memberships -------------------------------------------------------------------------------

def check_year(year) -> int:
    """Return the year as an int in the supported range, or raise a Vietnamese validation error."""
    try:
        value = int(year)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a JSON 1e400 is float infinity
        raise ValidationFailed(_("Năm không hợp lệ: %(year)s.", year=year)) from None
    if not MIN_YEAR <= value <= MAX_YEAR:
        raise ValidationFailed(_("Năm phải từ %(lo)s đến %(hi)s.", lo=MIN_YEAR, hi=MAX_YEAR))
    return value


def memberships_for_year(year: int) -> list[Membership]:
    """Return the year's memberships with unit and bloc loaded, by bloc then role then unit name."""
    rows = db.session.scalars(
        sa.select(Membership).where(Membership.year == year)
        .options(joinedload(Membership.unit), joinedload(Membership.bloc))
    ).all()
    order = {"leader": 0, "deputy": 1, "member": 2}
    return sorted(rows, key=lambda m: (_natural_key(m.bloc.code), order[m.role], vi_key(m.unit.name)))


def membership_years() -> list[int]:
    """Return the years that have memberships, newest first."""
    return list(db.session.scalars(sa.select(Membership.year).distinct().order_by(Membership.year.desc())))


def membership_of(unit_id: int | None, year: int) -> Membership | None:
    """Return the unit's membership in that year, if any."""
    if unit_id is None:
        return None
    return db.session.scalar(
        sa.select(Membership).where(Membership.unit_id == unit_id, Membership.year == year)
        .options(joinedload(Membership.bloc))
    )


def memberships_of_unit(unit_id: int | None) -> dict[int, Membership]:
    """Return {year: membership} for one unit, all years."""
    if unit_id is None:
        return {}
    rows = db.session.scalars(
        sa.select(Membership).where(Membership.unit_id == unit_id).options(joinedload(Membership.bloc))
    )
    return {m.year: m for m in rows}


def bloc_overview(year: int) -> list[dict]:
    """Return every bloc with that year's leader, deputy and member count (two queries in all)."""
    entries = {b.id: {"bloc": b, "leader": None, "deputy": None, "count": 0} for b in list_blocs()}
    for m in memberships_for_year(year):
        entry = entries[m.bloc_id]
        entry["count"] += 1
        if m.role in ("leader", "deputy"):
            entry[m.role] = m.unit
    return list(entries.values())


def leader_of(bloc_id: int, year: int) -> Membership | None:
    """Return the bloc's leader membership in that year."""
    return db.session.scalar(
        sa.select(Membership).where(Membership.bloc_id == bloc_id, Membership.year == year, Membership.role == "leader")
    )


def validate_membership_rows(year: int, rows: list[MembershipRow]) -> dict[str, str]:
    """Check a whole year's list; return {key: Vietnamese message} (empty when valid).

    Keys are `unit:CODE` for a row's problem, `bloc:CODE` for a bloc's, `_` for the list as a whole.
    """
    errors: dict[str, str] = {}
    units = {u.code: u for u in db.session.scalars(sa.select(Unit))}
    blocs = {b.code: b for b in db.session.scalars(sa.select(Bloc))}
    seen = Counter(r.unit for r in rows)
    for row in rows:
        key = f"unit:{row.unit}"
        if row.unit not in units:
            errors[key] = _("Không có đơn vị mã %(code)s.", code=row.unit)
        elif seen[row.unit] > 1:
            errors[key] = _("Đơn vị %(name)s được xếp vào nhiều khối trong năm %(year)s; mỗi năm một đơn vị chỉ thuộc một khối.",
                            name=units[row.unit].name, year=year)
        elif row.bloc not in blocs:
            errors[key] = _("Không có khối thi đua mã %(code)s.", code=row.bloc)
        elif row.role not in ROLES:
            errors[key] = _("Vai trò %(role)s không hợp lệ (Trưởng khối, Phó Trưởng khối hoặc Thành viên).", role=row.role)
    by_bloc: dict[str, list[MembershipRow]] = defaultdict(list)
    for row in rows:
        if row.bloc in blocs:
            by_bloc[row.bloc].append(row)
    for code, members in by_bloc.items():
        name = blocs[code].name
        leaders = [r for r in members if r.role == "leader"]
        deputies = [r for r in members if r.role == "deputy"]
        if not leaders:
            errors[f"bloc:{code}"] = _("%(bloc)s chưa có Trưởng khối; mỗi khối cần đúng một Trưởng khối.", bloc=name)
        elif len(leaders) > 1:
            names = ", ".join(units[r.unit].name for r in leaders if r.unit in units)
            errors[f"bloc:{code}"] = _("%(bloc)s có %(n)s Trưởng khối (%(names)s); chỉ được một.", bloc=name, n=len(leaders), names=names)
        if len(deputies) > 1:
            names = ", ".join(units[r.unit].name for r in deputies if r.unit in units)
            errors.setdefault(f"bloc:{code}", _("%(bloc)s có %(n)s Phó Trưởng khối (%(names)s); tối đa một.", bloc=name, n=len(deputies), names=names))
    return errors


def replace_memberships(actor, year: int, rows: list[MembershipRow], *, commit: bool = True) -> dict:
    """Replace the whole year's memberships in one transaction; nothing changes if any row is wrong."""
    year = check_year(year)
    rows = [MembershipRow(_clean_code(r.unit), _clean_code(r.bloc), (r.role or "member").strip().lower()) for r in rows]
    errors = validate_membership_rows(year, rows)
    if errors:
        raise ValidationFailed(_("Danh sách thành viên năm %(year)s chưa hợp lệ; chưa có thay đổi nào được lưu.", year=year), errors=errors)
    units = {u.code: u for u in db.session.scalars(sa.select(Unit))}
    blocs = {b.code: b for b in db.session.scalars(sa.select(Bloc))}
    existing = {m.unit.code: m for m in memberships_for_year(year)}
    before = {code: [m.bloc.code, m.role] for code, m in existing.items()}
    wanted = {r.unit: r for r in rows}
    # Delete, flush, then insert/update: the partial unique indexes on leader and deputy must never
    # see two leaders in the middle of a rotation.
    for code, m in existing.items():
        if code not in wanted or wanted[code].role != m.role or wanted[code].bloc != m.bloc.code:
            db.session.delete(m)
    db.session.flush()
    for code, row in wanted.items():
        m = existing.get(code)
        if m is None or row.role != m.role or row.bloc != m.bloc.code:
            db.session.add(Membership(unit=units[code], bloc=blocs[row.bloc], year=year, role=row.role))
    after = {r.unit: [r.bloc, r.role] for r in rows}
    changed = sorted(code for code in set(before) | set(after) if before.get(code) != after.get(code))
    if changed:
        audit.record(actor, "replace", "memberships", year,
                     before={c: before.get(c) for c in changed}, after={c: after.get(c) for c in changed},
                     summary=f"Cập nhật thành viên các khối năm {year}: {len(changed)} đơn vị thay đổi")
    if commit:
        db.session.commit()
    return {"year": year, "count": len(rows), "changed": len(changed)}


def membership_rows(year: int) -> list[MembershipRow]:
    """Return the year's memberships as rows of codes."""
    return [MembershipRow(m.unit.code, m.bloc.code, m.role) for m in memberships_for_year(year)]


def copy_memberships(actor, from_year: int, to_year: int, *, replace: bool = False) -> dict:
    """Copy one year's memberships to another as the starting point for rotation."""
    from_year, to_year = check_year(from_year), check_year(to_year)
    source = membership_rows(from_year)
    if not source:
        raise ValidationFailed(_("Năm %(year)s chưa có danh sách thành viên để sao chép.", year=from_year))
    if membership_rows(to_year) and not replace:
        raise Conflict(_("Năm %(year)s đã có danh sách thành viên; hãy xác nhận thay thế nếu muốn sao chép đè.", year=to_year))
    active = set(db.session.scalars(sa.select(Unit.code).where(Unit.active.is_(True))))
    return replace_memberships(actor, to_year, [r for r in source if r.unit in active])


def rows_from_json(items) -> list[MembershipRow]:
    """Parse the API's membership list, raising a Vietnamese validation error for a malformed one."""
    if not isinstance(items, list):
        raise ValidationFailed(_("Cần một danh sách dạng [{\"unit\": mã, \"bloc\": mã, \"role\": vai trò}]."))
    rows = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not item.get("unit") or not item.get("bloc"):
            raise ValidationFailed(_("Dòng %(n)s thiếu mã đơn vị hoặc mã khối.", n=i))
        rows.append(MembershipRow(str(item["unit"]), str(item["bloc"]), str(item.get("role") or "member")))
    return rows


# --- the org sheet -----------------------------------------------------------------------------

def load_org_sheet(actor, path) -> dict:
    """Load units, blocs and memberships from a CSV/XLSX sheet, all or nothing.

    Units and blocs are created or updated by code; for every year that appears in the sheet, the
    sheet's rows replace that year's memberships. Returns a summary; raises ValidationFailed with
    one message per faulty line (and nothing saved) otherwise.
    """
    from portal.org import sheet

    rows = sheet.read_sheet(path)
    errors: dict[str, str] = {}
    units: dict[str, dict] = {}
    blocs: dict[str, dict] = {}
    # Where each unit and bloc first appears, so a refusal found later still names its line.
    first_line: dict[tuple[str, str], int] = {}
    by_year: dict[int, list[tuple[int, MembershipRow]]] = defaultdict(list)
    for row in rows:
        v, where = row.values, _("Dòng %(n)s", n=row.line)
        code = _clean_code(v.get("unit"))
        if not code or not CODE_RE.match(code):
            errors[f"line:{row.line}"] = _("%(where)s: mã đơn vị trống hoặc không hợp lệ (%(code)s).", where=where, code=code or "—")
            continue
        kind = sheet.kind_of(v.get("kind", ""))
        if kind is None:
            errors[f"line:{row.line}"] = _("%(where)s: loại đơn vị không rõ (%(kind)s).", where=where, kind=v.get("kind"))
            continue
        entry = units.setdefault(code, {})
        first_line.setdefault(("unit", code), row.line)
        for key, value in (("name", v.get("unit_name")), ("short_name", v.get("short_name"))):
            if value:
                entry[key] = value
        if v.get("kind"):
            entry["kind"] = kind
        bloc = _clean_code(v.get("bloc"))
        if bloc:
            if not CODE_RE.match(bloc):
                errors[f"line:{row.line}"] = _("%(where)s: mã khối không hợp lệ (%(code)s).", where=where, code=bloc)
                continue
            first_line.setdefault(("bloc", bloc), row.line)
            if v.get("bloc_name"):
                blocs.setdefault(bloc, {})["name"] = v["bloc_name"]
            else:
                blocs.setdefault(bloc, {})
        if v.get("year"):
            try:
                year = check_year(v["year"])
            except ValidationFailed as exc:
                errors[f"line:{row.line}"] = f"{where}: {exc.message}"
                continue
            role = sheet.role_of(v.get("role", ""))
            if role is None:
                errors[f"line:{row.line}"] = _("%(where)s: vai trò không rõ (%(role)s); dùng Trưởng khối, Phó Trưởng khối hoặc Thành viên.",
                                                where=where, role=v.get("role"))
                continue
            if not bloc:
                errors[f"line:{row.line}"] = _("%(where)s: có năm nhưng thiếu mã khối.", where=where)
                continue
            by_year[year].append((row.line, MembershipRow(code, bloc, role)))
        elif bloc or v.get("role"):
            errors[f"line:{row.line}"] = _("%(where)s: có khối hoặc vai trò nhưng thiếu năm.", where=where)
    if errors:
        raise ValidationFailed(_("Tệp có %(n)s dòng lỗi; chưa có thay đổi nào được lưu.", n=len(errors)), errors=errors)

    summary = {"units_created": 0, "units_updated": 0, "blocs_created": 0, "blocs_updated": 0, "years": {}}
    try:
        for code, data in units.items():
            unit = db.session.scalar(sa.select(Unit).where(Unit.code == code))
            try:
                if unit is None:
                    create_unit(actor, {"code": code, **data}, commit=False)
                    summary["units_created"] += 1
                elif any(data.get(k) not in (None, getattr(unit, k)) for k in ("name", "short_name", "kind")):
                    update_unit(actor, unit, {"name": unit.name, "short_name": unit.short_name, "kind": unit.kind, **data},
                                version=None, commit=False)
                    summary["units_updated"] += 1
            except ValidationFailed as exc:
                # E.g. a new unit with no name: report it at its line, with every other faulty line.
                errors[f"unit:{code}"] = _("%(where)s: đơn vị %(code)s: %(message)s", where=_sheet_where([first_line[("unit", code)]]),
                                           code=code, message=" ".join(exc.errors.values()) or exc.message)
        for code, data in blocs.items():
            bloc = db.session.scalar(sa.select(Bloc).where(Bloc.code == code))
            where = _sheet_where([first_line[("bloc", code)]])
            if bloc is None and not data.get("name"):
                errors[f"bloc:{code}"] = _("%(where)s: khối %(code)s chưa có trong hệ thống; cần ghi tên khối ở cột Tên khối.",
                                           where=where, code=code)
                continue
            try:
                if bloc is None:
                    create_bloc(actor, {"code": code, **data}, commit=False)
                    summary["blocs_created"] += 1
                elif data.get("name") and data["name"] != bloc.name:
                    update_bloc(actor, bloc, data, version=None, commit=False)
                    summary["blocs_updated"] += 1
            except ValidationFailed as exc:
                errors[f"bloc:{code}"] = _("%(where)s: khối %(code)s: %(message)s", where=where, code=code,
                                           message=" ".join(exc.errors.values()) or exc.message)
        if errors:
            raise ValidationFailed(_("Tệp có %(n)s dòng lỗi; chưa có thay đổi nào được lưu.", n=len(errors)), errors=errors)
        db.session.flush()
        for year, entries in sorted(by_year.items()):
            problems = validate_membership_rows(year, [r for _line, r in entries])
            for key, message in problems.items():
                errors[f"{year}:{key}"] = _("%(where)s (năm %(year)s): %(message)s",
                                            where=_sheet_where(_sheet_lines(key, entries)), year=year, message=message)
        if errors:
            raise ValidationFailed(_("Danh sách thành viên trong tệp chưa hợp lệ; chưa có thay đổi nào được lưu."), errors=errors)
        for year, entries in sorted(by_year.items()):
            result = replace_memberships(actor, year, [r for _line, r in entries], commit=False)
            summary["years"][year] = {"units": result["count"], "changed": result["changed"]}
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return summary


def _sheet_where(lines) -> str:
    """Return "Dòng 3" or "Dòng 3, 7" for the sheet lines a message is about."""
    return _("Dòng %(n)s", n=", ".join(str(n) for n in sorted(set(lines))))


def _sheet_lines(key: str, entries: list[tuple[int, MembershipRow]]) -> list[int]:
    """Return the lines behind a membership problem: the unit's rows, or the bloc's offending rows."""
    kind, _sep, code = key.partition(":")
    if kind == "unit":
        return [line for line, r in entries if r.unit == code]
    rows = [(line, r) for line, r in entries if r.bloc == code] if kind == "bloc" else entries
    leaders = [line for line, r in rows if r.role == "leader"]
    deputies = [line for line, r in rows if r.role == "deputy"]
    if len(leaders) > 1:
        return leaders
    if leaders and len(deputies) > 1:
        return deputies
    return [line for line, _r in rows]
