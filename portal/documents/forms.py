"""Forms of the archive pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from portal.documents.models import DOCUMENT_TYPES
from portal.forms import choices

TYPE_CHOICES = [(code, f"{label} ({code})" if code != "OTHER" else label) for code, label in DOCUMENT_TYPES.items()]
REPORT_KIND_CHOICES = [("", _l("—")), ("so_ket", _l("Sơ kết")), ("tong_ket", _l("Tổng kết"))]


class UploadForm(FlaskForm):
    files = MultipleFileField(_l("Tệp PDF"), description=_l("Chọn một hoặc nhiều tệp PDF (tối đa 50 MB mỗi tệp)."))
    year = IntegerField(_l("Năm"), validators=[Optional(), NumberRange(2000, 2100, message=_l("Năm phải từ 2000 đến 2100."))],
                        description=_l("Để trống để đọc năm từ văn bản."))
    bloc = SelectField(_l("Khối thi đua"), choices=[], validate_choice=False)
    unit = SelectField(_l("Đơn vị"), choices=[], validate_choice=False)


class MetadataForm(FlaskForm):
    type = SelectField(_l("Loại văn bản"), choices=choices(TYPE_CHOICES))
    report_kind = SelectField(_l("Loại báo cáo"), choices=choices(REPORT_KIND_CHOICES))
    number = StringField(_l("Số, ký hiệu"), validators=[Optional(), Length(max=80)], description=_l("Ví dụ 27/KH-UBND"))
    issue_date = StringField(_l("Ngày ban hành"), validators=[Optional(), Length(max=40)], description=_l("dd/mm/yyyy"))
    year = StringField(_l("Năm"), validators=[Optional(), Length(max=4)])
    issuer = StringField(_l("Cơ quan ban hành"), validators=[Optional(), Length(max=300)])
    signer = StringField(_l("Người ký"), validators=[Optional(), Length(max=200)])
    signer_title = StringField(_l("Chức vụ người ký"), validators=[Optional(), Length(max=200)])
    title = TextAreaField(_l("Trích yếu"), validators=[Optional(), Length(max=1000)])
    bloc = SelectField(_l("Khối thi đua"), choices=[], validate_choice=False)
    unit = SelectField(_l("Đơn vị"), choices=[], validate_choice=False)
    version = HiddenField()


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Ghi chú"), validators=[Optional(), Length(max=2000, message=_l("Dài tối đa 2000 ký tự."))],
                         description=_l("Ghi chú chung cho mọi người đọc văn bản; tìm kiếm được."))
