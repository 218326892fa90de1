"""The validation report of an ingest run: every problem, and every file with its outcome.

`outputs/<period>/validation_report.xlsx` has two sheets. `Problems`: one row per problem,
naming the file, project, field, sheet and cell, the value found, what is wrong, how to fix
it, whether it is an Error (the return was rejected) or a Warning (accepted, or skipped,
with a note), and its code (a stable name for the kind of problem, to filter by) — what
the PMO sends back to a partner. `Files`: every file offered with its
outcome, number of problems, when it was received, its size and its SHA-256. Values from
returns are written as text, never as formulas. The file appears only when complete.

Each run writes its own report (`validation_report_<YYYYMMDD-HHMMSS>.xlsx`, that run's files)
and the period's (`validation_report.xlsx`), which also lists the files of earlier runs for the
period as the store last logged them, with a Status column saying which rejected returns'
problems are still open (`etl.cycle.period_report`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from etl.workbooks.formats import (
    SEVERITY_COLOURS, Column, add_text_fills, atomic_workbook, fit_row_heights, print_setup, write_table,
)

if TYPE_CHECKING:
    from etl.cycle.ingest import IngestResult
    from etl.cycle.period_report import PeriodView

PROBLEM_COLUMNS = (
    Column("File", "file", "wrap", 26),
    Column("Project ID", "project_id", "text", 12),
    Column("Field", "field", "wrap", 20),
    Column("Sheet", "sheet", "wrap", 14),
    Column("Cell", "cell", "centre", 7),
    Column("Value", "value", "wrap", 20),
    Column("Problem", "problem", "wrap", 46),
    Column("How to fix", "fix", "wrap", 38),
    Column("Severity", "severity", "centre", 10),
    Column("Code", "code", "text", 16),
    # A return that came by e-mail: who sent it, the subject and when (issue 16).
    Column("E-mail", "message", "wrap", 40),
)
STATUS_COLUMN = Column("Status", "status", "wrap", 18)
FILE_COLUMNS = (
    Column("File", "file", "wrap", 32),
    Column("Project ID", "project_id", "text", 12),
    Column("Outcome", "outcome", "wrap", 26),
    Column("Problems", "problems", "int", 10),
    Column("Received", "received", "datetime", 17),
    Column("Size (bytes)", "size", "int", 13),
    Column("SHA-256", "sha256", "wrap", 36),
    Column("E-mail", "message", "wrap", 40),
)
OUTCOME_COLOURS = {"Rejected": SEVERITY_COLOURS["Error"]}
OPEN_TEXT = "Open"


def _as_text(value: Any) -> str:
    return "" if value is None else str(value)


def problem_rows(result: "IngestResult", view: "PeriodView | None" = None) -> list[dict[str, Any]]:
    """One row per problem, files in order, errors before warnings within a file; with the
    period's `view`, the earlier runs' files too, and whether each error is still open."""
    from etl.cycle.period_report import status_of

    rows = []
    files = [(o.name, o.project_id, o.problems, status_of(view, o), o.message) for o in result.files]
    files += [(e.name, e.project_id, e.problems, e.status, "") for e in (view.earlier if view else [])]
    for name, project_id, problems, status, message in sorted(files, key=lambda f: f[0]):
        for problem in sorted(problems, key=lambda p: p.severity != "error"):
            rows.append({
                "status": status if problem.severity == "error" else "",
                "file": name,
                "project_id": _as_text(project_id),
                "field": problem.field,
                "sheet": problem.sheet,
                "cell": problem.cell,
                "value": _as_text(problem.value),
                "problem": problem.message,
                "fix": problem.fix,
                "severity": problem.severity.capitalize(),
                "code": problem.code,
                "message": message,
            })
    return rows


def file_rows(result: "IngestResult", view: "PeriodView | None" = None) -> list[dict[str, Any]]:
    """One row per file offered, in order (with the period's `view`, earlier runs' files too)."""
    from etl.cycle.period_report import status_of

    rows = []
    for outcome in result.files:
        rows.append({
            "file": outcome.name,
            "project_id": _as_text(outcome.project_id),
            "outcome": outcome.outcome,
            "status": status_of(view, outcome),
            "problems": len(outcome.problems),
            "received": outcome.received_at,  # already the office's local time
            "size": outcome.size,
            "sha256": outcome.sha256 or "",
            "message": outcome.message,
        })
    for earlier in view.earlier if view else []:
        rows.append({
            "file": earlier.name, "project_id": _as_text(earlier.project_id),
            "outcome": f"{earlier.outcome} (earlier run)", "status": earlier.status,
            "problems": len(earlier.problems), "received": earlier.received_at, "size": earlier.size,
            "sha256": earlier.sha256, "message": "",
        })
    return sorted(rows, key=lambda r: r["file"])


def write_validation_report(result: "IngestResult", path: Path | str, view: "PeriodView | None" = None) -> Path:
    """Write the report workbook to `path` (atomically) and return the path.

    Without `view` it is the run's report; with it, the period's (earlier files and a Status column).
    """
    path = Path(path)
    period = str(result.period)
    problem_columns = (*PROBLEM_COLUMNS, STATUS_COLUMN) if view else PROBLEM_COLUMNS
    file_columns = (*FILE_COLUMNS, STATUS_COLUMN) if view else FILE_COLUMNS
    severity_col, status_col, outcome_col = 8, len(PROBLEM_COLUMNS), 2
    with atomic_workbook(path) as (workbook, formats):
        workbook.set_properties({"title": f"Validation report {period}", "subject": "Returns ingested"})
        problems = workbook.add_worksheet("Problems")
        rows = problem_rows(result, view)
        count = write_table(problems, formats, problem_columns, rows)
        fit_row_heights(problems, problem_columns, rows, max_lines=30)
        add_text_fills(problems, formats, 1, severity_col, max(count, 1) + 500, severity_col, SEVERITY_COLOURS)
        if view:
            add_text_fills(problems, formats, 1, status_col, max(count, 1) + 500, status_col,
                           {OPEN_TEXT: SEVERITY_COLOURS["Error"]})
        print_setup(problems, landscape=True, period=period)

        files = workbook.add_worksheet("Files")
        listed = file_rows(result, view)
        count = write_table(files, formats, file_columns, listed)
        fit_row_heights(files, file_columns, listed, max_lines=30)
        add_text_fills(files, formats, 1, outcome_col, max(count, 1) + 500, outcome_col, OUTCOME_COLOURS)
        print_setup(files, landscape=True, period=period)
        problems.activate()
    return path
