"""Settings an office may change: districts, due day, size limits, chase rules.

Defaults follow docs/design.md. An office overrides them in `<inputs>/pmo.toml`, e.g.::

    due_working_day = 8
    districts = ["Cambridge", "Fenland"]
    max_return_mb = 30
    committees = ["Skills and Employment", "Transport and Infrastructure"]

Unknown keys are an error (a typo should not silently fall back to a default), and every
value is checked against the type of its `Settings` field (a setting added later is checked
too, with no code of its own): the message names the key and the type expected.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
import types
import typing
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from etl.errors import ConfigError

#: The default plausible range of dates: outside it a date is a typing slip (a year 1025 or
#: 2205), not a real plan. Offices may change it (`earliest_date`, `latest_date`).
EARLIEST_DATE, LATEST_DATE = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
#: The largest amount of money a project plausibly states (more is a typing slip): £100bn.
LARGEST_AMOUNT = 100e9

DEFAULT_DISTRICTS = (
    "Cambridge",
    "East Cambridgeshire",
    "Fenland",
    "Huntingdonshire",
    "Peterborough",
    "South Cambridgeshire",
)
AREA_WIDE = "Area-wide"
#: The thematic committees of the Performance Management Framework (seed 004).
DEFAULT_COMMITTEES = (
    "Skills and Employment",
    "Environment and Sustainable Communities",
    "Transport and Infrastructure",
    "Business Board",
)
#: The directorates whose business plans hold the Priority Activities.
DEFAULT_DIRECTORATES = (
    "Chief Executive's Office",
    "Economy and Growth",
    "Place and Connectivity",
    "Resources and Performance",
    "Skills and Employment",
)
#: Settings that are lists of names.
_NAME_LISTS = ("districts", "committees", "directorates")
SETTINGS_FILE = "pmo.toml"
IMAP_SECURITY = ("tls", "starttls", "plain")
#: Fields the public dashboard publishes beyond those it is built on (see
#: `etl.cycle.dashboard.FIELDS`): none names an individual, holds an e-mail address, a
#: sponsor's comment or a risk. An office lists its own in `dashboard_public_fields`.
DASHBOARD_PUBLIC_FIELDS = (
    "programme", "delivery_organisation", "project_description", "project_outcomes",
    "agreed_completion_date", "forecast_completion_date", "next_key_milestone",
    "next_key_milestone_date", "progress_summary", "rag_history",
)


@dataclass(frozen=True)
class Settings:
    """Office-level settings, with the design's defaults (docs/design.md)."""

    districts: tuple[str, ...] = DEFAULT_DISTRICTS
    # Returns are due on this working day of the month after the period.
    due_working_day: int = 10
    # Bank holidays of this part of the UK are not working days.
    holiday_subdivision: str = "ENG"
    max_return_mb: float = 20.0
    chase_escalate_after_days: int = 10
    # Days after the due date a missing return is chased; a register built for a past period
    # is, by default, as at the due date plus this.
    chase_interval_days: int = 5
    chase_escalation_email: str = ""
    office_name: str = "Programme Office"
    office_email: str = "pmo@example.gov.uk"
    authority_name: str = "Cambridgeshire and Peterborough Combined Authority"
    # One plausibility rule for every date and amount entered (portfolio, template, return):
    # outside these it is a typing slip (a year 1025 or 2205, £4.6bn typed as 4.6e15).
    earliest_date: dt.date = EARLIEST_DATE
    latest_date: dt.date = LATEST_DATE
    largest_amount: float = LARGEST_AMOUNT

    def plausible_date(self, day: dt.date) -> bool:
        return self.earliest_date <= day <= self.latest_date

    def plausible_amount(self, amount: float) -> bool:
        return abs(amount) <= self.largest_amount
    # The office's clock (IANA name): an e-mailed return's Date is read in this time zone,
    # so one stamped 23:30 UTC on the due day in summer (00:30 BST the next day) is late.
    timezone: str = "Europe/London"
    # The office mailbox `pmo collect` reads (issue 16); the password only from PMO_IMAP_PASSWORD.
    imap_host: str = ""
    imap_port: int = 0  # 0: 993 for "tls", 143 otherwise
    imap_user: str = ""
    imap_folder: str = "INBOX"
    # "tls" (from the start), "starttls", or "plain" (refused unless the host is this machine).
    imap_security: str = "tls"
    # A certificate file to trust besides the system's (a server with its own certificate).
    imap_ca_file: str = ""
    # Folders to move taken messages to; empty: leave them where they are. Mail is never deleted.
    imap_processed_folder: str = ""
    imap_rejected_folder: str = ""
    # The corporate performance report: its committees, directorates and the paper's cover.
    committees: tuple[str, ...] = DEFAULT_COMMITTEES
    directorates: tuple[str, ...] = DEFAULT_DIRECTORATES
    paper_meeting: str = "Combined Authority Board"
    paper_author: str = "Head of Policy and Performance"
    # The public dashboard: the district boundaries it maps (a GeoJSON file; relative to the
    # inputs folder; blank: the six districts bundled with pmo) and the fields it publishes.
    dashboard_boundaries: str = ""
    dashboard_public_fields: tuple[str, ...] = DASHBOARD_PUBLIC_FIELDS

    @property
    def allowed_districts(self) -> tuple[str, ...]:
        return (*self.districts, AREA_WIDE)


def load_settings(inputs_dir: Path | str | None) -> Settings:
    """Settings from `<inputs_dir>/pmo.toml` when it exists, else the defaults."""
    settings = Settings()
    if inputs_dir is None:
        return settings
    path = Path(inputs_dir) / SETTINGS_FILE
    if not path.exists():
        return settings
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read settings: {exc}") from exc
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    hints = typing.get_type_hints(Settings)
    for key in sorted(data):
        try:
            data[key] = _typed(data[key], hints[key])
        except TypeError:
            names = key in _NAME_LISTS or key == "dashboard_public_fields"
            expected = "a list of names" if names else _expected(hints[key])
            raise ConfigError(f"{path}: '{key}' must be {expected}, not {_shown(data[key])}") from None
    for key in _NAME_LISTS:
        if key in data:
            names = data[key]
            if not names or not all(d.strip() for d in names):
                raise ConfigError(f"{path}: '{key}' must be a list of names")
            data[key] = tuple(d.strip() for d in names)
    if "dashboard_public_fields" in data:  # may be empty: publish only what the dashboard is built on
        data["dashboard_public_fields"] = tuple(d.strip() for d in data["dashboard_public_fields"])
    if "due_working_day" in data:
        day = data["due_working_day"]
        if not isinstance(day, int) or not 1 <= day <= 20:
            raise ConfigError(f"{path}: 'due_working_day' must be a whole number from 1 to 20, not {day!r}")
    if "timezone" in data:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(str(data["timezone"]))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"{path}: 'timezone' {data['timezone']!r} is not a time zone name "
                              "(e.g. Europe/London)") from exc
    if data.get("imap_security", "tls") not in IMAP_SECURITY:
        raise ConfigError(f"{path}: 'imap_security' must be one of {', '.join(IMAP_SECURITY)}, "
                          f"not {data['imap_security']!r}")
    for key in ("earliest_date", "latest_date"):
        if key in data and (not isinstance(data[key], dt.date) or isinstance(data[key], dt.datetime)):
            raise ConfigError(f"{path}: '{key}' must be a date written like 2000-01-01 (no quotes), not {data[key]!r}")
    for key in ("chase_interval_days",):
        if key in data and (not isinstance(data[key], int) or isinstance(data[key], bool) or not 0 <= data[key] <= 90):
            raise ConfigError(f"{path}: '{key}' must be a whole number of days from 0 to 90, not {data[key]!r}")
    if "largest_amount" in data:
        amount = data["largest_amount"]
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not 0 < amount < 1e15:
            raise ConfigError(f"{path}: 'largest_amount' must be a number of pounds above 0 (e.g. 100e9), not {amount!r}")
        data["largest_amount"] = float(amount)
    settings = replace(settings, **data)
    if settings.earliest_date >= settings.latest_date:
        raise ConfigError(f"{path}: 'earliest_date' must be before 'latest_date'")
    return settings


def _typed(value: Any, hint: Any) -> Any:
    """`value` as the field's type wants it (a TOML array becomes a tuple); `TypeError` if it is not one."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        for arm in args:
            try:
                return _typed(value, arm)
            except TypeError:
                continue
        raise TypeError
    if origin in (tuple, list):
        if not isinstance(value, list):
            raise TypeError
        item = args[0] if args else Any
        items = [_typed(v, item) for v in value]
        return tuple(items) if origin is tuple else items
    if hint is Any:
        return value
    if hint is type(None):
        if value is not None:
            raise TypeError
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise TypeError
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise TypeError
        return float(value)
    if isinstance(hint, type) and not isinstance(value, hint):
        raise TypeError
    return value


_TYPE_WORDS = {str: "text (in quotes)", int: "a whole number", float: "a number", bool: "true or false",
               dt.date: "a date written like 2000-01-01 (no quotes)"}


def _expected(hint: Any) -> str:
    """The type a setting wants, in words, e.g. `a list of text (in quotes)`."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_expected(a) for a in args if a is not type(None))
    if origin in (tuple, list):
        return f"a list of {_expected(args[0])}" if args and args[0] is not Any else "a list"
    return _TYPE_WORDS.get(hint, getattr(hint, "__name__", str(hint)))


def _shown(value: Any) -> str:
    """What was given, briefly (a huge value is not echoed in full)."""
    kinds = {str: "text", bool: "true/false", int: "a whole number", float: "a number", list: "a list",
             dict: "a table", (dt.date, dt.time): "a date/time"}
    kind = next((word for t, word in kinds.items() if isinstance(value, t)), type(value).__name__)
    text = repr(value)
    return f"{kind} {text if len(text) <= 40 else text[:37] + '...'}"

