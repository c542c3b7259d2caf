"""The document's type: from its heading, else from the type part of its number's symbol."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from portal.documents.reader.heading import _HEADING_NAMES
from portal.documents.reader.number import type_from_symbol
from portal.documents.reader.textutil import fold_line

if TYPE_CHECKING:
    from portal.documents.reader.document import Doc


def read_type(doc: Doc) -> None:
    heading, number = doc.heading, doc.number
    heading_type = heading.code if heading else None
    number_type = type_from_symbol(number.type_part) if number else None
    if number and number.value is None:
        number_type = doc.blank_number_type if doc.blank_number_type != "CV" else type_from_symbol(number.type_part)
    if heading_type:
        doc.meta.type = heading_type
        if number_type and number_type not in (heading_type, "OTHER") and heading_type != "OTHER":
            doc.warn(
                f"Tiêu đề là {_HEADING_NAMES.get(heading_type, heading_type)} nhưng ký hiệu số là {number.type_part}"
            )
    elif number_type:
        doc.meta.type = number_type
    elif doc.vv_line >= 0 or (number and number.type_part and number_type is None):
        doc.meta.type = "CV"
    else:
        doc.warn("Không xác định được loại văn bản")


def read_report_kind(doc: Doc) -> None:
    """BC only: "so_ket" for sơ kết / 6 (sáu) tháng / giữa năm, "tong_ket" for tổng kết / cả năm."""
    if doc.meta.type != "BC":
        return
    heading, title = doc.heading, doc.meta.title
    f = fold_line(" ".join(x for x in (heading.rest if heading else "", title or "") if x))
    if re.search(r"so ket|\b6 thang|sau thang|giua nam", f):
        doc.meta.report_kind = "so_ket"
    elif re.search(r"tong ket|ca nam", f):
        doc.meta.report_kind = "tong_ket"
