"""Forms of the org pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.forms import choices
from portal.org.services import UNIT_KIND_LABELS


class UnitForm(FlaskForm):
    code = StringField(_l("Mã đơn vị"), validators=[DataRequired(_l("Vui lòng nhập mã đơn vị.")), Length(max=20)],
                       description=_l("Chữ in hoa không dấu, ví dụ SNV, H-BANMUONG."))
    name = StringField(_l("Tên đơn vị"), validators=[DataRequired(_l("Vui lòng nhập tên đơn vị.")), Length(max=200)])
    short_name = StringField(_l("Tên viết tắt"), validators=[Optional(), Length(max=80)])
    kind = SelectField(_l("Loại đơn vị"), choices=choices(UNIT_KIND_LABELS.items()))
    active = BooleanField(_l("Đang hoạt động"), default=True)
    version = HiddenField()


class BlocForm(FlaskForm):
    code = StringField(_l("Mã khối"), validators=[DataRequired(_l("Vui lòng nhập mã khối.")), Length(max=20)],
                       description=_l("Ví dụ K1, K2."))
    name = StringField(_l("Tên khối thi đua"), validators=[DataRequired(_l("Vui lòng nhập tên khối.")), Length(max=200)])
    active = BooleanField(_l("Đang hoạt động"), default=True)
    version = HiddenField()
