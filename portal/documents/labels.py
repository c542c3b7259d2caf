"""Names of document types in the interface, marked for translation.

`models.DOCUMENT_TYPES` keeps the official Vietnamese names (exports, drafts, the reader); pages show these.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

TYPE_LABELS = {
    "CT": _l("Chỉ thị"), "KH": _l("Kế hoạch"), "GU": _l("Giao ước thi đua"), "TC": _l("Tiêu chí, bảng điểm"),
    "BC": _l("Báo cáo"), "BB": _l("Biên bản"), "QĐ": _l("Quyết định"), "TB": _l("Thông báo"), "TTr": _l("Tờ trình"),
    "CV": _l("Công văn"), "NQ": _l("Nghị quyết"), "NĐ": _l("Nghị định"), "HD": _l("Hướng dẫn"), "OTHER": _l("Văn bản khác"),
}
REPORT_LABELS = {"so_ket": _l("Báo cáo sơ kết"), "tong_ket": _l("Báo cáo tổng kết")}


def type_label(code: str, report_kind: str | None = None) -> str:
    """The type's name as the interface shows it ("Báo cáo sơ kết" for a BC of that kind)."""
    if code == "BC" and report_kind in REPORT_LABELS:
        return str(REPORT_LABELS[report_kind])
    return str(TYPE_LABELS.get(code, code))
