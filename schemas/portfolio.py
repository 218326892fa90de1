"""The portfolio contract: its headers, and a pandera schema over the values as typed.

The schema validates the raw cells (after blank cells become None), so every failure
still holds what the officer typed and can be quoted back. `build_schema` takes the
office's settings because the districts are configurable. Each check is named; the
loader turns a check name into a message with `messages`.
"""

from __future__ import annotations

from typing import Callable

import pandera.pandas as pa

from etl.rules import periods
from etl.rules import values
from etl.config import Settings
from etl.rules.dates import uk_date
from etl.contracts.tables import CheckMessage
from schemas.checks import blank, canonical_choice, column, element, parser_reason, parses, required

#: Header as officers write it → the field name used in code. Order is the contract's.
HEADERS: dict[str, str] = {
    "Project ID": "project_id",
    "Project Name": "project_name",
    "Programme": "programme",
    "Directorate": "directorate",
    "Service": "service",
    "District": "district",
    "Stage": "stage",
    "Delivery Cost (£)": "delivery_cost",
    "Frequency Override": "frequency_override",
    "Override Reason": "override_reason",
    "Sponsor": "sponsor",
    "Project Manager": "project_manager",
    "Project Manager Email": "project_manager_email",
    "Delivery Organisation": "delivery_organisation",
    "Internal Representative": "internal_representative",
    "Internal Representative Email": "internal_representative_email",
    "Agreed Completion Date": "agreed_completion_date",
    "Most Complex": "most_complex",
    "Latitude": "latitude",
    "Longitude": "longitude",
    "Most Complex Reason": "most_complex_reason",
    # Optional (issue 13): "no" keeps a commercially sensitive project off the public dashboard.
    "Publish": "publish",
}
#: Columns a portfolio may leave out (older portfolios predate them).
OPTIONAL_HEADERS: tuple[str, ...] = ("Most Complex Reason", "Publish")
COLUMN_HEADER = {key: header for header, key in HEADERS.items()}


def _money_non_negative(value: object) -> bool:
    try:
        amount = values.parse_money(value)
    except ValueError:
        return True  # reported by the "money" check
    return amount is None or amount >= 0


def _plausible(parser: Callable[[object], object], plausible: Callable[[object], bool]) -> Callable[[object], bool]:
    """True unless the value parses to something outside the office's plausible range
    (a value that does not parse is reported by its own check)."""
    def check(value: object) -> bool:
        try:
            parsed = parser(value)
        except ValueError:
            return True
        return parsed is None or plausible(parsed)

    return check


def _in_range(low: float, high: float) -> Callable[[object], bool]:
    def check(value: object) -> bool:
        try:
            number = values.parse_number(value)
        except ValueError:
            return True  # reported by the "number" check
        return number is None or low <= number <= high

    return check


def _choice(choices: tuple[str, ...]) -> Callable[[object], bool]:
    return lambda value: canonical_choice(value, choices) is not None


def _reporting(frame) -> "object":
    stages = frame["stage"].map(lambda v: canonical_choice(v, periods.STAGES))
    return stages.map(lambda s: s in (periods.CONCEPT, periods.BUSINESS_CASE, periods.DELIVERY))


def messages(settings: Settings) -> dict[str, CheckMessage]:
    """Check name → how its failure is reported to the officer."""
    stages = ", ".join(periods.STAGES)
    return {
        "blank_id": CheckMessage(lambda v: "Project ID is blank: every project needs a unique Project ID"),
        "field_uniqueness": CheckMessage(
            lambda v: f"duplicate Project ID '{v}': each project must have its own ID", field="project_id"),
        "blank_name": CheckMessage(lambda v: "Project Name is blank"),
        "stage": CheckMessage(lambda v: f"'{v}' is not a stage: use one of {stages}"),
        "stage_required": CheckMessage(lambda v: f"Stage is blank: use one of {stages}"),
        "district": CheckMessage(
            lambda v: f"'{v}' is not a district: use one of {', '.join(settings.allowed_districts)}"),
        "money": CheckMessage(parser_reason(values.parse_money, "'{value}' is not an amount of money")),
        "non_negative": CheckMessage(lambda v: f"'{v}' is negative: a delivery cost cannot be below £0"),
        "implausible_amount": CheckMessage(
            lambda v: f"'{v}' is more than any project's cost could be (the office's limit is "
                      f"£{settings.largest_amount:,.0f}): check the number of digits"),
        "implausible_date": CheckMessage(
            lambda v: f"'{v}' is not a plausible date for a project (expected {uk_date(settings.earliest_date)} "
                      f"to {uk_date(settings.latest_date)}): check the year"),
        "cost_required": CheckMessage(
            lambda v: "Delivery Cost (£) is blank: it sets how often the project reports "
            "(or give a Frequency Override with its reason)",
            field="delivery_cost"),
        "frequency": CheckMessage(parser_reason(periods.normalise_frequency, "'{value}' is not a reporting frequency")),
        "override_reason": CheckMessage(
            lambda v: f"Override Reason is blank but Frequency Override is '{v}': record why the "
            "Executive Director changed the frequency",
            field="override_reason", value_from="frequency_override"),
        "email": CheckMessage(lambda v: f"'{v}' is not an email address"),
        "pm_email_required": CheckMessage(
            lambda v: "Project Manager Email is blank: the template is sent there, so a reporting "
            "project needs one",
            field="project_manager_email"),
        "date": CheckMessage(parser_reason(values.parse_date, "'{value}' is not a date")),
        "yes_no": CheckMessage(parser_reason(values.parse_yes_no, "'{value}' is not yes or no")),
        "number": CheckMessage(parser_reason(values.parse_number, "'{value}' is not a number")),
        "latitude_range": CheckMessage(lambda v: f"'{v}' is out of range: a latitude is between -90 and 90"),
        "longitude_range": CheckMessage(lambda v: f"'{v}' is out of range: a longitude is between -180 and 180"),
    }


def build_schema(settings: Settings) -> pa.DataFrameSchema:
    """The portfolio schema for an office's settings (its list of districts)."""
    email = element(values.is_email, "email")
    number = element(parses(values.parse_number), "number")
    columns = {key: column() for key in HEADERS.values()}
    columns.update(
        project_id=column(required("blank_id"), unique=True),
        project_name=column(required("blank_name")),
        stage=column(element(_choice(periods.STAGES), "stage"), required("stage_required")),
        district=column(element(_choice(settings.allowed_districts), "district")),
        delivery_cost=column(
            element(parses(values.parse_money), "money"),
            element(_money_non_negative, "non_negative"),
            element(_plausible(values.parse_money, settings.plausible_amount), "implausible_amount"),
        ),
        frequency_override=column(element(parses(periods.normalise_frequency), "frequency")),
        project_manager_email=column(email),
        internal_representative_email=column(email),
        agreed_completion_date=column(
            element(parses(values.parse_date), "date"),
            element(_plausible(values.parse_date, settings.plausible_date), "implausible_date"),
        ),
        most_complex=column(element(parses(values.parse_yes_no), "yes_no")),
        publish=column(element(parses(values.parse_yes_no), "yes_no")),
        latitude=column(number, element(_in_range(-90, 90), "latitude_range")),
        longitude=column(number, element(_in_range(-180, 180), "longitude_range")),
    )
    wide_checks = [
        # A reporting project needs a cost to set its frequency, unless it is overridden.
        pa.Check(
            lambda f: ~(_reporting(f) & f["delivery_cost"].map(blank) & f["frequency_override"].map(blank)),
            name="cost_required",
            ignore_na=False,
        ),
        pa.Check(
            lambda f: f["frequency_override"].map(blank) | ~f["override_reason"].map(blank),
            name="override_reason",
            ignore_na=False,
        ),
        pa.Check(
            lambda f: ~(_reporting(f) & f["project_manager_email"].map(blank)),
            name="pm_email_required",
            ignore_na=False,
        ),
    ]
    return pa.DataFrameSchema(columns, checks=wide_checks, strict=False, name="portfolio")
