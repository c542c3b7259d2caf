"""The Board's page of the one audit trail: filters, pages, readable before/after, XLSX export."""
from __future__ import annotations

from flask import Blueprint, render_template, request, send_file
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from portal.audit import present
from portal.audit import services as audit
from portal.audit.export import trail_workbook
from portal.auth import policy
from portal.errors import ValidationFailed
from portal.extensions import htmx
from portal.text import now_local
from portal.web import int_arg

bp = Blueprint("audit", __name__, url_prefix="/audit")

# The Board reads the trail: it holds every account's and every unit's changes.
READ_ACTION = "user.manage"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.before_request
@login_required
def require_login():
    """Every audit page needs a logged-in user."""


@bp.route("")
def index():
    """Show the trail newest first, filtered by object, person, action and days, fifty events a page."""
    policy.require(current_user, READ_ACTION)
    errors: dict[str, str] = {}
    try:
        filters = audit.parse_filters(request.args)
    except ValidationFailed as exc:
        filters, errors = None, exc.errors
    page = int_arg("page", 1, lenient=True)
    result = audit.query(filters, page=page) if filters is not None else None
    # The form shows the filters as understood (dates as dd/mm/yyyy, `object=kind:id` split), or as typed when refused.
    form = request.args.to_dict() if filters is None else filters.query_args()
    context = {"result": result, "filters": filters or audit.AuditFilters(), "errors": errors, "form": form,
               "kinds": _options(audit.KIND_LABELS, form.get("kind")),
               "actions": _options(audit.ACTION_LABELS, form.get("action")),
               "people": _people(form.get("actor")), "present": present,
               "kind_label": audit.kind_label, "action_label": audit.action_label}
    if htmx and htmx.target == "audit-results":
        # htmx swaps only 2xx answers: refused filters are shown inside the fragment.
        return render_block("audit/index.html", "results", **context)
    return render_template("audit/index.html", **context), 422 if errors else 200


def _people(chosen: str | None) -> list[tuple[str, str]]:
    """The person filter's choices: every account, and the chosen name even when its account is gone."""
    people = audit.people()
    if chosen and chosen != audit.SYSTEM and chosen not in {username for username, _name in people}:
        people.append((chosen, chosen))
    return people


def _options(labels: dict, chosen: str | None) -> list[tuple[str, str]]:
    """Choices of a select: every known code with its label, and the chosen one even when this page does not know it."""
    options = [(code, str(label)) for code, label in labels.items()]
    if chosen and chosen not in labels:
        options.append((chosen, chosen))
    return options


@bp.route("/export.xlsx")
def export():
    """Download the filtered trail as an XLSX workbook (the newest rows up to the export limit)."""
    policy.require(current_user, READ_ACTION)
    filters = audit.parse_filters(request.args)
    entries, total = audit.export_entries(filters, limit=audit.EXPORT_LIMIT)
    workbook = trail_workbook(entries, total, filters)
    name = f"nhat-ky-thay-doi-{now_local():%Y%m%d-%H%M}.xlsx"
    return send_file(workbook, as_attachment=True, download_name=name, mimetype=XLSX)
