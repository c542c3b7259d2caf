"""The grid's cells as words and links ready to print, translated once per page.

At 30 blocs × 10 milestones a gettext and two url_for per cell were most of the page's cost, so the
words are looked up once and the links are filled into patterns built once by url_for.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _

from portal import people
from portal.schedule.progress import STATUS_ICONS, STATUS_LABELS, Cell
from portal.text import format_date

_ID, _CODE = 987654321, "BLOC-CODE"


@dataclass(slots=True)
class CellView:
    """What one grid cell shows: status (icon, words), link to its panel, units' count, evidence or check-off."""

    key: str
    status: str
    icon: str
    label: str
    text: str
    title: str
    href: str
    units: str
    doc_href: str
    doc_text: str
    doc_title: str
    manual: str


class GridWords:
    """The grid's words and link patterns for one page (`links=False` for print); `names` name who checked off."""

    def __init__(self, *, links: bool = True, names: people.Names | None = None):
        self.names = names if names is not None else people.Names()
        self.labels = {status: str(label) for status, label in STATUS_LABELS.items()}
        self.late, self.overdue = _("trễ %(n)s ngày"), _("quá %(n)s ngày")
        self.left, self.today, self.not_open = _("còn %(n)s ngày"), _("hạn hôm nay"), _("chưa mở")
        self.units = _("%(done)s/%(total)s đv")
        self.document = _("văn bản")
        self.manual = _("Đánh dấu tay: %(who)s — %(note)s")
        self.cell_url = url_for("dashboard.cell", milestone_id=_ID, code=_CODE) if links else ""
        self.doc_url = url_for("documents.show", document_id=_ID) if links else ""

    def short(self, cell) -> str:
        """Return the few words under a cell's icon: the day done, days late, overdue or left."""
        status = cell.status
        if status == "done_on_time":
            return cell.done_on.strftime("%d/%m")
        if status == "done_late":
            return self.late % {"n": cell.days_late}
        if status == "overdue":
            return self.overdue % {"n": cell.days_late}
        if status in ("open", "due_soon"):
            return self.today if cell.days_left == 0 else self.left % {"n": cell.days_left}
        return self.not_open

    def view(self, cell: Cell) -> CellView:
        """Return the view of one cell."""
        m, label = cell.milestone, self.labels[cell.status]
        # Bloc codes are upper-case letters, digits, dots and dashes: nothing to quote in a path.
        href = self.cell_url.replace(str(_ID), str(m.id)).replace(_CODE, cell.bloc.code) if self.cell_url else ""
        doc_href = doc_text = doc_title = manual = ""
        evidence = cell.evidence
        if evidence is not None and cell.done_on == evidence.done_on:
            doc_text, doc_title = evidence.number or self.document, evidence.title
            doc_href = self.doc_url.replace(str(_ID), str(evidence.document_id)) if self.doc_url else ""
        elif cell.check is not None:
            who = self.names.of(cell.check.checked_by_id, cell.check.checked_by_name)
            manual = self.manual % {"who": who, "note": cell.check.note}
        units = self.units % {"done": cell.units_done, "total": cell.units_total} if cell.per_unit else ""
        return CellView(cell.key, cell.status, STATUS_ICONS[cell.status], label, self.short(cell),
                        f"{cell.bloc.code} · {m.seq}. {m.title} ({format_date(m.due_on)}): {label}", href, units,
                        doc_href, doc_text, doc_title, manual)


def checker_names(cells, *, units: bool = False) -> people.Names:
    """Return the names of who checked these cells off by hand (and their units' cells with `units`), in one query."""
    checks = [c.check for c in cells if c.check is not None]
    if units:
        checks += [u.check for c in cells if c.per_unit for u in c.units if u.check is not None]
    return people.names_for(c.checked_by_id for c in checks)


def grid(progress, *, links: bool = True) -> list[tuple]:
    """Return [(bloc row, [cell view per milestone])] for a page."""
    words = GridWords(links=links, names=checker_names([cell for row in progress.rows for cell in row.cells]))
    return [(row, [words.view(cell) for cell in row.cells]) for row in progress.rows]
