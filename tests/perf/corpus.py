"""A deterministic synthetic archive of Vietnamese emulation documents, for benchmarks.

`generate(n, seed)` yields `SearchDoc`s of 1–6 KB built from the field's own vocabulary (thi đua,
khen thưởng, Khối thi đua, kế hoạch, báo cáo, Ủy ban nhân dân, giao ước…), so the common
phrases are as common as in a real archive and phrase queries on them are as hard. Document
`i` depends only on `(seed, i)`, so any size is a prefix of a larger one and generation streams.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from portal.search.engine import SearchDoc

__all__ = ["BLOCS", "TYPES", "UNITS", "generate"]

YEARS = list(range(2015, 2027))
BLOCS = [f"K{i:02d}" for i in range(1, 13)]
UNITS = [f"U{i:03d}" for i in range(1, 151)]
# (type code, weight, title templates, issuer codes used in the number)
TYPES = [
    ("KH", 18, [
        "Kế hoạch tổ chức hoạt động các Khối thi đua năm {year}",
        "Kế hoạch triển khai phong trào thi đua {theme} năm {year}",
        "Kế hoạch hoạt động của Khối thi đua {bloc_name} năm {year}",
        "Kế hoạch kiểm tra việc thực hiện giao ước thi đua năm {year}",
    ], ["UBND", "SNV", "BTĐKT"]),
    ("CT", 6, [
        "Chỉ thị về phát động phong trào thi đua {theme}",
        "Chỉ thị về đẩy mạnh phong trào thi đua yêu nước năm {year}",
        "Chỉ thị về tăng cường công tác thi đua, khen thưởng",
    ], ["UBND", "TU"]),
    ("BC", 24, [
        "Báo cáo sơ kết 6 tháng đầu năm {year} Khối {bloc_no}",
        "Báo cáo tổng kết công tác thi đua, khen thưởng năm {year}",
        "Báo cáo kết quả thực hiện giao ước thi đua năm {year} của {unit_name}",
        "Báo cáo thành tích đề nghị tặng Cờ thi đua của Ủy ban nhân dân tỉnh năm {year}",
    ], ["UBND", "SNV", "BTĐKT"]),
    ("GU", 8, [
        "Giao ước thi đua năm {year} Khối thi đua {bloc_name}",
        "Bản giao ước thi đua giữa các đơn vị Khối {bloc_no} năm {year}",
    ], ["KTĐ"]),
    ("QĐ", 14, [
        "Quyết định về việc tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh",
        "Quyết định về việc tặng Cờ thi đua của Ủy ban nhân dân tỉnh năm {year}",
        "Quyết định công nhận danh hiệu Tập thể lao động xuất sắc năm {year}",
        "Quyết định ban hành Quy chế hoạt động của Khối thi đua {bloc_name}",
    ], ["UBND", "HĐTĐKT"]),
    ("TB", 8, [
        "Thông báo kết quả chấm điểm, xếp hạng thi đua Khối {bloc_no} năm {year}",
        "Thông báo lịch kiểm tra thực hiện giao ước thi đua năm {year}",
    ], ["UBND", "BTĐKT", "SNV"]),
    ("CV", 10, [
        "Công văn về việc hướng dẫn công tác thi đua, khen thưởng năm {year}",
        "Công văn đôn đốc gửi báo cáo tổng kết năm {year}",
        "Công văn về việc đăng ký thi đua năm {year}",
    ], ["SNV", "UBND"]),
    ("NQ", 3, [
        "Nghị quyết về công tác thi đua, khen thưởng giai đoạn {year}-{year2}",
        "Nghị quyết của Ban Chấp hành Đảng bộ tỉnh về phong trào thi đua yêu nước",
    ], ["TU", "HĐND"]),
    ("HD", 4, [
        "Hướng dẫn chấm điểm, xếp hạng thi đua các Khối năm {year}",
        "Hướng dẫn xét tặng danh hiệu thi đua và hình thức khen thưởng năm {year}",
    ], ["BTĐKT", "SNV"]),
    ("BB", 4, [
        "Biên bản họp Khối thi đua {bloc_name} bình xét thi đua năm {year}",
        "Biên bản thẩm định kết quả chấm điểm Khối {bloc_no} năm {year}",
    ], ["KTĐ"]),
    ("TTr", 1, [
        "Tờ trình đề nghị tặng Cờ thi đua của Chính phủ năm {year}",
    ], ["SNV", "BTĐKT"]),
]
THEMES = [
    "chuyển đổi số", "xây dựng nông thôn mới", "cải cách hành chính", "bảo vệ môi trường",
    "đảm bảo an sinh xã hội", "phát triển kinh tế - xã hội", "Cả nước chung tay vì người nghèo",
    "Dân vận khéo", "văn hóa công sở", "phòng, chống dịch bệnh",
]
BLOC_NAMES = [
    "các sở, ban, ngành kinh tế", "các sở, ban, ngành văn hóa - xã hội", "các huyện, thị xã, thành phố",
    "các cơ quan nội chính", "các doanh nghiệp nhà nước", "các đoàn thể chính trị - xã hội",
    "các trường cao đẳng", "các ngân hàng", "các đơn vị sự nghiệp", "các tổ chức tín dụng",
    "các ban quản lý dự án", "các hội đặc thù",
]
UNIT_NAMES = [
    "Sở Nội vụ", "Sở Tài chính", "Sở Kế hoạch và Đầu tư", "Sở Giáo dục và Đào tạo", "Sở Y tế",
    "Sở Tư pháp", "Sở Xây dựng", "Sở Công Thương", "Sở Nông nghiệp và Phát triển nông thôn",
    "Ủy ban nhân dân huyện Phong Điền", "Ủy ban nhân dân huyện Quảng Điền",
    "Ủy ban nhân dân thị xã Hương Thủy", "Ủy ban nhân dân thành phố Đông Hà",
    "Công an tỉnh", "Bộ Chỉ huy Quân sự tỉnh", "Liên đoàn Lao động tỉnh", "Tỉnh đoàn",
    "Hội Liên hiệp Phụ nữ tỉnh", "Hội Nông dân tỉnh", "Đảng bộ Khối cơ quan tỉnh",
    "Công ty TNHH MTV Cấp nước", "Ngân hàng Chính sách xã hội chi nhánh tỉnh",
]
ISSUERS = [
    "Ủy ban nhân dân tỉnh", "Sở Nội vụ", "Ban Thi đua - Khen thưởng", "Hội đồng Thi đua - Khen thưởng tỉnh",
    "Tỉnh ủy", "Hội đồng nhân dân tỉnh", "Trưởng Khối thi đua",
]
SENTENCES = [
    "Căn cứ Luật Thi đua, Khen thưởng năm 2022; Nghị định số 98/2023/NĐ-CP ngày 31 tháng 12 năm 2023 của Chính phủ quy định chi tiết thi hành một số điều của Luật Thi đua, Khen thưởng.",
    "Thực hiện Chỉ thị số 19/CT-UBND của Ủy ban nhân dân tỉnh về phát động phong trào thi đua yêu nước năm {year}.",
    "Căn cứ Chỉ thị số 34-CT/TW của Bộ Chính trị về tiếp tục đổi mới công tác thi đua, khen thưởng.",
    "Các đơn vị trong Khối thi đua đã tổ chức ký kết giao ước thi đua ngay từ đầu năm, xác định rõ nội dung, chỉ tiêu và giải pháp thực hiện.",
    "Phong trào thi đua yêu nước tiếp tục được triển khai sâu rộng, gắn với việc thực hiện nhiệm vụ chính trị của từng cơ quan, đơn vị.",
    "Công tác khen thưởng bảo đảm chính xác, công khai, minh bạch, đúng đối tượng, kịp thời động viên các tập thể và cá nhân có thành tích xuất sắc.",
    "Trưởng Khối thi đua chủ trì tổ chức họp bình xét, chấm điểm và đề nghị Ủy ban nhân dân tỉnh tặng Cờ thi đua cho các đơn vị dẫn đầu.",
    "Đề nghị tặng Cờ thi đua của Ủy ban nhân dân tỉnh cho {unit_name} đã có thành tích xuất sắc, dẫn đầu phong trào thi đua của Khối.",
    "Hội đồng Thi đua - Khen thưởng tỉnh thẩm định kết quả chấm điểm của các Khối thi đua và trình Chủ tịch Ủy ban nhân dân tỉnh xem xét, quyết định.",
    "Trong 6 tháng đầu năm {year}, {unit_name} đã hoàn thành {percent}% kế hoạch được giao, các chỉ tiêu chủ yếu đều đạt và vượt.",
    "Tập thể lao động xuất sắc, Chiến sĩ thi đua cơ sở và Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh được xét tặng theo đúng quy định.",
    "Đảng bộ {unit_name} lãnh đạo thực hiện tốt nhiệm vụ chính trị, công tác xây dựng Đảng và hệ thống chính trị được tăng cường.",
    "Nhiều mô hình mới, cách làm hay, điển hình tiên tiến được phát hiện, bồi dưỡng, nhân rộng trong phong trào thi đua.",
    "Các đơn vị gửi báo cáo tổng kết công tác thi đua, khen thưởng về Trưởng Khối trước ngày 30 tháng 11 năm {year}.",
    "Ban Thi đua - Khen thưởng, Sở Nội vụ tổ chức kiểm tra việc thực hiện giao ước thi đua tại các đơn vị vào tháng 7 năm {year}.",
    "Kết quả chấm điểm: {unit_name} đạt {score} điểm, xếp thứ {rank} trong Khối {bloc_no}.",
    "Bên cạnh những kết quả đạt được, công tác thi đua, khen thưởng vẫn còn một số hạn chế: việc phát hiện điển hình tiên tiến chưa thường xuyên, khen thưởng cho người lao động trực tiếp còn ít.",
    "Năm {year2}, các đơn vị tiếp tục đổi mới nội dung, hình thức tổ chức phong trào thi đua, gắn thi đua với chuyển đổi số và cải cách hành chính.",
    "Thực hiện chủ đề năm {year} về {theme}, các cơ quan, đơn vị đã cụ thể hóa thành các phong trào thi đua thiết thực.",
    "Đơn vị đăng ký danh hiệu thi đua và hình thức khen thưởng năm {year} gửi về Sở Nội vụ để tổng hợp.",
]
FILLER = (
    "công tác triển khai thực hiện nhiệm vụ kết quả đơn vị cơ quan cán bộ công chức viên chức người lao động"
    " chỉ tiêu kế hoạch giải pháp tổ chức lãnh đạo chỉ đạo điều hành phối hợp kiểm tra giám sát đánh giá"
    " hoàn thành xuất sắc tốt vượt mức đạt yêu cầu hạn chế tồn tại nguyên nhân bài học kinh nghiệm"
    " phương hướng năm tới đề xuất kiến nghị tỉnh huyện xã phường thị trấn thôn bản khu phố"
    " nông nghiệp công nghiệp dịch vụ du lịch giáo dục y tế văn hóa thể thao an ninh quốc phòng"
    " ngân sách đầu tư xây dựng giao thông thủy lợi môi trường tài nguyên đất đai khoáng sản"
    " hành chính thủ tục một cửa liên thông dịch vụ công trực tuyến chữ ký số hồ sơ văn bản"
    " tuyên truyền phổ biến giáo dục pháp luật đoàn viên hội viên thanh niên phụ nữ nông dân cựu chiến binh"
    " gương người tốt việc tốt điển hình tiên tiến sáng kiến cải tiến kỹ thuật đề tài khoa học"
    " quý tháng tuần ngày hội nghị hội thảo tập huấn bồi dưỡng nghiệp vụ chuyên môn"
    " thu nhập đời sống việc làm an sinh hộ nghèo cận nghèo nhà ở đại đoàn kết"
    " Phong Điền Quảng Điền Hương Thủy Đông Hà Gio Linh Cam Lộ Triệu Phong Hải Lăng Vĩnh Linh Hướng Hóa"
    " Nguyễn Văn An Trần Thị Bình Lê Văn Cường Phạm Thị Dung Hoàng Văn Em Võ Thị Giang"
    " dang dạng đang đáng đăng đắng Dang"
).split()
_ZIPF_CUM = list(itertools.accumulate(1.0 / (rank + 1) ** 0.8 for rank in range(len(FILLER))))
_TYPE_CUM = list(itertools.accumulate(t[1] for t in TYPES))
RARE_SENTENCE = "Mô hình “Thắp sáng đường quê” của xã Vĩnh Thủy được biểu dương, khen thưởng."


def _number(rng: random.Random, type_code: str, issuers: list[str], year: int) -> str:
    n = rng.randint(1, 200)
    issuer = rng.choice(issuers)
    style = rng.random()
    if type_code in ("NQ", "CT") and issuer == "TU":
        return f"{n}-{type_code}/TU"
    if type_code == "CV":
        return f"{n}/{issuer}-VP"
    if style < 0.1:
        return f"{n}/{year}/{type_code}-{issuer}"
    return f"{n}/{type_code}-{issuer}"


def _fill(template: str, ctx: dict[str, object]) -> str:
    return template.format(**ctx)


def _document(seed: int, i: int) -> SearchDoc:
    rng = random.Random(seed * 1_000_003 + i)
    code, _w, titles, issuers = rng.choices(TYPES, cum_weights=_TYPE_CUM)[0]
    year = rng.choice(YEARS)
    bloc_idx = rng.randrange(len(BLOCS))
    unit_name = rng.choice(UNIT_NAMES)
    ctx = {
        "year": year,
        "year2": year + 1,
        "theme": rng.choice(THEMES),
        "bloc_name": BLOC_NAMES[bloc_idx],
        "bloc_no": bloc_idx + 1,
        "unit_name": unit_name,
    }
    title = _fill(rng.choice(titles), ctx)
    target = rng.randint(1000, 6000)
    parts: list[str] = []
    size = 0
    while size < target:
        r = rng.random()
        if r < 0.002:
            sentence = RARE_SENTENCE
        elif r < 0.55:
            ctx.update(
                percent=40 + int(r * 150),
                score=f"{60 + int(r * 70)},{int(r * 1000) % 10}",
                rank=1 + int(r * 1000) % 12,
                unit_name=UNIT_NAMES[int(r * 10_000) % len(UNIT_NAMES)],
            )
            sentence = _fill(SENTENCES[int(r * 100_000) % len(SENTENCES)], ctx)
        else:
            words = rng.choices(FILLER, cum_weights=_ZIPF_CUM, k=8 + int(r * 1000) % 18)
            sentence = " ".join(words).capitalize() + "."
        parts.append(sentence)
        size += len(sentence.encode("utf-8")) + 1
        if rng.random() < 0.15:
            parts.append("\n")
    text = " ".join(parts)
    issue = date(year, 1, 1) + timedelta(days=rng.randrange(365))
    return SearchDoc(
        id=i + 1,
        title=title,
        number=_number(rng, code, issuers, year),
        issuer=rng.choice(ISSUERS),
        summary=title if rng.random() < 0.5 else None,
        text=text,
        year=year,
        type=code,
        report_kind=("sơ kết" if "sơ kết" in title else "tổng kết" if "tổng kết" in title else None)
        if code == "BC"
        else None,
        bloc=BLOCS[bloc_idx],
        unit=rng.choice(UNITS) if rng.random() < 0.7 else None,
        issue_date=issue,
        uploaded_at=datetime(year, issue.month, issue.day, 9, 0) + timedelta(days=rng.randint(0, 30)),
    )


def generate(n: int, seed: int = 20231) -> Iterator[SearchDoc]:
    """Yield `n` documents with ids 1..n; the same (n, seed) always gives the same documents."""
    for i in range(n):
        yield _document(seed, i)
