"""Login, logout, language, and the Board's account pages."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth import policy
from portal.auth import services as auth
from portal.auth.forms import EmptyForm, LoginForm, UserForm
from portal.errors import ServiceError, ValidationFailed
from portal.forms import choices
from portal.org import services as org

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow a `next` that stays on this site (no open redirect)."""
    if not target:
        return url_for("dashboard.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("dashboard.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; log the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        try:
            user = auth.authenticate(form.username.data, form.password.data, request.remote_addr or "?")
        except ServiceError as exc:
            form.password.errors = [exc.message]
            status = exc.status if exc.status == 429 else 200
        else:
            session.clear()  # a fresh session on login (no fixation)
            login_user(user)
            return redirect(_safe_next(form.next.data))
    elif request.method == "POST":
        status = 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out (a POST with a CSRF token, so no link can log a user out)."""
    EmptyForm()  # CSRF already checked by the before_request hook
    logout_user()
    session.clear()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code):
    """Switch the interface language (Vietnamese by default)."""
    if code in ("vi", "en"):
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next") or request.referrer and urlsplit(request.referrer).path))


@bp.route("/users")
@login_required
def users():
    """List accounts and offer the new-account form (Board only)."""
    policy.require(current_user, "user.manage")
    return render_template("auth/users.html", users=auth.list_users(), form=_user_form())


def _user_form(formdata=None) -> UserForm:
    form = UserForm(formdata=formdata)
    form.unit.choices = choices([("", _("— Ban TĐKT / không thuộc đơn vị —"))] + [(u.code, u.name) for u in org.list_units(active_only=True)])
    return form


@bp.route("/users", methods=["POST"])
@login_required
def create_user():
    """Create an account from the Board's form."""
    policy.require(current_user, "user.manage")
    form = _user_form(request.form)
    if form.validate():
        try:
            user = auth.create_user(current_user, username=form.username.data, password=form.password.data,
                                    role=form.role.data, unit_code=form.unit.data or None, full_name=form.full_name.data)
        except ValidationFailed as exc:
            for field, message in exc.errors.items():
                if hasattr(form, field):
                    getattr(form, field).errors = [message]
        else:
            flash(_("Đã tạo tài khoản %(name)s.", name=user.username), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/users.html", users=auth.list_users(), form=form), 422
