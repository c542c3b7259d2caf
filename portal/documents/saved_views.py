"""Saved views of the archive list (issue 13): a named set of the list's filters and sort, private or shared with
everyone, pinned per person to the home page.

Plain functions; the pages, the JSON API and the home page call these. A view stores the list's own query
arguments, checked by the list's rules, so opening it is opening the list with exactly those arguments.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal import audit
from portal.auth import policy
from portal.db import row_id
from portal.documents import services as docs
from portal.documents.labels import TYPE_LABELS
from portal.documents.models import DOCUMENT_TYPES, Document, SavedView, SavedViewPin
from portal.errors import Forbidden, NotFound, ValidationFailed, bounded_int, checked_text
from portal.extensions import db
from portal.org.models import Bloc, Unit
from portal.text import vi_sorted
from portal.web import YEAR_HI, YEAR_LO

# The list's query arguments a view keeps (page and trash are not a view's business).
FILTER_KEYS = ("year", "type", "bloc", "unit", "issuer", "confirmed")
DEFAULT_SORT = "date"
NAME_MAX = 80
ISSUER_MAX = 300  # Document.issuer
# The home page shows at most this many pins: its cost stays bounded whatever a person pins.
PIN_LIMIT = 8
# A person's own views; shared views of others are not counted.
VIEW_LIMIT = 50
UPDATABLE = ("name", "shared", "pinned")


def sort_labels() -> dict[str, str]:
    """The list's sort orders as its menu names them."""
    return {"date": _("Ngày ban hành mới nhất"), "title": _("Trích yếu (A–Z)"), "number": _("Số ký hiệu"),
            "uploaded": _("Mới tải lên")}


def name_key(name: str) -> str:
    """How names compare for uniqueness: "Báo cáo K1" and "báo  cáo k1" are the same name (accents count)."""
    return name.casefold()[:NAME_MAX]


# --- the filters: the list's rules --------------------------------------------------------------

def clean_filters(filters, sort=None) -> tuple[dict, str]:
    """Return (filters, sort) as stored: only the keys set, codes upper-case; or raise a 422 naming each bad field.

    The rules are the list's: a year in its range, a type code, an existing bloc and unit code, an issuer,
    confirmed true/false, one of the list's sort orders.
    """
    if filters is None:
        filters = {}
    if not isinstance(filters, dict):
        message = _("Bộ lọc phải là một đối tượng JSON với các trường year, type, bloc, unit, issuer, confirmed.")
        raise ValidationFailed(message, errors={"filters": message})
    unknown = sorted(str(k) for k in filters if k not in FILTER_KEYS)
    if unknown:
        message = _("Bộ lọc không có trường %(names)s.", names=", ".join(unknown))
        raise ValidationFailed(message, errors={"filters": message})
    errors: dict[str, str] = {}
    out: dict = {}
    year = filters.get("year")
    if year not in (None, ""):
        try:
            out["year"] = bounded_int(year, "year", lo=YEAR_LO, hi=YEAR_HI, label=_("Năm"))
        except ValidationFailed as exc:
            errors["year"] = exc.message
    doc_type = filters.get("type")
    if doc_type not in (None, ""):
        if isinstance(doc_type, str) and doc_type in DOCUMENT_TYPES:
            out["type"] = doc_type
        else:
            errors["type"] = _("Loại văn bản không hợp lệ.")
    for key, model, missing in (("bloc", Bloc, _("Không có khối thi đua mã %(code)s.")),
                                ("unit", Unit, _("Không có đơn vị mã %(code)s."))):
        value = filters.get(key)
        if value in (None, ""):
            continue
        code = value.strip().upper() if isinstance(value, str) else None
        if not code or len(code) > 20 or db.session.scalar(sa.select(model.id).where(model.code == code)) is None:
            errors[key] = missing % {"code": str(value)[:20]}
        else:
            out[key] = code
    issuer = filters.get("issuer")
    if issuer not in (None, ""):
        if not isinstance(issuer, str):
            errors["issuer"] = _("Cơ quan ban hành phải là một đoạn chữ.")
        else:
            try:
                text = checked_text(issuer, "issuer", label=_("Cơ quan ban hành"))
            except ValidationFailed as exc:
                errors["issuer"] = exc.message
            else:
                if len(text) > ISSUER_MAX:
                    errors["issuer"] = _("Cơ quan ban hành dài tối đa %(n)s ký tự.", n=ISSUER_MAX)
                elif text:
                    out["issuer"] = text
    confirmed = _confirmed(filters.get("confirmed"))
    if confirmed is _BAD:
        errors["confirmed"] = _("Trạng thái xác nhận phải là true hoặc false.")
    elif confirmed is not None:
        out["confirmed"] = confirmed
    if sort in (None, ""):
        sort = DEFAULT_SORT
    elif sort not in docs.SORTS:
        errors["sort"] = _("Cách sắp xếp không hợp lệ (một trong: %(sorts)s).", sorts=", ".join(docs.SORTS))
    if errors:
        raise ValidationFailed(_("Bộ lọc không hợp lệ: %(why)s", why=" ".join(errors.values())), errors=errors)
    return out, sort


_BAD = object()


def _confirmed(value):
    """true/false as JSON or as a query argument ("false", "0"); None when unset; _BAD otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        raw = value.strip().lower()
        if raw in ("false", "0", "no"):
            return False
        if raw in ("true", "1", "yes"):
            return True
    return _BAD


def list_filters(args) -> tuple[dict, str]:
    """The filters and sort the list applies for these query arguments (leniently, as the list reads them)."""
    out: dict = {}
    try:
        year = bounded_int(args.get("year"), "year", lo=YEAR_LO, hi=YEAR_HI) if args.get("year") else None
    except ValidationFailed:
        year = None
    if year:
        out["year"] = year
    if args.get("type") in DOCUMENT_TYPES:
        out["type"] = args.get("type")
    for key in ("bloc", "unit"):
        if args.get(key):
            out[key] = str(args.get(key)).strip().upper()[:20]
    if args.get("issuer"):
        out["issuer"] = str(args.get("issuer"))[:ISSUER_MAX]
    confirmed = _confirmed(args.get("confirmed"))
    if confirmed is not None and confirmed is not _BAD:
        out["confirmed"] = confirmed
    sort = args.get("sort") if args.get("sort") in docs.SORTS else DEFAULT_SORT
    return out, sort


def query_args(filters: dict, sort: str) -> dict:
    """The list's query arguments for these filters (what a link to the list carries)."""
    args = {}
    for key in FILTER_KEYS:
        value = (filters or {}).get(key)
        if value is None or value == "":
            continue
        args[key] = ("true" if value else "false") if key == "confirmed" else value
    if sort and sort != DEFAULT_SORT:
        args["sort"] = sort
    return args


def view_url(view: SavedView) -> str:
    """The archive list opened with the view's filters and sort."""
    return url_for("documents.index", **query_args(view.filters, view.sort))


def conditions(filters: dict) -> list:
    """The list's WHERE clauses for a view's stored filters (live documents only)."""
    filters = filters or {}
    return docs.filter_conditions(docs.DocumentFilters(
        year=filters.get("year"), type=filters.get("type"), bloc=str(filters["bloc"]) if filters.get("bloc") else None,
        unit=str(filters["unit"]) if filters.get("unit") else None, issuer=filters.get("issuer"),
        confirmed=None if filters.get("confirmed") is None else bool(filters["confirmed"])))


# --- reading ------------------------------------------------------------------------------------

def visible_views(user) -> list[SavedView]:
    """The user's own views, then the views others shared, each in Vietnamese name order (one query)."""
    rows = db.session.scalars(sa.select(SavedView).options(joinedload(SavedView.owner))
                              .where(sa.or_(SavedView.owner_id == user.id, SavedView.shared.is_(True)))).unique().all()
    mine = vi_sorted([v for v in rows if v.owner_id == user.id], key=lambda v: v.name)
    others = vi_sorted([v for v in rows if v.owner_id != user.id], key=lambda v: v.name)
    return mine + others


def pinned_ids(user) -> set[int]:
    """The ids of the views this person pinned (one query)."""
    return set(db.session.scalars(sa.select(SavedViewPin.view_id).where(SavedViewPin.user_id == user.id)))


def pinned_views(user) -> list[SavedView]:
    """The views this person pinned and still sees, oldest pin first, at most PIN_LIMIT (one query)."""
    return list(db.session.scalars(
        sa.select(SavedView).join(SavedViewPin, sa.and_(SavedViewPin.view_id == SavedView.id, SavedViewPin.user_id == user.id))
        .where(sa.or_(SavedView.owner_id == user.id, SavedView.shared.is_(True)))
        .options(joinedload(SavedView.owner)).order_by(SavedViewPin.pinned_at, SavedView.id).limit(PIN_LIMIT)).unique())


def document_counts(views: list[SavedView]) -> dict[int, int]:
    """How many live documents each view lists, in ONE query (a UNION ALL of one indexed count per view)."""
    if not views:
        return {}
    # The view id is an int from the database, inlined as a literal: no untyped parameter for PostgreSQL's UNION.
    parts = [sa.select(sa.literal_column(str(int(v.id))).label("view"), sa.func.count().label("n"))
             .select_from(Document).where(*conditions(v.filters)) for v in views]
    statement = parts[0] if len(parts) == 1 else sa.union_all(*parts)
    return {int(view): int(n) for view, n in db.session.execute(statement)}


def get_view_for(user, view_id, action: str = "portal.read") -> SavedView:
    """A view the user sees (its own or a shared one) with the right for `action` checked; another's private view is 404."""
    view_id = row_id(view_id)
    view = db.session.get(SavedView, view_id) if view_id is not None else None
    if view is None or (view.owner_id != user.id and not view.shared):
        raise NotFound(_("Không tìm thấy bộ lọc đã lưu."))
    policy.require(user, action, view)
    return view


@dataclass
class Description:
    """A view's filters in words, and the ones that name a bloc or unit no longer in the org (stale)."""

    parts: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # the filter keys: "bloc", "unit"
    stale_words: list[str] = field(default_factory=list)


def describe(views: list[SavedView]) -> dict[int, Description]:
    """Each view's filters in words, with its stale parts, in at most two queries (blocs, units) for all of them."""
    bloc_codes = {str(v.filters["bloc"]) for v in views if (v.filters or {}).get("bloc")}
    unit_codes = {str(v.filters["unit"]) for v in views if (v.filters or {}).get("unit")}
    blocs = {b.code: b for b in db.session.scalars(sa.select(Bloc).where(Bloc.code.in_(bloc_codes)))} if bloc_codes else {}
    units = {u.code: u for u in db.session.scalars(sa.select(Unit).where(Unit.code.in_(unit_codes)))} if unit_codes else {}
    sorts = sort_labels()
    out = {}
    for view in views:
        f, d = view.filters or {}, Description()
        if f.get("year"):
            d.parts.append(_("Năm %(year)s", year=f["year"]))
        if f.get("type"):
            d.parts.append(str(TYPE_LABELS.get(f["type"], f["type"])))
        if f.get("bloc"):
            bloc = blocs.get(str(f["bloc"]))
            if bloc is None:
                d.stale.append("bloc")
                d.stale_words.append(_("khối %(code)s không còn trong danh mục", code=f["bloc"]))
                d.parts.append(_("Khối %(code)s (không còn)", code=f["bloc"]))
            else:
                d.parts.append(f"{bloc.code} · {bloc.name}")
        if f.get("unit"):
            unit = units.get(str(f["unit"]))
            if unit is None:
                d.stale.append("unit")
                d.stale_words.append(_("đơn vị %(code)s không còn trong danh mục", code=f["unit"]))
                d.parts.append(_("Đơn vị %(code)s (không còn)", code=f["unit"]))
            else:
                d.parts.append(unit.display_name)
        if f.get("issuer"):
            d.parts.append(str(f["issuer"]))
        if f.get("confirmed") is not None:
            d.parts.append(_("đã xác nhận") if f["confirmed"] else _("chưa xác nhận"))
        if view.sort != DEFAULT_SORT:
            d.parts.append(_("sắp xếp: %(order)s", order=sorts.get(view.sort, view.sort)))
        if not d.parts:
            d.parts.append(_("Mọi văn bản"))
        out[view.id] = d
    return out


def to_dict(view: SavedView, pinned: set[int], description: Description | None = None) -> dict:
    """The API's view of a saved view: `{id, name, filters, sort, shared, owner, pinned, url}` (+ owner_name, stale)."""
    from portal.people import display_name

    filters = view.filters or {}
    return {"id": view.id, "name": view.name, "filters": {key: filters.get(key) for key in FILTER_KEYS},
            "sort": view.sort, "shared": bool(view.shared), "owner": view.owner.username if view.owner else None,
            "owner_name": display_name(view.owner) if view.owner else None, "pinned": view.id in pinned,
            "url": view_url(view), "stale": list(description.stale) if description else []}


# --- changing -----------------------------------------------------------------------------------

def _clean_name(name) -> str:
    if not isinstance(name, str):
        raise ValidationFailed(_("Hãy đặt tên cho bộ lọc."), errors={"name": _("Bắt buộc.")})
    text = checked_text(name, "name", label=_("Tên bộ lọc"))
    if not text:
        raise ValidationFailed(_("Hãy đặt tên cho bộ lọc."), errors={"name": _("Bắt buộc.")})
    if len(text) > NAME_MAX:
        message = _("Tên bộ lọc dài tối đa %(n)s ký tự.", n=NAME_MAX)
        raise ValidationFailed(message, errors={"name": message})
    return text


def _flag(value, key: str, *, absent_is_false: bool = True) -> bool:
    if value is None and absent_is_false:
        return False
    if not isinstance(value, bool):
        message = _("Trường %(name)s phải là true hoặc false.", name=key)
        raise ValidationFailed(message, errors={key: message})
    return value


def _duplicate(name: str) -> ValidationFailed:
    message = _("Bạn đã có một bộ lọc tên “%(name)s”; hãy chọn tên khác.", name=name)
    return ValidationFailed(message, errors={"name": message})


def _check_name_free(owner_id: int, name: str, *, except_id: int | None = None) -> None:
    query = sa.select(SavedView.id).where(SavedView.owner_id == owner_id, SavedView.name_key == name_key(name))
    if except_id is not None:
        query = query.where(SavedView.id != except_id)
    if db.session.scalar(query) is not None:
        raise _duplicate(name)


def _require_share(actor) -> None:
    if not policy.can(actor, "saved_view.share"):
        raise Forbidden(_("Chỉ cán bộ và Ban Thi đua - Khen thưởng chia sẻ được bộ lọc với mọi người; "
                          "bộ lọc của tài khoản chỉ xem là bộ lọc riêng."))


def _check_pin_room(actor) -> None:
    pins = db.session.scalar(sa.select(sa.func.count()).select_from(SavedViewPin).where(SavedViewPin.user_id == actor.id)) or 0
    if pins >= PIN_LIMIT:
        message = _("Bạn đã ghim %(n)s bộ lọc, mức tối đa của trang chủ; hãy bỏ ghim một bộ lọc trước.", n=PIN_LIMIT)
        raise ValidationFailed(message, errors={"pinned": message})


def _snapshot(view: SavedView) -> dict:
    return {"name": view.name, "filters": dict(view.filters or {}), "sort": view.sort, "shared": bool(view.shared),
            "owner": view.owner.username if view.owner else None}


def _commit(name: str) -> None:
    try:
        db.session.commit()
    except IntegrityError:
        # Two saves of the same name at once: the unique constraint refuses the second.
        db.session.rollback()
        raise _duplicate(name) from None


def create_view(actor, *, name, filters=None, sort=None, shared=False, pinned=False) -> SavedView:
    """Save the list's filters and sort under a name (unique for this owner); shared and pinned if asked. Audited."""
    policy.require(actor, "saved_view.create")
    name = _clean_name(name)
    filters, sort = clean_filters(filters, sort)
    shared, pinned = _flag(shared, "shared"), _flag(pinned, "pinned")
    if shared:
        _require_share(actor)
    _check_name_free(actor.id, name)
    owned = db.session.scalar(sa.select(sa.func.count()).select_from(SavedView).where(SavedView.owner_id == actor.id)) or 0
    if owned >= VIEW_LIMIT:
        message = _("Bạn đã lưu %(n)s bộ lọc, mức tối đa; hãy xóa bớt bộ lọc không dùng nữa.", n=VIEW_LIMIT)
        raise ValidationFailed(message, errors={"name": message})
    if pinned:
        _check_pin_room(actor)
    view = SavedView(owner_id=actor.id, owner=actor, name=name, name_key=name_key(name), filters=filters, sort=sort,
                     shared=shared)
    db.session.add(view)
    db.session.flush()
    if pinned:
        db.session.add(SavedViewPin(user_id=actor.id, view_id=view.id))
    audit.record(actor, "create", "saved_view", view.id, after={**_snapshot(view), "pinned": pinned},
                 summary=f"Lưu bộ lọc văn bản “{name}”" + (" (chia sẻ với mọi người)" if shared else ""))
    _commit(name)
    return view


def update_view(actor, view: SavedView, changes: dict) -> SavedView:
    """Rename, share or unshare (owner; the Board for shared views), pin or unpin for oneself; all or nothing. Audited.

    Unsharing takes the view off the home pages of everyone but its owner (their pins go).
    """
    if not isinstance(changes, dict):
        raise ValidationFailed(_("Cần một đối tượng JSON."))
    if not changes:
        raise ValidationFailed(_("Không có gì để thay đổi: hãy gửi name, shared hoặc pinned."))
    unknown = sorted(str(k) for k in changes if k not in UPDATABLE)
    if unknown:
        message = _("Chỉ sửa được tên (name), chia sẻ (shared) và ghim (pinned); không có trường %(names)s.",
                    names=", ".join(unknown))
        raise ValidationFailed(message, errors={k: message for k in unknown})
    # Rights first (403), then values (422): nothing changes unless every part may and can.
    if "name" in changes or "shared" in changes:
        policy.require(actor, "saved_view.manage", view)
    if "pinned" in changes:
        policy.require(actor, "saved_view.pin", view)
    name = _clean_name(changes["name"]) if "name" in changes else None
    shared = _flag(changes["shared"], "shared", absent_is_false=False) if "shared" in changes else None
    pinned = _flag(changes["pinned"], "pinned", absent_is_false=False) if "pinned" in changes else None
    if shared and not view.shared:
        _require_share(actor)
    if name is not None and name != view.name:
        _check_name_free(view.owner_id, name, except_id=view.id)
    pin = db.session.get(SavedViewPin, (actor.id, view.id)) if pinned is not None else None
    if pinned and pin is None:
        _check_pin_room(actor)

    if name is not None and name != view.name:
        before = view.name
        view.name, view.name_key = name, name_key(name)
        audit.record(actor, "rename", "saved_view", view.id, before={"name": before}, after={"name": name},
                     summary=f"Đổi tên bộ lọc “{before}” thành “{name}”")
    if shared is not None and shared != view.shared:
        view.shared = shared
        after: dict = {"shared": shared}
        if not shared:
            removed = db.session.execute(sa.delete(SavedViewPin).where(SavedViewPin.view_id == view.id,
                                                                       SavedViewPin.user_id != view.owner_id)).rowcount
            after["pins_removed"] = removed
        audit.record(actor, "share" if shared else "unshare", "saved_view", view.id, before={"shared": not shared},
                     after=after, summary=f"{'Chia sẻ' if shared else 'Thôi chia sẻ'} bộ lọc “{view.name}”"
                     + (" với mọi người" if shared else ""))
    if pinned is not None and pinned != (pin is not None):
        if pinned:
            db.session.add(SavedViewPin(user_id=actor.id, view_id=view.id))
        else:
            db.session.delete(pin)
        audit.record(actor, "pin" if pinned else "unpin", "saved_view", view.id, after={"pinned": pinned, "user": actor.username},
                     summary=f"{'Ghim' if pinned else 'Bỏ ghim'} bộ lọc “{view.name}” {'lên' if pinned else 'khỏi'} trang chủ")
    _commit(view.name)
    return view


def delete_view(actor, view: SavedView) -> None:
    """Delete a view (its owner; the Board for a shared one) and every pin of it. Audited with what it was."""
    policy.require(actor, "saved_view.manage", view)
    snapshot = _snapshot(view)
    pins = db.session.execute(sa.delete(SavedViewPin).where(SavedViewPin.view_id == view.id)).rowcount
    audit.record(actor, "remove", "saved_view", view.id, before={**snapshot, "pins": pins},
                 summary=f"Xóa bộ lọc văn bản “{view.name}”")
    db.session.delete(view)
    db.session.commit()
