"""The validation report of an ingest run: every problem, and every file with its outcome.

`outputs/<period>/validation_report.xlsx` has two sheets. `Problems`: one row per problem,
naming the file, project, field, sheet and cell, the value found, what is wrong, how to fix
it, whether it is an Error (the return was rejected) or a Warning (accepted, or skipped,
with a note), and its code (a stable name for the kind of problem, to filter by) — what
the PMO sends back to a partner. `Files`: every file offered with its
outcome, number of problems, when it was received, its size and its SHA-256. Values from
returns are written as text, never as formulas. The file appears only when complete.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from etl.workbooks.formats import (
    SEVERITY_COLOURS, Column, add_text_fills, atomic_workbook, fit_row_heights, print_setup, write_table,
)

if TYPE_CHECKING:
    from etl.cycle.ingest import IngestResult

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


def _as_text(value: Any) -> str:
    return "" if value is None else str(value)


def problem_rows(result: "IngestResult") -> list[dict[str, Any]]:
    """One row per problem, files in order, errors before warnings within a file."""
    rows = []
    for outcome in result.files:
        for problem in sorted(outcome.problems, key=lambda p: p.severity != "error"):
            rows.append({
                "file": outcome.name,
                "project_id": _as_text(outcome.project_id),
                "field": problem.field,
                "sheet": problem.sheet,
                "cell": problem.cell,
                "value": _as_text(problem.value),
                "problem": problem.message,
                "fix": problem.fix,
                "severity": problem.severity.capitalize(),
                "code": problem.code,
                "message": outcome.message,
            })
    return rows


def file_rows(result: "IngestResult") -> list[dict[str, Any]]:
    """One row per file offered, in order."""
    rows = []
    for outcome in result.files:
        rows.append({
            "file": outcome.name,
            "project_id": _as_text(outcome.project_id),
            "outcome": outcome.outcome,
            "problems": len(outcome.problems),
            "received": outcome.received_at,  # already the office's local time
            "size": outcome.size,
            "sha256": outcome.sha256 or "",
            "message": outcome.message,
        })
    return rows


def write_validation_report(result: "IngestResult", path: Path | str) -> Path:
    """Write the report workbook to `path` (atomically) and return the path."""
    path = Path(path)
    period = str(result.period)
    with atomic_workbook(path) as (workbook, formats):
        workbook.set_properties({"title": f"Validation report {period}", "subject": "Returns ingested"})
        problems = workbook.add_worksheet("Problems")
        rows = problem_rows(result)
        count = write_table(problems, formats, PROBLEM_COLUMNS, rows)
        fit_row_heights(problems, PROBLEM_COLUMNS, rows, max_lines=30)
        add_text_fills(problems, formats, 1, 8, max(count, 1) + 500, 8, SEVERITY_COLOURS)
        print_setup(problems, landscape=True, period=period)

        files = workbook.add_worksheet("Files")
        listed = file_rows(result)
        count = write_table(files, formats, FILE_COLUMNS, listed)
        fit_row_heights(files, FILE_COLUMNS, listed, max_lines=30)
        add_text_fills(files, formats, 1, 2, max(count, 1) + 500, 2, OUTCOME_COLOURS)
        print_setup(files, landscape=True, period=period)
        problems.activate()
    return path
