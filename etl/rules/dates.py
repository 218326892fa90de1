"""Dates as the office reads and writes them: UK display, long dates, and the ISO text the
store keeps. One home for each, so every workbook, e-mail and message says a date the same
way. (The plausible range of dates is a setting: `etl.config.Settings.earliest_date`.)
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def uk_date(value: Any, with_time: bool = False) -> str:
    """`06/10/2023` (and `06/10/2023 09:30` with `with_time` when the time is not midnight);
    anything that is not a date is shown as it is."""
    if isinstance(value, dt.datetime):
        if with_time and value.time() != dt.time(0):
            return value.strftime("%d/%m/%Y %H:%M")
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)


def long_date(day: dt.date) -> str:
    """`Tuesday 14 November 2023`: how a deadline reads in a letter or on a template."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def day_month_year(day: dt.date) -> str:
    """`14 November 2023`: a date in running text, without the weekday."""
    return f"{day.day} {day:%B %Y}"


def stored_date(value: Any) -> dt.date | None:
    """A date or time the store keeps as ISO text (`2023-10-06`, `2023-10-06T09:30:00`), as a date."""
    if not value:
        return None
    if isinstance(value, dt.date):
        return value if not isinstance(value, dt.datetime) else value.date()
    return dt.date.fromisoformat(str(value)[:10])


def stored_date_or_text(value: Any) -> Any:
    """Like `stored_date`, but text that is not an ISO date is returned as it is (a typed value)."""
    if isinstance(value, str):
        try:
            return stored_date(value)
        except ValueError:
            return value
    return stored_date(value) if isinstance(value, dt.date) else value
