"""Login, logout, language, and the Board's account pages."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth import policy, sessions
from portal.auth import services as auth
from portal.auth.forms import EmptyForm, LoginForm, OwnPasswordForm, TemporaryPasswordForm, TokenForm, UserEditForm, UserForm
from portal.errors import NotFound, ServiceError, ValidationFailed
from portal.extensions import db
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
            session.clear()  # a fresh session id on login (no fixation)
            login_user(user)
            sessions.start(user)
            if user.must_change_password:
                flash(_("Bạn đang dùng mật khẩu tạm do Ban TĐKT cấp: hãy đặt mật khẩu của riêng mình."), "info")
                return redirect(url_for("auth.account"))
            return redirect(_safe_next(form.next.data))
    elif request.method == "POST":
        status = 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out (a POST with a CSRF token, so no link can log a user out)."""
    EmptyForm()  # CSRF already checked by the before_request hook
    sessions.end_current()  # a copied cookie stops working too, not only this browser's
    db.session.commit()
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


# --- the user's own account ----------------------------------------------------------------------

def _account_page(password_form=None, token_form=None, new_token=None, status=200):
    return render_template(
        "auth/account.html", password_form=password_form or OwnPasswordForm(), token_form=token_form or TokenForm(),
        tokens=auth.tokens_of(current_user), live_sessions=sessions.live_sessions(current_user),
        current_session=sessions.current(), new_token=new_token, rules=auth.password_rules(),
    ), status


@bp.route("/account")
@login_required
def account():
    """The user's own account: change the password, see and revoke API tokens, see open sessions."""
    return _account_page()


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password():
    """Change one's own password (the current one is asked again); other sessions end."""
    form = OwnPasswordForm(request.form)
    if form.validate():
        try:
            auth.set_password(current_user, current_user, form.password.data, current=form.current.data)
        except ValidationFailed as exc:
            _errors_to_form(form, exc)
        else:
            # The password changed, so did the session's version: keep this browser logged in.
            login_user(current_user._get_current_object())
            flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc."), "success")
            return redirect(url_for("auth.account"))
    return _account_page(password_form=form, status=422)


@bp.route("/account/tokens", methods=["POST"])
@login_required
def create_token():
    """Create an API token for oneself (shown once). Viewers read through the API too."""
    form = TokenForm(request.form)
    if not form.validate():
        return _account_page(token_form=form, status=422)
    token = auth.create_token(current_user, current_user, form.name.data or "")
    return _account_page(new_token=token)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id):
    """Revoke one of one's own tokens."""
    auth.revoke_token(current_user, current_user, token_id)
    flash(_("Đã thu hồi mã API."), "success")
    return redirect(url_for("auth.account"))


def _errors_to_form(form, exc: ValidationFailed) -> None:
    placed = False
    for field, message in (exc.errors or {}).items():
        if hasattr(form, field):
            getattr(form, field).errors = [message]
            placed = True
    if not placed:
        flash(exc.message, "error")


# --- the Board's account pages ---------------------------------------------------------------------

@bp.route("/users")
@login_required
def users():
    """List accounts and offer the new-account form (Board only)."""
    policy.require(current_user, "user.manage")
    return render_template("auth/users.html", users=auth.list_users(), form=_user_form(), rules=auth.password_rules())


def _unit_choices():
    return choices([("", _("— Ban TĐKT / không thuộc đơn vị —"))] + [(u.code, u.name) for u in org.list_units(active_only=True)])


def _user_form(formdata=None) -> UserForm:
    form = UserForm(formdata=formdata)
    form.unit.choices = _unit_choices()
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
            _errors_to_form(form, exc)
        else:
            flash(_("Đã tạo tài khoản %(name)s.", name=user.username), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/users.html", users=auth.list_users(), form=form, rules=auth.password_rules()), 422


def _user_for_board(username: str):
    policy.require(current_user, "user.manage")
    user = auth.get_user(username)
    if user is None:
        raise NotFound(_("Không tìm thấy tài khoản %(name)s.", name=username[:80]))
    return user


def _edit_page(user, form=None, password_form=None, status=200):
    if form is None:
        form = UserEditForm(data={"full_name": user.full_name, "role": user.role,
                                  "unit": user.unit.code if user.unit else "", "active": user.active})
    form.unit.choices = _unit_choices()
    if user.unit and not user.unit.active:
        form.unit.choices.append((user.unit.code, user.unit.name))
    return render_template("auth/user_edit.html", user=user, form=form, password_form=password_form or TemporaryPasswordForm(),
                           tokens=auth.tokens_of(user), live_sessions=sessions.live_sessions(user),
                           rules=auth.password_rules()), status


@bp.route("/users/<username>")
@login_required
def edit_user(username):
    """One account: role, unit, full name, active; a temporary password; its API tokens (Board)."""
    return _edit_page(_user_for_board(username))


@bp.route("/users/<username>", methods=["POST"])
@login_required
def update_user(username):
    """Save the Board's changes to an account."""
    user = _user_for_board(username)
    form = UserEditForm(request.form)
    form.unit.choices = _unit_choices()
    if form.validate():
        try:
            auth.update_user(current_user, user, {"full_name": form.full_name.data or "", "role": form.role.data,
                                                  "unit": form.unit.data or None, "active": bool(form.active.data)})
        except ValidationFailed as exc:
            db.session.rollback()
            _errors_to_form(form, exc)
        else:
            flash(_("Đã lưu tài khoản %(name)s.", name=user.username), "success")
            return redirect(url_for("auth.edit_user", username=user.username))
    return _edit_page(user, form=form, status=422)


@bp.route("/users/<username>/password", methods=["POST"])
@login_required
def reset_password(username):
    """Give an account a temporary password (the user must change it at next login); its sessions end."""
    user = _user_for_board(username)
    form = TemporaryPasswordForm(request.form)
    if form.validate():
        try:
            auth.set_password(current_user, user, form.password.data)
        except ValidationFailed as exc:
            _errors_to_form(form, exc)
        else:
            if user.id == current_user.id:
                login_user(user)
            flash(_("Đã đặt mật khẩu tạm cho %(name)s. Hãy báo mật khẩu này cho người dùng; "
                    "họ phải đổi mật khẩu khi đăng nhập.", name=user.username), "success")
            return redirect(url_for("auth.edit_user", username=user.username))
    return _edit_page(user, password_form=form, status=422)


@bp.route("/users/<username>/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_user_token(username, token_id):
    """Revoke one of an account's API tokens (Board)."""
    user = _user_for_board(username)
    auth.revoke_token(current_user, user, token_id)
    flash(_("Đã thu hồi mã API."), "success")
    return redirect(url_for("auth.edit_user", username=user.username))
