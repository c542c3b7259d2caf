"""Scoring rules of the emulation cycle: points, totals, ranks, classification, flags, status.

Pure functions and dataclasses on :class:`decimal.Decimal` (never floats); no Flask, no database.
The scoring services and views (HTML and JSON) call these; nothing here knows about requests.

Rules decided here (see each function for details):

* **Points** are typed as ``8.5`` or ``8,5`` (Vietnamese decimal comma), at most two digits after
  the separator, no sign, no exponent, no thousands separators.  A separator followed by three
  digits (``1.000``, ``1,000``) is refused because in Vietnamese ``1.000`` means one thousand.
  The value is returned *normalised*: trailing zeros dropped and never in exponent notation, so
  ``"8,50"`` → ``Decimal("8.5")`` and ``"10.00"`` → ``Decimal("10")``; ``str()`` of the result
  is the JSON decimal string (``"8.5"``, ``"10"``).
* **Totals** are scored + bonus − deduction; a score never entered (``None``) counts as 0.  Totals
  are not floored at 0.  A *stage* total is ``None`` when no score of that stage was entered.
* **Effective total** (the one that ranks and classifies): the appraisal total once the results are
  ``appraised`` or ``final`` and the unit has one, else the bloc total, else the self total.  While
  the Board is still entering appraisal scores (status ``submitted``) the bloc ranking stands.
  A unit without a bloc score on every scored item is "chưa chấm đủ": it has no effective total,
  no rank and no classification (see :func:`compute_results`), so a draft never ranks by self-scores.
* **Ranks** are competition ranks (100, 98, 98, 95 → 1, 2, 2, 4); units without a total get no rank.
* **Flags**: after appraisal, the unit(s) ranked 1st on the effective total are proposed for the
  provincial flag unless classified "không hoàn thành"; a tie at rank 1 lists every tied unit as a
  candidate and the Board decides.  The Government flag is only ever set by hand (council, or the
  Board recording the council's decision) and only for units proposed for the provincial flag.
* **Status**: draft → submitted → appraised → final; ``reopen`` (Board, with a reason) goes one
  step back.

The Vietnamese labels below are plain strings for now; the app will wrap them for translation
(``lazy_gettext``) later, so keep them as literal strings in one place.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol, TypeVar

__all__ = [
    "ACTION_LABELS",
    "CLASSIFICATION_LABELS",
    "DEFAULT_THRESHOLDS",
    "FLAG_LABELS",
    "GOVERNMENT_FLAG_ROLES",
    "KIND_LABELS",
    "STAGE_LABELS",
    "STATUS_LABELS",
    "Action",
    "ActorRole",
    "Classification",
    "CriterionKind",
    "Flag",
    "FlagError",
    "FlagProposal",
    "PointsError",
    "RankInfo",
    "Stage",
    "Status",
    "TableMax",
    "Thresholds",
    "TransitionError",
    "UnitResult",
    "allowed_actions",
    "classify",
    "compute_results",
    "decide_flag_tie",
    "effective_stage",
    "effective_total",
    "format_points",
    "format_points_vi",
    "mark_government_flag",
    "normalize_points",
    "parse_max_points",
    "parse_points",
    "propose_flags",
    "rank_with_ties",
    "stage_editable",
    "stage_totals",
    "table_max",
    "table_maxima",
    "total",
    "transition",
    "validate_criteria",
    "validate_thresholds",
    "which_units_appraised",
]

K = TypeVar("K", bound=Hashable)


# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------


class CriterionKind(StrEnum):
    """Kind of a criterion: a scored item, a bonus, or a deduction (entered as a positive number,
    subtracted from the total)."""

    SCORED = "scored"
    BONUS = "bonus"
    DEDUCTION = "deduction"


class Stage(StrEnum):
    """Who scored: the unit itself, the bloc meeting, or the Board's appraisal."""

    SELF = "self"
    BLOC = "bloc"
    APPRAISAL = "appraisal"


class Status(StrEnum):
    """Status of a bloc-year's results; each step locks the one before."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPRAISED = "appraised"
    FINAL = "final"


class Action(StrEnum):
    SUBMIT = "submit"
    APPRAISE = "appraise"
    FINALIZE = "finalize"
    REOPEN = "reopen"


class ActorRole(StrEnum):
    """Who acts on results.  ``leader``/``deputy``/``member`` come from the unit's membership that
    year, ``board`` is an admin (Ban TĐKT), ``council`` the provincial council.  Any other string is
    accepted by the functions below and simply has no rights."""

    LEADER = "leader"
    DEPUTY = "deputy"
    MEMBER = "member"
    BOARD = "board"
    COUNCIL = "council"
    VIEWER = "viewer"


class Classification(StrEnum):
    XUAT_SAC = "xuat_sac"
    TOT = "tot"
    HOAN_THANH = "hoan_thanh"
    KHONG_HOAN_THANH = "khong_hoan_thanh"


class Flag(StrEnum):
    CO_UBND_TINH = "co_ubnd_tinh"
    CO_CHINH_PHU = "co_chinh_phu"


# Labels: plain strings for now; wrap with lazy_gettext when the app's translation catalog exists.
STAGE_LABELS: dict[str, str] = {
    Stage.SELF: "Tự chấm",
    Stage.BLOC: "Khối chấm",
    Stage.APPRAISAL: "Thẩm định",
}
STATUS_LABELS: dict[str, str] = {
    Status.DRAFT: "Dự thảo",
    Status.SUBMITTED: "Đã gửi",
    Status.APPRAISED: "Đã thẩm định",
    Status.FINAL: "Đã công nhận",
}
KIND_LABELS: dict[str, str] = {
    CriterionKind.SCORED: "Tiêu chí chấm điểm",
    CriterionKind.BONUS: "Điểm thưởng",
    CriterionKind.DEDUCTION: "Điểm trừ",
}
CLASSIFICATION_LABELS: dict[str, str] = {
    Classification.XUAT_SAC: "Xuất sắc",
    Classification.TOT: "Tốt",
    Classification.HOAN_THANH: "Hoàn thành",
    Classification.KHONG_HOAN_THANH: "Không hoàn thành",
}
FLAG_LABELS: dict[str, str] = {
    Flag.CO_UBND_TINH: "Cờ thi đua của UBND tỉnh",
    Flag.CO_CHINH_PHU: "Cờ thi đua của Chính phủ",
}
ACTION_LABELS: dict[str, str] = {
    Action.SUBMIT: "Gửi kết quả",
    Action.APPRAISE: "Xác nhận thẩm định",
    Action.FINALIZE: "Công nhận kết quả",
    Action.REOPEN: "Mở lại",
}


# ---------------------------------------------------------------------------------------------
# Points
# ---------------------------------------------------------------------------------------------

_TWO_PLACES = Decimal("0.01")
_MAX_POINTS_TEXT = 20  # characters; anything longer is not a score anybody typed
_MAX_MAGNITUDE = 30  # decimal exponent; no points, total or threshold comes near 10**30
# ASCII digits only; one '.' or ',' followed by one or two digits; ".5" / ",5" allowed, "5." not.
_POINTS_RE = re.compile(r"[0-9]+|[0-9]*[.,][0-9]{1,2}", re.ASCII)


class PointsError(ValueError):
    """Points that are not a decimal with at most two places between 0 and the max.

    ``message`` is the Vietnamese text to show (the API answers 422 with it); ``code`` says what was
    wrong (``type``, ``format``, ``precision``, ``range``) for logs and tests.
    """

    def __init__(self, message: str, *, code: str = "format") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def normalize_points(value: Decimal) -> Decimal:
    """The same number without trailing zeros and never in exponent notation (exact, no rounding).

    ``Decimal("8.50")`` → ``Decimal("8.5")``, ``Decimal("10.00")`` → ``Decimal("10")``,
    ``Decimal("1E+1")`` → ``Decimal("10")``, ``Decimal("-0")`` → ``Decimal("0")``.
    """
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"not a finite Decimal: {value!r}")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    if value and value.adjusted() > _MAX_MAGNITUDE:
        raise ValueError(f"number too large for points: {value!r}")
    digits_list = list(digits)
    if exponent > 0:
        digits_list.extend([0] * exponent)
        exponent = 0
    while exponent < 0 and len(digits_list) > 1 and digits_list[-1] == 0:
        digits_list.pop()
        exponent += 1
    if exponent < 0 and digits_list == [0]:
        exponent = 0
    if not any(digits_list):
        return Decimal(0)
    return Decimal((sign, tuple(digits_list), exponent))


def format_points(value: Decimal | None) -> str | None:
    """Points as a JSON decimal string: ``"8.5"``, ``"10"``; ``None`` stays ``None``."""
    if value is None:
        return None
    return str(normalize_points(value))


def format_points_vi(value: Decimal | None) -> str:
    """Points for Vietnamese display: ``"8,5"``, ``"10"``; ``None`` → ``""``."""
    if value is None:
        return ""
    return str(normalize_points(value)).replace(".", ",")


def _range_message(max_points: Decimal) -> str:
    return (
        f"Điểm phải là số từ 0 đến {format_points_vi(max_points)}, "
        "tối đa hai chữ số thập phân."
    )


def _check_max(max_points: Decimal | int) -> Decimal:
    if isinstance(max_points, bool) or not isinstance(max_points, (Decimal, int)):
        raise TypeError(f"max_points must be a Decimal, got {type(max_points).__name__}")
    max_points = Decimal(max_points)
    if not max_points.is_finite() or max_points <= 0:
        raise ValueError(f"Điểm tối đa phải là số dương, nhận được {max_points!r}.")
    return max_points


def _has_two_places_at_most(value: Decimal) -> bool:
    """Whether a finite Decimal has at most two decimal places *by value* (``8.500`` has one)."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    if exponent >= -2 or not any(digits):
        return True
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return exponent + trailing_zeros >= -2


def _parse_decimal_text(text: str) -> Decimal | None:
    """Strictly parse typed decimal text (see ``_POINTS_RE``); ``None`` if it is not one."""
    text = text.strip()
    if len(text) > _MAX_POINTS_TEXT or not _POINTS_RE.fullmatch(text):
        return None
    return Decimal(text.replace(",", "."))


def parse_points(
    raw: str | int | Decimal | None, *, max_points: Decimal
) -> Decimal | None:
    """Parse points typed by a user (or sent by the API) for a criterion worth ``max_points``.

    * ``None``, ``""`` or blanks → ``None`` (the score is cleared).
    * Text: digits with at most one ``.`` or ``,`` followed by one or two digits, surrounding blanks
      ignored (``"8.5"``, ``"8,5"``, ``" 10 "``, ``",5"``).  Refused: signs, exponents (``1e2``),
      ``NaN``/``Infinity``, thousands separators (``1.000,5``), three or more decimals (``8.555``,
      and ``1.000`` which a Vietnamese reader takes for one thousand), non-ASCII digits.
    * ``int`` and ``Decimal`` are checked by value: finite, at most two decimal places
      (``Decimal("8.500")`` is fine), 0 ≤ value ≤ max.  ``bool`` and ``float`` (e.g. a JSON number)
      are refused with a :class:`PointsError` so a view can answer 422 instead of failing.
    * Deductions are entered as positive numbers up to their max too.

    Returns the value normalised (see :func:`normalize_points`): ``"8,50"`` → ``Decimal("8.5")``.
    Raises :class:`PointsError` whose message names the allowed range, e.g.
    "Điểm phải là số từ 0 đến 10, tối đa hai chữ số thập phân."
    """
    max_points = _check_max(max_points)
    message = _range_message(max_points)

    if raw is None:
        return None
    if isinstance(raw, str):
        if not raw.strip():
            return None
        value = _parse_decimal_text(raw)
        if value is None:
            raise PointsError(message, code="format")
    elif isinstance(raw, bool) or not isinstance(raw, (int, Decimal)):
        # floats (a JSON number), bools, lists … : points travel as decimal strings.
        raise PointsError(message, code="type")
    else:
        value = Decimal(raw)
        if not value.is_finite():
            raise PointsError(message, code="format")

    if value < 0 or value > max_points:
        raise PointsError(message, code="range")
    if not _has_two_places_at_most(value):
        raise PointsError(message, code="precision")
    return normalize_points(value)


# ---------------------------------------------------------------------------------------------
# Totals
# ---------------------------------------------------------------------------------------------


def _as_points(value: Any, where: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"points for {where!r} must be Decimal or None, got {type(value).__name__}")
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"points for {where!r} are not a finite number: {value!r}")
    return value


def _as_kind(kind: Any) -> CriterionKind:
    try:
        return CriterionKind(kind)
    except ValueError:
        raise ValueError(f"Loại tiêu chí không hợp lệ: {kind!r}.") from None


def total(
    scores: Mapping[K, Decimal | None], kinds: Mapping[K, str]
) -> Decimal:
    """Total of one stage: scored + bonus − deduction; ``None`` counts as 0.

    ``kinds`` maps every criterion of the table to its kind; a score for a criterion not in
    ``kinds`` is a programming error (``ValueError``).  The total is not floored at 0 and is
    returned normalised (``Decimal("93.5")``).
    """
    result = Decimal(0)
    for criterion, points in scores.items():
        if criterion not in kinds:
            raise ValueError(f"Tiêu chí {criterion!r} không có trong bảng điểm.")
        kind = _as_kind(kinds[criterion])
        if points is None:
            continue
        value = _as_points(points, criterion)
        result += -value if kind is CriterionKind.DEDUCTION else value
    return normalize_points(result)


def stage_totals(
    scores: Mapping[str, Mapping[K, Decimal | None]], kinds: Mapping[K, str]
) -> dict[Stage, Decimal | None]:
    """Totals of the three stages of one unit's scorecard.

    ``scores`` maps a stage (``"self"``, ``"bloc"``, ``"appraisal"``) to that stage's scores by
    criterion.  A stage with no score entered at all (missing, empty or all ``None``) has total
    ``None`` — "not scored yet", which is different from 0.
    """
    unknown = set(scores) - set(Stage)
    if unknown:
        raise ValueError(f"Giai đoạn chấm không hợp lệ: {sorted(map(str, unknown))}.")
    result: dict[Stage, Decimal | None] = {}
    for stage in Stage:
        stage_scores = scores.get(stage, {})
        if any(points is not None for points in stage_scores.values()):
            result[stage] = total(stage_scores, kinds)
        else:
            result[stage] = None
    return result


def effective_stage(
    totals: Mapping[str, Decimal | None], status: str
) -> Stage | None:
    """Which stage's total is "the" result of a unit.

    The appraisal total counts once the results are ``appraised`` or ``final`` and the unit has
    one (only the top units are appraised); otherwise the bloc total; otherwise the self total;
    ``None`` when the unit has no total at all.  During ``draft`` and ``submitted`` appraisal
    totals are ignored: the Board's appraisal counts only when it is confirmed.
    """
    status = _as_status(status)
    order = [Stage.BLOC, Stage.SELF]
    if status in (Status.APPRAISED, Status.FINAL):
        order.insert(0, Stage.APPRAISAL)
    for stage in order:
        if totals.get(stage) is not None:
            return stage
    return None


def effective_total(
    totals: Mapping[str, Decimal | None], status: str
) -> Decimal | None:
    """The total that ranks and classifies a unit; see :func:`effective_stage` for the rule."""
    stage = effective_stage(totals, status)
    return None if stage is None else totals[stage]


# ---------------------------------------------------------------------------------------------
# Ranking
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RankInfo:
    """A unit's place: ``rank`` (1-based competition rank, ``None`` without a total) and ``tie``
    (another unit has the same total)."""

    rank: int | None
    tie: bool = False


def rank_with_ties(totals: Mapping[K, Decimal | None]) -> dict[K, RankInfo]:
    """Competition ranking: higher total first; equal totals share a rank and the next rank skips
    (100, 98, 98, 95 → 1, 2, 2, 4).  A unit's rank is 1 + the number of units with a strictly
    higher total.  Units with no total get ``RankInfo(None, False)``.

    The returned dict lists units by rank, then in the order given (so pass units in display
    order, e.g. Vietnamese name order), then the unranked ones; the result depends only on the
    input.
    """
    ranked: list[tuple[K, Decimal]] = []
    unranked: list[K] = []
    for key, value in totals.items():
        if value is None:
            unranked.append(key)
        else:
            ranked.append((key, _as_points(value, key)))

    ranked.sort(key=lambda item: item[1], reverse=True)  # stable: ties keep input order
    counts: dict[Decimal, int] = {}
    for _, value in ranked:
        counts[value] = counts.get(value, 0) + 1

    result: dict[K, RankInfo] = {}
    rank = 0
    previous: Decimal | None = None
    for position, (key, value) in enumerate(ranked, start=1):
        if previous is None or value != previous:
            rank = position
            previous = value
        result[key] = RankInfo(rank=rank, tie=counts[value] > 1)
    for key in unranked:
        result[key] = RankInfo(rank=None, tie=False)
    return result


def which_units_appraised(ranks: Mapping[K, RankInfo | int | None]) -> list[K]:
    """Units the Board appraises: those ranked 1st to 3rd, ties included (with 100, 98, 95, 95, 90
    the four first units).  Pass the ranks of the bloc's submitted results (effective totals in
    status ``submitted``).  Ordered by rank, then in the order given."""
    selected: list[tuple[int, int, K]] = []
    for index, (key, info) in enumerate(ranks.items()):
        rank = info.rank if isinstance(info, RankInfo) else info
        if rank is not None and 1 <= rank <= 3:
            selected.append((rank, index, key))
    selected.sort(key=lambda item: (item[0], item[1]))
    return [key for _, _, key in selected]


# ---------------------------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------------------------


def _threshold_value(name: str, value: Any) -> Decimal:
    if isinstance(value, str):
        parsed = _parse_decimal_text(value)
        if parsed is None:
            raise ValueError(
                f"Ngưỡng “{name}” phải là số không âm, tối đa hai chữ số thập phân."
            )
        return parsed
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"threshold {name} must be a Decimal, got {type(value).__name__}")
    value = Decimal(value)
    if (
        not value.is_finite()
        or value < 0
        or (value and value.adjusted() > _MAX_MAGNITUDE)
        or not _has_two_places_at_most(value)
    ):
        raise ValueError(
            f"Ngưỡng “{name}” phải là số không âm, tối đa hai chữ số thập phân."
        )
    return value


@dataclass(frozen=True, slots=True)
class Thresholds:
    """A year's classification thresholds: a total ≥ ``excellent`` is xuất sắc, ≥ ``good`` tốt,
    ≥ ``completed`` hoàn thành, below it không hoàn thành.

    Values are Decimals (ints and decimal strings such as ``"92,5"`` are converted); they must be
    ≥ 0 with at most two decimal places and strictly descending, else ``ValueError`` with a
    Vietnamese message.  The upper bound (the table's max) is checked by
    :func:`validate_thresholds`, since a Thresholds value does not know its table.
    """

    excellent: Decimal
    good: Decimal
    completed: Decimal

    def __post_init__(self) -> None:
        for name, label in (
            ("excellent", CLASSIFICATION_LABELS[Classification.XUAT_SAC]),
            ("good", CLASSIFICATION_LABELS[Classification.TOT]),
            ("completed", CLASSIFICATION_LABELS[Classification.HOAN_THANH]),
        ):
            object.__setattr__(self, name, _threshold_value(label, getattr(self, name)))
        if not self.excellent > self.good > self.completed:
            raise ValueError(
                "Ngưỡng xếp loại phải giảm dần: Xuất sắc > Tốt > Hoàn thành "
                f"(đang là {format_points_vi(self.excellent)}, {format_points_vi(self.good)}, "
                f"{format_points_vi(self.completed)})."
            )


DEFAULT_THRESHOLDS = Thresholds(
    excellent=Decimal("95"), good=Decimal("85"), completed=Decimal("70")
)


def validate_thresholds(thresholds: Thresholds, *, max_total: Decimal) -> None:
    """Check that every threshold is within 0..``max_total`` (the table's max, see
    :func:`table_max`); raise ``ValueError`` with a Vietnamese message otherwise."""
    max_total = _as_points(max_total, "max_total")
    if thresholds.excellent > max_total:
        raise ValueError(
            f"Ngưỡng Xuất sắc ({format_points_vi(thresholds.excellent)}) vượt quá tổng điểm "
            f"tối đa của bảng điểm ({format_points_vi(max_total)})."
        )


def classify(total_points: Decimal | None, thresholds: Thresholds) -> Classification | None:
    """Classification code of a total (``xuat_sac``, ``tot``, ``hoan_thanh``,
    ``khong_hoan_thanh``; labels in :data:`CLASSIFICATION_LABELS`), ``None`` without a total.
    A total equal to a threshold reaches it."""
    if total_points is None:
        return None
    value = _as_points(total_points, "total")
    if value >= thresholds.excellent:
        return Classification.XUAT_SAC
    if value >= thresholds.good:
        return Classification.TOT
    if value >= thresholds.completed:
        return Classification.HOAN_THANH
    return Classification.KHONG_HOAN_THANH


# ---------------------------------------------------------------------------------------------
# Results of a bloc-year
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitResult:
    """One unit's line in a bloc's results."""

    totals: dict[Stage, Decimal | None]
    effective_stage: Stage | None
    effective_total: Decimal | None
    rank: int | None
    tie: bool
    classification: Classification | None
    complete: bool = True


def compute_results(
    totals_by_unit: Mapping[K, Mapping[str, Decimal | None]],
    status: str,
    thresholds: Thresholds,
    complete: Mapping[K, bool] | None = None,
) -> dict[K, UnitResult]:
    """Effective total, rank, tie and classification of every unit of a bloc.

    ``totals_by_unit`` maps a unit key to its :func:`stage_totals`.  The result is ordered like
    :func:`rank_with_ties` (by rank, then in the order given, unranked last).

    ``complete`` says which units have a bloc score on every scored item.  A unit that hasn't is
    "chưa chấm đủ": no effective total, no rank, no classification — never ranked by its self-score
    or by half of its bloc scores (DESIGN §4.1).  Without ``complete`` every unit counts as complete.
    """
    status = _as_status(status)
    effective: dict[K, tuple[Stage | None, Decimal | None]] = {}
    for key, totals in totals_by_unit.items():
        if complete is not None and not complete.get(key, False):
            effective[key] = (None, None)
            continue
        stage = effective_stage(totals, status)
        effective[key] = (stage, None if stage is None else totals[stage])
    ranks = rank_with_ties({key: value for key, (_, value) in effective.items()})
    results: dict[K, UnitResult] = {}
    for key, info in ranks.items():
        stage, value = effective[key]
        results[key] = UnitResult(
            totals={s: totals_by_unit[key].get(s) for s in Stage},
            effective_stage=stage,
            effective_total=value,
            rank=info.rank,
            tie=info.tie,
            classification=classify(value, thresholds),
            complete=complete is None or complete.get(key, False),
        )
    return results


# ---------------------------------------------------------------------------------------------
# Flags
# ---------------------------------------------------------------------------------------------


class FlagError(ValueError):
    """A flag change that is not allowed; ``message`` is Vietnamese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Ranked(Protocol):
    @property
    def rank(self) -> int | None: ...

    @property
    def classification(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class FlagProposal:
    """Flag proposals of a bloc-year.

    ``flags`` maps every unit to ``"co_ubnd_tinh"``, ``"co_chinh_phu"`` or ``None``;
    ``candidates`` are the units proposed for the provincial flag (several when tied at rank 1);
    ``tie`` says the Board must choose among them (:func:`decide_flag_tie`); ``note`` explains,
    in Vietnamese, a tie or why nobody is proposed; ``note_code`` names that note (``not_appraised``,
    ``no_totals``, ``leader_not_completed``, ``tie``) so the pages can say it in their language.
    """

    flags: dict[Any, Flag | None]
    candidates: tuple[Any, ...] = ()
    tie: bool = False
    note: str | None = None
    note_code: str | None = None

    def flag_of(self, key: Any) -> Flag | None:
        return self.flags.get(key)


# Who may set the Government flag: the council; the Board may record the council's decision
# (as it does for ``finalize``).
GOVERNMENT_FLAG_ROLES: frozenset[str] = frozenset({ActorRole.COUNCIL, ActorRole.BOARD})

_FLAG_STATUSES = (Status.APPRAISED, Status.FINAL)


def propose_flags(results: Mapping[K, _Ranked], status: str) -> FlagProposal:
    """Propose the provincial flag (Cờ thi đua của UBND tỉnh) for the bloc-leading unit.

    Only once the results are ``appraised`` or ``final`` (before that every flag is ``None`` and
    the note says why).  The bloc-leading unit is the one ranked 1st on the effective total
    (``results`` as returned by :func:`compute_results`, or anything with ``rank`` and
    ``classification``); a unit classified "không hoàn thành" is never proposed (and no other
    unit moves up in its place).  If several units share rank 1 they are all candidates,
    ``tie`` is set and the note says the Board must decide.  The Government flag is never proposed
    here: see :func:`mark_government_flag`.
    """
    status = _as_status(status)
    flags: dict[Any, Flag | None] = {key: None for key in results}
    if status not in _FLAG_STATUSES:
        return FlagProposal(
            flags=flags,
            note="Chỉ đề nghị Cờ thi đua sau khi kết quả đã được thẩm định.",
            note_code="not_appraised",
        )
    leaders = [key for key, result in results.items() if result.rank == 1]
    if not leaders:
        return FlagProposal(flags=flags, note="Chưa có đơn vị nào có tổng điểm.", note_code="no_totals")
    candidates = tuple(
        key
        for key in leaders
        if results[key].classification != Classification.KHONG_HOAN_THANH
    )
    if not candidates:
        return FlagProposal(
            flags=flags,
            note=(
                "Đơn vị dẫn đầu Khối xếp loại Không hoàn thành nên không được đề nghị "
                "Cờ thi đua của UBND tỉnh."
            ),
            note_code="leader_not_completed",
        )
    for key in candidates:
        flags[key] = Flag.CO_UBND_TINH
    if len(candidates) > 1:
        return FlagProposal(
            flags=flags,
            candidates=candidates,
            tie=True,
            note=(
                f"Có {len(candidates)} đơn vị cùng xếp thứ nhất; Ban Thi đua - Khen thưởng "
                "quyết định đơn vị được đề nghị Cờ thi đua của UBND tỉnh."
            ),
            note_code="tie",
        )
    return FlagProposal(flags=flags, candidates=candidates)


def decide_flag_tie(
    proposal: FlagProposal, chosen: Iterable[Any], *, status: str, actor_role: str
) -> FlagProposal:
    """Record the Board's choice among units tied at rank 1: ``chosen`` (a non-empty subset of the
    candidates) keep the provincial flag, the other candidates lose it.  Board only, in status
    ``appraised`` or ``final``; raises :class:`FlagError` otherwise."""
    status = _as_status(status)
    if actor_role != ActorRole.BOARD:
        raise FlagError("Chỉ Ban Thi đua - Khen thưởng được chọn đơn vị đề nghị Cờ thi đua.")
    if status not in _FLAG_STATUSES:
        raise FlagError("Chỉ chọn đơn vị đề nghị Cờ thi đua sau khi kết quả đã được thẩm định.")
    chosen_set = list(dict.fromkeys(chosen))
    if not chosen_set or any(key not in proposal.candidates for key in chosen_set):
        raise FlagError("Phải chọn trong số các đơn vị cùng xếp thứ nhất.")
    flags = dict(proposal.flags)
    for key in proposal.candidates:
        if key not in chosen_set:
            flags[key] = None
    kept = tuple(key for key in proposal.candidates if key in chosen_set)
    return FlagProposal(flags=flags, candidates=kept, tie=False, note=None)


def mark_government_flag(
    flags: Mapping[K, str | None],
    key: K,
    *,
    status: str,
    actor_role: str,
    marked: bool = True,
) -> dict[K, Flag | None]:
    """Set (or with ``marked=False`` take back) the Government flag (Cờ thi đua của Chính phủ)
    for ``key``: the council's decision, recorded by the council or by the Board on its behalf
    (:data:`GOVERNMENT_FLAG_ROLES`), while the results are ``appraised`` (on the way to
    ``final``) or ``final``, and only for a unit proposed for the provincial flag.  A unit with the
    Government flag shows ``"co_chinh_phu"`` (the higher award; it stays among the provincial-flag
    units); taking it back returns it to ``"co_ubnd_tinh"``.  Returns a new mapping; raises
    :class:`FlagError`.
    """
    status = _as_status(status)
    if actor_role not in GOVERNMENT_FLAG_ROLES:
        raise FlagError(
            "Chỉ Hội đồng Thi đua - Khen thưởng tỉnh (hoặc Ban Thi đua - Khen thưởng thay mặt "
            "Hội đồng) được đề nghị Cờ thi đua của Chính phủ."
        )
    if status not in _FLAG_STATUSES:
        raise FlagError(
            "Chỉ đề nghị Cờ thi đua của Chính phủ khi kết quả đã được thẩm định hoặc công nhận."
        )
    current = flags.get(key)
    if current not in (Flag.CO_UBND_TINH, Flag.CO_CHINH_PHU):
        raise FlagError(
            "Chỉ đơn vị đã được đề nghị Cờ thi đua của UBND tỉnh mới được đề nghị "
            "Cờ thi đua của Chính phủ."
        )
    result: dict[K, Flag | None] = {
        k: None if v is None else Flag(v) for k, v in flags.items()
    }
    result[key] = Flag.CO_CHINH_PHU if marked else Flag.CO_UBND_TINH
    return result


# ---------------------------------------------------------------------------------------------
# Status machine
# ---------------------------------------------------------------------------------------------


class TransitionError(ValueError):
    """An action that is not allowed on the results now; ``message`` is Vietnamese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# action → (from status, to status); reopen goes one step back from any status but draft.
_FORWARD: dict[Action, tuple[Status, Status]] = {
    Action.SUBMIT: (Status.DRAFT, Status.SUBMITTED),
    Action.APPRAISE: (Status.SUBMITTED, Status.APPRAISED),
    Action.FINALIZE: (Status.APPRAISED, Status.FINAL),
}
_BACK: dict[Status, Status] = {
    Status.SUBMITTED: Status.DRAFT,
    Status.APPRAISED: Status.SUBMITTED,
    Status.FINAL: Status.APPRAISED,
}
_ACTION_ROLES: dict[Action, frozenset[str]] = {
    Action.SUBMIT: frozenset({ActorRole.LEADER, ActorRole.BOARD}),
    Action.APPRAISE: frozenset({ActorRole.BOARD}),
    # The council decides; the Board records the decision on its behalf.
    Action.FINALIZE: frozenset({ActorRole.BOARD, ActorRole.COUNCIL}),
    Action.REOPEN: frozenset({ActorRole.BOARD}),
}
_ROLE_MESSAGES: dict[Action, str] = {
    Action.SUBMIT: "Chỉ Trưởng khối hoặc Ban Thi đua - Khen thưởng được gửi kết quả.",
    Action.APPRAISE: "Chỉ Ban Thi đua - Khen thưởng được xác nhận thẩm định.",
    Action.FINALIZE: (
        "Chỉ Hội đồng Thi đua - Khen thưởng tỉnh (hoặc Ban Thi đua - Khen thưởng thay mặt "
        "Hội đồng) được công nhận kết quả."
    ),
    Action.REOPEN: "Chỉ Ban Thi đua - Khen thưởng được mở lại kết quả.",
}


def _as_status(status: Any) -> Status:
    try:
        return Status(status)
    except ValueError:
        raise TransitionError(f"Trạng thái kết quả không hợp lệ: {status!r}.") from None


def transition(
    current: str, action: str, *, actor_role: str, reason: str | None = None
) -> Status:
    """The status after ``action`` on results in status ``current``.

    ============  =======================  ===============  =========================
    action        from                     to               who
    ============  =======================  ===============  =========================
    ``submit``    draft                    submitted        leader, board
    ``appraise``  submitted                appraised        board
    ``finalize``  appraised                final            board (for the council), council
    ``reopen``    submitted/appraised/     one step back    board, with a non-empty reason
                  final
    ============  =======================  ===============  =========================

    Checks, in order: a known status and action, the action possible from ``current``, the role,
    the reason.  Raises :class:`TransitionError` with a Vietnamese message.
    """
    status = _as_status(current)
    try:
        act = Action(action)
    except ValueError:
        raise TransitionError(f"Thao tác không hợp lệ: {action!r}.") from None

    if act is Action.REOPEN:
        target = _BACK.get(status)
    else:
        source, target = _FORWARD[act]
        if status is not source:
            target = None
    if target is None:
        raise TransitionError(
            f"Không thể thực hiện “{ACTION_LABELS[act]}” khi kết quả đang ở trạng thái "
            f"“{STATUS_LABELS[status]}”."
        )
    if actor_role not in _ACTION_ROLES[act]:
        raise TransitionError(_ROLE_MESSAGES[act])
    if act is Action.REOPEN and not (isinstance(reason, str) and reason.strip()):
        raise TransitionError("Phải nêu lý do khi mở lại kết quả.")
    return target


def allowed_actions(current: str, *, actor_role: str) -> list[Action]:
    """Actions ``actor_role`` may take on results in status ``current`` (for showing buttons);
    ``reopen`` is listed although it also needs a reason."""
    status = _as_status(current)
    actions: list[Action] = []
    for act in Action:
        if actor_role not in _ACTION_ROLES[act]:
            continue
        if act is Action.REOPEN:
            if status in _BACK:
                actions.append(act)
        elif _FORWARD[act][0] is status:
            actions.append(act)
    return actions


def stage_editable(status: str, stage: str) -> bool:
    """Whether scores of ``stage`` may be edited while results are in ``status``: self and bloc
    scores only in ``draft``, appraisal scores only in ``submitted``, nothing once appraised."""
    status = _as_status(status)
    try:
        stage = Stage(stage)
    except ValueError:
        raise ValueError(f"Giai đoạn chấm không hợp lệ: {stage!r}.") from None
    if stage is Stage.APPRAISAL:
        return status is Status.SUBMITTED
    return status is Status.DRAFT


# ---------------------------------------------------------------------------------------------
# Criteria tables
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TableMax:
    """Maxima of a criteria table: ``scored`` is the table's max total (what thresholds are
    measured against); bonus and deduction maxima are listed separately."""

    scored: Decimal = Decimal(0)
    bonus: Decimal = Decimal(0)
    deduction: Decimal = Decimal(0)


def _get(item: Any, name: str) -> Any:
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name, None)


def _parse_max(value: Any) -> Decimal | None:
    """A criterion's max: a positive decimal with at most two places, or ``None`` if it is not."""
    if isinstance(value, str):
        parsed = _parse_decimal_text(value)
    elif isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        return None
    else:
        parsed = Decimal(value)
        if not parsed.is_finite() or not _has_two_places_at_most(parsed):
            return None
    if parsed is None or parsed <= 0:
        return None
    return normalize_points(parsed)


def parse_max_points(value: Any) -> Decimal | None:
    """A criterion's max points (``"10"``, ``"2,5"``, ``Decimal("2.5")``) normalised, or ``None`` when
    it is not a positive decimal with at most two places (the check :func:`validate_criteria` uses)."""
    return _parse_max(value)


def table_maxima(criteria: Iterable[Any]) -> TableMax:
    """Sums of the max points of a table's scored, bonus and deduction items.  Items are mappings
    or objects with ``max_points`` (Decimal, int or decimal string) and ``kind``; run
    :func:`validate_criteria` first — an invalid item raises ``ValueError``."""
    sums = {kind: Decimal(0) for kind in CriterionKind}
    for item in criteria:
        kind = _as_kind(_get(item, "kind"))
        max_points = _parse_max(_get(item, "max_points"))
        if max_points is None:
            raise ValueError(f"Điểm tối đa không hợp lệ: {_get(item, 'max_points')!r}.")
        sums[kind] += max_points
    return TableMax(
        scored=normalize_points(sums[CriterionKind.SCORED]),
        bonus=normalize_points(sums[CriterionKind.BONUS]),
        deduction=normalize_points(sums[CriterionKind.DEDUCTION]),
    )


def table_max(criteria: Iterable[Any]) -> Decimal:
    """A table's max total: the sum of the max points of its scored items (bonus and deduction
    items excluded; see :func:`table_maxima`)."""
    return table_maxima(criteria).scored


_KIND_VALUES = frozenset(kind.value for kind in CriterionKind)


def _title_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def validate_criteria(items: Iterable[Any]) -> list[str]:
    """Vietnamese error messages for a criteria list (empty when it is valid).

    Items are mappings or objects with ``group``, ``title``, ``max_points``, ``kind``, numbered
    from 1 in the messages ("Dòng 3: …").  Checked: title not empty; max points a positive decimal
    with at most two places (``"10"``, ``"2,5"``, ``Decimal("2.5")``); kind one of scored, bonus,
    deduction; no two items of the same group with the same title (compared ignoring case and
    extra spaces).  An empty list is valid.
    """
    errors: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for line, item in enumerate(items, start=1):
        title = _get(item, "title")
        title = title if isinstance(title, str) else ""
        if not title.strip():
            errors.append(f"Dòng {line}: Tên tiêu chí không được để trống.")
        if _parse_max(_get(item, "max_points")) is None:
            errors.append(
                f"Dòng {line}: Điểm tối đa phải là số dương, tối đa hai chữ số thập phân."
            )
        kind = _get(item, "kind")
        if not isinstance(kind, str) or kind not in _KIND_VALUES:
            errors.append(
                f"Dòng {line}: Loại tiêu chí không hợp lệ (chỉ được là "
                f"{', '.join(KIND_LABELS.values())})."
            )
        group = _get(item, "group")
        group = group if isinstance(group, str) else ""
        if title.strip():
            key = (_title_key(group), _title_key(title))
            if key in seen:
                group_text = f" trong nhóm “{group.strip()}”" if group.strip() else ""
                errors.append(
                    f"Dòng {line}: Tiêu chí “{title.strip()}” bị trùng với dòng "
                    f"{seen[key]}{group_text}."
                )
            else:
                seen[key] = line
    return errors
