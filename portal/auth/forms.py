"""Login and account forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from portal.forms import choices


class LoginForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(_l("Vui lòng nhập tên đăng nhập.")), Length(max=80)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu.")), Length(max=200)])
    next = HiddenField()


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for mutating buttons (logout, copy, delete)."""


class UserForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(_l("Vui lòng nhập tên đăng nhập.")), Length(max=80)])
    full_name = StringField(_l("Họ và tên"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Vai trò"), choices=choices([("officer", _l("Cán bộ đơn vị")), ("viewer", _l("Người xem")), ("admin", _l("Ban TĐKT (quản trị)"))]))
    unit = SelectField(_l("Đơn vị"), choices=[], validate_choice=False)
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu.")), Length(max=200)])


class UserEditForm(FlaskForm):
    """The Board's edit of an account (the username never changes: the audit trail names it)."""

    full_name = StringField(_l("Họ và tên"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Vai trò"), choices=choices([("officer", _l("Cán bộ đơn vị")), ("viewer", _l("Người xem")), ("admin", _l("Ban TĐKT (quản trị)"))]))
    unit = SelectField(_l("Đơn vị"), choices=[], validate_choice=False)
    active = BooleanField(_l("Đang hoạt động (bỏ chọn để khóa tài khoản: mọi phiên và mã API của người này hết hiệu lực ngay)"))


class TemporaryPasswordForm(FlaskForm):
    password = PasswordField(_l("Mật khẩu tạm"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu.")), Length(max=200)])


class OwnPasswordForm(FlaskForm):
    current = PasswordField(_l("Mật khẩu hiện tại"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu hiện tại.")), Length(max=200)])
    password = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu mới.")), Length(max=200)])
    confirm = PasswordField(_l("Nhập lại mật khẩu mới"), validators=[
        DataRequired(_l("Vui lòng nhập lại mật khẩu mới.")), EqualTo("password", _l("Hai lần nhập mật khẩu mới không khớp."))])


class TokenForm(FlaskForm):
    name = StringField(_l("Tên gợi nhớ (dùng cho việc gì)"), validators=[Optional(), Length(max=80)])
