"""Board pages for units, blocs and each year's memberships (thin: parse, call a service, render)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from portal.auth import policy
from portal.auth.forms import EmptyForm
from portal.errors import Conflict, ValidationFailed
from portal.extensions import htmx
from portal.org import services as org
from portal.org.forms import BlocForm, UnitForm
from portal.org.services import ROLE_LABELS, UNIT_KIND_LABELS, MembershipRow
from portal.text import today_local

bp = Blueprint("org", __name__, url_prefix="/org")


@bp.before_request
@login_required
def require_login():
    """Every org page needs a logged-in user."""


def _apply_errors(form, exc: ValidationFailed) -> None:
    for field, message in exc.errors.items():
        if hasattr(form, field):
            getattr(form, field).errors = [message]


# --- units -------------------------------------------------------------------------------------

@bp.route("/units")
def units():
    """List units in Vietnamese order, filtered as the user types (active search)."""
    policy.require(current_user, "portal.read")
    q = request.args.get("q", "").strip()
    rows = org.list_units(q=q)
    context = {"units": rows, "q": q, "kind_labels": UNIT_KIND_LABELS}
    if htmx and htmx.target == "unit-rows":
        return render_block("org/units.html", "unit_rows", **context)
    return render_template("org/units.html", **context)


@bp.route("/units/new", methods=["GET", "POST"])
def new_unit():
    """Create a unit (Board)."""
    policy.require(current_user, "org.manage")
    form = UnitForm()
    if form.validate_on_submit():
        try:
            unit = org.create_unit(current_user, form.data)
        except ValidationFailed as exc:
            _apply_errors(form, exc)
        else:
            flash(_("Đã thêm đơn vị %(name)s.", name=unit.name), "success")
            return redirect(url_for("org.units"))
    status = 422 if request.method == "POST" else 200
    return render_template("org/unit_form.html", form=form, unit=None), status


@bp.route("/units/<code>/edit", methods=["GET", "POST"])
def edit_unit(code):
    """Edit a unit (Board), refusing an edit based on a stale version."""
    unit = policy.get_unit_for(current_user, code, "org.manage")
    form = UnitForm(obj=unit if request.method == "GET" else None)
    form.code.data = unit.code
    if request.method == "GET":
        form.version.data = unit.version
    if form.validate_on_submit():
        try:
            org.update_unit(current_user, unit, form.data, version=form.version.data)
        except ValidationFailed as exc:
            _apply_errors(form, exc)
        except Conflict as exc:
            flash(exc.message, "error")
            return redirect(url_for("org.edit_unit", code=unit.code))
        else:
            flash(_("Đã lưu đơn vị %(name)s.", name=unit.name), "success")
            return redirect(url_for("org.units"))
    status = 422 if request.method == "POST" else 200
    return render_template("org/unit_form.html", form=form, unit=unit), status


# --- blocs -------------------------------------------------------------------------------------

@bp.route("/blocs")
def blocs():
    """List blocs with this year's leader, deputy and member count."""
    policy.require(current_user, "portal.read")
    year = _year_arg()
    return render_template("org/blocs.html", overview=org.bloc_overview(year), year=year)


@bp.route("/blocs/new", methods=["GET", "POST"])
def new_bloc():
    """Create a bloc (Board)."""
    policy.require(current_user, "org.manage")
    form = BlocForm()
    if form.validate_on_submit():
        try:
            bloc = org.create_bloc(current_user, form.data)
        except ValidationFailed as exc:
            _apply_errors(form, exc)
        else:
            flash(_("Đã thêm %(name)s.", name=bloc.name), "success")
            return redirect(url_for("org.blocs"))
    status = 422 if request.method == "POST" else 200
    return render_template("org/bloc_form.html", form=form, bloc=None), status


@bp.route("/blocs/<code>/edit", methods=["GET", "POST"])
def edit_bloc(code):
    """Edit a bloc (Board), refusing a stale edit."""
    bloc = policy.get_bloc_for(current_user, code, "org.manage")
    form = BlocForm(obj=bloc if request.method == "GET" else None)
    form.code.data = bloc.code
    if request.method == "GET":
        form.version.data = bloc.version
    if form.validate_on_submit():
        try:
            org.update_bloc(current_user, bloc, form.data, version=form.version.data)
        except ValidationFailed as exc:
            _apply_errors(form, exc)
        except Conflict as exc:
            flash(exc.message, "error")
            return redirect(url_for("org.edit_bloc", code=bloc.code))
        else:
            flash(_("Đã lưu %(name)s.", name=bloc.name), "success")
            return redirect(url_for("org.blocs"))
    status = 422 if request.method == "POST" else 200
    return render_template("org/bloc_form.html", form=form, bloc=bloc), status


# --- memberships -------------------------------------------------------------------------------

def _year_arg() -> int:
    raw = request.args.get("year")
    return org.check_year(raw) if raw else today_local().year


@bp.route("/memberships")
def memberships_default():
    """Go to this year's memberships."""
    return redirect(url_for("org.memberships", year=_year_arg()))


def _rows_from_form(form) -> list[MembershipRow]:
    rows = []
    for key, bloc_code in form.items():
        if key.startswith("bloc-") and bloc_code:
            unit_code = key[len("bloc-"):]
            rows.append(MembershipRow(unit_code, bloc_code, form.get(f"role-{unit_code}", "member")))
    return rows


def _membership_context(year: int, rows: list[MembershipRow], errors: dict) -> dict:
    """Everything the membership page shows: every unit with its chosen bloc and role."""
    chosen = {r.unit: r for r in rows}
    blocs = org.list_blocs()
    bloc_by_code = {b.code: b for b in blocs}
    units = [u for u in org.list_units() if u.active or u.code in chosen]
    bloc_order = {b.code: i for i, b in enumerate(blocs)}
    role_order = {"leader": 0, "deputy": 1, "member": 2}

    def order(unit):
        row = chosen.get(unit.code)
        return (bloc_order.get(row.bloc, 999), role_order.get(row.role, 3)) if row else (1000, 3)

    units.sort(key=order)  # stable: Vietnamese name order within a bloc and role
    unit_names = {u.code: u.name for u in units}
    summary = {}
    for r in rows:
        entry = summary.setdefault(r.bloc, {"leader": [], "deputy": [], "count": 0})
        entry["count"] += 1
        if r.role in ("leader", "deputy"):
            entry[r.role].append(unit_names.get(r.unit, r.unit))
    return {
        "year": year, "units": units, "blocs": blocs, "bloc_by_code": bloc_by_code, "chosen": chosen,
        "errors": errors, "summary": summary, "role_labels": ROLE_LABELS,
        "years": sorted(set(org.membership_years()) | {year, year + 1, today_local().year}, reverse=True),
        "has_previous": bool(org.membership_rows(year - 1)), "can_manage": policy.can(current_user, "org.manage"),
        "action_form": EmptyForm(),
    }


@bp.route("/years/<int:year>/memberships")
def memberships(year):
    """Show the year's memberships: every unit's bloc and role, grouped by bloc."""
    policy.require(current_user, "portal.read")
    year = org.check_year(year)
    rows = org.membership_rows(year)
    return render_template("org/memberships.html", **_membership_context(year, rows, {}))


@bp.route("/years/<int:year>/memberships/check", methods=["POST"])
def check_memberships(year):
    """Validate the edited list without saving (inline validation while the Board edits)."""
    policy.require(current_user, "org.manage")
    year = org.check_year(year)
    rows = _rows_from_form(request.form)
    errors = org.validate_membership_rows(year, rows)
    return render_block("org/memberships.html", "check", **_membership_context(year, rows, errors))


@bp.route("/years/<int:year>/memberships", methods=["POST"])
def save_memberships(year):
    """Save the whole year's list at once; on any error nothing is saved and the page says why."""
    policy.require(current_user, "org.manage")
    year = org.check_year(year)
    rows = _rows_from_form(request.form)
    try:
        result = org.replace_memberships(current_user, year, rows)
    except ValidationFailed as exc:
        flash(exc.message, "error")
        return render_template("org/memberships.html", **_membership_context(year, rows, exc.errors)), 422
    flash(_("Đã lưu danh sách thành viên năm %(year)s (%(n)s đơn vị thay đổi).", year=year, n=result["changed"]), "success")
    return redirect(url_for("org.memberships", year=year))


@bp.route("/years/<int:year>/memberships/copy", methods=["POST"])
def copy_memberships(year):
    """Start the year from last year's list (then change the leaders: rotation)."""
    policy.require(current_user, "org.manage")
    year = org.check_year(year)
    try:
        org.copy_memberships(current_user, year - 1, year, replace=request.form.get("replace") == "1")
    except (ValidationFailed, Conflict) as exc:
        flash(exc.message, "error")
    else:
        flash(_("Đã sao chép danh sách năm %(prev)s sang năm %(year)s. Hãy đổi Trưởng khối, Phó Trưởng khối cho năm mới.",
                prev=year - 1, year=year), "success")
    return redirect(url_for("org.memberships", year=year))


@bp.route("/audit")
def audit_log():
    """Send the Board to the one audit trail of every feature (/audit), which replaced this page."""
    policy.require(current_user, "org.manage")
    return redirect(url_for("audit.index", **request.args.to_dict()))
