"""Who did what: the run in progress, so every store it opens records it and its rows point at it.

A command that changes the store wraps its work in `recording(...)`; any `Store` opened
meanwhile (by the command or by the library functions it calls) writes one `runs` row
the first time, and stamps the files, messages and registers it records with that run's
id. When the work ends, `recording` writes the end time, the outcome and the counts the
command reported with `note(...)`. Options are kept as given, less anything secret.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import getpass
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from etl.store.backend import describe, is_url, now_iso, store_failure

OFFICER_ENV = "PMO_OFFICER"

# Option names whose values never go on record.
_SECRET = ("password", "secret", "token")


def officer_name(explicit: str | None = None) -> str:
    """`--as NAME`, else PMO_OFFICER, else the operating-system user."""
    name = (explicit or os.environ.get(OFFICER_ENV) or "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (e.g. a bare container)
        return f"uid {os.getuid()}"


def recordable(options: dict[str, Any]) -> dict[str, Any]:
    """The options as they go on record: plain text, store URLs without a password, secrets left out."""
    out: dict[str, Any] = {}
    for name, value in sorted(options.items()):
        if any(s in name.lower() for s in _SECRET):
            continue
        if isinstance(value, Path) or (isinstance(value, str) and is_url(value)):
            value = describe(value)
        elif not isinstance(value, (str, int, float, bool, type(None))):
            value = str(value)
        out[name] = value
    return out


@dataclass
class Run:
    """A command being run: what goes in its `runs` row, and that row's id in each store it touched."""

    command: str
    officer: str
    period: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    started_at: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)  # store location -> runs.id
    # How to close the run's rows (set by the store that wrote them: this module does not import it).
    finisher: Callable[[str, int, str, dict[str, int]], None] | None = None

    def note(self, **counts: int) -> None:
        """Record outcome counts (e.g. accepted=3, rejected=1) to be written when the run ends."""
        self.counts.update({k: int(v) for k, v in counts.items()})


_current: contextvars.ContextVar[Run | None] = contextvars.ContextVar("pmo_run", default=None)


def current() -> Run | None:
    """The run in progress in this process, if a command is recording one."""
    return _current.get()


def note(**counts: int) -> None:
    """Add outcome counts to the run in progress (nothing when none is recording)."""
    run = current()
    if run is not None:
        run.note(**counts)


@contextlib.contextmanager
def recording(command: str, officer: str | None = None, period: Any = None,
              options: dict[str, Any] | None = None) -> Iterator[Run]:
    """Record a run of `command` in every store opened inside the block; close its rows at the end.

    The outcome is `ok`, `problems` (the command exits 1) or `failed` (an error, exit 2 or
    an exception); a run killed outright keeps no end time, which `pmo log` shows as such.
    """
    run = Run(command, officer_name(officer), str(period) if period is not None else None,
              recordable(options or {}), now_iso())
    token = _current.set(run)
    outcome = "failed"
    try:
        yield run
        outcome = "ok"
    except SystemExit as exc:
        outcome = "ok" if exc.code in (0, None) else "problems" if exc.code == 1 else "failed"
        raise
    finally:
        _current.reset(token)
        _finish(run, outcome)


def _finish(run: Run, outcome: str) -> None:
    for location, run_id in run.ids.items():
        try:
            run.finisher(location, run_id, outcome, run.counts)
        except Exception as exc:  # noqa: BLE001 - the run's own error (e.g. a full disk) is what to report
            if store_failure(exc) is None:
                raise


def started_at_text(value: str | None) -> str:
    """A stored ISO time as the officer reads it (UTC, to the second)."""
    if not value:
        return ""
    return dt.datetime.fromisoformat(value).strftime("%d/%m/%Y %H:%M:%S")


def log_line(run: dict[str, Any]) -> str:
    """One run as `pmo log` shows it."""
    ended = started_at_text(run["ended_at"]) if run["ended_at"] else "did not finish"
    counts = ", ".join(f"{n} {k}" for k, n in run["counts"].items())
    period = f" {run['period']}" if run["period"] else ""
    return (f"#{run['id']:<5} {started_at_text(run['started_at'])} → {ended}  {run['officer']:<12} "
            f"{run['command']}{period}: {run['outcome'] or ''}{' (' + counts + ')' if counts else ''}")
