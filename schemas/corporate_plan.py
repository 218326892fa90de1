"""The corporate plan's two tables: Priority Activities and the Investment Fund Gateway Review.

Both sit in one input workbook (`inputs/corporate_plan.xlsx`, sheets `Priority Activities`
and `Gateway Review`) or each in a CSV of its own. As for the other officers' tables, the
schemas validate the raw cells so a failure can quote what was typed, with row, column and
cell. Directorates are the office's setting; RAG is the five-point project scale.
"""

from __future__ import annotations

import pandera.pandas as pa

from etl.contracts.tables import CheckMessage
from etl.rules import rag, values
from schemas.checks import canonical_choice, column, element, parser_reason, parses, required

ACTIVITIES_SHEET = "Priority Activities"
GATEWAY_SHEET = "Gateway Review"

ACTIVITY_HEADERS: dict[str, str] = {
    "Directorate": "directorate",
    "Business Plan": "business_plan",
    "Activity": "activity",
    "Lead": "lead",
    "Due Date": "due",
    "RAG": "rag",
    "Commentary": "commentary",
}
ACTIVITY_OPTIONAL: tuple[str, ...] = ("Business Plan", "Lead", "Commentary")

GATEWAY_HEADERS: dict[str, str] = {
    "Commitment": "commitment",
    "Theme": "theme",
    "Evaluation Milestone": "milestone",
    "Due": "due",
    "Status": "status",
    "Commentary": "commentary",
}
GATEWAY_OPTIONAL: tuple[str, ...] = ("Theme", "Status", "Commentary")


def normalise_directorate(value: object, directorates: tuple[str, ...]) -> str | None:
    """The directorate a typed name means (any case); None when blank; else `ValueError`."""
    text = values.clean_text(value)
    if text is None:
        return None
    choice = canonical_choice(text.replace("&", "and"), directorates)
    if choice is None:
        raise ValueError(f"'{text}' is not a directorate: use one of {', '.join(directorates)}")
    return choice


_DATE = CheckMessage(parser_reason(values.parse_date, "'{value}' is not a date"))


def activity_messages(directorates: tuple[str, ...]) -> dict[str, CheckMessage]:
    return {
        "directorate_required": CheckMessage(
            lambda v: f"Directorate is blank: use one of {', '.join(directorates)}"),
        "directorate": CheckMessage(parser_reason(lambda v: normalise_directorate(v, directorates))),
        "activity_required": CheckMessage(lambda v: "Activity is blank: say what the priority activity is"),
        "date": _DATE,
        "rag": CheckMessage(parser_reason(rag.normalise_rag)),
    }


def activity_schema(directorates: tuple[str, ...]) -> pa.DataFrameSchema:
    columns = {key: column() for key in ACTIVITY_HEADERS.values()}
    columns.update(
        directorate=column(element(parses(lambda v: normalise_directorate(v, directorates)), "directorate"),
                           required("directorate_required")),
        activity=column(required("activity_required")),
        due=column(element(parses(values.parse_date), "date")),
        rag=column(element(parses(rag.normalise_rag), "rag")),
    )
    return pa.DataFrameSchema(columns, strict=False, name="priority_activities")


def gateway_messages() -> dict[str, CheckMessage]:
    return {
        "commitment_required": CheckMessage(lambda v: "Commitment is blank: name the devolution-deal commitment"),
        "milestone_required": CheckMessage(lambda v: "Evaluation Milestone is blank: say what is evaluated when"),
        "date": _DATE,
    }


def gateway_schema() -> pa.DataFrameSchema:
    columns = {key: column() for key in GATEWAY_HEADERS.values()}
    columns.update(
        commitment=column(required("commitment_required")),
        milestone=column(required("milestone_required")),
        due=column(element(parses(values.parse_date), "date")),
    )
    return pa.DataFrameSchema(columns, strict=False, name="gateway_review")
