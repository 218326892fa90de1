"""The project RAG scale: typed variants, direction of travel, escalation."""

import itertools

import pytest

from etl.rules.rag import (
    AMBER, AMBER_RED, DOWN, GREEN, GREEN_AMBER, RAG_DEFINITIONS, RAG_SCALE, RED, SAME, UP,
    direction_of_travel, is_escalated, normalise_rag,
)


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("Green", GREEN), ("G", GREEN), ("green", GREEN), ("GREEN ", GREEN), (" g ", GREEN),
        ("\u00a0Green\u00a0", GREEN),
        ("Amber", AMBER), ("A", AMBER), ("amber", AMBER),
        ("Red", RED), ("R", RED), ("red", RED),
        ("Green/Amber", GREEN_AMBER), ("A/G", GREEN_AMBER), ("Amber/Green", GREEN_AMBER),
        ("Green / Amber", GREEN_AMBER), ("AG", GREEN_AMBER), ("GA", GREEN_AMBER), ("g-a", GREEN_AMBER),
        ("Amber-Green", GREEN_AMBER), ("green amber", GREEN_AMBER), ("Green and Amber", GREEN_AMBER),
        ("Amber/Red", AMBER_RED), ("Amber-Red", AMBER_RED), ("AR", AMBER_RED), ("R/A", AMBER_RED),
        ("Red / Amber", AMBER_RED), ("amber – red", AMBER_RED),
    ],
)
def test_typed_variants_normalise(typed, expected):
    assert normalise_rag(typed) == expected


@pytest.mark.parametrize("blank", [None, "", "   ", "\u00a0"])
def test_blank_is_none(blank):
    assert normalise_rag(blank) is None


@pytest.mark.parametrize("bad", ["Blue", "Green/Red", "RG", "Amber+", "Purple", "1", "GAR", "Green/Amber/Red", "Gren"])
def test_anything_else_is_an_error_quoting_the_value(bad):
    with pytest.raises(ValueError) as err:
        normalise_rag(bad)
    assert f"'{bad}'" in str(err.value)
    assert "Green, Green/Amber, Amber, Amber/Red, Red" in str(err.value)


def test_scale_order_and_definitions():
    assert RAG_SCALE == ("Green", "Green/Amber", "Amber", "Amber/Red", "Red")
    assert set(RAG_DEFINITIONS) == set(RAG_SCALE)


@pytest.mark.parametrize("previous, current", list(itertools.product(RAG_SCALE, RAG_SCALE)))
def test_direction_of_travel_every_pair(previous, current):
    before, now = RAG_SCALE.index(previous), RAG_SCALE.index(current)
    expected = UP if now < before else DOWN if now > before else SAME
    assert direction_of_travel(current, previous) == expected


def test_direction_examples_from_the_improvement_plan():
    # Partnership Working went from Amber to Green/Amber in August 2023: better.
    assert direction_of_travel(GREEN_AMBER, AMBER) == UP
    assert direction_of_travel(GREEN, GREEN) == SAME
    assert direction_of_travel(AMBER, GREEN) == DOWN


def test_no_direction_without_both_ratings():
    assert direction_of_travel(GREEN, None) is None
    assert direction_of_travel(None, GREEN) is None
    assert direction_of_travel("Not rated", GREEN) is None and direction_of_travel(GREEN, "Not rated") is None


@pytest.mark.parametrize("typed", ["Not rated", "not rated", " NOT RATED ", "Unrated", "N/R"])
def test_a_status_may_be_not_rated(typed):
    from etl.rules.rag import normalise_status

    assert normalise_status(typed) == "Not rated"
    assert normalise_status("a/g") == GREEN_AMBER and normalise_status(None) is None
    with pytest.raises(ValueError, match="'Purple' is not a RAG rating: use one of .*, or Not rated"):
        normalise_status("Purple")


@pytest.mark.parametrize(
    "current, direction, escalate",
    [
        (RED, SAME, True), (RED, UP, True), (RED, None, True),
        (AMBER, DOWN, True), (GREEN_AMBER, DOWN, True),
        (AMBER_RED, SAME, False), (AMBER, UP, False), (GREEN, None, False), (None, None, False),
    ],
)
def test_escalation(current, direction, escalate):
    assert is_escalated(current, direction) is escalate


# ----------------------------------------------------------------- median_rag (programme RAG)

from etl.rules.rag import median_rag  # noqa: E402


@pytest.mark.parametrize(
    "ratings, expected",
    [
        ([GREEN, GREEN, GREEN_AMBER, GREEN_AMBER, GREEN], GREEN),  # seed 000, August 2023
        ([RED], RED),
        ([GREEN, AMBER, RED], AMBER),
        ([RED, GREEN, AMBER], AMBER),  # order does not matter
        # Even counts: the worse of the two middle ratings.
        ([GREEN, GREEN_AMBER], GREEN_AMBER),
        ([GREEN, GREEN, GREEN_AMBER, GREEN_AMBER], GREEN_AMBER),
        ([GREEN, GREEN, AMBER, RED], AMBER),
        ([GREEN, AMBER_RED], AMBER_RED),
        # Ties.
        ([AMBER, AMBER, AMBER, AMBER], AMBER),
        ([GREEN, AMBER, AMBER, RED], AMBER),
        ([GREEN, GREEN, GREEN, RED], GREEN),
        # Typed variants and blanks.
        (["g", "A/G", None, " ", "green"], GREEN),
        (["AR", "r"], RED),
        ([], None),
        ([None, ""], None),
    ],
)
def test_median_rag(ratings, expected):
    assert median_rag(ratings) == expected


def test_median_rag_rejects_what_is_not_a_rating():
    with pytest.raises(ValueError, match="'Blue' is not a RAG rating"):
        median_rag([GREEN, "Blue"])


def test_median_rag_accepts_any_iterable():
    assert median_rag(r for r in (GREEN, RED, RED)) == RED
