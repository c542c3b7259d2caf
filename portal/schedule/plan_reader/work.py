"""What a step asks for: the first work word of the step names its work."""

from __future__ import annotations

import re

from .plan import Plan

# Work words: (name, pattern). The earliest match in a step names its work.
ACTIVITIES: list[tuple[str, re.Pattern[str]]] = [
    ("council", re.compile(
        r"\bhoi\s*dong\b(?!\s*nhan\s*dan)|\bco\s*thi\s*dua\b|\bxet\s*tang\b|\btang\s*co\b"
        r"|\bho\s*so\s*(?:de\s*nghi\s*)?khen\s*thuong\b|\bde\s*nghi\s*khen\s*thuong\b"
    )),
    ("conference", re.compile(r"\bhoi\s*nghi\b")),
    ("appraisal", re.compile(r"\btham\s*dinh\b")),
    ("inspection", re.compile(r"\bkiem\s*tra\b")),
    ("pledge", re.compile(r"\bky\s*ket\b|(?<!dang )(?<!dinh )\bky\b(?=[^.;]{0,60}?giao\s*uoc)")),
    ("midyear", re.compile(
        r"\bso\s*ket\b(?!\s*qua)|\b(?:6|sau)\s*thang\s*dau\s*nam\b"
        r"|\bbao\s*cao\s*(?:ket\s*qua\s*)?(?:6|sau)\s*thang\b"
    )),
    ("selfscore", re.compile(r"\btu\s*cham(?:\s*diem)?\b|\btu\s*danh\s*gia\b")),
    ("yearend", re.compile(
        r"\bbao\s*cao\s*tong\s*ket\b|\btong\s*ket\s*(?:nam|cong\s*tac|phong\s*trao|hoat\s*dong)\b"
        r"|\bket\s*qua\s*cham\s*diem\b"
        r"|\bbao\s*cao\s*ket\s*qua\s*(?:thuc\s*hien\s*)?(?:cong\s*tac\s*|phong\s*trao\s*)?"
        r"thi\s*dua\s*nam\b"
    )),
    ("meeting", re.compile(r"\bhop\b|\bbinh\s*xet\b|\bsuy\s*ton\b|\bcham\s*diem\b|\bxep\s*hang\b")),
    ("criteria", re.compile(
        r"\btieu\s*chi\b|\bthang\s*(?:bang\s*)?diem\b|\bbang\s*(?:cham\s*)?diem\b|\bquy\s*che\b"
        r"|\bke\s*hoach\s*(?:hoat\s*dong|to\s*chuc\s*hoat\s*dong)\b"
        r"|\bchuong\s*trinh\s*(?:hoat\s*dong|cong\s*tac)\b"
    )),
    ("notice", re.compile(r"\bthong\s*bao\s*ket\s*qua\b")),
    ("register", re.compile(r"\bdang\s*ky\s*(?:thi\s*dua|danh\s*hieu)\b")),
]
TC_WORDS_RE = re.compile(
    r"\btieu\s*chi\b|\bthang\s*(?:bang\s*)?diem\b|\bbang\s*(?:cham\s*)?diem\b"
)
# Folding merges words that the original tells apart: "họp" (meet) / "hợp" (phối hợp),
# "ký" (sign) / "kỳ" (định kỳ), "Cờ" (flag) / "có" (has), "sơ kết" / "số kết".
_ORIGINAL_CHECK = {
    "meeting": ("hop", "ọo"),
    "pledge": ("ky", "ýy"),
    "council": ("co thi", "ờo"),
    "midyear": ("so ket", "ơo"),
}


def first_activity(plan: Plan, o: str, fo: str) -> tuple[str | None, int]:
    """(work, position) of the earliest work word; the original text tells folded twins apart."""
    best: tuple[int, int, str] | None = None
    for rank, (name, rx) in enumerate(ACTIVITIES):
        check = _ORIGINAL_CHECK.get(name)
        for m in rx.finditer(fo):
            if check and fo.startswith(check[0], m.start()):
                ch = o[m.start() + 1 : m.start() + 2].lower()
                if ch and ch not in check[1]:
                    continue
            key = (m.start(), rank, name)
            if best is None or key < best:
                best = key
            break
    if best is None:
        return None, -1
    return best[2], best[0]
