"""Lay out the close-down tracker: the colour key at the top, the actions grouped by theme with
each row filled in its destination's colour, and a summary count per theme and destination.
The actions come from `etl.cycle.closedown`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from etl.rules.dates import uk_date
from etl.cycle.closedown import SUMMARY_SHEET, TRACKER_SHEET, Action, by_theme, summary_counts
from etl.workbooks.formats import SOFT_FILLS, atomic_workbook, print_setup, tallest_row, write_long_text, write_value
from schemas.closedown import DESTINATIONS


def destination_format(destination: str) -> str:
    """The workbook format (soft fill) a destination's rows are filled with."""
    return SOFT_FILLS[DESTINATIONS.index(destination)]


_COLUMNS: tuple[tuple[str, float], ...] = (
    ("Theme", 20), ("Task/Action", 30), ("Activity Undertaken / Evidence", 55), ("Activity Outstanding", 40),
    ("Destination", 22), ("New Phase", 22),
)


def write_closedown(actions: list[Action], path: Path | str, built: dt.date, source: str = "",
                    title: str = "Improvement Plan – close down of activity") -> Path:
    """Write the close-down tracker workbook (tracker sheet, then summary) atomically."""
    path = Path(path)
    label = uk_date(built)
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
