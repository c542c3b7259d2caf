"""JSON API: accounts (DESIGN §4.1) — the Board lists and edits them; everybody changes their own password."""
from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from portal.api.views import _code_or_none, bp, json_object, paginate
from portal.auth import policy
from portal.auth import services as auth
from portal.errors import NotFound, ValidationFailed


def _account(username: str):
    user = auth.get_user(username[:100])
    if user is None:
        raise NotFound(_("Không tìm thấy tài khoản %(name)s.", name=username[:80]))
    return user


@bp.get("/users")
def list_users():
    """Every account (Board)."""
    policy.require(current_user, "user.manage")
    return jsonify(paginate([auth.user_dict(u) for u in auth.list_users()], per_page=500))


@bp.post("/users")
def create_user():
    """Create an account (Board)."""
    policy.require(current_user, "user.manage")
    data = json_object()
    user = auth.create_user(current_user, username=str(data.get("username") or ""), password=str(data.get("password") or ""),
                            role=str(data.get("role") or ""), unit_code=_code_or_none(data.get("unit")),
                            full_name=str(data.get("full_name") or ""))
    return jsonify(auth.user_dict(user)), 201


@bp.patch("/users/<username>")
def update_user(username):
    """Change an account's role, unit, full name or active flag (Board); deactivating ends its sessions and tokens."""
    policy.require(current_user, "user.manage")
    user = _account(username)
    data = json_object()
    if not data:
        raise ValidationFailed(_("Không có trường nào để sửa (role, unit, full_name, active)."))
    auth.update_user(current_user, user, data)
    return jsonify(auth.user_dict(user))


@bp.post("/users/<username>/password")
def set_user_password(username):
    """The user itself sends {current, password}; the Board sends {password}, a temporary one. → 204."""
    user = _account(username) if current_user.is_admin or username.lower() == current_user.username else None
    if user is None:
        policy.require(current_user, "user.manage")  # 403: only the Board sets someone else's password
    data = json_object()
    password = data.get("password")
    current = data.get("current")
    if not isinstance(password, str) or (current is not None and not isinstance(current, str)):
        raise ValidationFailed(_("Cần {\"password\": …} (và {\"current\": …} khi đổi mật khẩu của chính mình)."),
                               errors={"password": _("Bắt buộc, là một chuỗi.")})
    auth.set_password(current_user, user, password, current=current)
    return "", 204
