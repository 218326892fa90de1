"""The improvement-plan close-down tracker: every action of a phase and where it goes next.

`load_actions` reads the officer's actions sheet (`Actions` in an .xlsx, or a .csv with
the same headers), carries a theme down the rows that leave it blank (as the published
trackers do), and checks every destination against the four of seeds 002/003, reporting
every problem at once with its row and cell. `write_closedown` writes the tracker: the
colour key at the top, the actions grouped by theme with each row filled in its
destination's colour, and a summary count per theme and destination.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from etl.errors import ClosedownError
from schemas.closedown import DESTINATIONS, HEADERS, OPTIONAL, canonical_destination

SHEET = "Actions"
TRACKER_SHEET = "Close-down"
SUMMARY_SHEET = "Summary"


@dataclass(frozen=True)
class Action:
    """One action of the phase, closed down into a destination."""

    row: int
    theme: str
    task: str
    evidence: str | None
    outstanding: str | None
    destination: str
    new_phase: str | None = None


def load_actions(path: Path | str) -> list[Action]:
    """The validated actions, in the file's order; `ClosedownError` lists every problem."""
    from etl.contracts.tables import read_table, validate_table
    from etl.rules.values import clean_text
    from schemas.closedown import build_schema, messages

    path = Path(path)
    raw, letters = read_table(path, SHEET, HEADERS, optional=OPTIONAL)
    if raw.empty:
        raise ClosedownError(f"{path}: the tracker has no actions")
    raw["theme"] = raw["theme"].map(clean_text).ffill()
    raw = raw.astype(object).where(raw.notna(), None)
    validate_table(build_schema(), raw, path, HEADERS, letters, messages(), ClosedownError, "close-down tracker")
    return [
        Action(
            row=int(number), theme=clean_text(rec["theme"]), task=clean_text(rec["task"]),
            evidence=clean_text(rec["evidence"]), outstanding=clean_text(rec["outstanding"]),
            destination=canonical_destination(rec["destination"]), new_phase=clean_text(rec["new_phase"]),
        )
        for number, rec in raw.iterrows()
    ]


def by_theme(actions: list[Action]) -> dict[str, list[Action]]:
    """Actions grouped by theme, themes in order of first appearance, rows in file order."""
    groups: dict[str, list[Action]] = {}
    for action in actions:
        groups.setdefault(action.theme, []).append(action)
    return groups


def summary_counts(actions: list[Action]) -> dict[str, dict[str, int]]:
    """Theme → destination → number of actions (every destination present, zeros included)."""
    return {
        theme: {d: sum(a.destination == d for a in group) for d in DESTINATIONS}
        for theme, group in by_theme(actions).items()
    }


# The tracker's columns: header and width (characters). The theme is repeated on every row
# so a filter on it still shows whole rows; New Phase is hidden when the tracker has none.
def closedown_path(outputs: Path | str, built: dt.date) -> Path:
    """`<outputs>/closedown_<YYYY-MM-DD>.xlsx`."""
    return Path(outputs) / f"closedown_{built.isoformat()}.xlsx"
