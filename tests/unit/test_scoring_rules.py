"""Unit tests for portal.scoring.rules (pure functions, no app, no database)."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.scoring import rules
from portal.scoring.rules import (
    ACTION_LABELS,
    CLASSIFICATION_LABELS,
    DEFAULT_THRESHOLDS,
    FLAG_LABELS,
    KIND_LABELS,
    STAGE_LABELS,
    STATUS_LABELS,
    Action,
    Classification,
    CriterionKind,
    Flag,
    FlagError,
    FlagProposal,
    PointsError,
    RankInfo,
    Stage,
    Status,
    TableMax,
    Thresholds,
    TransitionError,
    UnitResult,
    allowed_actions,
    classify,
    compute_results,
    decide_flag_tie,
    effective_stage,
    effective_total,
    format_points,
    format_points_vi,
    mark_government_flag,
    normalize_points,
    parse_points,
    propose_flags,
    rank_with_ties,
    stage_editable,
    stage_totals,
    table_max,
    table_maxima,
    total,
    transition,
    validate_criteria,
    validate_thresholds,
    which_units_appraised,
)

TEN = D("10")
RANGE_MESSAGE_10 = "Điểm phải là số từ 0 đến 10, tối đa hai chữ số thập phân."


def exact(value: D | None) -> tuple[str, D] | None:
    """Compare Decimals by representation too (D("8.5") == D("8.50") is true)."""
    return None if value is None else (str(value), value)


# ---------------------------------------------------------------------------------------------
# parse_points
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8.5", "8.5"),
        ("8,5", "8.5"),
        (" 10 ", "10"),
        ("\u00a09,25\t", "9.25"),
        ("0", "0"),
        ("0,0", "0"),
        ("00.00", "0"),
        ("10.00", "10"),
        ("10,0", "10"),
        ("8.50", "8.5"),
        ("08,05", "8.05"),
        (",5", "0.5"),
        (".75", "0.75"),
        ("0.01", "0.01"),
        (7, "7"),
        (0, "0"),
        (10, "10"),
        (D("8.5"), "8.5"),
        (D("8.500"), "8.5"),
        (D("1E+1"), "10"),
        (D("-0"), "0"),
        (D("0E-7"), "0"),
    ],
)
def test_parse_points_accepts_and_normalises(raw, expected):
    result = parse_points(raw, max_points=TEN)
    assert isinstance(result, D)
    assert str(result) == expected
    assert json.dumps(format_points(result)) == f'"{expected}"'


@pytest.mark.parametrize("raw", [None, "", "   ", "\t\n", "\u00a0"])
def test_parse_points_blank_clears_the_score(raw):
    assert parse_points(raw, max_points=TEN) is None


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("abc", "format"),
        ("1e2", "format"),
        ("1E2", "format"),
        ("1e-2", "format"),
        ("NaN", "format"),
        ("nan", "format"),
        ("Infinity", "format"),
        ("-Infinity", "format"),
        ("inf", "format"),
        ("-1", "format"),
        ("-0", "format"),
        ("+5", "format"),
        ("8.555", "format"),
        ("8,555", "format"),
        ("1.000,5", "format"),
        ("1,000.5", "format"),
        ("1.000", "format"),  # one thousand to a Vietnamese reader
        ("1,000", "format"),
        ("1 000", "format"),
        ("1_0", "format"),
        ("5.", "format"),
        ("5,", "format"),
        (".", "format"),
        (",", "format"),
        ("8..5", "format"),
        ("8.5.1", "format"),
        ("8,5,1", "format"),
        ("0x10", "format"),
        ("٣", "format"),  # Arabic-Indic digit: \d would match it
        ("８", "format"),  # full-width digit
        ("8\u200b", "format"),
        ("1" * 30, "format"),
        ("10.01", "range"),
        ("11", "range"),
        ("100", "range"),
        (11, "range"),
        (-1, "range"),
        (D("10.01"), "range"),
        (D("-0.01"), "range"),
        (D("Infinity"), "format"),
        (D("NaN"), "format"),
        (D("sNaN"), "format"),
        (D("8.555"), "precision"),
        (D("1E-100000"), "precision"),
        (D("1E+100000"), "range"),
        (8.5, "type"),
        (10.0, "type"),
        (True, "type"),
        (False, "type"),
        ([8], "type"),
        ({"points": "8"}, "type"),
        (b"8", "type"),
    ],
)
def test_parse_points_rejects(raw, code):
    with pytest.raises(PointsError) as caught:
        parse_points(raw, max_points=TEN)
    assert caught.value.code == code
    assert caught.value.message == RANGE_MESSAGE_10
    assert str(caught.value) == RANGE_MESSAGE_10
    assert isinstance(caught.value, ValueError)


def test_parse_points_message_names_the_criterion_max_the_vietnamese_way():
    with pytest.raises(PointsError, match="từ 0 đến 2,5,"):
        parse_points("3", max_points=D("2.5"))
    with pytest.raises(PointsError, match="từ 0 đến 20,"):
        parse_points("21", max_points=D("20.00"))


def test_parse_points_bounds_are_inclusive():
    assert parse_points("2,5", max_points=D("2.5")) == D("2.5")
    assert parse_points("0", max_points=D("2.5")) == 0


@pytest.mark.parametrize("bad_max", [D(0), D(-1), D("NaN"), D("Infinity")])
def test_parse_points_requires_a_positive_max(bad_max):
    with pytest.raises(ValueError):
        parse_points("1", max_points=bad_max)


@pytest.mark.parametrize("bad_max", [10.0, "10", None, True])
def test_parse_points_max_must_be_decimal(bad_max):
    with pytest.raises(TypeError):
        parse_points("1", max_points=bad_max)


def test_parse_points_accepts_int_max():
    assert parse_points("10", max_points=10) == TEN


def test_deduction_points_are_entered_positive():
    assert parse_points("2", max_points=D("5")) == D(2)
    with pytest.raises(PointsError):
        parse_points("-2", max_points=D("5"))


two_place_values = st.decimals(
    min_value=D(0), max_value=D("1000"), places=2, allow_nan=False, allow_infinity=False
)


@given(value=two_place_values)
def test_parse_points_round_trips_str_of_valid_values(value):
    assert parse_points(str(value), max_points=D("1000")) == value
    assert parse_points(str(value).replace(".", ","), max_points=D("1000")) == value
    assert parse_points(value, max_points=D("1000")) == value


@given(value=two_place_values)
def test_parse_points_result_is_normalised_and_reparses_to_itself(value):
    parsed = parse_points(str(value), max_points=D("1000"))
    assert parsed is not None
    text = str(parsed)
    assert "E" not in text and "e" not in text
    assert not ("." in text and text.endswith("0"))
    assert parse_points(text, max_points=D("1000")) == parsed
    assert str(parse_points(text, max_points=D("1000"))) == text


@given(
    mantissa=st.integers(min_value=0, max_value=999),
    exponent=st.integers(min_value=-5, max_value=5),
    letter=st.sampled_from(["e", "E"]),
    sign=st.sampled_from(["", "+", "-"]),
    separator=st.sampled_from(["", ".5", ",5"]),
)
def test_parse_points_never_accepts_an_exponent(mantissa, exponent, letter, sign, separator):
    text = f"{mantissa}{separator}{letter}{sign}{exponent}"
    with pytest.raises(PointsError):
        parse_points(text, max_points=D("1000000"))


@given(text=st.text(max_size=12))
def test_parse_points_either_returns_a_valid_value_or_raises_points_error(text):
    try:
        value = parse_points(text, max_points=TEN)
    except PointsError:
        return
    if value is None:
        assert not text.strip()
        return
    assert D(0) <= value <= TEN
    assert value == value.quantize(D("0.01"))
    assert not any(c in text for c in "eE+-")


@given(value=st.floats(allow_nan=True, allow_infinity=True))
def test_parse_points_never_accepts_floats(value):
    with pytest.raises(PointsError):
        parse_points(value, max_points=TEN)


# ---------------------------------------------------------------------------------------------
# normalize / format
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text", "vi"),
    [
        (D("8.50"), "8.5", "8,5"),
        (D("10.00"), "10", "10"),
        (D("1E+2"), "100", "100"),
        (D("-0.00"), "0", "0"),
        (D("-2.50"), "-2.5", "-2,5"),
        (D("0.05"), "0.05", "0,05"),
        (D("120"), "120", "120"),
    ],
)
def test_normalize_and_format(value, text, vi):
    assert str(normalize_points(value)) == text
    assert normalize_points(value) == value
    assert format_points(value) == text
    assert format_points_vi(value) == vi


def test_format_none():
    assert format_points(None) is None
    assert format_points_vi(None) == ""


@pytest.mark.parametrize("value", [D("NaN"), D("Infinity"), 1.5, D("1E+40")])
def test_normalize_rejects_non_finite_and_absurd(value):
    with pytest.raises(ValueError):
        normalize_points(value)


# ---------------------------------------------------------------------------------------------
# totals
# ---------------------------------------------------------------------------------------------

KINDS = {
    "c1": "scored",
    "c2": CriterionKind.SCORED,
    "b1": "bonus",
    "d1": "deduction",
}


def test_criterion_kind_values():
    assert [k.value for k in CriterionKind] == ["scored", "bonus", "deduction"]
    assert CriterionKind.DEDUCTION == "deduction"


def test_total_adds_scored_and_bonus_and_subtracts_deductions():
    scores = {"c1": D("40"), "c2": D("45.5"), "b1": D("3"), "d1": D("1.25")}
    assert exact(total(scores, KINDS)) == exact(D("87.25"))


def test_total_none_counts_as_zero_and_missing_criteria_too():
    assert total({"c1": D("40"), "c2": None}, KINDS) == D(40)
    assert exact(total({}, KINDS)) == exact(D(0))
    assert total({"d1": D("2")}, KINDS) == D(-2)  # not floored


def test_total_is_normalised():
    assert str(total({"c1": D("40.50"), "c2": D("9.50")}, KINDS)) == "50"


def test_total_accepts_ints():
    assert total({"c1": 40, "b1": 2}, KINDS) == D(42)


def test_total_rejects_unknown_criterion_and_kind_and_floats():
    with pytest.raises(ValueError, match="không có trong bảng điểm"):
        total({"zz": D(1)}, KINDS)
    with pytest.raises(ValueError, match="Loại tiêu chí không hợp lệ"):
        total({"c1": D(1)}, {"c1": "penalty"})
    with pytest.raises(TypeError):
        total({"c1": 1.5}, KINDS)
    with pytest.raises(TypeError):
        total({"c1": "1.5"}, KINDS)
    with pytest.raises(ValueError):
        total({"c1": D("NaN")}, KINDS)


def test_stage_totals():
    scores = {
        "self": {"c1": D("48"), "c2": D("47"), "b1": D("2")},
        "bloc": {"c1": D("45"), "c2": D("46.5"), "d1": D("1")},
        "appraisal": {"c1": None, "c2": None},
    }
    result = stage_totals(scores, KINDS)
    assert result == {Stage.SELF: D("97"), Stage.BLOC: D("90.5"), Stage.APPRAISAL: None}
    assert list(result) == [Stage.SELF, Stage.BLOC, Stage.APPRAISAL]
    assert stage_totals({}, KINDS) == {Stage.SELF: None, Stage.BLOC: None, Stage.APPRAISAL: None}
    # a stage with a single zero entered is scored (0), unlike a stage never scored
    assert stage_totals({"bloc": {"c1": D(0)}}, KINDS)[Stage.BLOC] == D(0)


def test_stage_totals_rejects_unknown_stage():
    with pytest.raises(ValueError, match="Giai đoạn chấm không hợp lệ"):
        stage_totals({"council": {"c1": D(1)}}, KINDS)


criteria_tables = st.lists(
    st.tuples(
        st.sampled_from(list(CriterionKind)),
        st.decimals(min_value=D("0.01"), max_value=D("50"), places=2),
    ),
    min_size=1,
    max_size=15,
)


@given(table=criteria_tables, data=st.data())
def test_total_of_scored_items_never_exceeds_table_max(table, data):
    criteria = [
        {"group": "I", "title": f"Tiêu chí {i}", "max_points": m, "kind": k}
        for i, (k, m) in enumerate(table)
    ]
    kinds = {i: k for i, (k, _) in enumerate(table)}
    scores = {}
    for i, (kind, max_points) in enumerate(table):
        raw = data.draw(
            st.none() | st.decimals(min_value=D(0), max_value=max_points, places=2)
        )
        scores[i] = parse_points(None if raw is None else str(raw), max_points=max_points)
    scored_only = {i: p for i, p in scores.items() if kinds[i] == "scored"}
    assert D(0) <= total(scored_only, kinds) <= table_max(criteria)
    maxima = table_maxima(criteria)
    assert -maxima.deduction <= total(scores, kinds) <= maxima.scored + maxima.bonus


# ---------------------------------------------------------------------------------------------
# effective total
# ---------------------------------------------------------------------------------------------

ALL = {"self": D("97"), "bloc": D("95"), "appraisal": D("93")}


@pytest.mark.parametrize(
    ("totals", "status", "stage"),
    [
        (ALL, "draft", Stage.BLOC),
        (ALL, "submitted", Stage.BLOC),  # appraisal in progress does not count yet
        (ALL, "appraised", Stage.APPRAISAL),
        (ALL, "final", Stage.APPRAISAL),
        ({**ALL, "appraisal": None}, "appraised", Stage.BLOC),  # unit not appraised
        ({**ALL, "appraisal": None}, "final", Stage.BLOC),
        ({"self": D("97"), "bloc": None, "appraisal": None}, "draft", Stage.SELF),
        ({"self": D("97")}, "final", Stage.SELF),
        ({"self": None, "bloc": None, "appraisal": None}, "final", None),
        ({}, "draft", None),
        ({"appraisal": D("90")}, "submitted", None),
        ({"appraisal": D("90")}, "appraised", Stage.APPRAISAL),
        ({"self": D("97"), "bloc": D(0)}, "draft", Stage.BLOC),  # 0 is a total
    ],
)
def test_effective_stage_and_total(totals, status, stage):
    assert effective_stage(totals, status) == stage
    expected = None if stage is None else totals[stage]
    assert effective_total(totals, status) == expected


def test_effective_total_rejects_unknown_status():
    with pytest.raises(TransitionError):
        effective_total(ALL, "published")


# ---------------------------------------------------------------------------------------------
# ranking
# ---------------------------------------------------------------------------------------------


def test_rank_with_ties_competition_ranking():
    totals = {"A": D("100"), "B": D("98"), "C": D("98.00"), "D": D("95"), "E": None}
    assert rank_with_ties(totals) == {
        "A": RankInfo(1, False),
        "B": RankInfo(2, True),
        "C": RankInfo(2, True),
        "D": RankInfo(4, False),
        "E": RankInfo(None, False),
    }


def test_rank_with_ties_order_is_by_rank_then_input_order_then_unranked():
    totals = {"x": None, "b": D("90"), "a": D("95"), "c": D("90"), "y": None}
    assert list(rank_with_ties(totals)) == ["a", "b", "c", "x", "y"]
    reordered = {"c": D("90"), "y": None, "a": D("95"), "b": D("90"), "x": None}
    assert list(rank_with_ties(reordered)) == ["a", "c", "b", "y", "x"]


def test_rank_with_ties_edge_cases():
    assert rank_with_ties({}) == {}
    assert rank_with_ties({"a": None}) == {"a": RankInfo(None, False)}
    assert rank_with_ties({"a": D(5)}) == {"a": RankInfo(1, False)}
    assert rank_with_ties({"a": D(5), "b": D(5), "c": D(5)}) == {
        k: RankInfo(1, True) for k in "abc"
    }
    assert rank_with_ties({"a": D(-3), "b": D(0)}) == {
        "b": RankInfo(1, False),
        "a": RankInfo(2, False),
    }


def test_rank_with_ties_rejects_floats_and_nan():
    with pytest.raises(TypeError):
        rank_with_ties({"a": 1.5})
    with pytest.raises(ValueError):
        rank_with_ties({"a": D("NaN")})


rank_inputs = st.dictionaries(
    st.integers(min_value=0, max_value=40),
    st.none() | st.decimals(min_value=D(0), max_value=D(10), places=1),
    max_size=25,
)


@given(totals=rank_inputs)
def test_rank_properties(totals):
    ranks = rank_with_ties(totals)
    assert set(ranks) == set(totals)
    present = [v for v in totals.values() if v is not None]
    for key, info in ranks.items():
        value = totals[key]
        if value is None:
            assert info == RankInfo(None, False)
            continue
        higher = sum(1 for v in present if v > value)
        same = sum(1 for v in present if v == value)
        assert info.rank == 1 + higher
        assert 1 <= info.rank <= len(present)
        assert info.tie == (same > 1)
    # ties share ranks; different totals never do
    for a in ranks:
        for b in ranks:
            if totals[a] is not None and totals[b] is not None:
                assert (ranks[a].rank == ranks[b].rank) == (totals[a] == totals[b])
    if present:
        assert min(i.rank for i in ranks.values() if i.rank is not None) == 1
    # deterministic
    assert list(rank_with_ties(totals).items()) == list(ranks.items())


@given(totals=rank_inputs)
def test_rank_output_is_sorted_by_rank(totals):
    ranks = list(rank_with_ties(totals).values())
    ranked = [i.rank for i in ranks if i.rank is not None]
    assert ranked == sorted(ranked)
    assert all(i.rank is None for i in ranks[len(ranked):])


def test_which_units_appraised():
    ranks = rank_with_ties(
        {"A": D(100), "B": D(98), "C": D(95), "D": D(95), "E": D(90), "F": None}
    )
    assert which_units_appraised(ranks) == ["A", "B", "C", "D"]
    assert which_units_appraised(rank_with_ties({"A": D(9), "B": D(9), "C": D(9), "D": D(9)})) == [
        "A",
        "B",
        "C",
        "D",
    ]
    # 1, 2, 2, 4: rank 4 is not appraised
    assert which_units_appraised({"A": 1, "B": 2, "C": 2, "D": 4}) == ["A", "B", "C"]
    assert which_units_appraised({"b": 2, "a": 1, "n": None}) == ["a", "b"]
    assert which_units_appraised({}) == []


@given(totals=rank_inputs)
def test_which_units_appraised_property(totals):
    ranks = rank_with_ties(totals)
    chosen = which_units_appraised(ranks)
    assert set(chosen) == {k for k, i in ranks.items() if i.rank is not None and i.rank <= 3}
    present = sorted((v for v in totals.values() if v is not None), reverse=True)
    if len(present) >= 3:
        assert len(chosen) >= 3
        third = present[2]
        assert all(totals[k] >= third for k in chosen)


# ---------------------------------------------------------------------------------------------
# classification
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        (D("100"), "xuat_sac"),
        (D("95"), "xuat_sac"),
        (D("94.99"), "tot"),
        (D("85"), "tot"),
        (D("84.99"), "hoan_thanh"),
        (D("70"), "hoan_thanh"),
        (D("69.99"), "khong_hoan_thanh"),
        (D("0"), "khong_hoan_thanh"),
        (D("-5"), "khong_hoan_thanh"),
        (D("120"), "xuat_sac"),  # bonus above the table max
        (None, None),
    ],
)
def test_classify(points, expected):
    thresholds = Thresholds(excellent=D("95"), good=D("85"), completed=D("70"))
    assert classify(points, thresholds) == expected
    assert thresholds == DEFAULT_THRESHOLDS


def test_classification_labels():
    assert CLASSIFICATION_LABELS == {
        "xuat_sac": "Xuất sắc",
        "tot": "Tốt",
        "hoan_thanh": "Hoàn thành",
        "khong_hoan_thanh": "Không hoàn thành",
    }
    assert CLASSIFICATION_LABELS[classify(D(96), DEFAULT_THRESHOLDS)] == "Xuất sắc"
    assert json.dumps(classify(D(96), DEFAULT_THRESHOLDS)) == '"xuat_sac"'


def test_thresholds_convert_ints_and_strings():
    t = Thresholds(excellent=90, good="80,5", completed=D("60"))
    assert (t.excellent, t.good, t.completed) == (D(90), D("80.5"), D(60))
    assert all(isinstance(v, D) for v in (t.excellent, t.good, t.completed))
    assert classify(D("80.5"), t) == Classification.TOT


@pytest.mark.parametrize(
    ("excellent", "good", "completed", "match"),
    [
        (D(85), D(95), D(70), "giảm dần"),
        (D(95), D(95), D(70), "giảm dần"),
        (D(95), D(70), D(70), "giảm dần"),
        (D(95), D(85), D(-1), "không âm"),
        (D(95), D("85.555"), D(70), "hai chữ số thập phân"),
        (D("NaN"), D(85), D(70), "không âm"),
        (D("Infinity"), D(85), D(70), "không âm"),
        (D("1E+50"), D(85), D(70), "không âm"),
        ("abc", D(85), D(70), "Ngưỡng “Xuất sắc”"),
        ("1e2", D(85), D(70), "Ngưỡng “Xuất sắc”"),
    ],
)
def test_thresholds_invalid(excellent, good, completed, match):
    with pytest.raises(ValueError, match=match):
        Thresholds(excellent=excellent, good=good, completed=completed)


def test_thresholds_reject_floats():
    with pytest.raises(TypeError):
        Thresholds(excellent=95.0, good=D(85), completed=D(70))


def test_thresholds_allow_zero_completed():
    t = Thresholds(excellent=D(2), good=D(1), completed=D(0))
    assert classify(D(0), t) == "hoan_thanh"


def test_validate_thresholds_against_table_max():
    validate_thresholds(DEFAULT_THRESHOLDS, max_total=D(100))
    validate_thresholds(DEFAULT_THRESHOLDS, max_total=D(95))
    message = r"Ngưỡng Xuất sắc \(95\) vượt quá tổng điểm tối đa .*\(90\)"
    with pytest.raises(ValueError, match=message):
        validate_thresholds(DEFAULT_THRESHOLDS, max_total=D(90))
    with pytest.raises(TypeError):
        validate_thresholds(DEFAULT_THRESHOLDS, max_total=100.0)


# ---------------------------------------------------------------------------------------------
# compute_results and flags
# ---------------------------------------------------------------------------------------------


def _totals(self=None, bloc=None, appraisal=None):
    return {"self": self, "bloc": bloc, "appraisal": appraisal}


def test_compute_results_uses_appraisal_after_appraisal():
    by_unit = {
        "A": _totals(D(99), D(97), D(93)),  # appraisal lowered A
        "B": _totals(D(96), D(96), D(95)),
        "C": _totals(D(90), D(92), D(92)),
        "D": _totals(D(88), D(80)),
        "E": _totals(),
    }
    submitted = compute_results(by_unit, "submitted", DEFAULT_THRESHOLDS)
    assert [(k, r.rank) for k, r in submitted.items()] == [
        ("A", 1), ("B", 2), ("C", 3), ("D", 4), ("E", None)
    ]
    appraised = compute_results(by_unit, "appraised", DEFAULT_THRESHOLDS)
    assert list(appraised) == ["B", "A", "C", "D", "E"]
    b = appraised["B"]
    assert b == UnitResult(
        totals={Stage.SELF: D(96), Stage.BLOC: D(96), Stage.APPRAISAL: D(95)},
        effective_stage=Stage.APPRAISAL,
        effective_total=D(95),
        rank=1,
        tie=False,
        classification=Classification.XUAT_SAC,
    )
    assert appraised["D"].effective_stage == Stage.BLOC
    assert appraised["D"].classification == "hoan_thanh"
    assert appraised["E"].rank is None and appraised["E"].classification is None


def _results(status, **totals):
    return compute_results(
        {k: _totals(bloc=v, appraisal=v) for k, v in totals.items()}, status, DEFAULT_THRESHOLDS
    )


@pytest.mark.parametrize("status", ["appraised", "final"])
def test_propose_flags_single_leader(status):
    results = _results(status, A=D(97), B=D(99), C=D(90))
    proposal = propose_flags(results, status)
    assert proposal == FlagProposal(
        flags={"B": Flag.CO_UBND_TINH, "A": None, "C": None},
        candidates=("B",),
        tie=False,
        note=None,
    )
    assert proposal.flag_of("B") == "co_ubnd_tinh"
    assert proposal.flag_of("A") is None


@pytest.mark.parametrize("status", ["draft", "submitted"])
def test_propose_flags_only_after_appraisal(status):
    results = _results(status, A=D(97), B=D(99))
    proposal = propose_flags(results, status)
    assert proposal.flags == {"B": None, "A": None}
    assert proposal.candidates == ()
    assert "sau khi kết quả đã được thẩm định" in proposal.note


def test_propose_flags_tie_at_rank_one_lists_all_candidates():
    results = _results("appraised", A=D(96), B=D(98), C=D(98), D=D(98), E=D(90))
    proposal = propose_flags(results, "appraised")
    assert proposal.candidates == ("B", "C", "D")
    assert proposal.tie is True
    assert proposal.flags == {
        "B": "co_ubnd_tinh",
        "C": "co_ubnd_tinh",
        "D": "co_ubnd_tinh",
        "A": None,
        "E": None,
    }
    assert "3 đơn vị cùng xếp thứ nhất" in proposal.note
    assert "Ban Thi đua - Khen thưởng quyết định" in proposal.note

    decided = decide_flag_tie(proposal, ["C"], status="appraised", actor_role="board")
    assert decided.candidates == ("C",)
    assert decided.tie is False and decided.note is None
    assert decided.flags == {"B": None, "C": "co_ubnd_tinh", "D": None, "A": None, "E": None}
    assert proposal.flags["B"] == "co_ubnd_tinh"  # the original is untouched

    both = decide_flag_tie(proposal, ("D", "B", "D"), status="final", actor_role="board")
    assert both.candidates == ("B", "D")


@pytest.mark.parametrize(
    ("chosen", "status", "role", "match"),
    [
        (["C"], "appraised", "leader", "Chỉ Ban Thi đua"),
        (["C"], "appraised", "council", "Chỉ Ban Thi đua"),
        (["C"], "submitted", "board", "sau khi kết quả đã được thẩm định"),
        (["A"], "appraised", "board", "cùng xếp thứ nhất"),
        ([], "appraised", "board", "cùng xếp thứ nhất"),
    ],
)
def test_decide_flag_tie_errors(chosen, status, role, match):
    results = _results("appraised", A=D(96), B=D(98), C=D(98))
    proposal = propose_flags(results, "appraised")
    with pytest.raises(FlagError, match=match):
        decide_flag_tie(proposal, chosen, status=status, actor_role=role)


def test_propose_flags_leader_not_completing_gets_no_flag():
    results = _results("final", A=D(60), B=D(50))
    proposal = propose_flags(results, "final")
    assert proposal.flags == {"A": None, "B": None}
    assert proposal.candidates == ()
    assert "Không hoàn thành" in proposal.note


def test_propose_flags_leader_classified_tot_is_proposed():
    results = _results("final", A=D(88), B=D(80))
    assert propose_flags(results, "final").candidates == ("A",)


def test_propose_flags_nobody_scored():
    proposal = propose_flags(_results("appraised", A=None, B=None), "appraised")
    assert proposal.flags == {"A": None, "B": None}
    assert proposal.note == "Chưa có đơn vị nào có tổng điểm."
    assert propose_flags({}, "final").flags == {}


def test_propose_flags_uses_the_appraised_ranking():
    by_unit = {
        "A": _totals(bloc=D(99), appraisal=D(94)),
        "B": _totals(bloc=D(97), appraisal=D(96)),
    }
    results = compute_results(by_unit, "appraised", DEFAULT_THRESHOLDS)
    assert propose_flags(results, "appraised").candidates == ("B",)


def test_propose_flags_accepts_any_ranked_objects():
    class Row:
        def __init__(self, rank, classification):
            self.rank = rank
            self.classification = classification

    proposal = propose_flags({"x": Row(2, "tot"), "y": Row(1, "xuat_sac")}, "final")
    assert proposal.candidates == ("y",)


def test_mark_government_flag():
    flags = {"A": Flag.CO_UBND_TINH, "B": None}
    marked = mark_government_flag(flags, "A", status="appraised", actor_role="council")
    assert marked == {"A": "co_chinh_phu", "B": None}
    assert flags == {"A": "co_ubnd_tinh", "B": None}  # not mutated
    again = mark_government_flag(marked, "A", status="final", actor_role="board")
    assert again == marked
    unmarked = mark_government_flag(marked, "A", status="final", actor_role="council", marked=False)
    assert unmarked == {"A": "co_ubnd_tinh", "B": None}
    # plain strings from the database work too
    from_db = mark_government_flag(
        {"A": "co_ubnd_tinh"}, "A", status="final", actor_role="council"
    )
    assert from_db == {"A": Flag.CO_CHINH_PHU}


@pytest.mark.parametrize(
    ("key", "status", "role", "match"),
    [
        ("B", "final", "council", "đã được đề nghị Cờ thi đua của UBND tỉnh"),
        ("Z", "final", "council", "đã được đề nghị Cờ thi đua của UBND tỉnh"),
        ("A", "draft", "council", "đã được thẩm định hoặc công nhận"),
        ("A", "submitted", "council", "đã được thẩm định hoặc công nhận"),
        ("A", "final", "leader", "Chỉ Hội đồng"),
        ("A", "final", "deputy", "Chỉ Hội đồng"),
        ("A", "final", "member", "Chỉ Hội đồng"),
        ("A", "final", "viewer", "Chỉ Hội đồng"),
    ],
)
def test_mark_government_flag_errors(key, status, role, match):
    with pytest.raises(FlagError, match=match):
        mark_government_flag(
            {"A": "co_ubnd_tinh", "B": None}, key, status=status, actor_role=role
        )


def test_government_flag_is_never_proposed_automatically():
    results = _results("final", A=D(100), B=D(99))
    assert Flag.CO_CHINH_PHU not in propose_flags(results, "final").flags.values()


# ---------------------------------------------------------------------------------------------
# status machine
# ---------------------------------------------------------------------------------------------

STATUSES = ["draft", "submitted", "appraised", "final"]
ACTIONS = ["submit", "appraise", "finalize", "reopen"]
ROLES = ["leader", "deputy", "member", "board", "council", "viewer", "admin", ""]

# (status, action) → (new status, roles allowed); anything absent is impossible from that status.
MACHINE = {
    ("draft", "submit"): ("submitted", {"leader", "board"}),
    ("submitted", "appraise"): ("appraised", {"board"}),
    ("appraised", "finalize"): ("final", {"board", "council"}),
    ("submitted", "reopen"): ("draft", {"board"}),
    ("appraised", "reopen"): ("submitted", {"board"}),
    ("final", "reopen"): ("appraised", {"board"}),
}


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_status_machine_table(status, action, role):
    reason = "Khối đề nghị chấm lại tiêu chí 3" if action == "reopen" else None
    entry = MACHINE.get((status, action))
    if entry is None:
        with pytest.raises(TransitionError, match="Không thể thực hiện") as caught:
            transition(status, action, actor_role=role, reason=reason)
        assert ACTION_LABELS[action] in caught.value.message
        assert STATUS_LABELS[status] in caught.value.message
    elif role not in entry[1]:
        with pytest.raises(TransitionError, match="^Chỉ "):
            transition(status, action, actor_role=role, reason=reason)
    else:
        new = transition(status, action, actor_role=role, reason=reason)
        assert new == entry[0]
        assert isinstance(new, Status)
    allowed = allowed_actions(status, actor_role=role)
    assert (action in allowed) == (entry is not None and role in entry[1])


@pytest.mark.parametrize("status", ["submitted", "appraised", "final"])
@pytest.mark.parametrize("reason", [None, "", "   ", "\n"])
def test_reopen_needs_a_reason(status, reason):
    with pytest.raises(TransitionError, match="Phải nêu lý do"):
        transition(status, "reopen", actor_role="board", reason=reason)


def test_reopen_reason_must_be_text():
    with pytest.raises(TransitionError, match="Phải nêu lý do"):
        transition("final", "reopen", actor_role="board", reason=42)  # type: ignore[arg-type]


def test_transition_check_order_status_then_role_then_reason():
    # impossible from this status beats missing rights and missing reason
    with pytest.raises(TransitionError, match="Không thể thực hiện “Mở lại”.*“Dự thảo”"):
        transition("draft", "reopen", actor_role="leader")
    # missing rights beats missing reason
    with pytest.raises(TransitionError, match="Chỉ Ban Thi đua - Khen thưởng được mở lại"):
        transition("final", "reopen", actor_role="leader")


def test_transition_unknown_status_or_action():
    with pytest.raises(TransitionError, match="Trạng thái kết quả không hợp lệ"):
        transition("published", "submit", actor_role="board")
    with pytest.raises(TransitionError, match="Thao tác không hợp lệ"):
        transition("draft", "approve", actor_role="board")


def test_transition_accepts_enums():
    assert transition(Status.DRAFT, Action.SUBMIT, actor_role="leader") is Status.SUBMITTED


def test_full_cycle_and_back():
    status = Status.DRAFT
    status = transition(status, "submit", actor_role="leader")
    status = transition(status, "appraise", actor_role="board")
    status = transition(status, "finalize", actor_role="board")
    assert status == "final"
    for expected in ["appraised", "submitted", "draft"]:
        status = transition(status, "reopen", actor_role="board", reason="Sai sót")
        assert status == expected


@pytest.mark.parametrize(
    ("status", "self_", "bloc", "appraisal"),
    [
        ("draft", True, True, False),
        ("submitted", False, False, True),
        ("appraised", False, False, False),
        ("final", False, False, False),
    ],
)
def test_stage_editable(status, self_, bloc, appraisal):
    assert stage_editable(status, "self") is self_
    assert stage_editable(status, "bloc") is bloc
    assert stage_editable(status, "appraisal") is appraisal


def test_stage_editable_rejects_unknown():
    with pytest.raises(ValueError, match="Giai đoạn chấm không hợp lệ"):
        stage_editable("draft", "council")
    with pytest.raises(TransitionError):
        stage_editable("published", "self")


def test_allowed_actions_examples():
    assert allowed_actions("draft", actor_role="leader") == [Action.SUBMIT]
    assert allowed_actions("draft", actor_role="board") == [Action.SUBMIT]
    assert allowed_actions("submitted", actor_role="board") == [Action.APPRAISE, Action.REOPEN]
    assert allowed_actions("appraised", actor_role="council") == [Action.FINALIZE]
    assert allowed_actions("final", actor_role="board") == [Action.REOPEN]
    assert allowed_actions("final", actor_role="member") == []


# ---------------------------------------------------------------------------------------------
# labels
# ---------------------------------------------------------------------------------------------


def test_labels():
    assert STAGE_LABELS == {"self": "Tự chấm", "bloc": "Khối chấm", "appraisal": "Thẩm định"}
    assert STATUS_LABELS == {
        "draft": "Dự thảo",
        "submitted": "Đã gửi",
        "appraised": "Đã thẩm định",
        "final": "Đã công nhận",
    }
    assert KIND_LABELS == {
        "scored": "Tiêu chí chấm điểm",
        "bonus": "Điểm thưởng",
        "deduction": "Điểm trừ",
    }
    assert FLAG_LABELS == {
        "co_ubnd_tinh": "Cờ thi đua của UBND tỉnh",
        "co_chinh_phu": "Cờ thi đua của Chính phủ",
    }
    assert set(ACTION_LABELS) == set(ACTIONS)
    for labels in (STAGE_LABELS, STATUS_LABELS, KIND_LABELS, CLASSIFICATION_LABELS, FLAG_LABELS):
        assert all(type(v) is str for v in labels.values())


def test_all_is_complete():
    for name in rules.__all__:
        assert hasattr(rules, name), name


# ---------------------------------------------------------------------------------------------
# criteria tables
# ---------------------------------------------------------------------------------------------

def _item(group, title, max_points, kind):
    return {"group": group, "title": title, "max_points": max_points, "kind": kind}


TABLE = [
    _item("I. Công tác chỉ đạo", "Ban hành kế hoạch", "10", "scored"),
    _item("I. Công tác chỉ đạo", "Ký kết giao ước", "2,5", "scored"),
    _item("II. Kết quả", "Hoàn thành chỉ tiêu", D("87.5"), "scored"),
    _item("III. Điểm thưởng", "Sáng kiến", 5, "bonus"),
    _item("III. Điểm thưởng", "Được khen thưởng", "3", "bonus"),
    _item("IV. Điểm trừ", "Nộp báo cáo chậm", "2", "deduction"),
]


def test_table_max_and_maxima():
    assert exact(table_max(TABLE)) == exact(D("100"))
    assert table_maxima(TABLE) == TableMax(scored=D(100), bonus=D(8), deduction=D(2))
    assert table_max([]) == D(0)
    assert table_maxima([]) == TableMax()


def test_table_max_accepts_objects():
    class Criterion:
        def __init__(self, max_points, kind):
            self.max_points = max_points
            self.kind = kind

    assert table_max([Criterion(D("10"), "scored"), Criterion(D("1"), "bonus")]) == D(10)


def test_table_max_rejects_invalid_items():
    with pytest.raises(ValueError, match="Điểm tối đa không hợp lệ"):
        table_max([{"max_points": "abc", "kind": "scored"}])
    with pytest.raises(ValueError, match="Loại tiêu chí không hợp lệ"):
        table_max([{"max_points": "1", "kind": "other"}])


def test_validate_criteria_accepts_a_good_table():
    assert validate_criteria(TABLE) == []
    assert validate_criteria([]) == []
    # same title in different groups is fine
    assert (
        validate_criteria(
            [
                {"group": "I", "title": "Báo cáo", "max_points": "1", "kind": "scored"},
                {"group": "II", "title": "Báo cáo", "max_points": "1", "kind": "scored"},
            ]
        )
        == []
    )


@pytest.mark.parametrize(
    "item",
    [
        {"title": "", "max_points": "1", "kind": "scored"},
        {"title": "   ", "max_points": "1", "kind": "scored"},
        {"title": None, "max_points": "1", "kind": "scored"},
        {"max_points": "1", "kind": "scored"},
    ],
)
def test_validate_criteria_empty_title(item):
    assert validate_criteria([item]) == ["Dòng 1: Tên tiêu chí không được để trống."]


MAX_ERROR = "Dòng 1: Điểm tối đa phải là số dương, tối đa hai chữ số thập phân."


@pytest.mark.parametrize(
    "max_points",
    ["0", "0,00", "-1", "abc", "", None, "1e2", "2.555", "1.000", D(0), D("-1"), D("NaN"),
     D("Infinity"), D("1.005"), 0, -3, 2.5, True, [1]],
)
def test_validate_criteria_bad_max(max_points):
    assert validate_criteria([{"title": "A", "max_points": max_points, "kind": "scored"}]) == [
        MAX_ERROR
    ]


@pytest.mark.parametrize("max_points", ["10", "2,5", "0.25", D("2.50"), 3, D("1E+1")])
def test_validate_criteria_good_max(max_points):
    assert validate_criteria([{"title": "A", "max_points": max_points, "kind": "scored"}]) == []


@pytest.mark.parametrize("kind", ["penalty", "", None, "Scored", ["scored"], 1])
def test_validate_criteria_unknown_kind(kind):
    errors = validate_criteria([{"title": "A", "max_points": "1", "kind": kind}])
    assert errors == [
        "Dòng 1: Loại tiêu chí không hợp lệ "
        "(chỉ được là Tiêu chí chấm điểm, Điểm thưởng, Điểm trừ)."
    ]


def test_validate_criteria_duplicates_within_a_group():
    items = [
        {"group": "I. Chỉ đạo", "title": "Ban hành kế hoạch", "max_points": "5", "kind": "scored"},
        {"group": "I. Chỉ đạo", "title": "Ký kết giao ước", "max_points": "5", "kind": "scored"},
        _item("I.  Chỉ đạo ", " ban hành  KẾ HOẠCH ", "5", "scored"),
        {"group": None, "title": "Khác", "max_points": "1", "kind": "bonus"},
        {"title": "khác", "max_points": "1", "kind": "bonus"},
    ]
    assert validate_criteria(items) == [
        "Dòng 3: Tiêu chí “ban hành  KẾ HOẠCH” bị trùng với dòng 1 trong nhóm “I.  Chỉ đạo”.",
        "Dòng 5: Tiêu chí “khác” bị trùng với dòng 4.",
    ]


def test_validate_criteria_duplicates_compare_unicode_normalised():
    nfc = "Hoàn thành"
    nfd = "Hoa\u0300n tha\u0300nh"
    assert nfc != nfd
    errors = validate_criteria(
        [
            {"group": "I", "title": nfc, "max_points": "1", "kind": "scored"},
            {"group": "I", "title": nfd, "max_points": "1", "kind": "scored"},
        ]
    )
    assert len(errors) == 1 and errors[0].startswith("Dòng 2:")


def test_validate_criteria_reports_every_error_of_a_line_in_order():
    errors = validate_criteria(
        [
            {"group": "I", "title": "A", "max_points": "1", "kind": "scored"},
            {"group": "I", "title": "", "max_points": "x", "kind": "y"},
        ]
    )
    assert [e.split(":")[0] for e in errors] == ["Dòng 2", "Dòng 2", "Dòng 2"]
    assert "Tên tiêu chí" in errors[0]
    assert "Điểm tối đa" in errors[1]
    assert "Loại tiêu chí" in errors[2]


def test_validate_criteria_accepts_objects():
    class Criterion:
        def __init__(self, group, title, max_points, kind):
            self.group, self.title, self.max_points, self.kind = group, title, max_points, kind

    assert validate_criteria([Criterion("I", "A", D("10"), CriterionKind.SCORED)]) == []
    assert validate_criteria([Criterion("I", "", D("10"), "scored")]) == [
        "Dòng 1: Tên tiêu chí không được để trống."
    ]


@settings(max_examples=50)
@given(table=criteria_tables)
def test_valid_generated_tables_validate_and_sum(table):
    criteria = [
        {"group": "I", "title": f"Tiêu chí {i}", "max_points": str(m), "kind": k}
        for i, (k, m) in enumerate(table)
    ]
    assert validate_criteria(criteria) == []
    assert table_max(criteria) == sum(
        (m for k, m in table if k == "scored"), start=D(0)
    )


def test_an_incomplete_unit_is_never_ranked_nor_classified():
    """DESIGN §4.1: a unit lacking a bloc score on any scored item has no rank and no classification,
    whatever its self-score or its partial bloc total says (its totals are still shown)."""
    by_unit = {
        "A": _totals(D(99), D(96)),  # complete
        "B": _totals(D(100), D(95)),  # half of its bloc scores: would rank 1st
        "C": _totals(D(98)),  # self only: would rank by self-score
    }
    results = compute_results(by_unit, "draft", DEFAULT_THRESHOLDS, {"A": True, "B": False})
    assert [(k, r.rank, r.complete) for k, r in results.items()] == [("A", 1, True), ("B", None, False), ("C", None, False)]
    assert results["B"].classification is None and results["C"].classification is None
    assert results["B"].effective_total is None and results["B"].totals[Stage.BLOC] == D(95)
    assert results["A"].classification == Classification.XUAT_SAC and results["A"].tie is False
    # Without the completeness map every unit counts as complete (the rules alone, as before).
    assert compute_results(by_unit, "draft", DEFAULT_THRESHOLDS)["C"].rank == 1
