"""Reporting periods and the rules of who reports what, when (seed 004, "Project reporting").

A period is a calendar month, written `YYYY-MM`. Frequency follows expected delivery cost
(up to £1m quarterly; over £1m up to £5m every two months; over £5m monthly) unless an
Executive Director has overridden it. Quarterly returns fall in June, September, December
and March; two-monthly returns in even months; monthly every month. Delivery projects
return the full report, Concept and Business Case projects the simplified one, Pipeline
projects pause and Closed projects stop. A return is due on a working day of the next month.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

MONTHLY = "Monthly"
BI_MONTHLY = "Bi-monthly"
QUARTERLY = "Quarterly"
FREQUENCIES: tuple[str, ...] = (MONTHLY, BI_MONTHLY, QUARTERLY)

PIPELINE, CONCEPT, BUSINESS_CASE, DELIVERY, CLOSED = (
    "Pipeline", "Concept", "Business Case", "Delivery", "Closed",
)
STAGES: tuple[str, ...] = (PIPELINE, CONCEPT, BUSINESS_CASE, DELIVERY, CLOSED)

FULL = "Full"
SIMPLIFIED = "Simplified"
REPORT_TYPES: tuple[str, ...] = (FULL, SIMPLIFIED)

RECEIVED, RECEIVED_LATE, MISSING, NOT_DUE, PAUSED = (
    "Received", "Received late", "Missing", "Not due", "Paused",
)
#: Due but not in yet, before the due date has passed (after it, Missing).
AWAITED = "Awaited"
#: A return received that says the project is not rated this period (with a reason).
from etl.rules.rag import NOT_RATED  # noqa: E402  (one spelling for the status and the choice)
RETURN_STATUSES: tuple[str, ...] = (RECEIVED, RECEIVED_LATE, NOT_RATED, AWAITED, MISSING, NOT_DUE, PAUSED)

QUARTERLY_THRESHOLD = 1_000_000  # up to and including: quarterly
BI_MONTHLY_THRESHOLD = 5_000_000  # up to and including: two-monthly; above: monthly

_MONTHS_COVERED = {MONTHLY: 1, BI_MONTHLY: 2, QUARTERLY: 3}


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month, the unit of reporting."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} is not 1 to 12")
        if not 1900 <= self.year <= 9999:
            raise ValueError(f"year {self.year} is out of range")

    @classmethod
    def parse(cls, text: "str | Period") -> "Period":
        """From `YYYY-MM` (the only accepted spelling, so file names sort and match)."""
        if isinstance(text, Period):
            return text
        m = re.fullmatch(r"\s*(\d{4})-(\d{2})\s*", str(text))
        if not m:
            raise ValueError(f"'{text}' is not a period: write it as YYYY-MM, e.g. 2024-09")
        try:
            return cls(int(m[1]), int(m[2]))
        except ValueError as exc:
            raise ValueError(f"'{text}' is not a period: {exc}") from exc

    @classmethod
    def of(cls, day: dt.date) -> "Period":
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shift(self, months: int) -> "Period":
        index = self.year * 12 + (self.month - 1) + months
        return Period(index // 12, index % 12 + 1)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def label(self) -> str:
        """`September 2024`."""
        return f"{calendar.month_name[self.month]} {self.year}"


def frequency_for_cost(cost: float) -> str:
    """The reporting frequency the delivery cost sets (boundaries inclusive at £1m and £5m)."""
    if cost < 0:
        raise ValueError(f"delivery cost {cost:,.0f} is negative")
    if cost <= QUARTERLY_THRESHOLD:
        return QUARTERLY
    if cost <= BI_MONTHLY_THRESHOLD:
        return BI_MONTHLY
    return MONTHLY


def normalise_frequency(value: object) -> str | None:
    """`Monthly`, `Bi-monthly` or `Quarterly` from typed variants; blank → None."""
    if value is None:
        return None
    text = str(value).replace("\u00a0", " ").strip()
    if not text:
        return None
    key = re.sub(r"[\s\-_]+", "", text.lower())
    aliases = {
        "monthly": MONTHLY, "everymonth": MONTHLY,
        "bimonthly": BI_MONTHLY, "twomonthly": BI_MONTHLY, "everytwomonths": BI_MONTHLY,
        "quarterly": QUARTERLY, "everyquarter": QUARTERLY,
    }
    if key not in aliases:
        raise ValueError(f"'{text}' is not a reporting frequency: use {', '.join(FREQUENCIES)} or leave blank")
    return aliases[key]


def reporting_frequency(cost: float | None, override: str | None = None) -> str | None:
    """The override when an Executive Director set one, else the frequency the cost sets."""
    if override:
        return override
    if cost is None:
        return None
    return frequency_for_cost(cost)


def reports_in(frequency: str, period: Period) -> bool:
    """Whether a project of this frequency returns a report for this period."""
    if frequency == MONTHLY:
        return True
    if frequency == BI_MONTHLY:
        return period.month % 2 == 0
    if frequency == QUARTERLY:
        return period.month % 3 == 0  # June, September, December, March
    raise ValueError(f"unknown frequency {frequency!r}")


def report_type(stage: str) -> str | None:
    """Full for Delivery, Simplified for Concept and Business Case, None for Pipeline/Closed."""
    if stage == DELIVERY:
        return FULL
    if stage in (CONCEPT, BUSINESS_CASE):
        return SIMPLIFIED
    if stage in (PIPELINE, CLOSED):
        return None
    raise ValueError(f"unknown stage {stage!r}")


def is_due(stage: str, frequency: str | None, period: Period) -> bool:
    """Whether a project at this stage and frequency owes a return for the period."""
    return report_type(stage) is not None and frequency is not None and reports_in(frequency, period)


def reporting_window(frequency: str, period: Period) -> tuple[dt.date, dt.date]:
    """First and last day a return covers: the one, two or three months ending with the period."""
    months = _MONTHS_COVERED[frequency]
    return period.shift(-(months - 1)).first_day, period.last_day


@lru_cache(maxsize=64)
def _holidays(subdivision: str, year: int) -> frozenset[dt.date]:
    import holidays  # imported on first use: only due-date work needs it

    return frozenset(holidays.country_holidays("GB", subdiv=subdivision, years=year))


def is_working_day(day: dt.date, subdivision: str = "ENG") -> bool:
    """Monday to Friday and not a bank holiday in that part of the UK."""
    return day.weekday() < 5 and day not in _holidays(subdivision, day.year)


def nth_working_day(year: int, month: int, n: int, subdivision: str = "ENG") -> dt.date:
    """The n-th working day (1-based) of a month."""
    if n < 1:
        raise ValueError("n must be at least 1")
    day, count = dt.date(year, month, 1), 0
    while True:
        if is_working_day(day, subdivision):
            count += 1
            if count == n:
                return day
        day += dt.timedelta(days=1)
        if day.month != month:
            raise ValueError(f"{year}-{month:02d} has fewer than {n} working days")


def due_date(period: Period, working_day: int = 10, subdivision: str = "ENG") -> dt.date:
    """When a return for the period is due: that working day of the following month."""
    following = period.shift(1)
    return nth_working_day(following.year, following.month, working_day, subdivision)


def return_status(
    stage: str,
    due: bool,
    received_on: dt.date | None,
    due_on: dt.date | None,
    as_of: dt.date | None = None,
    not_rated: bool = False,
) -> str:
    """Received, Received late, Not rated, Awaited, Missing, Not due or Paused, for one project
    and period.

    A return not in yet is Awaited until the due date has passed on `as_of` (Missing after
    it; without `as_of`, Missing). A return that says the project is not rated this period
    is Not rated, whenever it came: it is neither chased nor counted as missing.
    """
    if stage == PIPELINE:
        return PAUSED
    if received_on is not None:
        if not_rated:
            return NOT_RATED
        if due_on is not None and received_on > due_on:
            return RECEIVED_LATE
        return RECEIVED
    if not due:
        return NOT_DUE
    if as_of is not None and due_on is not None and as_of <= due_on:
        return AWAITED
    return MISSING
