"""The KPI sheet contract: its headers, and a pandera schema over the values as typed.

Like the portfolio schema, it validates the raw cells so every failure still holds what the
officer typed and can be quoted back with its row, column and cell. Figures may be numbers
(formatted as % or not) or text such as `62.6%` or `1,947`; the direction for improvement
may be `↑`/`↓` or a word (`Up`, `Higher`, `Lower`…); Status and Committee are closed lists.
"""

from __future__ import annotations

import re

import pandera.pandas as pa

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
}
OPTIONAL_HEADERS: tuple[str, ...] = ("Target", "Status", "Committee")
FIGURES: tuple[str, ...] = ("previous", "current", "target")

#: The thematic committees (seed 004, "Thematic performance reports").
COMMITTEES: tuple[str, ...] = (
    "Skills and Employment",
    "Environment and Sustainable Communities",
    "Transport and Infrastructure",
    "Business Board",
)


def normalise_committee(value: object) -> str | None:
    """The committee a typed name means (`Skills & Employment Committee` → `Skills and
    Employment`); None when blank. Raises `ValueError` for anything else."""
    text = values.clean_text(value)
    if text is None:
        return None
    folded = re.sub(r"\s+committee$", "", " ".join(text.replace("&", " and ").split()), flags=re.I)
    choice = canonical_choice(folded, COMMITTEES)
    if choice is None:
        raise ValueError(f"'{text}' is not a thematic committee: use one of {', '.join(COMMITTEES)}, or leave it blank")
    return choice


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


def messages() -> dict[str, CheckMessage]:
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
        "committee": CheckMessage(parser_reason(normalise_committee)),
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


def build_schema() -> pa.DataFrameSchema:
    """The KPI sheet schema: lazy validation reports every bad cell at once."""
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
        committee=column(element(parses(normalise_committee), "committee")),
    )
    wide_checks = [
        pa.Check(_target_with_status, name="target_with_status", ignore_na=False),
        pa.Check(_current_given, name="current_required", ignore_na=False),
    ]
    return pa.DataFrameSchema(columns, checks=wide_checks, strict=False, name="kpis")
