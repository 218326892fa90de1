"""Reporting rules: frequency by cost, overrides, reporting months, report types, due dates."""

import datetime as dt

import pytest

from etl.rules import periods
from etl.rules.periods import (
    BI_MONTHLY, MONTHLY, QUARTERLY, Period, due_date, frequency_for_cost, is_due, normalise_frequency,
    nth_working_day, report_type, reporting_frequency, reporting_window, reports_in, return_status,
)


@pytest.mark.parametrize(
    "cost, expected",
    [
        (0, QUARTERLY), (85_000, QUARTERLY), (999_999.99, QUARTERLY),
        (1_000_000, QUARTERLY), (1_000_000.01, BI_MONTHLY), (1_000_001, BI_MONTHLY),
        (4_999_999, BI_MONTHLY), (5_000_000, BI_MONTHLY),
        (5_000_000.01, MONTHLY), (5_000_001, MONTHLY), (148_000_000, MONTHLY),
    ],
)
def test_frequency_boundaries(cost, expected):
    assert frequency_for_cost(cost) == expected


def test_negative_cost_is_an_error():
    with pytest.raises(ValueError, match="negative"):
        frequency_for_cost(-1)


def test_override_wins_over_cost():
    assert reporting_frequency(500_000, MONTHLY) == MONTHLY
    assert reporting_frequency(50_000_000, QUARTERLY) == QUARTERLY
    assert reporting_frequency(2_000_000, None) == BI_MONTHLY
    assert reporting_frequency(None, None) is None


@pytest.mark.parametrize(
    "typed, expected",
    [("Monthly", MONTHLY), ("monthly ", MONTHLY), ("Bi-monthly", BI_MONTHLY), ("bimonthly", BI_MONTHLY),
     ("Two-monthly", BI_MONTHLY), ("QUARTERLY", QUARTERLY), ("", None), (None, None)],
)
def test_frequency_spellings(typed, expected):
    assert normalise_frequency(typed) == expected


def test_unknown_frequency_quotes_the_value():
    with pytest.raises(ValueError, match="'Weekly' is not a reporting frequency"):
        normalise_frequency("Weekly")


# Every month of a financial year: which frequencies report.
YEAR = {
    # month: (monthly, bi-monthly, quarterly)
    1: (True, False, False), 2: (True, True, False), 3: (True, False, True),
    4: (True, True, False), 5: (True, False, False), 6: (True, True, True),
    7: (True, False, False), 8: (True, True, False), 9: (True, False, True),
    10: (True, True, False), 11: (True, False, False), 12: (True, True, True),
}


@pytest.mark.parametrize("month", range(1, 13))
def test_reporting_months_for_every_month_of_the_year(month):
    period = Period(2024, month)
    assert (reports_in(MONTHLY, period), reports_in(BI_MONTHLY, period), reports_in(QUARTERLY, period)) == YEAR[month]


def test_quarters_are_the_financial_year_quarter_ends():
    assert [m for m in range(1, 13) if reports_in(QUARTERLY, Period(2025, m))] == [3, 6, 9, 12]


def test_documents_july_august_report_ends_in_august():
    assert reports_in(BI_MONTHLY, Period(2023, 8)) and not reports_in(BI_MONTHLY, Period(2023, 7))
    assert reporting_window(BI_MONTHLY, Period(2023, 8)) == (dt.date(2023, 7, 1), dt.date(2023, 8, 31))


@pytest.mark.parametrize(
    "frequency, period, window",
    [
        (MONTHLY, "2024-02", ("2024-02-01", "2024-02-29")),
        (BI_MONTHLY, "2024-02", ("2024-01-01", "2024-02-29")),
        (QUARTERLY, "2024-03", ("2024-01-01", "2024-03-31")),
        (QUARTERLY, "2025-01", ("2024-11-01", "2025-01-31")),
    ],
)
def test_reporting_window(frequency, period, window):
    assert reporting_window(frequency, Period.parse(period)) == tuple(dt.date.fromisoformat(d) for d in window)


@pytest.mark.parametrize(
    "stage, expected",
    [("Delivery", "Full"), ("Concept", "Simplified"), ("Business Case", "Simplified"), ("Pipeline", None), ("Closed", None)],
)
def test_report_type_by_stage(stage, expected):
    assert report_type(stage) == expected


def test_unknown_stage_is_an_error():
    with pytest.raises(ValueError):
        report_type("Feasibility")


def test_pipeline_and_closed_are_never_due():
    for month in range(1, 13):
        assert not is_due("Pipeline", MONTHLY, Period(2024, month))
        assert not is_due("Closed", MONTHLY, Period(2024, month))
        assert is_due("Concept", MONTHLY, Period(2024, month))


@pytest.mark.parametrize(
    "period, expected",
    [
        # 10th working day of the following month, weekends and England's bank holidays excluded.
        ("2024-09", "2024-10-14"),
        ("2023-09", "2023-10-13"),
        ("2023-08", "2023-09-14"),
        ("2023-12", "2024-01-15"),  # 1 January is a bank holiday
        ("2024-03", "2024-04-15"),  # Easter Monday 1 April 2024
        ("2023-04", "2023-05-16"),  # 1 May and the coronation bank holiday on 8 May 2023
        ("2024-07", "2024-08-14"),
        ("2024-11", "2024-12-13"),
    ],
)
def test_due_dates(period, expected):
    assert due_date(Period.parse(period)) == dt.date.fromisoformat(expected)


@pytest.mark.parametrize("month", range(1, 13))
def test_due_date_every_month_is_a_working_day_in_the_next_month(month):
    day = due_date(Period(2025, month))
    following = Period(2025, month).shift(1)
    assert (day.year, day.month) == (following.year, following.month)
    assert day.weekday() < 5 and periods.is_working_day(day)
    working_before = sum(periods.is_working_day(following.first_day + dt.timedelta(d)) for d in range(day.day - 1))
    assert working_before == 9


def test_due_working_day_is_configurable():
    assert due_date(Period(2024, 9), working_day=1) == dt.date(2024, 10, 1)
    assert nth_working_day(2024, 12, 17) == dt.date(2024, 12, 24)
    assert nth_working_day(2024, 12, 18) == dt.date(2024, 12, 27)  # 25 and 26 December excluded


def test_period_parsing():
    assert str(Period.parse("2024-09")) == "2024-09"
    assert Period.parse(" 2024-09 ").label == "September 2024"
    assert Period.parse("2024-12").shift(1) == Period(2025, 1)
    assert Period.parse("2025-01").shift(-1) == Period(2024, 12)
    assert Period(2024, 2).last_day == dt.date(2024, 2, 29)
    for bad in ["2024-9", "09-2024", "2024-13", "September 2024", "2024/09", ""]:
        with pytest.raises(ValueError, match="not a period"):
            Period.parse(bad)


@pytest.mark.parametrize(
    "stage, due, received, expected",
    [
        ("Delivery", True, "2024-10-14", "Received"),
        ("Delivery", True, "2024-10-15", "Received late"),
        ("Delivery", True, None, "Missing"),
        ("Delivery", False, None, "Not due"),
        ("Closed", False, None, "Not due"),
        ("Pipeline", False, None, "Paused"),
        ("Concept", True, "2024-10-01", "Received"),
    ],
)
def test_return_status(stage, due, received, expected):
    received_on = dt.date.fromisoformat(received) if received else None
    assert return_status(stage, due, received_on, dt.date(2024, 10, 14)) == expected
