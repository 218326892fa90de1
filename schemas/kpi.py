"""The KPI sheet contract: its headers, and a pandera schema over the values as typed.

Like the portfolio schema, it validates the raw cells so every failure still holds what the
officer typed and can be quoted back with its row, column and cell. Figures may be numbers
(formatted as % or not) or text such as `62.6%` or `1,947`; the direction for improvement
may be `↑`/`↓` or a word (`Up`, `Higher`, `Lower`…); Status and Committee are closed lists
(the committees are the office's setting, matched leniently: case, `&`/`and`, a trailing
`Committee`). Optional columns carry the planned actions of a Red KPI (`Planned Actions`,
`Action Owner`, `Action Due`) and up to three comparators (`Comparator`/`Comparator Value`,
`Comparator 2`/`Comparator Value 2`, `Comparator 3`/`Comparator Value 3`).
"""

from __future__ import annotations

import re

import pandera.pandas as pa

from etl.config import DEFAULT_COMMITTEES
from etl.rules import kpi_rules
from etl.rules import values
from etl.contracts.tables import CheckMessage
from schemas.checks import blank, canonical_choice, column, element, parser_reason, parses, required

SHEET = "KPIs"

#: Header as officers write it → the field name used in code. Order is the contract's.
HEADERS: dict[str, str] = {
    "Scorecard Perspective": "perspective",
    "Strategic Objective": "objective",
    "Indicator of Progress": "indicator",
    "Metric": "metric",
    "Ownership": "ownership",
    "Reporting Period": "reporting_period",
    "Date of Latest Available Data": "latest_data",
    "Direction for Improvement": "direction",
    "Previous Period Performance": "previous",
    "Current Period Performance": "current",
    "Target": "target",
    "Status": "status",
    "Committee": "committee",
    "Planned Actions": "planned_actions",
    "Action Owner": "action_owner",
    "Action Due": "action_due",
    "Comparator": "comparator_1",
    "Comparator Value": "comparator_value_1",
    "Comparator 2": "comparator_2",
    "Comparator Value 2": "comparator_value_2",
    "Comparator 3": "comparator_3",
    "Comparator Value 3": "comparator_value_3",
}
#: Up to this many comparators per KPI, each a pair of columns (name, value).
MAX_COMPARATORS = 3
COMPARATOR_FIELDS: tuple[tuple[str, str], ...] = tuple(
    (f"comparator_{n}", f"comparator_value_{n}") for n in range(1, MAX_COMPARATORS + 1)
)
OPTIONAL_HEADERS: tuple[str, ...] = (
    "Target", "Status", "Committee", "Planned Actions", "Action Owner", "Action Due",
    *(h for h, f in HEADERS.items() if f.startswith("comparator")),
)
FIGURES: tuple[str, ...] = ("previous", "current", "target")

#: The thematic committees of the Framework (seed 004); an office sets its own in pmo.toml.
COMMITTEES: tuple[str, ...] = DEFAULT_COMMITTEES


def normalise_committee(value: object, committees: tuple[str, ...] = COMMITTEES) -> str | None:
    """The committee a typed name means (`Skills & Employment Committee` → `Skills and
    Employment`); None when blank. Raises `ValueError` for anything else."""
    text = values.clean_text(value)
    if text is None:
        return None
    folded = _committee_key(text)
    choice = next((c for c in committees if _committee_key(c) == folded), None)
    if choice is None:
        raise ValueError(f"'{text}' is not a thematic committee: use one of {', '.join(committees)}, or leave it blank")
    return choice


def _committee_key(text: str) -> str:
    """`Skills & Employment Committee` and `skills and employment` have the same key."""
    spaced = " ".join(text.replace("&", " and ").split()).casefold()
    return re.sub(r"\s+committee$", "", spaced)


def normalise_status(value: object) -> str | None:
    """Baseline, Contextual or In Development (any case); None when blank; else `ValueError`."""
    text = values.clean_text(value)
    if text is None:
        return None
    choice = canonical_choice(text, kpi_rules.KPI_STATUSES)
    if choice is None:
        raise ValueError(
            f"'{text}' is not a KPI status: use one of {', '.join(kpi_rules.KPI_STATUSES)}, or leave it blank "
            "for a KPI that is RAG rated"
        )
    return choice


def _status_of(value: object) -> str | None:
    try:
        return normalise_status(value)
    except ValueError:
        return None


def _comparator_named(name_field: str, value_field: str):
    def check(frame) -> "object":
        return frame[value_field].map(blank) | ~frame[name_field].map(blank)

    return check


def messages(committees: tuple[str, ...] = COMMITTEES) -> dict[str, CheckMessage]:
    """Check name → how its failure is reported to the performance officer."""
    return {
        "metric_required": CheckMessage(lambda v: "Metric is blank: every KPI needs its name (it keys its history)"),
        "field_uniqueness": CheckMessage(
            lambda v: f"duplicate Metric '{v}': each KPI must be listed once", field="metric"),
        "perspective_required": CheckMessage(lambda v: "Scorecard Perspective is blank: the scorecard is grouped by it"),
        "objective_required": CheckMessage(lambda v: "Strategic Objective is blank: the scorecard is grouped by it"),
        "direction_required": CheckMessage(
            lambda v: "Direction for Improvement is blank: use ↑ (higher is better) or ↓ (lower is better)"),
        "direction": CheckMessage(parser_reason(kpi_rules.normalise_direction)),
        "number": CheckMessage(parser_reason(values.parse_number)),
        "current_required": CheckMessage(
            lambda v: "Current Period Performance is blank: give this period's figure (or set Status to "
            "In Development while data collection is set up)",
            field="current", value_from="current"),
        "status": CheckMessage(parser_reason(normalise_status)),
        "committee": CheckMessage(parser_reason(lambda v: normalise_committee(v, committees))),
        "date": CheckMessage(parser_reason(values.parse_date, "'{value}' is not a date")),
        **{
            f"comparator_{n}_named": CheckMessage(
                lambda v: f"a comparator value ({v}) is given without the comparator's name: say what it is "
                "(e.g. England, Mayoral CA average)",
                field=name, value_from=value)
            for n, (name, value) in enumerate(COMPARATOR_FIELDS, start=1)
        },
        "target_with_status": CheckMessage(
            lambda v: f"a Target is given but Status is '{v}': a {v} KPI has no target (remove the target, or clear "
            "the status so the KPI is rated against it)",
            field="target", value_from="status"),
    }


def _target_with_status(frame) -> "object":
    statuses = frame["status"].map(_status_of)
    return statuses.isna() | frame["target"].map(blank)


def _current_given(frame) -> "object":
    statuses = frame["status"].map(_status_of)
    return (statuses == kpi_rules.IN_DEVELOPMENT) | ~frame["current"].map(blank)


def build_schema(committees: tuple[str, ...] = COMMITTEES) -> pa.DataFrameSchema:
    """The KPI sheet schema for an office's committees: lazy validation reports every bad cell at once."""
    number = element(parses(values.parse_number), "number")
    columns = {key: column() for key in HEADERS.values()}
    columns.update(
        perspective=column(required("perspective_required")),
        objective=column(required("objective_required")),
        metric=column(required("metric_required"), unique=True),
        direction=column(element(parses(kpi_rules.normalise_direction), "direction"), required("direction_required")),
        previous=column(number),
        current=column(number),
        target=column(number),
        status=column(element(parses(normalise_status), "status")),
        committee=column(element(parses(lambda v: normalise_committee(v, committees)), "committee")),
        action_due=column(element(parses(values.parse_date), "date")),
        **{value: column(number) for _, value in COMPARATOR_FIELDS},
    )
    wide_checks = [
        pa.Check(_target_with_status, name="target_with_status", ignore_na=False),
        pa.Check(_current_given, name="current_required", ignore_na=False),
        *(pa.Check(_comparator_named(name, value), name=f"comparator_{n}_named", ignore_na=False)
          for n, (name, value) in enumerate(COMPARATOR_FIELDS, start=1)),
    ]
    return pa.DataFrameSchema(columns, checks=wide_checks, strict=False, name="kpis")
