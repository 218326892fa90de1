"""pandera schemas of returned highlight reports: header fields, milestones, risks.

A whole batch is validated at once, one lazy validation per table: the fields frame has one
row per return (indexed by file), the milestone and risk frames one row per table row
(indexed by position; the caller keeps which file and cell each came from). Values arrive
already normalised (`etl.cycle.ingest.normalise`); one that could not be is an `Unparsed`, which
carries what was typed and why it was refused, and fails the `unreadable` check. Each check
is named; `MESSAGES` turns a failed check into the message and the fix a partner is sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Mapping

import pandas as pd
import pandera.pandas as pa

from etl.config import Settings
from etl.contracts import fields as F
from etl.rules.periods import Period
from etl.rules.dates import uk_date
from etl.rules.rag import NOT_RATED, NOT_RATED_REASONS, STATUS_CHOICES


@dataclass(frozen=True)
class Unparsed:
    """A typed value that could not be normalised, and the parser's reason (quoting it)."""

    raw: object
    reason: str
    code: str | None = None  # the parser's own Problem code, when it has one (ambiguous_amount…)

    def __str__(self) -> str:
        return str(self.raw)


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value))


@dataclass(frozen=True)
class Rule:
    """How a failed check is reported: message (from the field's label and value) and fix."""

    message: Callable[[str, object], str]
    fix: Callable[[str, object], str]
    #: report a whole-row check against this column
    column: str | None = None


def _reason(label: str, value: object) -> str:
    return value.reason if isinstance(value, Unparsed) else f"'{value}' cannot be read"


def fix_for_kind(kind: str) -> str:
    return {
        "date": "Enter the date as dd/mm/yyyy, e.g. 31/03/2025.",
        "money": "Enter an amount in pounds, e.g. 1200000, £1,200,000 or £1.2m.",
        "rag": f"Choose one of {', '.join(STATUS_CHOICES)} from the drop-down list (Not rated needs a reason).",
        "not_rated_reason": f"Choose one of {', '.join(NOT_RATED_REASONS)} from the drop-down list.",
        "period": "The reporting month is filled in by the Programme Office: return the template as sent.",
        "milestone_status": f"Choose one of {', '.join(F.MILESTONE_STATUSES)} from the drop-down list.",
        "risk_rating": f"Choose one of {', '.join(F.RISK_RATINGS)} from the drop-down list, or leave it blank.",
    }.get(kind, "Correct the value.")


KINDS: dict[str, str] = {f.name: f.kind for f in F.FIELDS}
for _table in F.TABLES:
    for _key, _header, _kind in _table.columns:
        KINDS.setdefault(_key, _kind)


def messages(period: Period, today: dt.date, settings: Settings | None = None) -> dict[str, Rule]:
    """Check name → how its failure is reported."""
    settings = settings or Settings()
    return {
        "unreadable": Rule(_reason, lambda label, v: fix_for_kind("")),
        "required": Rule(
            lambda label, v: f"'{label}' is required and was left blank.",
            lambda label, v: f"Fill in '{label}'."),
        "not_on_portfolio": Rule(
            lambda label, v: f"Project '{v}' is not on the portfolio, so this return cannot be filed.",
            lambda label, v: "Check the Project ID (it is filled in by the Programme Office), or add the "
                             "project to the portfolio first."),
        "wrong_period": Rule(
            lambda label, v: f"This return is for {v}, but returns for {period} are being ingested.",
            lambda label, v: f"Ingest it with --period {v}, or ask for the {period} template to be filled in."),
        "negative": Rule(
            lambda label, v: f"'{label}' is negative (-£{abs(v):,.0f}): an amount of money cannot be below £0.",
            lambda label, v: "Enter the amount in pounds, 0 or more."),
        "implausible_date": Rule(
            lambda label, v: f"'{label}' is {_uk(v)}, which is not a plausible date for a project "
                             f"(expected {uk_date(settings.earliest_date)} to {uk_date(settings.latest_date)}).",
            lambda label, v: "Check the year and enter the date as dd/mm/yyyy."),
        "implausible_amount": Rule(
            lambda label, v: f"'{label}' is £{v:,.0f}, more than any project's figure could be "
                             f"(the office's limit is £{settings.largest_amount:,.0f}).",
            lambda label, v: "Check the number of digits; enter the amount in pounds, e.g. 1200000 or £1.2m."),
        "not_rated_reason_required": Rule(
            lambda label, v: f"The status is '{NOT_RATED}' but no reason is given in '{label}'.",
            lambda label, v: f"Choose a reason ({', '.join(NOT_RATED_REASONS)}) and explain it, or choose a RAG rating.",
            column="not_rated_reason"),
        "future_completed": Rule(
            lambda label, v: f"'{label}' is {_uk(v)}, in the future (the return was ingested on {_uk(today)}).",
            lambda label, v: "Enter the date the report was completed, dd/mm/yyyy."),
        "milestone_blank": Rule(
            lambda label, v: "A milestone row has a status or date but no milestone described.",
            lambda label, v: "Describe the milestone, or clear the row.", column="milestone"),
        "risk_blank": Rule(
            lambda label, v: "A risk row has a mitigation or rating but no risk described.",
            lambda label, v: "Describe the risk, or clear the row.", column="risk"),
    }


def _uk(value: object) -> str:
    return uk_date(value)


def _element(fn: Callable[[object], bool], name: str) -> pa.Check:
    """An element-wise check that lets blanks and unparsed values through (reported elsewhere)."""
    return pa.Check(
        lambda s: s.map(lambda v: is_blank(v) or isinstance(v, Unparsed) or bool(fn(v))).astype(bool),
        name=name, ignore_na=False,
    )


_PARSED = pa.Check(lambda s: ~s.map(lambda v: isinstance(v, Unparsed)).astype(bool), name="unreadable", ignore_na=False)


def _column(*checks: pa.Check) -> pa.Column:
    return pa.Column(object, [_PARSED, *checks], nullable=True, required=True)


def _required(name: str, report_types: Mapping[str, str]) -> pa.Check:
    required_in = {t for t in F.FIELD_BY_NAME[name].reports} if F.FIELD_BY_NAME[name].required else set()

    def check(series: pd.Series) -> pd.Series:
        needed = series.index.to_series().map(lambda key: report_types.get(key) in required_in).astype(bool)
        return ~(series.map(is_blank).astype(bool) & needed)

    return pa.Check(check, name="required", ignore_na=False)


def _plausible_date(settings: Settings) -> pa.Check:
    return _element(settings.plausible_date, "implausible_date")


def _not_rated_reason(frame: pd.DataFrame) -> pd.Series:
    """A Not rated status needs its reason (a reason beside a rating is kept, and means nothing)."""
    not_rated = frame["rag_this_period"].map(lambda v: v == NOT_RATED).astype(bool)
    given = ~frame["not_rated_reason"].map(is_blank).astype(bool)
    return ~(not_rated & ~given)


def fields_schema(period: Period, project_ids: set[str], today: dt.date,
                  report_types: Mapping[str, str], settings: Settings | None = None) -> pa.DataFrameSchema:
    """The header fields of a batch: one row per return, indexed by file key."""
    settings = settings or Settings()
    columns: dict[str, pa.Column] = {}
    for spec in F.FIELDS:
        checks = [_required(spec.name, report_types)]
        if spec.kind == "money":
            checks.append(_element(lambda v: v >= 0, "negative"))
            checks.append(_element(settings.plausible_amount, "implausible_amount"))
        if spec.kind == "date":
            checks.append(_plausible_date(settings))
        columns[spec.name] = _column(*checks)
    columns["project_id"] = _column(
        _required("project_id", report_types), _element(lambda v: v in project_ids, "not_on_portfolio"))
    columns["period"] = _column(
        _required("period", report_types), _element(lambda v: v == period, "wrong_period"))
    columns["completed_date"] = _column(
        _required("completed_date", report_types),
        _plausible_date(settings),
        _element(lambda v: v <= today, "future_completed"))
    return pa.DataFrameSchema(columns, strict=False, name="highlight fields", checks=[
        pa.Check(_not_rated_reason, name="not_rated_reason_required", ignore_na=False)])


def _row_needs(first: str, others: tuple[str, ...]) -> Callable[[pd.DataFrame], pd.Series]:
    def check(frame: pd.DataFrame) -> pd.Series:
        filled = pd.Series(False, index=frame.index)
        for other in others:
            filled |= ~frame[other].map(is_blank).astype(bool)
        return ~(filled & frame[first].map(is_blank).astype(bool))

    return check


def milestones_schema(settings: Settings | None = None) -> pa.DataFrameSchema:
    """Milestone rows of a batch (this period's and next period's: `date` is the due date for next)."""
    return pa.DataFrameSchema(
        {"milestone": _column(), "status": _column(), "date": _column(_plausible_date(settings or Settings()))},
        checks=[pa.Check(_row_needs("milestone", ("status", "date")), name="milestone_blank", ignore_na=False)],
        strict=False, name="milestones",
    )


def risks_schema() -> pa.DataFrameSchema:
    """Risk rows of a batch; the rating is optional, but when given it is High, Medium or Low."""
    return pa.DataFrameSchema(
        {"risk": _column(), "mitigation": _column(), "rating": _column()},
        checks=[pa.Check(_row_needs("risk", ("mitigation", "rating")), name="risk_blank", ignore_na=False)],
        strict=False, name="risks",
    )


def failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """pandera's lazy failure cases (column, check, index); empty when the frame is valid."""
    if frame.empty:
        return pd.DataFrame(columns=["column", "check", "index"])
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        return err.failure_cases
    return pd.DataFrame(columns=["column", "check", "index"])
