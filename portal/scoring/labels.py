"""Labels of the scoring pages and exports, marked for translation (the words of rules.*_LABELS)."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from portal.scoring import rules

# Labels shown in pages and exports (the same words as rules.*_LABELS, marked for translation here).
STAGE_LABELS = {"self": _l("Tự chấm"), "bloc": _l("Khối chấm"), "appraisal": _l("Thẩm định")}
STATUS_LABELS = {"draft": _l("Dự thảo"), "submitted": _l("Đã gửi"), "appraised": _l("Đã thẩm định"),
                 "final": _l("Đã công nhận")}
KIND_LABELS = {"scored": _l("Tiêu chí chấm điểm"), "bonus": _l("Điểm thưởng"), "deduction": _l("Điểm trừ")}
KIND_SHORT = {"scored": _l("Chấm điểm"), "bonus": _l("Thưởng"), "deduction": _l("Trừ")}
CLASSIFICATION_LABELS = {"xuat_sac": _l("Xuất sắc"), "tot": _l("Tốt"), "hoan_thanh": _l("Hoàn thành"),
                         "khong_hoan_thanh": _l("Không hoàn thành")}
FLAG_LABELS = {"co_ubnd_tinh": _l("Cờ thi đua của UBND tỉnh"), "co_chinh_phu": _l("Cờ thi đua của Chính phủ")}
ACTION_LABELS = {"submit": _l("Gửi kết quả"), "appraise": _l("Xác nhận thẩm định"), "finalize": _l("Công nhận kết quả"),
                 "reopen": _l("Mở lại")}


def points_vi(value: Decimal | None) -> str:
    """Points for the page: a Vietnamese decimal comma ("8,5"), "" when not set."""
    return rules.format_points_vi(value)


# The rules' flag notes (rules.FlagProposal.note_code), lazily translated: said in the language current when shown,
# so pages follow the interface and the official outputs (under force_locale("vi")) stay Vietnamese.
def flag_note(proposal):
    """The proposal's note as a lazy translated string (None when there is none)."""
    code = proposal.note_code
    if code == "not_appraised":
        return _l("Chỉ đề nghị Cờ thi đua sau khi kết quả đã được thẩm định.")
    if code == "no_totals":
        return _l("Chưa có đơn vị nào có tổng điểm.")
    if code == "leader_not_completed":
        return _l("Đơn vị dẫn đầu Khối xếp loại Không hoàn thành nên không được đề nghị Cờ thi đua của UBND tỉnh.")
    if code == "tie":
        return _l("Có %(n)s đơn vị cùng xếp thứ nhất; Ban Thi đua - Khen thưởng quyết định đơn vị được đề nghị "
                  "Cờ thi đua của UBND tỉnh.", n=len(proposal.candidates))
    return proposal.note
