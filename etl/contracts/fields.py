"""The highlight-report fields: defined names, labels, kinds, and who fills them.

This is the template contract of docs/design.md in one table. The template writer lays the
fields out from it, ingest reads returns by these names, the store keeps a column for each
single-value field, and the register and highlight workbooks label their columns with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from etl.rules.periods import FULL, SIMPLIFIED
from etl.rules.rag import NOT_RATED_REASONS

#: 1.1 (issue 17) added "Not rated" to the status drop-down, with its reason and note.
TEMPLATE_VERSION = "1.1"
#: Every version this pmo's contract describes, oldest first (a field says which one added it).
TEMPLATE_VERSIONS: tuple[str, ...] = ("1.0", "1.1")
SHEET = "Highlight Report"
GUIDANCE_SHEET = "Guidance"
META_SHEET = "_meta"

MILESTONE_STATUSES: tuple[str, ...] = ("Completed", "On track", "At risk", "Delayed", "Not started")
RISK_RATINGS: tuple[str, ...] = ("High", "Medium", "Low")

BOTH = (FULL, SIMPLIFIED)


@dataclass(frozen=True)
class Field:
    """One single-value field of a highlight report."""

    name: str  # the workbook-level defined name
    label: str
    kind: str  # text, wrap, date, money, rag, period
    reports: tuple[str, ...] = BOTH
    prefilled: bool = False  # written by pmo from the portfolio or the store, locked
    required: bool = False  # must be filled for the return to be accepted
    help: str = ""
    since: str = "1.0"  # the template version that added it (older returns lack it)


@dataclass(frozen=True)
class Table:
    """A block of rows (milestones, risks): a defined name over all its rows and columns."""

    name: str
    label: str
    columns: tuple[tuple[str, str, str], ...]  # (key, header, kind)
    rows: int
    help: str = ""


FIELDS: tuple[Field, ...] = (
    Field("project_id", "Project ID", "text", prefilled=True, required=True),
    Field("project_name", "Project name", "text", prefilled=True, required=True),
    Field("period", "Reporting month", "period", prefilled=True, required=True),
    Field("reporting_period_start", "Reporting period from", "date", prefilled=True, required=True),
    Field("reporting_period_end", "Reporting period to", "date", prefilled=True, required=True),
    Field("sponsor", "Sponsor", "text", prefilled=True),
    Field("project_manager", "Project manager", "text", prefilled=True),
    Field("pmo_support", "PMO support", "text", help="Your contact in the Programme Office, if you have one."),
    Field("agreed_completion_date", "Agreed completion date", "date", prefilled=True),
    Field("forecast_completion_date", "Forecast completion date", "date", required=True,
          help="When you now expect the project to complete (dd/mm/yyyy)."),
    Field("project_description", "Project description", "wrap", required=True,
          help="What the project is delivering, in two or three sentences."),
    Field("project_outcomes", "Project outcomes", "wrap",
          help="The outcomes the project is expected to achieve."),
    Field("rag_previous", "Status previous period", "rag",
          help="Filled in by the Programme Office from your last accepted return."),
    Field("rag_this_period", "Status this period", "rag", required=True,
          help="Choose from the list: see the RAG definitions on the Guidance sheet. Choose "
               "'Not rated' only when the project cannot be rated this period, and say why below."),
    Field("not_rated_reason", "Not rated: reason", "not_rated_reason", since="1.1",
          help=f"Only when the status is 'Not rated': choose {', '.join(NOT_RATED_REASONS)}."),
    Field("not_rated_note", "Not rated: explanation", "wrap", since="1.1",
          help="Only when the status is 'Not rated': what happened and when a rating is expected."),
    Field("pm_update", "Project manager update", "wrap", required=True,
          help="Key activities this period, engagement, concerns or issues, and why you chose this RAG."),
    Field("sponsor_comments", "Sponsor comments", "wrap"),
    Field("budget_approved", "Budget approved (£)", "money", reports=(FULL,), required=True),
    Field("spend_to_date", "Spend to date (£)", "money", reports=(FULL,), required=True),
    Field("forecast_outturn", "Forecast outturn (£)", "money", reports=(FULL,), required=True),
    Field("next_key_milestone", "Next key milestone", "text", reports=(FULL,), required=True),
    Field("next_key_milestone_date", "Next key milestone date", "date", reports=(FULL,), required=True),
    Field("outcomes_and_impacts", "Outcomes and impacts", "wrap", reports=(FULL,),
          help="The difference the project is making or will make, with figures where you have them."),
    Field("top_risk", "Number 1 risk", "wrap", reports=(FULL,), required=True),
    Field("top_risk_mitigation", "Number 1 risk mitigation", "wrap", reports=(FULL,), required=True),
    Field("completed_by", "Report completed by", "text", required=True),
    Field("completed_date", "Completion date", "date", required=True),
)

TABLES: tuple[Table, ...] = (
    Table(
        "milestones_this_period",
        "Key milestones this period",
        (("milestone", "Milestone", "wrap"), ("status", "Status", "milestone_status"), ("date", "Date", "date")),
        rows=10,
        help="One milestone a row; choose a status from the list.",
    ),
    Table(
        "milestones_next_period",
        "Key milestones planned for next period",
        (("milestone", "Milestone", "wrap"), ("date", "Due date", "date")),
        rows=10,
    ),
    Table(
        "risks",
        "Key risks and mitigation",
        (("risk", "Risk description", "wrap"), ("mitigation", "Mitigation", "wrap"), ("rating", "Rating", "risk_rating")),
        rows=10,
        help="Your main risks, each with its mitigation and a rating of High, Medium or Low.",
    ),
)

FIELD_BY_NAME = {f.name: f for f in FIELDS}
TABLE_BY_NAME = {t.name: t for t in TABLES}


def fields_for(report_type: str, version: str | None = None) -> tuple[Field, ...]:
    """The single-value fields a report of this type carries, in layout order (in a template
    of `version`, default the current one)."""
    known = TEMPLATE_VERSIONS[:TEMPLATE_VERSIONS.index(version) + 1] if version in TEMPLATE_VERSIONS else TEMPLATE_VERSIONS
    return tuple(f for f in FIELDS if report_type in f.reports and f.since in known)


def defined_names(report_type: str) -> tuple[str, ...]:
    """Every defined name a template of this type has (fields then tables)."""
    return tuple(f.name for f in fields_for(report_type)) + tuple(t.name for t in TABLES)
