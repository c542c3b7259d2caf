"""Demo province "Lam Sơn": units, emulation blocs, three years of memberships and demo users.

Plain data and small pure functions (standard library only), read by the ``flask demo`` command and
by tests. Nothing here touches the database.

The story the data tells, so the demo can show it:

* Six blocs (K1–K6) of comparable units; every unit sits in exactly one bloc each year.
* Leaders rotate: the deputy (Phó Trưởng khối) of year N becomes leader (Trưởng khối) of year N+1,
  and no unit leads its bloc two years running. The one exception is K2 in 2026, whose 2025 deputy
  (Sở Kế hoạch và Đầu tư) was merged into Sở Tài chính, so the bloc chose another leader.
* Reorganisations: Sở Nội vụ moved from the Nội chính bloc to Kinh tế - Tổng hợp in 2025; Liên minh
  Hợp tác xã tỉnh moved from the mass-organisation bloc to Kinh tế - Tổng hợp in 2026; Sở Kế hoạch
  và Đầu tư has no membership in 2026 (merged) and is therefore ``active=False``.
* K1 in 2025 is led by huyện Bản Mường with huyện Na Hang as deputy, as in the sample pledge
  (``shared/samples/giao-uoc-khoi-3-2025.txt``); the sample calls that bloc "Khối thi đua số 3".
* Officers exist for every bloc's 2026 leader unit, for K1's 2026 deputy, and for ordinary member
  units, among them units that led in 2025 and are plain members in 2026, so logging in as them
  shows rights moving with the rotation without anyone editing users.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BLOCS",
    "DEMO_PASSWORD",
    "KINDS",
    "ROLES",
    "UNITS",
    "USERS",
    "USER_ROLES",
    "YEARS",
    "DemoBloc",
    "DemoMembership",
    "DemoUnit",
    "DemoUser",
    "deputies",
    "describe",
    "leaders",
    "memberships",
]

KINDS = ("so_nganh", "dia_phuong", "doanh_nghiep", "doan_the", "khac")
ROLES = ("leader", "deputy", "member")
USER_ROLES = ("admin", "officer", "viewer")
YEARS = (2024, 2025, 2026)


@dataclass(frozen=True)
class DemoUnit:
    code: str
    name: str
    short_name: str
    kind: str
    active: bool = True


@dataclass(frozen=True)
class DemoBloc:
    code: str
    name: str


@dataclass(frozen=True)
class DemoMembership:
    unit_code: str
    bloc_code: str
    role: str


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: str
    unit_code: str | None
    password: str


# ---------------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------------

UNITS: tuple[DemoUnit, ...] = (
    # Sở, ban, ngành
    DemoUnit("SNV", "Sở Nội vụ", "SNV", "so_nganh"),
    DemoUnit("STC", "Sở Tài chính", "STC", "so_nganh"),
    # Merged into Sở Tài chính during 2025: members in 2024 and 2025, no membership in 2026.
    DemoUnit("SKHDT", "Sở Kế hoạch và Đầu tư", "SKHĐT", "so_nganh", active=False),
    DemoUnit("SYT", "Sở Y tế", "SYT", "so_nganh"),
    DemoUnit("SGDDT", "Sở Giáo dục và Đào tạo", "SGDĐT", "so_nganh"),
    DemoUnit("STP", "Sở Tư pháp", "STP", "so_nganh"),
    DemoUnit("SCT", "Sở Công Thương", "SCT", "so_nganh"),
    DemoUnit("SXD", "Sở Xây dựng", "SXD", "so_nganh"),
    DemoUnit("SGTVT", "Sở Giao thông vận tải", "SGTVT", "so_nganh"),
    DemoUnit("SNNPTNT", "Sở Nông nghiệp và Phát triển nông thôn", "SNN&PTNT", "so_nganh"),
    DemoUnit("STNMT", "Sở Tài nguyên và Môi trường", "STNMT", "so_nganh"),
    DemoUnit("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch", "SVHTTDL", "so_nganh"),
    DemoUnit("SLDTBXH", "Sở Lao động - Thương binh và Xã hội", "SLĐTBXH", "so_nganh"),
    DemoUnit("STTTT", "Sở Thông tin và Truyền thông", "STTTT", "so_nganh"),
    DemoUnit("SKHCN", "Sở Khoa học và Công nghệ", "SKHCN", "so_nganh"),
    DemoUnit("SNGV", "Sở Ngoại vụ", "SNgV", "so_nganh"),
    DemoUnit("TTT", "Thanh tra tỉnh", "Thanh tra tỉnh", "so_nganh"),
    DemoUnit("VPUBND", "Văn phòng Ủy ban nhân dân tỉnh", "VP UBND tỉnh", "so_nganh"),
    DemoUnit("BDT", "Ban Dân tộc", "Ban Dân tộc", "so_nganh"),
    DemoUnit("BQLKCN", "Ban Quản lý các Khu công nghiệp tỉnh", "BQL các KCN", "so_nganh"),
    DemoUnit("DPTTH", "Đài Phát thanh và Truyền hình tỉnh", "Đài PT-TH tỉnh", "so_nganh"),
    DemoUnit("CAT", "Công an tỉnh", "Công an tỉnh", "so_nganh"),
    DemoUnit("BCHQS", "Bộ Chỉ huy Quân sự tỉnh", "BCH Quân sự tỉnh", "so_nganh"),
    DemoUnit("BCHBP", "Bộ Chỉ huy Bộ đội Biên phòng tỉnh", "BCH BĐBP tỉnh", "so_nganh"),
    # Địa phương
    DemoUnit("TP-LAMSON", "Ủy ban nhân dân thành phố Lam Sơn", "TP Lam Sơn", "dia_phuong"),
    DemoUnit("TX-DONGKHE", "Ủy ban nhân dân thị xã Đông Khê", "TX Đông Khê", "dia_phuong"),
    DemoUnit("H-BANMUONG", "Ủy ban nhân dân huyện Bản Mường", "Huyện Bản Mường", "dia_phuong"),
    DemoUnit("H-NAHANG", "Ủy ban nhân dân huyện Na Hang", "Huyện Na Hang", "dia_phuong"),
    DemoUnit("H-MUONGTE", "Ủy ban nhân dân huyện Mường Tè", "Huyện Mường Tè", "dia_phuong"),
    DemoUnit("H-SINHO", "Ủy ban nhân dân huyện Sìn Hồ", "Huyện Sìn Hồ", "dia_phuong"),
    DemoUnit("H-THANUYEN", "Ủy ban nhân dân huyện Than Uyên", "Huyện Than Uyên", "dia_phuong"),
    DemoUnit("H-PHONGTHO", "Ủy ban nhân dân huyện Phong Thổ", "Huyện Phong Thổ", "dia_phuong"),
    DemoUnit("H-UNGSON", "Ủy ban nhân dân huyện Ứng Sơn", "Huyện Ứng Sơn", "dia_phuong"),
    DemoUnit("H-YENLAP", "Ủy ban nhân dân huyện Yên Lập", "Huyện Yên Lập", "dia_phuong"),
    # Doanh nghiệp
    DemoUnit(
        "DN-XOSO", "Công ty TNHH MTV Xổ số kiến thiết Lam Sơn", "Xổ số Lam Sơn", "doanh_nghiep"
    ),
    DemoUnit("DN-DIENLUC", "Điện lực Lam Sơn", "Điện lực Lam Sơn", "doanh_nghiep"),
    DemoUnit(
        "DN-AGRIBANK",
        "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam - Chi nhánh tỉnh Lam Sơn",
        "Agribank Lam Sơn",
        "doanh_nghiep",
    ),
    DemoUnit(
        "DN-VCB",
        "Ngân hàng TMCP Ngoại thương Việt Nam - Chi nhánh Lam Sơn",
        "Vietcombank Lam Sơn",
        "doanh_nghiep",
    ),
    DemoUnit(
        "DN-BIDV",
        "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam - Chi nhánh Lam Sơn",
        "BIDV Lam Sơn",
        "doanh_nghiep",
    ),
    DemoUnit("DN-VNPT", "Viễn thông Lam Sơn", "VNPT Lam Sơn", "doanh_nghiep"),
    DemoUnit("DN-BUUDIEN", "Bưu điện tỉnh Lam Sơn", "Bưu điện tỉnh", "doanh_nghiep"),
    DemoUnit("DN-CAPNUOC", "Công ty Cổ phần Cấp nước Lam Sơn", "Cấp nước Lam Sơn", "doanh_nghiep"),
    DemoUnit(
        "DN-LAMNGHIEP", "Công ty TNHH MTV Lâm nghiệp Lam Sơn", "Lâm nghiệp Lam Sơn", "doanh_nghiep"
    ),
    DemoUnit(
        "DN-OTO", "Công ty Cổ phần Ô tô Vận tải Lam Sơn", "Ô tô Vận tải Lam Sơn", "doanh_nghiep"
    ),
    DemoUnit(
        "DN-MTDT",
        "Công ty Cổ phần Môi trường và Dịch vụ đô thị Lam Sơn",
        "Môi trường Đô thị Lam Sơn",
        "doanh_nghiep",
    ),
    # Đoàn thể, hội
    DemoUnit("MTTQ", "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh", "UB MTTQ tỉnh", "doan_the"),
    DemoUnit("LDLD", "Liên đoàn Lao động tỉnh", "LĐLĐ tỉnh", "doan_the"),
    DemoUnit("TINHDOAN", "Tỉnh đoàn", "Tỉnh đoàn", "doan_the"),
    DemoUnit("HND", "Hội Nông dân tỉnh", "Hội Nông dân tỉnh", "doan_the"),
    DemoUnit("HLHPN", "Hội Liên hiệp Phụ nữ tỉnh", "Hội LHPN tỉnh", "doan_the"),
    DemoUnit("HCCB", "Hội Cựu chiến binh tỉnh", "Hội CCB tỉnh", "doan_the"),
    DemoUnit("LMHTX", "Liên minh Hợp tác xã tỉnh", "Liên minh HTX tỉnh", "doan_the"),
    DemoUnit("HCTD", "Hội Chữ thập đỏ tỉnh", "Hội CTĐ tỉnh", "doan_the"),
    DemoUnit(
        "LHHKHKT", "Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh", "Liên hiệp Hội KH&KT", "doan_the"
    ),
    DemoUnit("HVHNT", "Hội Văn học Nghệ thuật tỉnh", "Hội VHNT tỉnh", "doan_the"),
    # Khác: central agencies based in the province, the State Bank branch, the political school
    DemoUnit("CTHUE", "Cục Thuế tỉnh", "Cục Thuế tỉnh", "khac"),
    DemoUnit("KBNN", "Kho bạc Nhà nước tỉnh", "KBNN tỉnh", "khac"),
    DemoUnit("NHNN", "Ngân hàng Nhà nước Chi nhánh tỉnh Lam Sơn", "NHNN CN Lam Sơn", "khac"),
    DemoUnit("CTK", "Cục Thống kê tỉnh", "Cục Thống kê tỉnh", "khac"),
    DemoUnit("BHXH", "Bảo hiểm xã hội tỉnh", "BHXH tỉnh", "khac"),
    DemoUnit("TCT", "Trường Chính trị tỉnh", "Trường Chính trị tỉnh", "khac"),
    DemoUnit("TAND", "Tòa án nhân dân tỉnh", "TAND tỉnh", "khac"),
    DemoUnit("VKSND", "Viện Kiểm sát nhân dân tỉnh", "VKSND tỉnh", "khac"),
    DemoUnit("THADS", "Cục Thi hành án dân sự tỉnh", "Cục THADS tỉnh", "khac"),
)

# ---------------------------------------------------------------------------------------------
# Blocs
# ---------------------------------------------------------------------------------------------

BLOCS: tuple[DemoBloc, ...] = (
    DemoBloc("K1", "Khối thi đua các huyện, thị xã, thành phố"),
    DemoBloc("K2", "Khối thi đua Kinh tế - Tổng hợp"),
    DemoBloc("K3", "Khối thi đua Văn hóa - Xã hội"),
    DemoBloc("K4", "Khối thi đua Nội chính"),
    DemoBloc("K5", "Khối thi đua các Doanh nghiệp"),
    DemoBloc("K6", "Khối thi đua các Đoàn thể, Hội đặc thù"),
)

# Where every unit sat in the first year.
_BLOC_UNITS_FIRST_YEAR: dict[str, tuple[str, ...]] = {
    "K1": (
        "TP-LAMSON", "TX-DONGKHE", "H-BANMUONG", "H-NAHANG", "H-MUONGTE",
        "H-SINHO", "H-THANUYEN", "H-PHONGTHO", "H-UNGSON", "H-YENLAP",
    ),
    "K2": (
        "STC", "SKHDT", "SCT", "SXD", "SGTVT", "SNNPTNT",
        "STNMT", "BQLKCN", "CTHUE", "KBNN", "NHNN", "CTK",
    ),
    "K3": (
        "SYT", "SGDDT", "SVHTTDL", "SLDTBXH", "STTTT",
        "SKHCN", "BDT", "DPTTH", "BHXH", "TCT",
    ),
    "K4": (
        "CAT", "BCHQS", "BCHBP", "STP", "TTT", "SNV",
        "VPUBND", "SNGV", "TAND", "VKSND", "THADS",
    ),
    "K5": (
        "DN-XOSO", "DN-DIENLUC", "DN-AGRIBANK", "DN-VCB", "DN-BIDV", "DN-VNPT",
        "DN-BUUDIEN", "DN-CAPNUOC", "DN-LAMNGHIEP", "DN-OTO", "DN-MTDT",
    ),
    "K6": (
        "MTTQ", "LDLD", "TINHDOAN", "HND", "HLHPN",
        "HCCB", "LMHTX", "HCTD", "LHHKHKT", "HVHNT",
    ),
}  # fmt: skip

# Changes from a year on (cumulative): unit -> new bloc, or None when it leaves the blocs.
_BLOC_CHANGES: dict[int, dict[str, str | None]] = {
    2025: {"SNV": "K2"},
    2026: {"SKHDT": None, "LMHTX": "K2"},
}

# (leader, deputy) of every bloc-year. The deputy of year N leads in year N+1 except K2 in 2026.
_LEADERSHIP: dict[int, dict[str, tuple[str, str]]] = {
    2024: {
        "K1": ("TP-LAMSON", "H-BANMUONG"),
        "K2": ("STC", "SCT"),
        "K3": ("SGDDT", "SYT"),
        "K4": ("BCHQS", "CAT"),
        "K5": ("DN-DIENLUC", "DN-AGRIBANK"),
        "K6": ("LDLD", "HND"),
    },
    2025: {
        "K1": ("H-BANMUONG", "H-NAHANG"),
        "K2": ("SCT", "SKHDT"),
        "K3": ("SYT", "SVHTTDL"),
        "K4": ("CAT", "STP"),
        "K5": ("DN-AGRIBANK", "DN-XOSO"),
        "K6": ("HND", "TINHDOAN"),
    },
    2026: {
        "K1": ("H-NAHANG", "H-MUONGTE"),
        "K2": ("SXD", "STNMT"),
        "K3": ("SVHTTDL", "SLDTBXH"),
        "K4": ("STP", "TTT"),
        "K5": ("DN-XOSO", "DN-VNPT"),
        "K6": ("TINHDOAN", "HLHPN"),
    },
}

# ---------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------

# DEMO ONLY: one fixed, readable password for every demo account so that the `flask demo` command
# can print the logins. Never use these accounts or this password on a real installation.
DEMO_PASSWORD = "demo-Thidua-2026"

USERS: tuple[DemoUser, ...] = (
    # Board officers (Ban Thi đua - Khen thưởng, Sở Nội vụ)
    DemoUser("bantdkt", "Nguyễn Thị Thu Hà", "admin", None, DEMO_PASSWORD),
    DemoUser("bantdkt.tuan", "Đỗ Minh Tuấn", "admin", None, DEMO_PASSWORD),
    # Officers of the 2026 leader units (Trưởng khối)
    DemoUser("h-nahang", "Ma Thị Hạnh", "officer", "H-NAHANG", DEMO_PASSWORD),
    DemoUser("sxd.canbo", "Trịnh Văn Khải", "officer", "SXD", DEMO_PASSWORD),
    DemoUser("svhttdl.canbo", "Đặng Thu Trang", "officer", "SVHTTDL", DEMO_PASSWORD),
    DemoUser("stp.canbo", "Vũ Hải Đăng", "officer", "STP", DEMO_PASSWORD),
    DemoUser("dn-xoso", "Hoàng Anh Tuấn", "officer", "DN-XOSO", DEMO_PASSWORD),
    DemoUser("tinhdoan.canbo", "Ông Thị Thanh Tâm", "officer", "TINHDOAN", DEMO_PASSWORD),
    # Officer of K1's 2026 deputy (Phó Trưởng khối)
    DemoUser("h-muongte", "Lò Văn Thắng", "officer", "H-MUONGTE", DEMO_PASSWORD),
    # Officers of ordinary members in 2026; the first three led their bloc in 2025
    DemoUser("h-banmuong", "Sùng Thị Mỷ", "officer", "H-BANMUONG", DEMO_PASSWORD),
    DemoUser("syt.canbo", "Bùi Thị Ngọc Ánh", "officer", "SYT", DEMO_PASSWORD),
    DemoUser("sct.canbo", "Ngô Đức Thịnh", "officer", "SCT", DEMO_PASSWORD),
    DemoUser("snv.canbo", "Phạm Quốc Hưng", "officer", "SNV", DEMO_PASSWORD),
    DemoUser("h-sinho", "Giàng A Páo", "officer", "H-SINHO", DEMO_PASSWORD),
    # Viewers: a member of the provincial council and the PPC office
    DemoUser("hoidong.tdkt", "Ưng Văn Lộc", "viewer", None, DEMO_PASSWORD),
    DemoUser("vpubnd.xem", "Âu Minh Khoa", "viewer", "VPUBND", DEMO_PASSWORD),
)

# ---------------------------------------------------------------------------------------------
# Functions
# ---------------------------------------------------------------------------------------------

_UNIT_ORDER = {unit.code: index for index, unit in enumerate(UNITS)}
_BLOC_ORDER = {bloc.code: index for index, bloc in enumerate(BLOCS)}
_ROLE_ORDER = {role: index for index, role in enumerate(ROLES)}


def _placement(year: int) -> dict[str, str]:
    """Return unit code -> bloc code for the units that belong to a bloc in ``year``."""
    if year not in YEARS:
        raise ValueError(f"no demo data for year {year}; years are {YEARS}")
    placement = {
        unit_code: bloc_code
        for bloc_code, unit_codes in _BLOC_UNITS_FIRST_YEAR.items()
        for unit_code in unit_codes
    }
    for change_year in sorted(_BLOC_CHANGES):
        if change_year > year:
            break
        for unit_code, bloc_code in _BLOC_CHANGES[change_year].items():
            if bloc_code is None:
                placement.pop(unit_code, None)
            else:
                placement[unit_code] = bloc_code
    return placement


def memberships(year: int) -> list[DemoMembership]:
    """Return the year's memberships, by bloc, then leader, deputy, members (in ``UNITS`` order)."""
    placement = _placement(year)
    leadership = _LEADERSHIP[year]
    result = []
    for unit_code, bloc_code in placement.items():
        leader, deputy = leadership[bloc_code]
        role = "leader" if unit_code == leader else "deputy" if unit_code == deputy else "member"
        result.append(DemoMembership(unit_code, bloc_code, role))
    result.sort(
        key=lambda m: (_BLOC_ORDER[m.bloc_code], _ROLE_ORDER[m.role], _UNIT_ORDER[m.unit_code])
    )
    return result


def leaders(year: int) -> dict[str, str]:
    """Return bloc code -> code of the leader unit (Trưởng khối) in ``year``."""
    return {m.bloc_code: m.unit_code for m in memberships(year) if m.role == "leader"}


def deputies(year: int) -> dict[str, str]:
    """Return bloc code -> code of the deputy unit (Phó Trưởng khối) in ``year``."""
    return {m.bloc_code: m.unit_code for m in memberships(year) if m.role == "deputy"}


def describe() -> dict:
    """Return counts of the demo data for the demo command's printout."""
    return {
        "units": len(UNITS),
        "active_units": sum(unit.active for unit in UNITS),
        "units_by_kind": {kind: sum(u.kind == kind for u in UNITS) for kind in KINDS},
        "blocs": len(BLOCS),
        "years": list(YEARS),
        "memberships": {year: len(memberships(year)) for year in YEARS},
        "users": {role: sum(u.role == role for u in USERS) for role in USER_ROLES},
    }
