"""Login and account forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from portal.forms import choices
from wtforms.validators import DataRequired, Length, Optional


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
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu.")), Length(min=8, max=200, message=_l("Mật khẩu cần ít nhất 8 ký tự."))])
