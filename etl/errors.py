"""Every typed error of pmo, and the `Problem`: what is wrong, with its file, field and cell.

The library raises these; only the CLI turns them into messages and exit codes.
A `Problem` is one thing wrong with one value (many can be collected and reported
at once); an exception wraps one or more of them. A problem's `code` is a stable machine
name for its kind (`required`, `not_on_portfolio`, `not_a_date`, …), stored with the file's
outcome and shown in the validation report, so tests and officers can filter by kind
instead of matching wording (the wording may improve; the code stays).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, precise enough for a partner to fix it."""

    message: str
    file: str = ""
    code: str = ""
    field: str = ""
    sheet: str = ""
    row: int | None = None
    cell: str = ""
    value: object = None
    fix: str = ""
    severity: str = "error"  # "error" rejects the input; "warning" only reports

    def location(self) -> str:
        """Where the problem is, e.g. ``portfolio.xlsx row 7, column 'Stage'``."""
        parts = [self.file] if self.file else []
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            # A table row: the field is one of its columns.
            parts.append(f"row {self.row}")
            if self.field:
                parts.append(f"column '{self.field}'")
            if self.cell:
                parts.append(f"cell {self.cell}")
        else:
            if self.cell:
                parts.append(f"cell {self.cell}")
            if self.field:
                parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.message}" if where else self.message


class PmoError(Exception):
    """Base class: something the user can act on, reported without a traceback."""

    exit_code = 1

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.problems: list[Problem] = list(problems or [])

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        lines = [self.message] + [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class ConfigError(PmoError):
    """Bad usage or unreadable configuration (settings file, missing input): exit 2."""

    exit_code = 2


class StoreError(ConfigError):
    """The store cannot be used (server unreachable, login refused, read-only, disk full, newer schema): exit 2."""


class PortfolioError(ConfigError):
    """The portfolio cannot be used; `problems` lists every row and column at fault."""


class KpiError(ConfigError):
    """The KPI sheet cannot be used; `problems` lists every row, column and cell at fault."""


class ClosedownError(ConfigError):
    """The actions cannot be used; `problems` lists every row and cell at fault (exit 2)."""


class ReturnUnreadable(PmoError):
    """A file cannot be read as a return; `problems` say why (and what to do).

    Raised per file and caught by ingest, which rejects that file and goes on with the batch.
    """

    def __init__(self, problems: list[Problem], project_id: str | None = None):
        super().__init__("; ".join(p.message for p in problems), problems)
        self.project_id = project_id


class MailServerError(PmoError):
    """The mail server could not be reached before anything was sent (exit 1)."""


class MailboxError(ConfigError):
    """`pmo collect` cannot use the office mailbox: not set up, unreachable, login refused, folder
    missing (exit 2). Nothing was taken."""


class MessageFailed(PmoError):
    """One message did not go; the text says why (already free of the password).

    Caught per message by delivery, which logs it as failed and goes on with the rest.
    """


class CodedValueError(ValueError):
    """A value that does not parse, whose kind has its own Problem code.

    Raised by the parsers of `etl.rules.values`; like any `ValueError` it becomes one Problem
    on the cell, coded by `code` (the bad-input corpus asserts it).
    """

    code = "invalid"


class NotFinite(CodedValueError):
    """A number too large to be a real figure (`1e400` overflows to infinity)."""

    code = "not_finite"


class AmbiguousFigure(CodedValueError):
    """A figure whose separators could be read two ways (`2,5m`, `1.234,56`)."""

    code = "ambiguous_amount"
