"""Accounts: passwords (argon2), login throttling, API tokens."""
from __future__ import annotations

import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from portal import audit
from portal.auth import sessions
from portal.auth.models import USER_ROLES, ApiToken, LoginAttempt, User
from portal.db import row_id
from portal.errors import NotFound, ServiceError, ValidationFailed, control_message
from portal.extensions import db
from portal.org import services as org
from portal.org.models import Unit
from portal.text import UnsafeText, as_utc, check_plain_text, clean_text, strip_control, utcnow

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
MIN_PASSWORD = 8
_hashers: dict[tuple, tuple[PasswordHasher, str]] = {}


def _hasher_and_dummy() -> tuple[PasswordHasher, str]:
    """Return the argon2 hasher and a dummy hash; tests configure cheap parameters (PORTAL_ARGON2_PARAMS)."""
    params = current_app.config.get("PORTAL_ARGON2_PARAMS") or {}
    key = tuple(sorted(params.items()))
    if key not in _hashers:
        hasher = PasswordHasher(**params)
        # A dummy hash so a login for an unknown user costs as much as a real one (no user enumeration by timing).
        _hashers[key] = (hasher, hasher.hash("không-có-tài-khoản-này"))
    return _hashers[key]


class SystemActor:
    """The portal itself acting from the command line (bulk import, demo): Board rights, no account."""

    id = None
    username = "system"
    full_name = "Hệ thống"
    role = "admin"
    unit_id = None
    unit = None
    active = True
    is_authenticated = True
    is_admin = True


SYSTEM = SystemActor()


class LoginThrottled(ServiceError):
    status = 429
    code = "too_many_requests"


def hash_password(password: str) -> str:
    """Return the argon2 hash of a password."""
    return _hasher_and_dummy()[0].hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """Check a password against the user's hash (constant work for unknown users)."""
    hasher, dummy = _hasher_and_dummy()
    try:
        ok = hasher.verify(user.password_hash if user else dummy, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if ok and user is not None and hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return ok and user is not None


def generate_password() -> str:
    """Return a readable random password (printed once by the CLI)."""
    return secrets.token_urlsafe(12)


def get_user(username: str) -> User | None:
    """Return the account with that username (case-insensitive), if any."""
    return db.session.scalar(sa.select(User).where(User.username == (username or "").strip().lower()))


def list_users() -> list[User]:
    """Return all accounts with their units, by username."""
    return list(db.session.scalars(sa.select(User).options(joinedload(User.unit)).order_by(User.username)))


# The passwords tried first by anyone guessing (lower-cased, accents kept): refused outright.
COMMON_PASSWORDS = frozenset({
    "12345678", "123456789", "1234567890", "password", "password1", "matkhau", "matkhau123", "mật khẩu",
    "qwertyui", "qwerty123", "abc12345", "11111111", "00000000", "88888888", "iloveyou", "admin123",
    "12341234", "87654321", "thidua123", "khenthuong", "vietnam123",
})
MAX_PASSWORD = 200


def password_rules() -> str:
    """The password rules in one Vietnamese sentence (shown beside every password field)."""
    return _("Mật khẩu dài %(min)s–%(max)s ký tự, khác tên đăng nhập, không phải mật khẩu phổ biến "
             "(như 12345678) và không chỉ lặp lại một ký tự.", min=MIN_PASSWORD, max=MAX_PASSWORD)


def password_problem(password: str | None, username: str = "") -> str | None:
    """Return why a new password is refused (Vietnamese), or None when it is acceptable."""
    if not password or len(password) < MIN_PASSWORD:
        return _("Mật khẩu cần ít nhất %(n)s ký tự.", n=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        return _("Mật khẩu dài tối đa %(n)s ký tự.", n=MAX_PASSWORD)
    if strip_control(password) != password:
        return _("Mật khẩu chứa ký tự điều khiển không được phép; chỉ dùng chữ, số và ký hiệu gõ được.")
    lowered = password.lower()
    if username and lowered == username.lower():
        return _("Mật khẩu không được trùng tên đăng nhập.")
    if len(set(password)) == 1 or lowered in COMMON_PASSWORDS:
        return _("Mật khẩu này quá dễ đoán; hãy chọn mật khẩu khác.")
    return None


def _account_fields(role: str, unit_code: str | None, full_name: str, errors: dict) -> tuple[str, Unit | None, str]:
    """Check role, unit and full name together (an officer needs a unit); fill `errors`."""
    if role not in USER_ROLES:
        errors["role"] = _("Vai trò phải là admin, officer hoặc viewer.")
    unit = None
    if unit_code:
        try:
            unit = org.get_unit(unit_code)
        except NotFound as exc:
            errors["unit"] = exc.message
    elif role == "officer":
        errors["unit"] = _("Cán bộ của đơn vị phải gắn với một đơn vị.")
    try:
        full_name = check_plain_text(full_name or "")
    except UnsafeText as exc:
        errors["full_name"] = control_message(exc, _("Họ và tên"))
    else:
        if len(full_name) > 200:
            errors["full_name"] = _("Họ và tên dài tối đa %(n)s ký tự.", n=200)
    return role, unit, full_name


def _account_view(user: User) -> dict:
    return {"role": user.role, "unit": user.unit.code if user.unit else None, "full_name": user.full_name,
            "active": user.active}


def create_user(actor, *, username: str, password: str, role: str, unit_code: str | None = None,
                full_name: str = "") -> User:
    """Create an account; officers must belong to a unit; audited."""
    errors = {}
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        errors["username"] = _("Tên đăng nhập gồm 2–80 ký tự: chữ thường không dấu, chữ số, dấu chấm, gạch dưới, gạch ngang.")
    elif get_user(username):
        errors["username"] = _("Tên đăng nhập %(name)s đã tồn tại.", name=username)
    problem = password_problem(password, username)
    if problem:
        errors["password"] = problem
    role, unit, full_name = _account_fields(role, unit_code, full_name, errors)
    if errors:
        raise ValidationFailed(_("Thông tin tài khoản chưa hợp lệ."), errors=errors)
    user = User(username=username, full_name=full_name, role=role, unit=unit,
                password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "create", "user", username, after=_account_view(user),
                 summary=f"Tạo tài khoản {username} ({user.full_name or username})")
    db.session.commit()
    return user


ACCOUNT_FIELDS = ("role", "unit", "full_name", "active")


def update_user(actor, user: User, data: dict) -> User:
    """Change an account's role, unit, full name or active flag (the Board); audited.

    Deactivating ends the user's sessions and revokes its API tokens at once; the Board can't
    deactivate or demote itself (someone must be left to run the portal).
    """
    unknown = sorted(set(data) - set(ACCOUNT_FIELDS))
    if unknown:
        raise ValidationFailed(_("Trường không sửa được: %(names)s.", names=", ".join(unknown)),
                               errors={name: _("Không sửa được trường này.") for name in unknown})
    errors: dict = {}
    role = data.get("role", user.role)
    unit_code = data["unit"] if "unit" in data else (user.unit.code if user.unit else None)
    if unit_code is not None and not isinstance(unit_code, str):
        errors["unit"] = _("Đơn vị là một mã đơn vị (chuỗi) hoặc null.")
        unit_code = None
    full_name = data.get("full_name", user.full_name)
    if not isinstance(full_name, str):
        errors["full_name"] = _("Họ và tên là một chuỗi.")
        full_name = ""
    if not isinstance(role, str):
        role = ""
    active = data.get("active", user.active)
    if not isinstance(active, bool):
        errors["active"] = _("Trạng thái hoạt động là true hoặc false.")
        active = user.active
    role, unit, full_name = _account_fields(role, unit_code, full_name, errors)
    if getattr(actor, "id", None) == user.id and (not active or role != "admin"):
        errors["active" if not active else "role"] = _("Bạn không thể tự khóa hoặc tự bỏ quyền quản trị của mình.")
    if errors:
        raise ValidationFailed(_("Thông tin tài khoản chưa hợp lệ; chưa lưu thay đổi nào."), errors=errors)
    before = _account_view(user)
    user.role, user.unit, user.full_name, user.active = role, unit, full_name, active
    after = _account_view(user)
    if before == after:
        return user
    ended = 0
    if before["active"] and not active:
        ended = sessions.end_all(user)
        db.session.execute(sa.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                           .values(revoked_at=utcnow()))
    action = "deactivate" if before["active"] and not active else "reactivate" if not before["active"] and active else "update"
    summary = {"deactivate": f"Khóa tài khoản {user.username}", "reactivate": f"Mở lại tài khoản {user.username}",
               "update": f"Sửa tài khoản {user.username}"}[action]
    audit.record(actor, action, "user", user.username, before=before, after=after | ({"sessions_ended": ended} if ended else {}),
                 summary=summary)
    db.session.commit()
    return user


def set_password(actor, user: User, password: str, *, current: str | None = None) -> None:
    """Set a password and end the user's other sessions; audited (never the password itself).

    A user changing its own password gives the current one. Anyone else (the Board) sets a
    temporary password that the user must replace at next login.
    """
    own = getattr(actor, "id", None) == user.id
    if own and not verify_password(user, current or ""):
        raise ValidationFailed(_("Mật khẩu hiện tại không đúng."), errors={"current": _("Mật khẩu hiện tại không đúng.")})
    problem = password_problem(password, user.username)
    if own and not problem and current == password:
        problem = _("Mật khẩu mới phải khác mật khẩu hiện tại.")
    if problem:
        raise ValidationFailed(problem, errors={"password": problem})
    user.password_hash = hash_password(password)
    user.must_change_password = not own
    user.session_version += 1
    sessions.end_all(user, keep_current=own)
    if own:
        audit.record(actor, "change_password", "user", user.username, summary=f"{user.username} đổi mật khẩu")
    else:
        audit.record(actor, "reset_password", "user", user.username,
                     summary=f"Đặt mật khẩu tạm cho {user.username} (phải đổi khi đăng nhập)")
    db.session.commit()


def client_address_key(ip: str) -> str:
    return (ip or "?")[:45]


def authenticate(username: str, password: str, ip: str) -> User:
    """Return the user for valid credentials; record the attempt; throttle repeated failures.

    Failures are counted per account *and* address, so a stranger's guesses can't lock a user out
    from their own desk; an address trying many accounts, and an account tried from many addresses,
    meet slower ceilings. Raises LoginThrottled (429) and ValidationFailed with one message for any
    wrong username or password.
    """
    cfg = current_app.config
    username = (username or "").strip().lower()[:80]
    ip = client_address_key(ip)
    window_start = utcnow() - timedelta(minutes=int(cfg["PORTAL_LOGIN_LOCK_MINUTES"]))
    limits = (
        (sa.and_(LoginAttempt.username == username, LoginAttempt.ip == ip), cfg["PORTAL_LOGIN_MAX_FAILURES"]),
        (LoginAttempt.ip == ip, cfg["PORTAL_LOGIN_MAX_FAILURES_PER_IP"]),
        (LoginAttempt.username == username, cfg["PORTAL_LOGIN_MAX_FAILURES_PER_ACCOUNT"]),
    )
    for condition, limit in limits:
        if _count_failures(condition, window_start) >= int(limit):
            raise LoginThrottled(_("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(n)s phút.",
                                   n=cfg["PORTAL_LOGIN_LOCK_MINUTES"]))
    user = get_user(username)
    ok = verify_password(user, password or "") and user is not None and user.active
    db.session.add(LoginAttempt(username=username, ip=ip, success=ok))
    if ok:
        user.last_login_at = utcnow()
        # A success clears this desk's failures for the account (older failures no longer count).
        db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.username == username, LoginAttempt.ip == ip,
                                                         LoginAttempt.success.is_(False)))
    db.session.commit()
    if not ok:
        raise ValidationFailed(_("Tên đăng nhập hoặc mật khẩu không đúng."))
    return user


def _count_failures(condition, since) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(LoginAttempt.id)).where(condition, LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    ) or 0


def load_session_user(user_id: str) -> User | None:
    """Return the user of this request's session: the cookie's session record must be live and
    belong to the same account, whose password has not changed since (`id:version`)."""
    try:
        raw_id, raw_version = str(user_id).split(":", 1)
        wanted = int(raw_id)
    except (ValueError, TypeError):
        return None
    record = sessions.current()
    if record is None or record.user_id != wanted:
        return None
    user = record.user
    if user is None or str(user.session_version) != raw_version or not user.active:
        return None
    return user


def create_token(actor, user: User, name: str = "") -> str:
    """Create an API token for the user; return the token (shown once, stored hashed)."""
    token = "tdp_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, name=clean_text(name)[:80], token_hash=ApiToken.hash(token), prefix=token[:12]))
    audit.record(actor, "create_token", "user", user.username, summary=f"Tạo mã API cho {user.username}")
    db.session.commit()
    return token


def tokens_of(user: User) -> list[ApiToken]:
    """The user's API tokens, live ones first, newest first (only prefixes: tokens are shown once)."""
    return list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(actor, user: User, token_id) -> ApiToken:
    """Revoke one of the user's tokens (its next call answers 401); audited. Revoking twice changes nothing."""
    token_id = row_id(token_id)
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)) if token_id else None
    if row is None:
        raise NotFound(_("Không tìm thấy mã API này."))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(actor, "revoke_token", "user", user.username, before={"token": row.prefix + "…", "name": row.name},
                     summary=f"Thu hồi mã API {row.prefix}… của {user.username}")
        db.session.commit()
    return row


def user_dict(user: User) -> dict:
    """An account as the API shows it (DESIGN §4.1)."""
    return {"username": user.username, "full_name": user.full_name, "role": user.role,
            "unit": user.unit.code if user.unit else None, "active": user.active,
            "last_login": user.last_login_at.isoformat() if user.last_login_at else None}


def user_for_token(token: str) -> User | None:
    """Return the active user owning a valid, unrevoked token."""
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    now = utcnow()
    # Write last_used_at at most once an hour: a busy script must not turn every read into a write.
    if row.last_used_at is None or now - as_utc(row.last_used_at) > timedelta(hours=1):
        row.last_used_at = now
        db.session.commit()
    return row.user


def me(user: User) -> dict:
    """Describe the caller: username, role, unit, and per year the unit's bloc and role."""
    memberships = org.memberships_of_unit(user.unit_id)
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "unit": user.unit.code if user.unit else None,
        "memberships": {str(year): {"bloc": m.bloc.code, "role": m.role} for year, m in sorted(memberships.items())},
    }
