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

from etl.errors import ConfigError
from schemas.closedown import DESTINATIONS, HEADERS, OPTIONAL, canonical_destination

SHEET = "Actions"
TRACKER_SHEET = "Close-down"
SUMMARY_SHEET = "Summary"


class ClosedownError(ConfigError):
    """The actions cannot be used; `problems` lists every row and cell at fault (exit 2)."""


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


def destination_format(destination: str) -> str:
    """The workbook format (soft fill) a destination's rows are filled with."""
    from etl.workbooks.formats import SOFT_FILLS

    return SOFT_FILLS[DESTINATIONS.index(destination)]


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
_COLUMNS: tuple[tuple[str, float], ...] = (
    ("Theme", 20), ("Task/Action", 30), ("Activity Undertaken / Evidence", 55), ("Activity Outstanding", 40),
    ("Destination", 22), ("New Phase", 22),
)


def write_closedown(actions: list[Action], path: Path | str, built: dt.date, source: str = "",
                    title: str = "Improvement Plan – close down of activity") -> Path:
    """Write the close-down tracker workbook (tracker sheet, then summary) atomically."""
    from etl.workbooks.formats import atomic_workbook, print_setup, tallest_row, write_long_text, write_value

    path = Path(path)
    label = f"{built:%d/%m/%Y}"
    show_phase = any(a.new_phase for a in actions)
    columns = _COLUMNS if show_phase else _COLUMNS[:-1]
    last = len(columns) - 1
    with atomic_workbook(path) as (workbook, formats):
        workbook.set_properties({"title": title, "created": dt.datetime.combine(built, dt.time(9, 0))})
        ws = workbook.add_worksheet(TRACKER_SHEET)
        for col, (_, width) in enumerate(columns):
            ws.set_column(col, col, width)
        ws.merge_range(0, 0, 0, last, title, formats["title"])
        ws.set_row(0, 24)
        ws.merge_range(1, 0, 1, last, f"Built {label}" + (f" from {source}" if source else "")
                       + f" · {len(actions)} actions", formats["subtitle"])
        ws.merge_range(3, 0, 3, last, "Colour key: where each action goes next", formats["section"])
        row = 4
        for destination in DESTINATIONS:
            ws.write_blank(row, 0, None, formats[destination_format(destination)])
            ws.merge_range(row, 1, row, last, destination, formats["text"])
            row += 1
        row += 1
        header_row = row
        for col, (header, _) in enumerate(columns):
            ws.write_string(row, col, header, formats["header"])
        ws.set_row(row, 30)
        row += 1
        for theme, group in by_theme(actions).items():
            noun = "action" if len(group) == 1 else "actions"
            row = write_long_text(ws, formats, row, 0, last, f"{theme} ({len(group)} {noun})",
                                  sum(w for _, w in columns), "label")
            for action in group:
                fmt = formats[destination_format(action.destination)]
                cells = (action.theme, action.task, action.evidence, action.outstanding, action.destination,
                         action.new_phase)
                for col, value in enumerate(cells[:len(columns)]):
                    write_value(ws, row, col, value, fmt)
                ws.set_row(row, tallest_row((v, w) for v, (_, w) in zip(cells, columns)))
                row += 1
        ws.autofilter(header_row, 0, row - 1, last)
        ws.freeze_panes(header_row + 1, 0)
        print_setup(ws, landscape=True, repeat_rows=(header_row, header_row))
        _write_summary(workbook, formats, actions, label)
    return path


def _write_summary(workbook, formats, actions: list[Action], label: str) -> None:
    from etl.workbooks.formats import print_setup

    ws = workbook.add_worksheet(SUMMARY_SHEET)
    ws.set_column(0, 0, 46)
    ws.set_column(1, len(DESTINATIONS) + 1, 18)
    ws.write_string(0, 0, "Close-down summary: actions per theme and destination", formats["title"])
    ws.write_string(1, 0, f"Built {label}", formats["subtitle"])
    ws.write_string(3, 0, "Theme", formats["header"])
    for col, destination in enumerate(DESTINATIONS, start=1):
        ws.write_string(3, col, destination, formats[destination_format(destination)])
    ws.write_string(3, len(DESTINATIONS) + 1, "Total", formats["header"])
    ws.set_row(3, 45)
    row = 4
    for theme, counts in summary_counts(actions).items():
        ws.write_string(row, 0, theme, formats["wrap"])
        for col, destination in enumerate(DESTINATIONS, start=1):
            ws.write_number(row, col, counts[destination], formats["int"])
        ws.write_number(row, len(DESTINATIONS) + 1, sum(counts.values()), formats["int"])
        row += 1
    ws.write_string(row, 0, "Total", formats["total_label"])
    for col, destination in enumerate(DESTINATIONS, start=1):
        ws.write_number(row, col, sum(a.destination == destination for a in actions), formats["total_int"])
    ws.write_number(row, len(DESTINATIONS) + 1, len(actions), formats["total_int"])
    ws.freeze_panes(4, 1)
    print_setup(ws, landscape=True, repeat_rows=(3, 3))


def closedown_path(outputs: Path | str, built: dt.date) -> Path:
    """`<outputs>/closedown_<YYYY-MM-DD>.xlsx`."""
    return Path(outputs) / f"closedown_{built.isoformat()}.xlsx"


def build_closedown(source: Path | str, outputs: Path | str, built: dt.date) -> tuple[Path, list[Action]]:
    """Read and check the actions, write the tracker; its path and the actions."""
    actions = load_actions(source)
    return write_closedown(actions, closedown_path(outputs, built), built, Path(source).name), actions


def write_actions(records: list[dict[str, object]], path: Path | str, created: dt.datetime | None = None) -> Path:
    """Write an actions workbook (sheet `Actions`) from rows keyed by the headers, as an officer keeps it."""
    from etl.workbooks.formats import Column, write_list_workbook

    widths = {"Theme": 30, "Task/Action": 40, "Activity Undertaken / Evidence": 60, "Activity Outstanding": 40,
              "Destination": 30, "New Phase": 30}
    columns = [Column(h, h, "wrap", widths[h]) for h in HEADERS]
    return write_list_workbook(path, SHEET, columns, records, "Close-down actions", created)
