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
from portal.auth.models import USER_ROLES, ApiToken, LoginAttempt, User
from portal.errors import NotFound, ServiceError, ValidationFailed, control_message
from portal.extensions import db
from portal.org import services as org
from portal.text import UnsafeText, check_plain_text, clean_text, strip_control, utcnow

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


def create_user(actor, *, username: str, password: str, role: str, unit_code: str | None = None,
                full_name: str = "") -> User:
    """Create an account; officers must belong to a unit; audited."""
    errors = {}
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        errors["username"] = _("Tên đăng nhập gồm 2–80 ký tự: chữ thường không dấu, chữ số, dấu chấm, gạch dưới, gạch ngang.")
    elif get_user(username):
        errors["username"] = _("Tên đăng nhập %(name)s đã tồn tại.", name=username)
    if role not in USER_ROLES:
        errors["role"] = _("Vai trò phải là admin, officer hoặc viewer.")
    if not password or len(password) < MIN_PASSWORD:
        errors["password"] = _("Mật khẩu cần ít nhất %(n)s ký tự.", n=MIN_PASSWORD)
    elif strip_control(password) != password:
        errors["password"] = _("Mật khẩu chứa ký tự điều khiển không được phép; chỉ dùng chữ, số và ký hiệu gõ được.")
    unit = None
    if unit_code:
        try:
            unit = org.get_unit(unit_code)
        except NotFound as exc:
            errors["unit"] = exc.message
    elif role == "officer":
        errors["unit"] = _("Cán bộ của đơn vị phải gắn với một đơn vị.")
    try:
        full_name = check_plain_text(full_name)
    except UnsafeText as exc:
        errors["full_name"] = control_message(exc, _("Họ và tên"))
    else:
        if len(full_name) > 200:
            errors["full_name"] = _("Họ và tên dài tối đa %(n)s ký tự.", n=200)
    if errors:
        raise ValidationFailed(_("Thông tin tài khoản chưa hợp lệ."), errors=errors)
    user = User(username=username, full_name=full_name, role=role, unit=unit,
                password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "create", "user", username,
                 after={"role": role, "unit": unit.code if unit else None, "full_name": user.full_name},
                 summary=f"Tạo tài khoản {username}")
    db.session.commit()
    return user


def set_password(actor, user: User, password: str) -> None:
    """Change a password and end the user's other sessions."""
    if not password or len(password) < MIN_PASSWORD:
        raise ValidationFailed(_("Mật khẩu cần ít nhất %(n)s ký tự.", n=MIN_PASSWORD), errors={"password": _("Mật khẩu quá ngắn.")})
    user.password_hash = hash_password(password)
    user.session_version += 1
    audit.record(actor, "set_password", "user", user.username, summary=f"Đổi mật khẩu {user.username}")
    db.session.commit()


def authenticate(username: str, password: str, ip: str) -> User:
    """Return the user for valid credentials; record the attempt; throttle repeated failures.

    Raises LoginThrottled (429) after too many recent failures for the username or the address,
    and ValidationFailed with one message for any wrong username or password.
    """
    cfg = current_app.config
    username = (username or "").strip().lower()[:80]
    window_start = utcnow() - timedelta(minutes=int(cfg["PORTAL_LOGIN_LOCK_MINUTES"]))
    failures_user = _count_failures(LoginAttempt.username == username, window_start)
    failures_ip = _count_failures(LoginAttempt.ip == ip, window_start)
    if failures_user >= int(cfg["PORTAL_LOGIN_MAX_FAILURES"]) or failures_ip >= int(cfg["PORTAL_LOGIN_MAX_FAILURES_PER_IP"]):
        raise LoginThrottled(_("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(n)s phút.", n=cfg["PORTAL_LOGIN_LOCK_MINUTES"]))
    user = get_user(username)
    ok = verify_password(user, password or "") and user is not None and user.active
    db.session.add(LoginAttempt(username=username, ip=ip, success=ok))
    if ok:
        user.last_login_at = utcnow()
        # A success clears the username's failure count (older failures no longer count).
        db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.username == username, LoginAttempt.success.is_(False)))
    db.session.commit()
    if not ok:
        raise ValidationFailed(_("Tên đăng nhập hoặc mật khẩu không đúng."))
    return user


def _count_failures(condition, since) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(LoginAttempt.id)).where(condition, LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    ) or 0


def load_session_user(user_id: str) -> User | None:
    """Return the user for a session id `id:version`; a changed password invalidates old sessions."""
    try:
        raw_id, raw_version = str(user_id).split(":", 1)
        user = db.session.get(User, int(raw_id))
    except (ValueError, TypeError):
        return None
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


def user_for_token(token: str) -> User | None:
    """Return the active user owning a valid, unrevoked token."""
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    now = utcnow()
    # Write last_used_at at most once an hour: a busy script must not turn every read into a write.
    last = row.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=now.tzinfo)
    if last is None or now - last > timedelta(hours=1):
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
