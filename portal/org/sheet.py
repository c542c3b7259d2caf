"""Read the organisation sheet (CSV or XLSX) that officials keep: units, blocs and yearly memberships.

One table, one row per unit (and per year when the row places the unit in a bloc). Headers may be
Vietnamese or English, in any order:

| Mã đơn vị / unit | Tên đơn vị / unit_name | Tên viết tắt / short_name | Loại / kind |
| Mã khối / bloc | Tên khối / bloc_name | Năm / year | Vai trò / role |

A row with no year only defines the unit (a bloc or role without a year is refused: it would be
unclear which year's list it belongs to). Roles may be written `leader`, `deputy`,
`member` or `Trưởng khối`, `Phó Trưởng khối`, `Thành viên`. Kinds may be codes or labels.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _

from portal.errors import ValidationFailed
from portal.text import clean_text, fold

HEADERS = {
    "unit": ("unit", "unit_code", "ma don vi", "ma dv", "don vi (ma)"),
    "unit_name": ("unit_name", "name", "ten don vi", "don vi", "ten"),
    "short_name": ("short_name", "ten viet tat", "viet tat", "ten ngan"),
    "kind": ("kind", "loai", "loai don vi", "nhom"),
    "bloc": ("bloc", "bloc_code", "ma khoi", "khoi"),
    "bloc_name": ("bloc_name", "ten khoi", "ten khoi thi dua"),
    "year": ("year", "nam"),
    "role": ("role", "vai tro", "chuc danh trong khoi"),
}
ROLE_WORDS = {
    "leader": "leader", "truong khoi": "leader", "truong": "leader",
    "deputy": "deputy", "pho truong khoi": "deputy", "pho khoi": "deputy", "pho": "deputy",
    "member": "member", "thanh vien": "member", "": "member",
}
KIND_WORDS = {
    "so_nganh": "so_nganh", "so, ban, nganh": "so_nganh", "so ban nganh": "so_nganh", "so": "so_nganh",
    "dia_phuong": "dia_phuong", "dia phuong": "dia_phuong", "huyen, thi xa, thanh pho": "dia_phuong",
    "doanh_nghiep": "doanh_nghiep", "doanh nghiep": "doanh_nghiep",
    "doan_the": "doan_the", "doan the": "doan_the", "khac": "khac", "": "khac",
}
MAX_ROWS = 20000


@dataclass
class SheetRow:
    line: int
    values: dict = field(default_factory=dict)


def read_sheet(path: str | Path) -> list[SheetRow]:
    """Read a CSV or XLSX org sheet into rows keyed by canonical column names."""
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed(_("Không tìm thấy tệp %(path)s.", path=str(path)))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        tables = _read_xlsx(path)
    elif suffix in (".csv", ".txt"):
        tables = [_read_csv(path)]
    else:
        raise ValidationFailed(_("Chỉ nhận tệp CSV hoặc XLSX (tệp %(name)s).", name=path.name))
    if not any(any(cell.strip() for cell in line) for table in tables for line in table):
        raise ValidationFailed(_("Tệp %(name)s trống, không có dữ liệu.", name=path.name))
    rows: list[SheetRow] = []
    for table in tables:
        rows.extend(_rows_of(table))
    if not rows:
        raise ValidationFailed(_("Tệp không có dòng dữ liệu nào có cột Mã đơn vị (cần một dòng tiêu đề có cột "
                                 "\"Mã đơn vị\" trong 10 dòng đầu, và các dòng dữ liệu bên dưới)."))
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(_("Tệp có quá nhiều dòng (tối đa %(n)s).", n=MAX_ROWS))
    return rows


def _read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    if b"\x00" in raw[:65536]:
        # A binary file (an XLSX or PDF saved as .csv): text CSV never holds NUL bytes, and reading it as
        # cp1258 would store garbage with NULs in unit names.
        raise ValidationFailed(_("Tệp %(name)s không phải tệp CSV dạng văn bản (có thể là tệp Excel hoặc PDF đổi đuôi); "
                                 "hãy lưu lại dạng \"CSV UTF-8\" hoặc gửi tệp .xlsx.", name=path.name))
    for encoding in ("utf-8-sig", "cp1258"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationFailed(_("Tệp CSV không ở bảng mã UTF-8; hãy lưu lại dạng \"CSV UTF-8\"."))
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return [list(r) for r in csv.reader(io.StringIO(text), dialect)]
    except csv.Error:  # e.g. a field over the csv module's size limit
        raise ValidationFailed(_("Không đọc được tệp CSV (có ô quá dài hoặc sai định dạng).")) from None


def _read_xlsx(path: Path) -> list[list[list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise ValidationFailed(_("Không đọc được tệp XLSX (tệp hỏng hoặc không phải Excel).")) from None
    try:
        tables = []
        for sheet in workbook.worksheets:
            table = []
            for row in sheet.iter_rows(values_only=True):
                table.append(["" if v is None else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)) for v in row])
                if len(table) > MAX_ROWS + 1:
                    break
            tables.append(table)
        return tables
    except Exception:  # read-only mode parses sheets lazily: a damaged sheet only fails here
        raise ValidationFailed(_("Không đọc được tệp XLSX (tệp hỏng hoặc không phải Excel).")) from None
    finally:
        workbook.close()


def _rows_of(table: list[list[str]]) -> list[SheetRow]:
    """Find the header line (within the first 10 lines) and map the rows below it."""
    for index, line in enumerate(table[:10]):
        columns = _header_map(line)
        if "unit" in columns:
            break
    else:
        return []
    rows = []
    for offset, line in enumerate(table[index + 1:], start=index + 2):
        values = {name: clean_text(line[col]) if col < len(line) else "" for name, col in columns.items()}
        if any(values.values()):
            rows.append(SheetRow(offset, values))
    return rows


def _header_map(line: list[str]) -> dict[str, int]:
    found = {}
    for col, cell in enumerate(line):
        key = fold(clean_text(cell)).strip(" :*")
        for name, aliases in HEADERS.items():
            if key in aliases and name not in found:
                found[name] = col
    return found


def role_of(word: str) -> str | None:
    """Map a role as officials write it to leader/deputy/member."""
    return ROLE_WORDS.get(fold(word).strip())


def kind_of(word: str) -> str | None:
    """Map a unit kind as written (code or label) to its code."""
    return KIND_WORDS.get(fold(word).strip())
