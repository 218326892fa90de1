"""Normalising what people type: money, numbers, dates, yes/no, email, text."""

import datetime as dt
import re

import pytest

from etl.rules.values import clean_text, is_email, parse_date, parse_money, parse_number, parse_yes_no


@pytest.mark.parametrize(
    "typed, pounds",
    [
        ("£1,200,000", 1_200_000), ("1.2m", 1_200_000), ("£1.2M", 1_200_000), ("1200000", 1_200_000),
        ("£250k", 250_000), ("250K", 250_000), ("1.2 million", 1_200_000), (" £ 5,000,001 ", 5_000_001),
        ("(500)", -500), ("-50000", -50_000), (1_000_000, 1_000_000), (2.5e6, 2_500_000), ("0", 0),
        ("£1bn", 1_000_000_000),
        # Money words read alike (issue 17): billion, bn, million, m, thousand, k.
        ("£4.6 billion", 4_600_000_000), ("4.6 million", 4_600_000), ("£4.6bn", 4_600_000_000), ("4.6m", 4_600_000),
        ("£42.6bn", 42_600_000_000), ("£4.6 Billion", 4_600_000_000), ("12 thousand", 12_000),
        ("1,200,000.50", 1_200_000.5), ("£1,234", 1_234),
    ],
)
def test_money(typed, pounds):
    assert parse_money(typed) == pounds


@pytest.mark.parametrize("typed", ["2,5m", "1.234,56", "12,34", "1,2345", "£2,50"])
def test_a_comma_out_of_place_is_ambiguous_not_guessed(typed):
    """`2,5m` is not £25,000,000 and `1.234,56` is not £1.23: the separators decide, and when they
    cannot, the figure is refused and the message says why (issue 15, item 8)."""
    with pytest.raises(ValueError, match=f"'{re.escape(typed)}' is ambiguous: its comma is not a thousands separator"):
        parse_money(typed)


@pytest.mark.parametrize("typed", ["1e400", float("inf"), float("-inf"), 1e400])
def test_infinite_numbers_are_refused(typed):
    for parser in (parse_money, parse_number):
        with pytest.raises(ValueError, match="too large to be a real figure|not an amount of money"):
            parser(typed)
    with pytest.raises(ValueError, match="too large to be a real figure"):
        parse_number(typed)


@pytest.mark.parametrize("bad", ["about two million", "£", "1.2.3m", "TBC", "1,2m x", True])
def test_money_errors_quote_the_value(bad):
    with pytest.raises(ValueError, match="is not an amount of money"):
        parse_money(bad)


@pytest.mark.parametrize("blank", [None, "", "  ", float("nan")])
def test_blanks_are_none(blank):
    assert parse_money(blank) is None
    assert parse_number(blank) is None
    assert parse_date(blank) is None


def test_numbers_and_percentages():
    assert parse_number("62.6%") == pytest.approx(0.626)
    # Exactly the float of the decimal typed, not 11.70 / 100 (0.11699999999999999).
    assert parse_number("11.70%") == 0.117
    assert parse_number("2,727") == 2727
    assert parse_number(0.82) == 0.82
    with pytest.raises(ValueError, match="'east' is not a number"):
        parse_number("east")


@pytest.mark.parametrize(
    "typed",
    ["31/03/2025", "31.03.2025", "31-03-2025", "2025-03-31", "31st March 2025", "31 March 2025", "31 Mar 2025",
     "March 31, 2025", "31/03/25", "2025-03-31 00:00:00", 45747, 45747.0, dt.date(2025, 3, 31),
     dt.datetime(2025, 3, 31, 14, 5)],
)
def test_dates(typed):
    assert parse_date(typed) == dt.date(2025, 3, 31)


def test_day_first_is_the_uk_reading():
    assert parse_date("01/02/2024") == dt.date(2024, 2, 1)


def test_month_only_is_rejected_as_ambiguous():
    with pytest.raises(ValueError, match="'March 2025' gives a month but no day, so the date is ambiguous"):
        parse_date("March 2025")


@pytest.mark.parametrize("bad, words", [("31/02/2025", "not a real date"), ("next Tuesday", "not a date"), ("Q3", "not a date")])
def test_bad_dates(bad, words):
    with pytest.raises(ValueError, match=words):
        parse_date(bad)


def test_yes_no():
    assert [parse_yes_no(v) for v in ("Yes", "y", "TRUE", "no", "N", 0, 1, None, "")] == [
        True, True, True, False, False, False, True, None, None]
    with pytest.raises(ValueError, match="'maybe' is not yes or no"):
        parse_yes_no("maybe")


def test_email():
    assert is_email("jo.bloggs@peterborough.gov.uk")
    assert not is_email("jo.bloggs@")
    assert not is_email("jo bloggs@x.gov.uk")
    assert not is_email("jo@@x.gov.uk")
    assert not is_email("a..b@x.gov.uk")


def test_clean_text_folds_spaces_and_keeps_paragraphs():
    assert clean_text("  Key\u00a0activities:\u00a0\u00a0done  ") == "Key activities: done"
    assert clean_text("Line one\r\n\r\n  Line two ") == "Line one\n\nLine two"
    assert clean_text("   ") is None


def test_cell_text_reads_a_cell_as_a_person_sees_it():
    from etl.rules.values import cell_text

    assert cell_text(5.0) == "5" and cell_text(5.5) == "5.5"
    assert cell_text(dt.date(2023, 9, 1)) == "01/09/2023"
    # A cell holding only invisible characters is blank (a table row of them is an empty row).
    assert cell_text("\u200b") is None and cell_text("\u00a0 \u00a0") is None
    assert cell_text("  Agree  the\u00a0plan ") == "Agree the plan"
