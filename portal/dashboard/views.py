"""The home page."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from portal.org import services as org
from portal.text import today_local

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@login_required
def home():
    """Show who the user is, its unit's bloc and role each year, and where to go next."""
    memberships = org.memberships_of_unit(current_user.unit_id)
    year = today_local().year
    return render_template("dashboard/home.html", memberships=memberships, year=year, now_date=today_local(),
                           overview=org.bloc_overview(year), role_labels=org.ROLE_LABELS)
