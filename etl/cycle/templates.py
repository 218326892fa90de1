"""What each project's template holds: who is due, the prefilled values, and the distribution list.

The workbook itself is laid out by `etl.workbooks.template`. A template is laid out like the
Improvement Plan highlight reports (seed 000): identity,
status this and previous period, the project manager's update, sponsor comments, key
milestones this period and next, risks and mitigation, completed by and date; the full
report adds finance, the next key milestone, outcomes and impacts and the number 1 risk.
Every field is a workbook-level defined name (see `etl.contracts.fields`), so a return is read by
name and still reads after a partner inserts rows. Identity cells are prefilled and locked;
input cells are unlocked, shaded, and carry drop-down lists or date validation. The sheet is
protected without a password (against accidents, not people). A very hidden `_meta` sheet
records template version, project, period and report type.

Passing `answers` fills the input cells too: that is how the demo and the tests make a
return "as a partner would", with the project's own writer.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from etl.rules.dates import uk_date
from etl.config import EARLIEST_DATE, LARGEST_AMOUNT, LATEST_DATE, Settings
from etl.files import file_safe, write_csv
from etl.rules.periods import FULL, Period

if TYPE_CHECKING:
    import pandas as pd

TEMPLATE_SUFFIX = "_highlight.xlsx"
DISTRIBUTION_HEADERS = (
    "Project ID", "Project Name", "Period", "Report Type", "Frequency", "Recipient Name",
    "Recipient Email", "Copy To", "Copy To Email", "File", "Due Date",
)



def templates_folder(outputs: Path | str, period: Period | str) -> Path:
    """`outputs/<YYYY-MM>/templates/`: where a period's templates are written."""
    return Path(outputs) / str(period) / "templates"


def distribution_path(outputs: Path | str, period: Period | str) -> Path:
    """`outputs/<YYYY-MM>/distribution.csv`: the period's mailing list for its templates."""
    return Path(outputs) / str(period) / "distribution.csv"


def template_name(project_id: str, period: Period | str) -> str:
    """`<Project ID>_<YYYY-MM>_highlight.xlsx`, with characters unsafe in file names replaced."""
    return f"{file_safe(str(project_id))}_{period}{TEMPLATE_SUFFIX}"


@dataclass
class TemplateContext:
    """Everything a template is prefilled with."""

    project_id: str
    project_name: str
    period: Period
    report_type: str
    frequency: str
    window_start: dt.date
    window_end: dt.date
    due_date: dt.date
    programme: str | None = None
    sponsor: str | None = None
    project_manager: str | None = None
    delivery_organisation: str | None = None
    agreed_completion_date: dt.date | None = None
    rag_previous: str | None = None
    project_description: str | None = None
    project_outcomes: str | None = None
    office_name: str = "Programme Office"
    office_email: str = ""
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))
    # The office's plausible dates (settings): the template's date cells accept only these.
    earliest_date: dt.date = EARLIEST_DATE
    latest_date: dt.date = LATEST_DATE
    largest_amount: float = LARGEST_AMOUNT

    @classmethod
    def from_plan_row(cls, row: dict[str, Any], period: Period, settings: Settings,
                      history: dict[str, Any] | None = None) -> "TemplateContext":
        """From a `reporting_plan` row and, when the store has one, the project's last return."""
        history = history or {}
        return cls(
            project_id=row["project_id"],
            project_name=row["project_name"],
            period=period,
            report_type=row["report_type"],
            frequency=row["frequency"],
            window_start=row["window_start"],
            window_end=row["window_end"],
            due_date=row["due_date"],
            programme=row.get("programme"),
            sponsor=row.get("sponsor"),
            project_manager=row.get("project_manager"),
            delivery_organisation=row.get("delivery_organisation"),
            agreed_completion_date=row.get("agreed_completion_date"),
            rag_previous=history.get("rag_this_period"),
            project_description=history.get("project_description"),
            project_outcomes=history.get("project_outcomes"),
            office_name=settings.office_name,
            office_email=settings.office_email,
            earliest_date=settings.earliest_date,
            latest_date=settings.latest_date,
            largest_amount=settings.largest_amount,
        )

    def prefill(self) -> dict[str, Any]:
        """Field name → value pmo writes into the template."""
        return {
            "project_id": self.project_id,
            "project_name": self.project_name,
            "period": str(self.period),
            "reporting_period_start": self.window_start,
            "reporting_period_end": self.window_end,
            "sponsor": self.sponsor,
            "project_manager": self.project_manager,
            "agreed_completion_date": self.agreed_completion_date,
            "rag_previous": self.rag_previous,
            "project_description": self.project_description,
            "project_outcomes": self.project_outcomes,
        }


@dataclass(frozen=True)
class Answers:
    """What a partner types into a template: field values and table rows (tests, demo)."""

    values: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)


@dataclass(frozen=True)
class TemplateInfo:
    """One template written, and who it goes to: a line of the distribution list."""

    project_id: str
    project_name: str
    period: str
    report_type: str
    frequency: str
    recipient_name: str
    recipient_email: str
    copy_to: str
    copy_to_email: str
    file: str
    due_date: dt.date

    def as_row(self) -> list[str]:
        return [
            self.project_id, self.project_name, self.period, self.report_type, self.frequency,
            self.recipient_name, self.recipient_email, self.copy_to, self.copy_to_email, self.file,
            uk_date(self.due_date),
        ]


def write_distribution(path: Path | str, rows: list[TemplateInfo]) -> Path:
    """The mailing list as CSV (`etl.files.write_csv`: no cell can run as a formula)."""
    return write_csv(path, DISTRIBUTION_HEADERS, (info.as_row() for info in rows))


@dataclass
class TemplateRun:
    """A period's templates, planned from the portfolio and ready to write."""

    period: Period
    settings: Settings
    plan: Any  # pandas DataFrame from `portfolio.reporting_plan`

    @functools.cached_property
    def due(self) -> list[dict[str, Any]]:
        return [dict(r) for _, r in self.plan[self.plan["due"]].iterrows()]

    def counts(self) -> dict[str, int]:
        """How many projects are due (full, simplified), not due, paused or closed."""
        plan = self.plan
        due = plan["due"]
        return {
            "full": int((due & (plan["report_type"] == FULL)).sum()),
            "simplified": int((due & (plan["report_type"] != FULL)).sum()),
            "not_due": int((~due & plan["report_type"].notna()).sum()),
            "paused": int((plan["stage"] == "Pipeline").sum()),
            "closed": int((plan["stage"] == "Closed").sum()),
        }


def previous_returns(db_path: Path | str | None, period: Period) -> dict[str, dict[str, Any]]:
    """Each project's latest accepted return before `period`, from the store if there is one
    (where a template's previous RAG comes from); never creates a store."""
    from etl.store.backend import store_exists

    if not store_exists(db_path):
        return {}
    from etl.store.db import Store

    with Store(db_path) as store:
        return store.latest_returns(before=period)


def prepare_templates(portfolio: pd.DataFrame, period: Period, settings: Settings) -> TemplateRun:
    """Plan the period's templates from the loaded portfolio (`etl.cycle.portfolio.load_portfolio`)."""
    from etl.cycle.portfolio import reporting_plan

    return TemplateRun(period, settings, reporting_plan(portfolio, period, settings))
