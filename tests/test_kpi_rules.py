"""KPI RAG rules (seed 004, Appendix 5): direction method, target method at every boundary, statuses."""

import pytest

from etl.rules import kpi_rules as rag
from etl.rules.kpi_rules import (
    BASELINE, BLUE, CONTEXTUAL, IN_DEVELOPMENT, kpi_direction_of_travel, kpi_ratings, normalise_direction,
    rag_vs_direction, rag_vs_target,
)
from etl.rules.rag import AMBER, DOWN, GREEN, RED, SAME, UP


@pytest.mark.parametrize("current, expected", [
    (89.99, RED),      # more than 10% below
    (90, AMBER),       # exactly 10% below: "10% or less" off target
    (95, AMBER),
    (99.99, AMBER),
    (100, GREEN),      # on target
    (104.99, GREEN),
    (105, GREEN),      # exactly 5% over: "up to 5%"
    (105.01, BLUE),    # more than 5% better
    (250, BLUE),
])
def test_target_rule_higher_is_better(current, expected):
    assert rag_vs_target(current, 100, UP) == expected


@pytest.mark.parametrize("current, expected", [
    (110.01, RED),     # more than 10% above a target you want to be under
    (110, AMBER),      # exactly 10% worse
    (100.01, AMBER),
    (100, GREEN),
    (95, GREEN),       # exactly 5% better
    (94.99, BLUE),
    (0, BLUE),
])
def test_target_rule_lower_is_better(current, expected):
    assert rag_vs_target(current, 100, DOWN) == expected


@pytest.mark.parametrize("current, target, direction, expected", [
    # Each of these lands exactly on a boundary, and naive float arithmetic puts it on the wrong side:
    (0.77, 0.7, DOWN, AMBER),    # (0.77 - 0.7) / 0.7 = 0.10000000000000009 in floats
    (1.1, 1, DOWN, AMBER),       # (1.1 - 1) / 1 = 0.10000000000000009
    (0.735, 0.7, UP, GREEN),     # (0.735 - 0.7) / 0.7 = 0.050000000000000044
    (0.63, 0.7, UP, AMBER),
    (0.665, 0.7, DOWN, GREEN),
    (0.0903, 0.0903, UP, GREEN),  # a typed "9.03%" (9.03 / 100 is 0.09029999999999999)
])
def test_target_boundaries_hold_exactly_despite_floating_point(current, target, direction, expected):
    assert rag_vs_target(current, target, direction) == expected


def test_percent_text_lands_on_the_boundary_exactly():
    from etl.rules.values import parse_number

    assert rag_vs_target(parse_number("63%"), parse_number("70%"), UP) == AMBER
    assert rag_vs_target(parse_number("62.99%"), parse_number("70%"), UP) == RED


def test_target_of_zero_and_negative_targets():
    assert rag_vs_target(0, 0, DOWN) == GREEN
    assert rag_vs_target(1, 0, DOWN) == RED
    assert rag_vs_target(-1, 0, DOWN) == BLUE
    # A negative target (a deficit of £100k, lower is better): measured against its size.
    assert rag_vs_target(-90, -100, DOWN) == AMBER
    assert rag_vs_target(-106, -100, DOWN) == BLUE


def test_no_target_or_no_figure_gives_no_target_rating():
    assert rag_vs_target(5, None, UP) is None
    assert rag_vs_target(None, 5, UP) is None


@pytest.mark.parametrize("previous, current, direction, expected", [
    (26704, 28649, UP, GREEN),
    (519000, 516000, UP, RED),
    (0.82, 0.82, UP, AMBER),
    (5951, 6372, DOWN, RED),
    (0.129, 0.117, DOWN, GREEN),
    (3, 3, DOWN, AMBER),
])
def test_direction_rule(previous, current, direction, expected):
    assert rag_vs_direction(current, previous, direction) == expected


def test_direction_rule_needs_both_figures():
    assert rag_vs_direction(5, None, UP) is None
    assert rag_vs_direction(None, 5, DOWN) is None


def test_direction_of_travel_is_the_sign_of_the_change_whatever_is_better():
    assert kpi_direction_of_travel(6372, 5951) == UP  # worse for a lower-is-better KPI, still ↑
    assert kpi_direction_of_travel(0.3, 0.1 + 0.2) == SAME  # 0.1 + 0.2 is 0.30000000000000004
    assert kpi_direction_of_travel(1, 2) == DOWN
    assert kpi_direction_of_travel(1, None) is None


@pytest.mark.parametrize("status", [BASELINE, CONTEXTUAL, IN_DEVELOPMENT])
def test_non_scored_statuses_are_shown_not_rated(status):
    # Even with figures that would rate Red, a tracked-only KPI shows its status in both columns.
    assert kpi_ratings(1, 100, None, UP, status) == (status, status)
    assert kpi_ratings(None, None, None, DOWN, status) == (status, status)


def test_ratings_without_status_use_both_methods():
    assert kpi_ratings(95, 90, 100, UP) == (GREEN, AMBER)
    assert kpi_ratings(106, 110, 100, DOWN) == (GREEN, AMBER)
    assert kpi_ratings(80, 80, None, UP) == (AMBER, None)


@pytest.mark.parametrize("typed, expected", [
    ("↑", UP), ("↓", DOWN), ("Up", UP), ("DOWN", DOWN), (" higher ", UP), ("Lower", DOWN),
    ("Higher is better", UP), (None, None), ("  ", None),
])
def test_direction_for_improvement_variants(typed, expected):
    assert normalise_direction(typed) == expected


@pytest.mark.parametrize("typed", ["→", "sideways", "Green", "1"])
def test_unknown_directions_are_rejected_with_the_value(typed):
    with pytest.raises(ValueError, match=f"'{typed}' is not a direction for improvement"):
        normalise_direction(typed)


def test_the_arrow_for_no_change_is_explained():
    with pytest.raises(ValueError, match="direction of travel"):
        normalise_direction("→")


def test_definitions_cover_appendix_5():
    assert list(rag.KPI_DIRECTION_DEFINITIONS) == [RED, AMBER, GREEN]
    assert list(rag.KPI_TARGET_DEFINITIONS) == [RED, AMBER, GREEN, BLUE, BASELINE, CONTEXTUAL, IN_DEVELOPMENT]
    assert "more than 10%" in rag.KPI_TARGET_DEFINITIONS[RED]
