"""read_metadata over varied administrative documents (tests/unit/reader_cases) and the samples.

Every case states every field. The texts are invented; they vary the issuer, the type, the layout
of the header and of the signature block, date forms and the kind of extraction damage.
"""

from __future__ import annotations

import random
import re
import time
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.documents.reader import DocumentMetadata, Signer, read_metadata, repair_text
from portal.documents.reader.repair import close_letter_spacing
from portal.documents.textlayer import encode_tcvn3, encode_vni

CASES = Path(__file__).resolve().parent / "reader_cases"
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"

NO_NUMBER = "Không tìm thấy số, ký hiệu văn bản"
NO_DATE = "Không tìm thấy ngày ban hành"
LOST_LETTERS = "Lớp chữ có chỗ mất chữ (phụ âm đứng riêng); nên kiểm tra lại"
INTERLEAVED = (
    "Khối chữ ký nhiều cột bị đọc xen kẽ, không tách chắc được; chỉ giữ phần chắc chắn của chức danh, "
    "nên kiểm tra lại"
)


def S(name, capacity=None, title=None, on_behalf_of=None):  # noqa: N802 - reads like a record
    return Signer(name=name, capacity=capacity, title=title, on_behalf_of=on_behalf_of)


def expect(
    *, type, number, issue_date, place, issuer, signers, title, citations,  # noqa: A002
    report_kind=None, year="from-date", parent_issuer=None, warnings=(),
):
    return {
        "type": type,
        "report_kind": report_kind,
        "number": number,
        "issue_date": issue_date,
        "place": place,
        "year": issue_date.year if year == "from-date" else year,
        "issuer": issuer,
        "parent_issuer": parent_issuer,
        "signers": list(signers),
        "title": title,
        "citations": list(citations),
        "warnings": list(warnings),
    }


EXPECTED: dict[str, dict] = {
    "01_qd_ubnd_tinh_co_thi_dua.txt": expect(
        type="QĐ", number="1234/QĐ-UBND", issue_date=date(2024, 12, 25), place="Hà Tuyên",
        issuer="Ủy ban nhân dân tỉnh Hà Tuyên",
        signers=[S("Nguyễn Đức Thắng", "KT.", "Phó Chủ tịch", "Chủ tịch")],
        title="Tặng Cờ thi đua của Ủy ban nhân dân tỉnh năm 2024",
        citations=["06/2022/QH15", "98/2023/NĐ-CP", "12/2024/QĐ-UBND", "245/TTr-SNV"],
    ),
    "02_nd_chinh_phu.txt": expect(
        type="NĐ", number="98/2023/NĐ-CP", issue_date=date(2023, 12, 31), place="Hà Nội",
        issuer="Chính phủ",
        signers=[S("Trần Hồng Quân", "KT.", "Phó Thủ tướng", "Chính phủ")],
        title="Quy định chi tiết thi hành một số điều của Luật Thi đua, khen thưởng",
        citations=["06/2022/QH15", "91/2017/NĐ-CP"],
    ),
    "03_ct_tinh_uy.txt": expect(
        type="CT", number="34-CT/TU", issue_date=date(2024, 3, 15), place="Hà Tuyên",
        issuer="Tỉnh ủy Hà Tuyên",
        signers=[S("Hoàng Văn Thắng", "TM.", "Phó Bí thư Thường trực", "Ban Thường vụ")],
        title="Về tăng cường sự lãnh đạo của Đảng đối với công tác thi đua, khen thưởng",
        citations=["34-CT/TW", "63-KL/TU"],
    ),
    "04_kh_ubnd_huyen_run_together.txt": expect(
        type="KH", number="45/KH-UBND", issue_date=date(2025, 2, 10), place="Sìn Hồ",
        issuer="Ủy ban nhân dân huyện Sìn Hồ",
        signers=[S("Lý A Sào", "TM.", "Chủ tịch", "Ủy ban nhân dân")],
        title="Triển khai phong trào thi đua yêu nước năm 2025",
        citations=["27/KH-UBND"],
    ),
    "05_bc_so_ket_khoi.txt": expect(
        type="BC", report_kind="so_ket", number="12/BC-KTĐ2", issue_date=date(2025, 6, 18),
        place="Hà Tuyên", issuer="Khối thi đua số 2",
        signers=[S("Nguyễn Thị Thanh Hương", "TM.", "Trưởng Khối, Giám đốc Sở Tài chính", "Khối thi đua số 2")],
        title="Sơ kết công tác thi đua, khen thưởng 6 tháng đầu năm 2025 của Khối thi đua số 2",
        citations=["27/KH-UBND", "05/HD-BTĐKT"],
    ),
    "06_tb_van_phong_tl_kt.txt": expect(
        type="TB", number="15/TB-VP", issue_date=date(2025, 4, 2), place="Hà Tuyên",
        issuer="Văn phòng", parent_issuer="UBND tỉnh Hà Tuyên",
        signers=[S("Đỗ Minh Tuấn", "KT.", "Phó Chánh Văn phòng", "Chủ tịch")],
        title=(
            "Kết luận của Phó Chủ tịch UBND tỉnh tại buổi làm việc với Ban Thi đua - Khen thưởng "
            "về công tác khen thưởng quý I/2025"
        ),
        citations=["27/KH-UBND", "2345/UBND-VX"],
    ),
    "07_ttr_so_noi_vu.txt": expect(
        type="TTr", number="245/TTr-SNV", issue_date=date(2024, 12, 18), place="Hà Tuyên",
        issuer="Sở Nội vụ", parent_issuer="UBND tỉnh Hà Tuyên",
        signers=[S("Trịnh Văn Bình", None, "Giám đốc")],
        title="Đề nghị tặng Cờ thi đua của Chính phủ năm 2024",
        citations=["98/2023/NĐ-CP", "05/HD-BTĐKT"],
    ),
    "08_cv_so_noi_vu.txt": expect(
        type="CV", number="1875/SNV-TĐKT", issue_date=date(2024, 10, 2), place="Hà Tuyên",
        issuer="Sở Nội vụ", parent_issuer="UBND tỉnh Hà Tuyên",
        signers=[S("Đinh Thị Ngọc Ánh", "KT.", "Phó Giám đốc", "Giám đốc")],
        title="Hướng dẫn tổng kết công tác thi đua, khen thưởng năm 2024",
        citations=["31/KH-UBND"],
    ),
    "09_nq_hdnd.txt": expect(
        type="NQ", number="41/NQ-HĐND", issue_date=date(2024, 12, 10), place="Hà Tuyên",
        issuer="Hội đồng nhân dân tỉnh Hà Tuyên",
        signers=[S("Nông Thị Mai", None, "Chủ tịch")],
        title="Về nhiệm vụ phát triển kinh tế - xã hội năm 2025",
        citations=["512/BC-UBND"],
    ),
    "10_hd_ban_tdkt.txt": expect(
        type="HD", number="05/HD-BTĐKT", issue_date=date(2025, 1, 10), place="Hà Tuyên",
        issuer="Ban Thi đua - Khen thưởng", parent_issuer="Sở Nội vụ tỉnh Hà Tuyên",
        signers=[S("Lục Văn Kiên", None, "Trưởng ban")],
        title="Chấm điểm, xếp hạng thi đua các Khối thi đua năm 2025",
        citations=["27/KH-UBND"],
    ),
    "11_bb_hop_khoi_no_date_line.txt": expect(
        type="BB", number=None, issue_date=date(2024, 11, 20), place=None,
        issuer="Khối thi đua số 5",
        signers=[S("Hoàng Thị Yến", None, "Thư ký"), S("Ma Văn Quyết", None, "Chủ trì")],
        title="Họp Khối thi đua số 5 bình xét, chấm điểm thi đua năm 2024",
        citations=["31/KH-UBND"],
        warnings=[NO_NUMBER, "Không có dòng địa danh, ngày tháng; lấy ngày họp trong biên bản"],
    ),
    "12_tc_bang_tieu_chi.txt": expect(
        type="TC", number=None, issue_date=date(2025, 3, 5), place="Hà Tuyên",
        issuer="Khối thi đua số 1",
        signers=[S("Đinh Công Tráng", "TM.", "Trưởng Khối, Giám đốc Sở Xây dựng", "Khối thi đua số 1")],
        title="Bảng tiêu chí thi đua và thang điểm năm 2025",
        citations=[], warnings=[NO_NUMBER],
    ),
    "13_qd_tp_hai_phong_slash_date.txt": expect(
        type="QĐ", number="612/QĐ-UBND", issue_date=date(2024, 3, 5), place="Hải Phòng",
        issuer="Ủy ban nhân dân thành phố Hải Phòng",
        signers=[S("Lê Khắc Nam", "KT.", "Phó Chủ tịch", "Chủ tịch")],
        title="Khen thưởng các tập thể, cá nhân có thành tích xuất sắc trong phong trào thi đua năm 2023",
        citations=["25/2023/QĐ-UBND", "77/TTr-SNV"],
    ),
    "14_qd_cong_ty_quyen_giam_doc.txt": expect(
        type="QĐ", number="1502/QĐ-PCHT", issue_date=date(2025, 2, 14), place="Hà Tuyên",
        issuer="Công ty Điện lực Hà Tuyên", parent_issuer="Tổng công ty Điện lực miền Bắc",
        signers=[S("Phan Thanh Sơn", "Q.", "Giám đốc")],
        title="Ban hành Quy chế thi đua, khen thưởng của Công ty Điện lực Hà Tuyên",
        citations=["320/QĐ-EVNNPC"],
    ),
    "15_kh_ocr_noise.txt": expect(
        type="KH", number="102/KH-UBND", issue_date=date(2024, 4, 12), place="Quảng Hà",
        issuer="Ủy ban nhân dân tỉnh Quảng Hà",
        signers=[S("Bế Văn Đức", "KT.", "Phó Chủ tịch", "Ủy ban nhân dân")],
        title="Tổ chức Hội nghị điển hình tiên tiến tỉnh Quảng Hà lần thứ VI, giai đoạn 2020 - 2025",
        citations=["1234/QĐ-UBND"],
    ),
    "16_kh_blank_number_draft.txt": expect(
        type="KH", number=None, issue_date=None, place="Lam Sơn", year=2025,
        issuer="Ủy ban nhân dân tỉnh Lam Sơn",
        signers=[S(None, "TM.", "Chủ tịch", "Ủy ban nhân dân")],
        title="Tổ chức Hội nghị tổng kết công tác thi đua, khen thưởng năm 2024",
        citations=["05/CT-UBND"],
        warnings=[
            "Số văn bản để trống (văn bản chưa cấp số)",
            "Ngày ban hành để trống",
            "Không tìm thấy người ký",
        ],
    ),
    "17_hd_no_date.txt": expect(
        type="HD", number="03/HD-HĐTĐKT", issue_date=None, place=None, year=2025,
        issuer="Hội đồng Thi đua - Khen thưởng", parent_issuer="Ủy ban nhân dân tỉnh Lam Sơn",
        signers=[S("Phạm Quang Vinh", "KT.", "Phó Chủ tịch", "Hội đồng")],
        title="Xét tặng danh hiệu thi đua và hình thức khen thưởng năm 2025",
        citations=["98/2023/NĐ-CP", "15/2023/TT-BNV", "05/HD-BTĐKT"],
        warnings=[NO_DATE],
    ),
    "18_kh_damaged_split.txt": expect(
        type="KH", number="12/KH-UBND", issue_date=date(2025, 1, 8), place="Lam Sơn",
        issuer="Ủy ban nhân dân tỉnh Lam Sơn",
        signers=[S("Nguyễn Văn Hùng", "KT.", "Phó Chủ tịch", "Ủy ban nhân dân")],
        title="Tổ chức hoạt động các Khối thi đua năm 2025",
        citations=["05/CT-UBND"],
        warnings=["Lớp chữ bị tách âm tiết; đã ghép lại 11 chỗ"],
    ),
    "19_bc_tong_ket_run_together_phong.txt": expect(
        type="BC", number="88/BC-PNV", issue_date=date(2024, 11, 20), place="Na Hang",
        issuer="Phòng Nội vụ", parent_issuer="UBND huyện Na Hang",
        signers=[S("Sầm Thị Hoa", None, "Trưởng phòng")],
        title="Kết quả công tác thi đua, khen thưởng năm 2024",
        citations=["1875/SNV-TĐKT"],
    ),
    "20_gu_doanh_nghiep_two_columns.txt": expect(
        type="GU", number="01/GU-KDN", issue_date=date(2025, 2, 20), place="Hà Tuyên",
        issuer="Khối thi đua các doanh nghiệp tỉnh Hà Tuyên",
        signers=[
            S("Vương Đình Huệ", "TM.", "Giám đốc", "Công ty Cổ phần Xi măng Hà Tuyên"),
            S("Châu Ngọc Lan", "KT.", "Phó Giám đốc", "Công ty TNHH MTV Cấp nước Hà Tuyên"),
        ],
        title="Giao ước thi đua năm 2025",
        citations=["27/KH-UBND"],
    ),
    "21_tb_hdtdkt_two_line_title.txt": expect(
        type="TB", number="08/TB-HĐTĐKT", issue_date=date(2024, 12, 22), place="Hà Tuyên",
        issuer="Hội đồng Thi đua - Khen thưởng tỉnh Hà Tuyên",
        signers=[S("Lê Hoàng Nam", "TM.", "Chủ tịch, Chủ tịch UBND tỉnh", "Hội đồng")],
        title="Kết quả họp xét tặng Cờ thi đua của Ủy ban nhân dân tỉnh năm 2024",
        citations=["1234/QĐ-UBND"],
    ),
    "22_cv_bo_slash_date.txt": expect(
        type="CV", number="1520/BTĐKT-VP", issue_date=date(2024, 3, 5), place="Hà Nội",
        issuer="Ban Thi đua - Khen thưởng Trung ương", parent_issuer="Bộ Nội vụ",
        signers=[S("Trương Minh Hải", "KT.", "Phó Trưởng ban", "Trưởng ban")],
        title="Hướng dẫn khen thưởng tổng kết công tác năm 2023",
        citations=["98/2023/NĐ-CP"],
    ),
    "23_tb_ubnd_xa_damaged_date_spacing.txt": expect(
        type="TB", number="15/TB-UBND", issue_date=date(2025, 1, 8), place="Tân Lập",
        issuer="Ủy ban nhân dân xã Tân Lập",
        signers=[S("Đàm Văn Tư", "TM.", "Chủ tịch", "Ủy ban nhân dân")],
        title="Lịch tiếp công dân và giải quyết thủ tục khen thưởng tháng 01 năm 2025",
        citations=[],
    ),
    "24_bc_left_then_right_column_order.txt": expect(
        type="BC", report_kind="so_ket", number="188/BC-UBND", issue_date=date(2025, 6, 30),
        place="Lam Sơn", issuer="Ủy ban nhân dân tỉnh Lam Sơn",
        signers=[S("Trần Văn Minh", "KT.", "Phó Chủ tịch", "Ủy ban nhân dân")],
        title=(
            "Sơ kết 6 tháng đầu năm 2025 công tác thi đua, khen thưởng và nhiệm vụ trọng tâm "
            "6 tháng cuối năm"
        ),
        citations=["27/KH-UBND", "60/KH-BTĐKT"],
    ),
    "25_kl_ban_thuong_vu.txt": expect(
        type="OTHER", number="63-KL/TU", issue_date=date(2024, 12, 2), place="Lam Sơn",
        issuer="Tỉnh ủy Lam Sơn",
        signers=[S("Vũ Đức Trọng", "TM.", "Bí thư", "Ban Thường vụ")],
        title="Kết luận của Ban Thường vụ Tỉnh ủy về công tác thi đua, khen thưởng năm 2024",
        citations=["34-CT/TW", "124-QĐ/TW"],
    ),
    "26_qd_ubnd_huyen_tm_title_one_line.txt": expect(
        type="QĐ", number="09/QĐ-UBND", issue_date=date(2025, 1, 8), place="Bản Mường",
        issuer="Ủy ban nhân dân huyện Bản Mường",
        signers=[S("Vàng A Dình", "TM.", "Chủ tịch", "Ủy ban nhân dân")],
        title="Kiện toàn Hội đồng Thi đua - Khen thưởng huyện Bản Mường",
        citations=["06/2022/QH15", "98/2023/NĐ-CP"],
    ),
    "27_bc_so_gd_heading_with_rest.txt": expect(
        type="BC", report_kind="tong_ket", number="1102/BC-SGDĐT", issue_date=date(2024, 11, 25),
        place="Lam Sơn", issuer="Sở Giáo dục và Đào tạo", parent_issuer="UBND tỉnh Lam Sơn",
        signers=[S("Hà Thị Minh Châu", None, "Giám đốc")],
        title="Tổng kết công tác thi đua, khen thưởng năm học 2023 - 2024",
        citations=["1875/SNV-TĐKT"],
    ),
    "28_ttr_caps_subject_three_line_issuer.txt": expect(
        type="TTr", number="56/TTr-SVHTTDL", issue_date=date(2024, 11, 1), place="Hà Tuyên",
        issuer="Sở Văn hóa, Thể thao và Du lịch", parent_issuer="UBND tỉnh Hà Tuyên",
        signers=[S("Quách Thị Ngân", "TUQ.", "Trưởng phòng Tổ chức - Hành chính", "Giám đốc")],
        title="Đề nghị tặng Cờ thi đua của Ủy ban nhân dân tỉnh năm 2024",
        citations=["12/2024/QĐ-UBND"],
    ),
    "29_cv_ubnd_vv_two_columns.txt": expect(
        type="CV", number="2345/UBND-VX", issue_date=date(2025, 3, 10), place="Lam Sơn",
        issuer="Ủy ban nhân dân tỉnh Lam Sơn",
        signers=[S("Ngô Thanh Tùng", "TL.", "Chánh Văn phòng", "Chủ tịch")],
        title="Triển khai phong trào thi đua chào mừng Đại hội Đảng bộ tỉnh",
        citations=["05/CT-UBND", "27/KH-UBND"],
    ),
    "30_quy_che_other.txt": expect(
        type="OTHER", number="01/QC-KTĐ4", issue_date=date(2025, 3, 3), place="Lam Sơn",
        issuer="Khối thi đua số 4",
        signers=[S("Lường Văn Thoại", "TM.", "Trưởng Khối", "Khối thi đua số 4")],
        title="Hoạt động của Khối thi đua số 4 năm 2025",
        citations=["27/KH-UBND"],
    ),
    "31_bb_kiem_tra_with_date_line.txt": expect(
        type="BB", number="07/BB-ĐKT", issue_date=date(2025, 7, 16), place="Lam Sơn",
        issuer="Sở Nội vụ", parent_issuer="UBND tỉnh Lam Sơn",
        signers=[
            S("Nguyễn Thu Trang", None, "Thư ký"),
            S("Bùi Quang Huy", "TM.", "Trưởng đoàn", "Đoàn kiểm tra"),
        ],
        title="Kiểm tra việc thực hiện giao ước thi đua tại Ủy ban nhân dân huyện Hòa An",
        citations=["355/QĐ-SNV"],
    ),
    "32_tb_spaced_heading_phong.txt": expect(
        type="TB", number="21/TB-VHTT", issue_date=date(2025, 5, 14), place="Hòa An",
        issuer="Phòng Văn hóa và Thông tin", parent_issuer="UBND huyện Hòa An",
        signers=[S("La Văn Tiến", None, "Trưởng phòng")],
        title="Kết quả cuộc thi tìm hiểu truyền thống văn hóa huyện Hòa An năm 2025",
        citations=["11/KH-VHTT"],
    ),
    "33_kh_cong_ty_bare_header.txt": expect(
        type="KH", number="18/KH-XMHT", issue_date=date(2025, 1, 6), place="Hà Tuyên",
        issuer="Công ty Cổ phần Xi măng Hà Tuyên",
        signers=[S("Đoàn Mạnh Cường", None, "Tổng Giám đốc")],
        title="Phát động phong trào thi đua lao động sản xuất năm 2025",
        citations=["01/GU-KDN"],
    ),
    "34_cv_ve_viec_spelled_out.txt": expect(
        type="CV", number="456/UBND-NV", issue_date=date(2025, 9, 12), place="Hòa An",
        issuer="Ủy ban nhân dân huyện Hòa An",
        signers=[S("Hoàng Văn Pảo", "KT.", "Phó Chủ tịch", "Chủ tịch")],
        title="Đăng ký danh hiệu thi đua năm 2025",
        citations=["123/SNV"],
    ),
    "35_qd_digital_stamp_and_appendix.txt": expect(
        type="QĐ", number="27/QĐ-UBND", issue_date=date(2025, 1, 8), place="Lam Sơn",
        issuer="Ủy ban nhân dân tỉnh Lam Sơn",
        signers=[S("Trần Văn Minh", "TM.", "Chủ tịch", "Ủy ban nhân dân")],
        title="Ban hành Quy chế tổ chức và hoạt động của các Khối thi đua thuộc tỉnh",
        citations=["98/2023/NĐ-CP"],
    ),
    "36_nq_dang_uy_khoi.txt": expect(
        type="NQ", number="15-NQ/ĐU", issue_date=date(2025, 1, 10), place="Lam Sơn",
        issuer="Đảng ủy Khối Cơ quan và Doanh nghiệp", parent_issuer="Đảng bộ tỉnh Lam Sơn",
        signers=[S("Phùng Thị Hạnh", "TM.", "Bí thư", "Đảng ủy")],
        title="Về lãnh đạo thực hiện nhiệm vụ chính trị năm 2025",
        citations=["05/CT-UBND"],
    ),
    "37_cv_vv_beside_number_no_gaps.txt": expect(
        type="CV", number="401/SYT-TCCB", issue_date=date(2024, 12, 3), place="Lam Sơn",
        issuer="Sở Y tế",
        signers=[S("Lê Thị Thu Hà", "KT.", "Phó Giám đốc", "Giám đốc")],
        title="Gửi hồ sơ đề nghị khen thưởng năm 2024 của ngành y tế",
        citations=["05/HD-BTĐKT"],
    ),
    "38_kh_ocr_accents_split_citation.txt": expect(
        type="KH", number="77/KH-UBND", issue_date=date(2025, 2, 2), place="Hà Tuyên",
        issuer="Ủy ban nhân dân tỉnh Hà Tuyên",
        signers=[S("Nguyễn Thị Kim Oanh", "KT.", "Phó Chủ tịch", "Ủy ban nhân dân")],
        title='Tổng kết 10 năm thực hiện phong trào thi đua "Dân vận khéo"',
        citations=["1234/QĐ-UBND", "15/2023/TT-BNV", "12/UBND"],
    ),
    "39_hd_ban_tuyen_giao_party_draft.txt": expect(
        type="HD", number="45-HD/BTGTU", issue_date=date(2025, 3, 11), place="Lam Sơn",
        issuer="Ban Tuyên giáo", parent_issuer="Tỉnh ủy Lam Sơn",
        signers=[S("Nguyễn Hữu Lộc", "KT.", "Phó Trưởng ban", "Trưởng ban")],
        title="Tuyên truyền kỷ niệm 95 năm ngày thành lập Đảng Cộng sản Việt Nam",
        citations=["150-HD/BTGTW"],
    ),
    "40_bc_caps_subject_oOo.txt": expect(
        type="BC", report_kind="so_ket", number="12/BC-SNN", issue_date=date(2025, 6, 28),
        place="Lam Sơn", issuer="Sở Nông nghiệp và Phát triển nông thôn",
        parent_issuer="UBND tỉnh Lam Sơn",
        signers=[S("Trần Quốc Toản", None, "Giám đốc")],
        title=(
            "Kết quả thực hiện phong trào thi đua 6 tháng đầu năm 2025 của ngành nông nghiệp tỉnh "
            "Lam Sơn"
        ),
        citations=["27/KH-UBND"],
    ),
    # Shapes from issue 13: each case below is one cause of a misread on real documents.
    "41_kh_subject_thuc_hien_caps.txt": expect(
        type="KH", number="318/KH-UBND", issue_date=date(2022, 5, 17), place="Nghệ An",
        issuer="Ủy ban nhân dân tỉnh Nghệ An",
        signers=[S("Bùi Đình Long", "KT.", "Phó Chủ tịch", "Ủy ban nhân dân")],
        title="Thực hiện phong trào thi đua chung sức xây dựng nông thôn mới giai đoạn 2021 - 2025",
        citations=["1730/QĐ-TTg"],
    ),
    "42_kh_subject_thuc_hien_sentence.txt": expect(
        type="KH", number="14/KH-PNV", issue_date=date(2021, 3, 3), place="Đức Trọng",
        issuer="Phòng Nội vụ", parent_issuer="UBND huyện Đức Trọng",
        signers=[S("K' Brơi Ha Sen", None, 'Trưởng phòng')],
        title='Thực hiện phong trào thi đua "Cán bộ, công chức thi đua thực hiện văn hóa công sở" năm 2021',
        citations=["25/KH-UBND"],
    ),
    "43_qd_bullet_can_cu_no_authority.txt": expect(
        type="QĐ", number="86/QĐ-BVĐK", issue_date=date(2022, 12, 28), place="Bắc Ninh",
        issuer="Bệnh viện Đa khoa tỉnh", parent_issuer="Sở Y tế tỉnh Bắc Ninh",
        signers=[S("Nguyễn Quang Thường", None, "Giám đốc")],
        title="Công nhận danh hiệu Lao động tiên tiến năm 2022",
        citations=["91/2017/NĐ-CP"],
    ),
    "44_tb_bullet_thuc_hien_after_subject.txt": expect(
        type="TB", number="102/TB-TĐTN", issue_date=date(2023, 8, 9), place="Vĩnh Long",
        issuer="Ban Chấp hành Đoàn tỉnh Vĩnh Long",
        signers=[S("Huỳnh Thị Như Ý", "TM.", "Phó Bí thư", "Ban Thường vụ Tỉnh đoàn")],
        title="Kết quả xét chọn Giải thưởng Lý Tự Trọng năm 2023",
        citations=["45/KH-TĐTN"],
    ),
    "45_qd_caps_subject_bare_authority.txt": expect(
        type="QĐ", number="15/2023/QĐ-UBND", issue_date=date(2023, 3, 21), place="Quảng Ninh",
        issuer="Ủy ban nhân dân tỉnh Quảng Ninh",
        signers=[S("Cao Tường Huy", "TM.", "Chủ tịch", "Ủy ban nhân dân")],
        title="Ban hành quy chế công tác thi đua, khen thưởng trên địa bàn tỉnh",
        citations=["06/2022/QH15", "52/TTr-SNV"],
    ),
    "46_nq_hdnd_caps_subject_khoa.txt": expect(
        type="NQ", number="21/2024/NQ-HĐND", issue_date=date(2024, 7, 12), place="Kon Tum",
        issuer="Hội đồng nhân dân tỉnh Kon Tum",
        signers=[S("Y Ngọc", None, "Chủ tịch")],
        title="Quy định mức chi tiền thưởng đối với các danh hiệu thi đua",
        citations=["98/2023/NĐ-CP", "61/TTr-UBND"],
    ),
    "47_qd_caps_subject_wrapped_chu_tich.txt": expect(
        type="QĐ", number="4521/QĐ-UBND", issue_date=date(2020, 11, 30), place="Thanh Hóa",
        issuer="Ủy ban nhân dân tỉnh Thanh Hóa",
        signers=[S("Lê Đức Giang", "KT.", "Phó Chủ tịch", "Chủ tịch")],
        title="Tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh cho các tập thể, cá nhân",
        citations=["880/TTr-SNV"],
    ),
    "48_qd_caps_subject_wrapped_giam_doc.txt": expect(
        type="QĐ", number="977/QĐ-SGDĐT", issue_date=date(2021, 6, 14), place="Phú Thọ",
        issuer="Sở Giáo dục và Đào tạo", parent_issuer="UBND tỉnh Phú Thọ",
        signers=[S("Nguyễn Văn Trực", None, "Giám đốc")],
        title="Tặng Giấy khen của Giám đốc Sở Giáo dục và Đào tạo năm học 2020 - 2021",
        citations=["22/2016/QĐ-UBND"],
    ),
    "49_nd_no_heading_quy_dinh_chi_tiet.txt": expect(
        type="NĐ", number="91/2017/NĐ-CP", issue_date=date(2017, 7, 31), place="Hà Nội",
        issuer="Chính phủ",
        signers=[S("Nguyễn Xuân Phúc", "TM.", "Thủ tướng", "Chính phủ")],
        title="Quy định chi tiết thi hành một số điều của Luật thi đua, khen thưởng",
        citations=[],
    ),
    "50_nq_no_heading_quy_dinh_muc_chi.txt": expect(
        type="NQ", number="08/2019/NQ-HĐND", issue_date=date(2019, 7, 11), place="Cà Mau",
        issuer="Hội đồng nhân dân tỉnh Cà Mau",
        signers=[S("Trần Văn Hiện", None, "Chủ tịch")],
        title="Quy định mức chi hỗ trợ công tác thi đua, khen thưởng trên địa bàn tỉnh Cà Mau",
        citations=["90/TTr-UBND"],
    ),
    "51_cv_letter_spaced_thu_tuong.txt": expect(
        type="CV", number="1081/TTg-KGVX", issue_date=date(2023, 9, 26), place="Hà Nội",
        issuer="Thủ tướng Chính phủ",
        signers=[S("Trần Lưu Quang", "KT.", "Phó Thủ tướng", "Thủ tướng")],
        title="Tổ chức phong trào thi đua hoàn thành các công trình trọng điểm",
        citations=["19/CT-TTg"],
    ),
    "52_nd_letter_spaced_chinh_phu.txt": expect(
        type="NĐ", number="28/2024/NĐ-CP", issue_date=date(2024, 3, 6), place="Hà Nội",
        issuer="Chính phủ",
        signers=[S("Trần Lưu Quang", "KT.", "Phó Thủ tướng", "Chính phủ")],
        title="Sửa đổi, bổ sung một số điều của Nghị định số 98/2023/NĐ-CP",
        citations=["98/2023/NĐ-CP"],
    ),
    "53_bc_signer_thuong.txt": expect(
        type="BC", report_kind="tong_ket", number="210/BC-SNV", issue_date=date(2022, 12, 5), place="Cần Thơ",
        issuer="Sở Nội vụ", parent_issuer="UBND thành phố Cần Thơ",
        signers=[S("Lê Văn Thường", "KT.", "Phó Giám đốc", "Giám đốc")],
        title="Tổng kết công tác thi đua, khen thưởng năm 2022",
        citations=["1520/BTĐKT-VP"],
    ),
    "54_tb_signer_ban.txt": expect(
        type="TB", number="33-TB/BTCHU", issue_date=date(2025, 4, 18), place="Tân Châu",
        issuer="Ban Tổ chức", parent_issuer="Huyện ủy Tân Châu",
        signers=[S("Nguyễn Văn Ban", None, "Trưởng ban")],
        title="Kết quả đánh giá, xếp loại tổ chức cơ sở đảng năm 2024",
        citations=["25-HD/BTCTW"],
    ),
    "55_kh_signer_so_caps_name.txt": expect(
        type="KH", number="140/KH-UBND", issue_date=date(2026, 2, 22), place="Mường Khương",
        issuer="Ủy ban nhân dân huyện Mường Khương",
        signers=[S("Lò Văn Sở", "TM.", "Chủ tịch", "Ủy ban nhân dân")],
        title='Tổ chức phong trào thi đua "Dân vận khéo" năm 2026',
        citations=["37/KH-UBND"],
    ),
    "56_bb_signer_truc_thu_ky_nhu.txt": expect(
        type="BB", number="03/BB-CTĐ", issue_date=date(2021, 10, 15), place="Hà Giang",
        issuer="Cụm thi đua các huyện biên giới",
        signers=[S("Vương Thị Như Hoa", None, "Thư ký"), S("Sùng Mí Trực", None, "Chủ trì")],
        title="Họp Cụm thi đua các huyện biên giới bình xét thi đua năm 2021",
        citations=["18/KH-UBND"],
    ),
    "57_bc_tieu_ban.txt": expect(
        type="BC", report_kind="tong_ket", number="07/BC-TBKT", issue_date=date(2025, 12, 2), place="Đắk Lắk",
        issuer="Tiểu ban Khen thưởng", parent_issuer="UBND tỉnh Đắk Lắk",
        signers=[S("Nguyễn Tuấn Hà", None, "Trưởng tiểu ban")],
        title="Kết quả xét khen thưởng tổng kết 50 năm giải phóng tỉnh Đắk Lắk",
        citations=["512/QĐ-UBND"],
    ),
    "58_kh_damaged_lost_letters_ambiguous.txt": expect(
        type="KH", number="205/KH-UBND", issue_date=date(2024, 3, 12), place="Biên Hòa",
        issuer="Ủy ban nhân dân thành phố Biên Hòa",
        signers=[S("Trần Thị Hiền", "KT.", "Phó Chủ tịch", "Ủy ban nhân dân")],
        title="Tổ chức phong trào thi đua năm 2024 trên địa bàn thành phố",
        citations=["40/KH-UBND"],
        warnings=["Lớp chữ bị tách âm tiết; đã ghép lại 1 chỗ", LOST_LETTERS],
    ),
    "59_bc_damaged_lost_letters_body.txt": expect(
        type="BC", report_kind="so_ket", number="88/BC-SNV", issue_date=date(2023, 6, 20), place="Bình Định",
        issuer="Sở Nội vụ", parent_issuer="UBND tỉnh Bình Định",
        signers=[S("Đặng Ngọc Dũng", "KT.", "Phó Giám đốc", "Giám đốc")],
        title="Sơ kết công tác thi đua, khen thưởng 6 tháng đầu năm 2023",
        citations=["12/KH-UBND"], warnings=[LOST_LETTERS],
    ),
    "60_cv_so_tai_chinh_no_heading.txt": expect(
        type="CV", number="1422/STC-VP", issue_date=date(2019, 5, 8), place="An Giang",
        issuer="Sở Tài chính", parent_issuer="UBND tỉnh An Giang",
        signers=[S("Lâm Quang Thi", None, "Giám đốc")],
        title="Đăng ký thi đua năm 2019",
        citations=["02/HD-HĐTĐKT"],
    ),
    "61_bc_cum_thi_dua_tong_ket.txt": expect(
        type="BC", report_kind="tong_ket", number="05/BC-CTĐ6", issue_date=date(2025, 11, 25), place="Thái Nguyên",
        issuer="Cụm thi đua số 6",
        signers=[S("Đỗ Thị Bích Thường", "TM.", "Cụm trưởng, Giám đốc Sở Công Thương", "Cụm thi đua số 6")],
        title="Tổng kết công tác thi đua, khen thưởng năm 2025 của Cụm thi đua số 6",
        citations=["09/KH-UBND"],
    ),
    "62_ttr_phong_giao_duc_tay_ninh.txt": expect(
        type="TTr", number="61/TTr-PGDĐT", issue_date=date(2026, 5, 29), place="Trảng Bàng",
        issuer="Phòng Giáo dục và Đào tạo", parent_issuer="UBND thị xã Trảng Bàng",
        signers=[S("Võ Thành Như", None, "Trưởng phòng")],
        title="Đề nghị công nhận danh hiệu Tập thể lao động xuất sắc năm học 2025 - 2026",
        citations=["1020/QĐ-UBND"],
    ),
    # Signature columns that pypdf read interleaved, row by row, with no gap between them.
    "63_gu_interleaved_columns_role_lines.txt": expect(
        type="GU", number=None, issue_date=date(2024, 2, 14), place="Lam Sơn",
        issuer="Khối thi đua số 5",
        signers=[
            S("Phan Hồng Đạt", None, "Giám đốc Điện lực Lam Sơn"),
            S("Phạm Ngọc Long", None,
              "Giám đốc Ngân hàng Nông nghiệp và Phát triển nông thôn Việt Nam - Chi nhánh tỉnh Lam Sơn"),
        ],
        title="Giao ước thi đua năm 2024",
        citations=["31/KH-UBND"],
        warnings=[NO_NUMBER],
    ),
    "64_gu_interleaved_three_columns_tm.txt": expect(
        type="GU", number=None, issue_date=date(2025, 3, 5), place="Bắc Kạn",
        issuer="Cụm thi đua số 2",
        signers=[
            S("Sầm Văn Tòng", "TM.", "Chủ tịch", "Ủy ban nhân dân huyện Pác Nặm"),
            S("Hoàng Thị Mai", "KT.", "Phó Chủ tịch", "Ủy ban nhân dân huyện Ba Bể"),
            S("Lương Đức Chính", "TM.", "Chủ tịch", "Ủy ban nhân dân huyện Chợ Đồn"),
        ],
        title="Giao ước thi đua năm 2025",
        citations=["12/KH-UBND"],
        warnings=[NO_NUMBER],
    ),
    "65_gu_interleaved_role_in_one_column.txt": expect(
        type="GU", number=None, issue_date=date(2025, 2, 20), place="Quảng Trị",
        issuer="Khối thi đua số 3",
        signers=[
            S("Nguyễn Thị Hằng", None, "Giám đốc Sở Y tế"),
            S("Lê Quang Vinh", None, "Giám đốc Sở Lao động - Thương binh và Xã hội"),
        ],
        title="Giao ước thi đua năm 2025",
        citations=["08/KH-UBND"],
        warnings=[NO_NUMBER],
    ),
    "66_kh_phoi_hop_interleaved_uneven_columns.txt": expect(
        type="KH", number="15/KH-SNV", issue_date=date(2025, 4, 3), place="Ninh Thuận",
        issuer="Sở Nội vụ", parent_issuer="UBND tỉnh Ninh Thuận",
        signers=[
            S("Trần Minh Tâm", "KT.", "Phó Giám đốc", "Giám đốc"),
            S("Pinăng Thị Lan", "TM.", "Phó Chủ tịch", "Ban Thường vụ Liên đoàn Lao động tỉnh"),
        ],
        title="Phối hợp phát động phong trào thi đua lao động giỏi năm 2025",
        citations=["210/QĐ-UBND"],
    ),
    # two readings of the columns are equally good: only each title's sure part is kept
    "67_gu_interleaved_ambiguous_warns.txt": expect(
        type="GU", number=None, issue_date=date(2025, 2, 18), place="Hà Tuyên",
        issuer="Khối thi đua số 4",
        signers=[
            S("Đoàn Văn Sáng", None, "Giám đốc Sở Y tế"),
            S("Kiều Thị Hạnh", None, "Giám đốc Công ty TNHH MTV Xổ số"),
        ],
        title="Giao ước thi đua năm 2025",
        citations=["27/KH-UBND"],
        warnings=[NO_NUMBER, INTERLEAVED],
    ),
    # one column beside "Nơi nhận", interleaved: stays one signer
    "68_qd_one_column_interleaved_with_recipients.txt": expect(
        type="QĐ", number="412/QĐ-UBND", issue_date=date(2025, 6, 11), place="Đồng Tháp",
        issuer="Ủy ban nhân dân tỉnh Đồng Tháp",
        signers=[S("Đoàn Tấn Bửu", "KT.", "Phó Chủ tịch", "Ủy ban nhân dân")],
        title="Tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh",
        citations=["98/2023/NĐ-CP"],
    ),
    "69_bb_thu_ky_chu_tri_interleaved.txt": expect(
        type="BB", number=None, issue_date=date(2024, 11, 25), place="Phú Yên",
        issuer="Khối thi đua số 3",
        signers=[S("Lê Đức Loan", None, "Thư ký"), S("Huỳnh Văn Bé", None, "Chủ trì")],
        title="Họp Khối thi đua số 3 bình xét, suy tôn đơn vị dẫn đầu năm 2024",
        citations=["31/KH-UBND"],
        warnings=[NO_NUMBER],
    ),
}

# The samples, with the values in /work/shared/samples/README.md.
SAMPLE_EXPECTED: dict[str, dict] = {
    "ke-hoach-khoi-thi-dua-2025.txt": expect(
        type="KH", number="27/KH-UBND", issue_date=date(2025, 1, 8), place="Lam Sơn",
        issuer="Ủy ban nhân dân tỉnh Lam Sơn",
        signers=[S("Trần Văn Minh", "KT.", "Phó Chủ tịch", "Ủy ban nhân dân")],
        title="Tổ chức hoạt động các Khối thi đua thuộc tỉnh năm 2025",
        citations=["98/2023/NĐ-CP", "05/CT-UBND"],
    ),
    "chi-thi-phat-dong-thi-dua-2025.txt": expect(
        type="CT", number="05/CT-UBND", issue_date=date(2024, 12, 20), place="Lam Sơn",
        issuer="Ủy ban nhân dân tỉnh Lam Sơn",
        signers=[S("Lê Hoàng Nam", None, "Chủ tịch")],
        title=(
            "Phát động phong trào thi đua thực hiện thắng lợi nhiệm vụ phát triển kinh tế - xã hội "
            "năm 2025"
        ),
        citations=["63-KL/TU", "41/NQ-HĐND"],
    ),
    "giao-uoc-khoi-3-2025.txt": expect(
        type="GU", number=None, issue_date=date(2025, 2, 24), place="Bản Mường",
        issuer="Khối thi đua số 3",
        signers=[
            S("Vàng A Dình", "TM.", "Chủ tịch", "UBND huyện Bản Mường"),
            S("Hà Thị Lụa", "TM.", "Chủ tịch", "UBND huyện Na Hang"),
            S("Lò Văn Pọm", "KT.", "Phó Chủ tịch", "UBND huyện Mường Tè"),
            S("Giàng Seo Phử", "TM.", "Chủ tịch", "UBND huyện Sìn Hồ"),
        ],
        title="Giao ước thi đua năm 2025",
        citations=["27/KH-UBND"],
        warnings=[NO_NUMBER],
    ),
    "bao-cao-tong-ket-so-y-te-2024-extracted.txt": expect(
        type="BC", report_kind="tong_ket", number="215/BC-SYT", issue_date=date(2024, 11, 18),
        place="Lam Sơn", issuer="Sở Y tế", parent_issuer="UBND tỉnh Lam Sơn",
        signers=[S("Phạm Thị Hồng Nhung", "KT.", "Phó Giám đốc", "Giám đốc")],
        title="Tổng kết công tác thi đua, khen thưởng năm 2024 và phương hướng, nhiệm vụ năm 2025",
        citations=["31/KH-UBND", "1875/SNV-TĐKT"],
        warnings=[
            "Lớp chữ bị tách âm tiết; đã ghép lại 3 chỗ",
            "Lớp chữ có chỗ mất chữ (phụ âm đứng riêng); nên kiểm tra lại",
        ],
    ),
}


def assert_metadata(meta: DocumentMetadata, exp: dict) -> None:
    got = {k: getattr(meta, k) for k in exp}
    assert got == exp
    main = next((s for s in meta.signers if s.name and s.title not in ("Thư ký",)), None)
    assert meta.signer == (main.name if main else None)
    assert meta.signer_title == (main.title if main else (meta.signers[0].title if meta.signers else None))


def read_case(name: str) -> str:
    return (CASES / name).read_text(encoding="utf-8")


def test_there_are_at_least_sixty_case_texts():
    files = sorted(p.name for p in CASES.glob("*.txt"))
    assert len(files) >= 60
    assert set(files) == set(EXPECTED)
    assert {e["type"] for e in EXPECTED.values()} >= {
        "CT", "KH", "GU", "TC", "BC", "BB", "QĐ", "TB", "TTr", "CV", "NQ", "NĐ", "HD", "OTHER"
    }


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_case(name):
    assert_metadata(read_metadata(read_case(name)), EXPECTED[name])


@pytest.mark.parametrize("name", sorted(SAMPLE_EXPECTED))
def test_shared_sample(name):
    path = SAMPLES / name
    if not SAMPLES.is_dir():
        pytest.skip("shared samples folder is not present")
    assert_metadata(read_metadata(path.read_text(encoding="utf-8")), SAMPLE_EXPECTED[name])


@pytest.mark.parametrize("name", sorted(SAMPLE_EXPECTED))
def test_shared_sample_with_columns_run_together(name):
    path = SAMPLES / name
    if not SAMPLES.is_dir():
        pytest.skip("shared samples folder is not present")
    text = re.sub(r"[ \t]{2,}", " ", path.read_text(encoding="utf-8"))
    exp = {k: v for k, v in SAMPLE_EXPECTED[name].items() if k != "warnings"}
    meta = read_metadata(text)
    assert {k: getattr(meta, k) for k in exp} == exp


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_case_with_columns_run_together(name):
    """The same documents as a PDF extractor without layout gives them: every run of spaces
    that separated two columns becomes one space (header, number/date line, signatures)."""
    text = re.sub(r"[ \t]{2,}", " ", read_case(name))
    exp = {k: v for k, v in EXPECTED[name].items() if k != "warnings"}
    meta = read_metadata(text)
    assert {k: getattr(meta, k) for k in exp} == exp


def test_main_signer_of_minutes_is_the_chair_not_the_secretary():
    meta = read_metadata(read_case("11_bb_hop_khoi_no_date_line.txt"))
    assert meta.signer == "Ma Văn Quyết"
    assert meta.signer_title == "Chủ trì"
    assert meta.signers[0].title == "Thư ký"


def test_decomposed_unicode_reads_the_same():
    text = unicodedata.normalize("NFD", read_case("01_qd_ubnd_tinh_co_thi_dua.txt"))
    assert text != read_case("01_qd_ubnd_tinh_co_thi_dua.txt")
    assert_metadata(read_metadata(text), EXPECTED["01_qd_ubnd_tinh_co_thi_dua.txt"])


def test_windows_line_ends_nbsp_and_en_dashes_read_the_same():
    name = "07_ttr_so_noi_vu.txt"
    text = read_case(name).replace("\n", "\r\n").replace("Độc lập - Tự do", "Độc lập – Tự do")
    text = text.replace("Số: 245/TTr-SNV", "Số:\u00a0245/TTr–SNV")
    assert_metadata(read_metadata(text), EXPECTED[name])


def test_vni_text_is_converted_and_read():
    name = "07_ttr_so_noi_vu.txt"
    legacy = encode_vni(read_case(name))
    assert "Trònh Vaên Bình" in legacy
    exp = dict(EXPECTED[name])
    exp["warnings"] = ["Văn bản dùng phông chữ cũ VNI; đã chuyển sang Unicode"]
    assert_metadata(read_metadata(legacy), exp)


def test_tcvn3_text_is_converted_and_read():
    name = "26_qd_ubnd_huyen_tm_title_one_line.txt"
    legacy = encode_tcvn3(read_case(name))
    assert "QUYÕT §ÞNH" in legacy
    exp = dict(EXPECTED[name])
    exp["warnings"] = ["Văn bản dùng phông chữ cũ TCVN3 (ABC); đã chuyển sang Unicode"]
    assert_metadata(read_metadata(legacy), exp)


def test_citations_without_so_and_own_number_excluded():
    text = (
        "ỦY BAN NHÂN DÂN          CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "TỈNH LAM SƠN                  Độc lập - Tự do - Hạnh phúc\n"
        "Số: 77/QĐ-UBND               Lam Sơn, ngày 02 tháng 3 năm 2025\n"
        "QUYẾT ĐỊNH\nVề việc sửa đổi Quyết định số 77/QĐ-UBND\n\n"
        "Căn cứ Quyết định 12/2024/QĐ-UBND; Kết luận 63-KL/TU; Thông tư số 01/2025/TT-BNV và "
        "Quyết định 12/2024/QĐ-UBND (nhắc lại); tỷ lệ 12/12 đơn vị; ngày 15/6/2022; Khối VH-XH.\n"
    )
    meta = read_metadata(text)
    assert meta.citations == ["12/2024/QĐ-UBND", "63-KL/TU", "01/2025/TT-BNV"]
    assert meta.number == "77/QĐ-UBND"
    assert meta.title == "Sửa đổi Quyết định số 77/QĐ-UBND"


@pytest.mark.parametrize(
    "subject, title",
    [
        ("Về việc tặng Cờ thi đua của\nỦy ban nhân dân tỉnh năm 2024", "Tặng Cờ thi đua của Ủy ban nhân dân tỉnh năm 2024"),
        ("Tổng kết phong trào thi đua yêu nước\nKhối thi đua các huyện miền núi", "Tổng kết phong trào thi đua yêu nước Khối thi đua các huyện miền núi"),
        ("V/v: khen thưởng đột xuất", "Khen thưởng đột xuất"),
        ("Ban hành Quy chế thi đua, khen thưởng\ntrên địa bàn tỉnh Lam Sơn", "Ban hành Quy chế thi đua, khen thưởng trên địa bàn tỉnh Lam Sơn"),
        ("Về việc khen thưởng\nỦy ban nhân dân tỉnh ban hành quyết định này theo đề nghị của Sở Nội vụ tỉnh.", "Khen thưởng"),
    ],
)
def test_subject_lines(subject, title):
    text = (
        "ỦY BAN NHÂN DÂN          CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "TỈNH LAM SƠN                  Độc lập - Tự do - Hạnh phúc\n"
        "Số: 77/QĐ-UBND               Lam Sơn, ngày 02 tháng 3 năm 2025\n"
        f"QUYẾT ĐỊNH\n{subject}\n\nCăn cứ Luật Thi đua, Khen thưởng.\n"
    )
    assert read_metadata(text).title == title


def test_header_in_ordinary_case():
    text = (
        "Công ty TNHH Một thành viên Môi trường Đô thị\nSố: 12/QĐ-MTĐT\n"
        "Lam Sơn, ngày 02 tháng 3 năm 2025\nQUYẾT ĐỊNH\nBan hành quy chế thi đua\n"
    )
    meta = read_metadata(text)
    assert (meta.issuer, meta.number, meta.issue_date, meta.title) == (
        "Công ty TNHH Một thành viên Môi trường Đô thị", "12/QĐ-MTĐT", date(2025, 3, 2), "Ban hành quy chế thi đua"
    )
    assert meta.warnings == ["Không tìm thấy người ký"]


def test_body_dates_are_not_the_issue_date():
    text = (
        "ỦY BAN NHÂN DÂN\nTỈNH LAM SƠN\nSố: 5/KH-UBND\n\nKẾ HOẠCH\nTổ chức hội nghị năm 2025\n\n"
        "Thực hiện Chỉ thị số 05/CT-UBND ngày 20/12/2024; hội nghị tổ chức ngày 15 tháng 01 năm 2025.\n"
    )
    meta = read_metadata(text)
    assert meta.issue_date is None
    assert meta.year == 2025  # from the title
    assert NO_DATE in meta.warnings


def test_repair_leaves_clean_text_alone():
    for name in EXPECTED:
        if "damaged" in name:
            continue
        text = read_case(name)
        fixed, joins = repair_text(text)
        assert (fixed, joins) == (text, 0), name
    prose = (
        "Cho anh ấy, cho ai đó, hoa anh đào; điểm a khoản 1, điểm đ khoản 2; 100.000 đ và ông bà; "
        "người ơi, thư viện; đi ăn; bà ấy; Nghị định số 98; email online COVID-19; T H Ô N G B Á O."
    )
    assert repair_text(prose) == (prose, 0)


def test_repair_joins_split_syllables():
    fixed, joins = repair_text("ĐIỀ U đáng chú ý là ngư ời bệnh; PHƯƠ NG HƯỚNG; thư ờng xuyên; nhi ều")
    assert fixed == "ĐIỀU đáng chú ý là người bệnh; PHƯƠNG HƯỚNG; thường xuyên; nhiều"
    assert joins == 5


@pytest.mark.parametrize(
    "line, expected",
    [
        ("Lam Sơn, ngày 08 tháng 01 năm 2025", date(2025, 1, 8)),
        ("Lam Sơn, ngày 8 tháng 1 năm 2025", date(2025, 1, 8)),
        ("Lam Sơn, ngày  08  tháng  01  năm  2025", date(2025, 1, 8)),
        ("Lam Sơn, ngày 08/01/2025", date(2025, 1, 8)),
        ("Lam Sơn, ngày 0 8 tháng 01 năm 2025", date(2025, 1, 8)),
        ("Lam Sơn,ngày08tháng01năm2025", date(2025, 1, 8)),
        ("LAM SƠN, NGÀY 08 THÁNG 01 NĂM 2025", date(2025, 1, 8)),
        ("Lam Sơn, 08/01/2025", date(2025, 1, 8)),
        ("TP. Hồ Chí Minh, ngày 08 tháng 01 năm 2025", date(2025, 1, 8)),
    ],
)
def test_date_line_forms(line, expected):
    text = f"ỦY BAN NHÂN DÂN\nTỈNH LAM SƠN\nSố: 27/KH-UBND      {line}\nKẾ HOẠCH\nTổ chức hội nghị\n"
    meta = read_metadata(text)
    assert meta.issue_date == expected
    assert meta.number == "27/KH-UBND"
    assert meta.place in ("Lam Sơn", "TP. Hồ Chí Minh")


def test_impossible_date_is_reported_not_invented():
    text = "SỞ Y TẾ\nSố: 1/BC-SYT\nLam Sơn, ngày 31 tháng 02 năm 2025\nBÁO CÁO\nTình hình\n"
    meta = read_metadata(text)
    assert meta.issue_date is None
    assert meta.year == 2025
    assert "Ngày ban hành không hợp lệ: “ngày 31 tháng 02 năm 2025”" in meta.warnings


def test_long_document_is_fast_and_read_correctly():
    name = "01_qd_ubnd_tinh_co_thi_dua.txt"
    text = read_case(name)
    head, _, tail = text.partition("Điều 1.")
    paragraph = (
        "Điều {n}. Các cơ quan, đơn vị tổ chức phong trào thi đua thiết thực, hiệu quả, gắn với "
        "nhiệm vụ chính trị; thực hiện tốt cải cách hành chính, chuyển đổi số và bảo đảm quốc\n"
        "phòng, an ninh; báo cáo kết quả về Ban Thi đua - Khen thưởng theo định kỳ hằng quý.\n"
    )
    body = "".join(paragraph.format(n=n + 4) for n in range(420))  # about 30 pages
    long_text = head + body + "Điều 1." + tail
    assert len(long_text) > 90_000
    read_metadata(long_text)  # warm caches
    best = min(_timed(read_metadata, long_text) for _ in range(3))
    meta = read_metadata(long_text)
    assert_metadata(meta, EXPECTED[name])
    assert best < 0.5  # the target is well under 50 ms; the margin keeps slow CI machines green


def _timed(fn, arg):
    t0 = time.perf_counter()
    fn(arg)
    return time.perf_counter() - t0


def test_garbage_and_huge_inputs_return_quickly():
    rng = random.Random(20250108)
    alphabet = "aăâbcdđeêghiklmnoôơpqrstuưvxyÁÀẢÃẠĐƯƠ0123456789 /-.:,;()\n\t     ─*TMKQL"
    cases = [
        "",
        " \n\t ",
        "".join(rng.choice(alphabet) for _ in range(200_000)),
        "Số: " + "1 " * 50_000,
        "ngày " * 50_000 + "tháng năm",
        "TM. " * 30_000,
        "A" * 2_000_000,
        ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM " * 5_000) + "\n",
        "\n" * 200_000,
        "1/A-" * 100_000,
        "Nơi nhận: KT. CHỦ TỊCH\n" * 20_000,
        "ĐIỀ U " * 100_000,
        "\ufffd\x00\x07" * 50_000,
        ("- " * 100_000) + "V/v " * 1000,
    ]
    for text in cases:
        t0 = time.perf_counter()
        meta = read_metadata(text)
        elapsed = time.perf_counter() - t0
        assert isinstance(meta, DocumentMetadata)
        assert elapsed < 5, (text[:40], elapsed)


@pytest.mark.parametrize("value", [None, b"S\xe1\xbb\x91: 1/KH-UBND", 12345, ["Số: 1/KH-UBND"]])
def test_non_text_input_never_raises(value):
    meta = read_metadata(value)  # type: ignore[arg-type]
    assert isinstance(meta, DocumentMetadata)
    assert meta.warnings


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=3000))
def test_any_text_never_raises(text):
    meta = read_metadata(text)
    assert isinstance(meta, DocumentMetadata)
    assert meta.type in (None, "CT", "KH", "GU", "TC", "BC", "BB", "QĐ", "TB", "TTr", "CV", "NQ", "NĐ", "HD", "OTHER")


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "ỦY BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số: 27/KH-UBND", "KẾ HOẠCH",
                "Lam Sơn, ngày 08 tháng 01 năm 2025", "Nơi nhận:", "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH",
                "PHÓ CHỦ TỊCH", "Trần Văn Minh", "V/v", "Căn cứ Nghị định số 98/2023/NĐ-CP;", "", "   ",
                "- Lưu: VT. Lê Văn A", "(Đã ký)", "ĐIỀ U", "Năm 2025", "T/M", "Q.", "*",
            ]
        ),
        max_size=40,
    ),
    st.lists(st.sampled_from(["\n", "   ", " ", ""]), min_size=40, max_size=40),
)
def test_shuffled_document_parts_never_raise(parts, seps):
    text = "".join(p + seps[i] for i, p in enumerate(parts))
    assert isinstance(read_metadata(text), DocumentMetadata)


def test_to_dict_is_json_ready():
    d = read_metadata(read_case("07_ttr_so_noi_vu.txt")).to_dict()
    assert d["issue_date"] == "2024-12-18"
    assert d["signer"] == "Trịnh Văn Bình"
    assert d["signer_title"] == "Giám đốc"
    assert d["signers"] == [{"name": "Trịnh Văn Bình", "capacity": None, "title": "Giám đốc", "on_behalf_of": None}]


@pytest.mark.parametrize(
    "damaged, kept",
    [
        ("TRƯ NG học", "TRƯ NG"),  # TRƯNG or TRƯỜNG: a letter may be lost, keep the gap
        ("tự cư ng", "cư ng"),  # cưng or cường
        ("các Phư ng", "Phư ng"),  # Phưng or Phường
        ("đ ng th i", "th i"),  # thi or thời
    ],
)
def test_repair_keeps_gaps_it_cannot_fill_unambiguously(damaged, kept):
    fixed, joins = repair_text(damaged)
    assert kept in fixed and joins == 0
    meta = read_metadata("SỞ Y TẾ\nSố: 1/BC-SYT\nLam Sơn, ngày 08 tháng 01 năm 2025\nBÁO CÁO\nTình hình\n" + damaged)
    assert LOST_LETTERS in meta.warnings


def test_repair_still_joins_unambiguous_splits():
    fixed, joins = repair_text("Nguyễ n Văn Hù ng; KẾ HOẠ CH; CHỦ TỊ CH; D ÂN; PHƯƠ NG")
    assert (fixed, joins) == ("Nguyễn Văn Hùng; KẾ HOẠCH; CHỦ TỊCH; DÂN; PHƯƠNG", 6)


@pytest.mark.parametrize(
    "spaced, closed",
    [
        ("T H Ủ  T Ư Ớ N G  C H Í N H  P H Ủ", "THỦ TƯỚNG CHÍNH PHỦ"),
        ("C H Í N H   P H Ủ", "CHÍNH PHỦ"),
        ("Q U Y Ế T Đ Ị N H", "QUYẾT ĐỊNH"),  # one run: split into the fewest syllables
    ],
)
def test_letter_spaced_capitals_are_closed_up(spaced, closed):
    assert close_letter_spacing(spaced).rstrip() == closed
    assert close_letter_spacing("điểm a, b, c; Phụ lục A B") == "điểm a, b, c; Phụ lục A B"


def test_type_comes_from_the_number_when_the_heading_is_a_subject():
    text = (
        "CHÍNH PHỦ\nSố: 15/2020/NĐ-CP            Hà Nội, ngày 03 tháng 02 năm 2020\n\n"
        "QUY ĐỊNH XỬ PHẠT VI PHẠM HÀNH CHÍNH TRONG LĨNH VỰC BƯU CHÍNH\n\nCăn cứ Luật Tổ chức Chính phủ;\n"
    )
    meta = read_metadata(text)
    assert meta.type == "NĐ"
    assert meta.title.startswith("Quy định xử phạt vi phạm hành chính")


def test_interleaved_columns_are_read_row_by_row():
    """Side-by-side columns of 2 and 4 lines come out of the text layer as rows: 0 1 0 1 1 1."""
    from portal.documents.reader.interleave import agreed, interleave, splits

    assert interleave([2, 4]) == [[0, 2], [1, 3, 4, 5]]
    assert interleave([3, 1, 2]) == [[0, 3, 5], [1], [2, 4]]
    kinds = ["title", "title", "paren", "cont", "cont", "paren"]
    found = splits(kinds, 2, lambda i: 0, lambda a, b: False)
    assert [s.columns for s in found] == [[[0, 2], [1, 3, 4, 5]]]
    assert found[0].name_of == [0, 1]  # the column that ends first has the first name
    # no role lines and nothing joining the lines: either column may own the third line
    found = splits(["title", "title", "cont"], 2, lambda i: 0, lambda a, b: False)
    assert len(found) == 2
    assert agreed(found) == ([[0], [1]], None)


def test_place_name_in_capitals_keeps_every_syllable():
    meta = read_metadata(read_case("63_gu_interleaved_columns_role_lines.txt"))
    assert meta.signer == "Phan Hồng Đạt"
    assert meta.signer_title == "Giám đốc Điện lực Lam Sơn"
