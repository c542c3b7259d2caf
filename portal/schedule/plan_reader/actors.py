"""Who does a step: the board, the council, the bloc's leader or the member units."""

from __future__ import annotations

import re

ACTORS: list[tuple[str, re.Pattern[str]]] = [
    ("board", re.compile(
        r"\bban\s*(?:thi\s*dua|tdkt|td\s*-\s*kt)\b|\bso\s*noi\s*vu\b|\bco\s*quan\s*thuong\s*truc\b"
    )),
    ("council", re.compile(
        r"\bhoi\s*dong\s*(?:thi\s*dua|tdkt|td\s*-\s*kt)\b|\b(?:uy\s*ban\s*nhan\s*dan|ubnd)\s*tinh\b"
        r"|\bchu\s*tich\s*(?:uy\s*ban|ubnd)\b"
    )),
    ("leader", re.compile(
        r"\b(?:pho\s*)?truong\s*khoi\b|\b(?:cac|moi|tung)\s*khoi\b|\bkhoi\s*thi\s*dua\b"
    )),
    ("member", re.compile(
        r"\b(?:cac\s*)?thanh\s*vien\b|\b(?:cac|moi|tung)\s*(?:co\s*quan\s*,?\s*)?don\s*vi\b"
        r"|\bdon\s*vi\b|\bcac\s*(?:so|co\s*quan|dia\s*phuong)\b"
    )),
]
# An actor right after these words receives or helps; it is not who does the step.
_RECIPIENT_RE = re.compile(
    r"(?:\bve|\bcho|\btoi|\blen|\bden|tham\s*muu|\btrinh|phoi\s*hop(?:\s*voi)?|\bgiua|\bcua|\btai"
    r"|\bvoi|\bcung|\bgui)\s*$"
)


def first_actor(fo: str, skip_recipients: bool, before: int | None = None) -> str | None:
    """The earliest body named in ``fo`` (before ``before``); a recipient ("gửi về Ban …") is skipped when asked."""
    best: tuple[int, str] | None = None
    for name, rx in ACTORS:
        for m in rx.finditer(fo, 0, len(fo) if before is None else before):
            if skip_recipients and _RECIPIENT_RE.search(fo[max(0, m.start() - 16) : m.start()]):
                continue
            if best is None or m.start() < best[0]:
                best = (m.start(), name)
            break
    return best[1] if best else None
