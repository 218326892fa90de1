"""The close-down tracker: seed 002's actions, coloured by destination, counted per theme."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import cli
from conftest import ROOT, office_for
from etl.cycle.closedown import SUMMARY_SHEET, TRACKER_SHEET, load_actions
from etl.workbooks.inputs import write_actions
from etl.workbooks.formats import SOFT_FILLS, Formats
from schemas.closedown import DESTINATIONS, HEADERS, canonical_destination

EXAMPLE_CSV = ROOT / "etl" / "demo" / "examples_data" / "closedown.csv"
EXAMPLE_XLSX = ROOT / "inputs" / "closedown.xlsx"
DAY = dt.date(2023, 10, 20)


def expected_fill(destination: str) -> str:
    return Formats._SPECS[SOFT_FILLS[DESTINATIONS.index(destination)]]["bg_color"].lstrip("#").upper()


def rgb(cell) -> str:
    return (cell.fill.fgColor.rgb or "")[-6:].upper()


def actions_csv(path: Path, rows: list[list[str]], headers: list[str] | None = None) -> Path:
    """An officer's actions exported to CSV: one list per row, in the header order."""
    headers = headers or list(HEADERS)[:5]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def example_counts() -> Counter:
    """(theme, destination) counts straight from the CSV source, the theme carried down."""
    counts: Counter = Counter()
    theme = None
    with open(EXAMPLE_CSV, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            theme = row["Theme"] or theme
            counts[theme, row["Destination"]] += 1
    return counts


@pytest.fixture(scope="module")
def tracker(tmp_path_factory) -> Path:
    path, _ = office_for(tmp_path_factory.mktemp("cd")).closedown(EXAMPLE_XLSX, DAY)
    return path


def test_rows_are_filled_in_their_destinations_colour(tracker):
    assert tracker.name == "closedown_2023-10-20.xlsx"
    ws = openpyxl.load_workbook(tracker)[TRACKER_SHEET]
    header = next(r[0].row for r in ws.iter_rows(max_col=1) if r[0].value == "Theme")
    assert [c.value for c in ws[header]][:5] == list(HEADERS)[:5]
    seen = Counter()
    for row in ws.iter_rows(min_row=header + 1):
        destination = row[4].value
        if destination in DESTINATIONS:
            assert {rgb(c) for c in row[:5]} == {expected_fill(destination)}, row[1].value
            seen[destination] += 1
    assert sum(seen.values()) == 19 and set(seen) == set(DESTINATIONS)
    assert len({expected_fill(d) for d in DESTINATIONS}) == 4  # four distinct colours


def test_colour_key_at_the_top(tracker):
    ws = openpyxl.load_workbook(tracker)[TRACKER_SHEET]
    key = {ws.cell(r, 2).value: rgb(ws.cell(r, 1)) for r in range(1, 12) if ws.cell(r, 2).value in DESTINATIONS}
    assert key == {d: expected_fill(d) for d in DESTINATIONS}
    assert ws["A1"].value == "Improvement Plan – close down of activity"


def test_tracker_is_grouped_by_theme(tracker):
    ws = openpyxl.load_workbook(tracker)[TRACKER_SHEET]
    groups = [r[0].value for r in ws.iter_rows(max_col=1) if str(r[0].value).endswith(("actions)", "action)"))]
    assert groups == [
        "Governance & Decision Making Improvement theme (Phase 2) (3 actions)",
        "Project, Plans and Delivery Improvement theme (Phase 2) (6 actions)",
        "Procurement Improvement theme (Phase 2) (1 action)",
        "Partnerships Improvement theme (Phase 2) (4 actions)",
        "Confidence, culture and capacity Improvement theme (Phase 2) (5 actions)",
    ]


def test_summary_counts_per_theme_and_destination(tracker):
    ws = openpyxl.load_workbook(tracker)[SUMMARY_SHEET]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=4)]
    assert rows[0] == ["Theme", *DESTINATIONS, "Total"]
    expected = example_counts()
    body = rows[1:-1]
    for theme, *counts, total in body:
        assert counts == [expected[theme, d] for d in DESTINATIONS]
        assert total == sum(counts)
    assert rows[-1] == ["Total", *[sum(v for (t, d), v in expected.items() if d == dest) for dest in DESTINATIONS], 19]
    assert [rgb(c) for c in list(ws.iter_rows(min_row=4, max_row=4))[0][1:5]] == [expected_fill(d) for d in DESTINATIONS]
    # The totals row is one rule across: the label is styled like the figures beside it.
    total = list(ws.iter_rows(min_row=ws.max_row, max_row=ws.max_row))[0]
    assert {(c.border.top.style, c.font.b) for c in total} == {("medium", True)}


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("completed - no further action", DESTINATIONS[1]),
        ("Completed—no further action", DESTINATIONS[1]),
        ("  COMPLETED  –  NO FURTHER ACTION ", DESTINATIONS[1]),
        ("moving to directorate plans", DESTINATIONS[3]),
        ("Move to next\u00a0improvement phase", DESTINATIONS[2]),
        ("Completed and future review in directorate plans", DESTINATIONS[0]),
        ("Completed no further action", None),
        ("Phase 3", None),
        ("", None),
    ],
)
def test_destination_variants(typed, expected):
    assert canonical_destination(typed) == expected


def test_csv_with_variants_and_carried_theme(tmp_path):
    source = actions_csv(tmp_path / "actions.csv", [
        ["Governance", "Constitution", "Agreed", "", "completed - no further action"],
        ["", "Scrutiny", "", "Review", "MOVING TO DIRECTORATE PLANS"],
        ["Culture", "Values", "", "Embed", "move to next improvement phase"],
    ])
    actions = load_actions(source)
    assert [(a.row, a.theme, a.destination) for a in actions] == [
        (2, "Governance", DESTINATIONS[1]), (3, "Governance", DESTINATIONS[3]), (4, "Culture", DESTINATIONS[2]),
    ]


def test_unknown_destinations_are_reported_all_at_once(tmp_path):
    source = actions_csv(tmp_path / "actions.csv", [
        ["Governance", "Constitution", "Agreed", "", "Completed - no further action"],
        ["", "Scrutiny", "", "Review", "Phase 3"],
        ["", "", "", "", "Moving to Directorate plans"],
        ["Culture", "Values", "", "Embed", ""],
        ["", "Leadership", "", "", "Done"],
    ])
    result = CliRunner().invoke(cli.main, ["closedown", str(source), "--outputs", str(tmp_path / "out"),
                                           "--date", "2023-10-20"])
    assert result.exit_code == 2
    assert "4 problems in the close-down tracker" in result.output
    lines = [line.strip() for line in result.output.splitlines() if line.strip().startswith("- ")]
    assert lines == [
        "- actions.csv, row 3, column 'Destination', cell E3: 'Phase 3' is not a destination: use one of "
        "'Completed and future review in Directorate plans'; 'Completed – no further action'; "
        "'Move to next improvement phase'; 'Moving to Directorate plans'",
        "- actions.csv, row 4, column 'Task/Action', cell B4: Task/Action is blank: say which action this row "
        "closes down",
        "- actions.csv, row 5, column 'Destination', cell E5: Destination is blank: use one of "
        "'Completed and future review in Directorate plans'; 'Completed – no further action'; "
        "'Move to next improvement phase'; 'Moving to Directorate plans'",
        "- actions.csv, row 6, column 'Destination', cell E6: 'Done' is not a destination: use one of "
        "'Completed and future review in Directorate plans'; 'Completed – no further action'; "
        "'Move to next improvement phase'; 'Moving to Directorate plans'",
    ]
    assert not (tmp_path / "out").exists()


def test_first_theme_blank_is_an_error(tmp_path):
    source = actions_csv(tmp_path / "a.csv", [["", "Constitution", "", "", "Moving to Directorate plans"]])
    result = CliRunner().invoke(cli.main, ["closedown", str(source), "--outputs", str(tmp_path)])
    assert result.exit_code == 2 and "cell A2: Theme is blank on the first action" in result.output


def test_missing_column_and_missing_sheet(tmp_path):
    source = actions_csv(tmp_path / "a.csv", [["T", "Task", "", ""]], headers=list(HEADERS)[:4])
    result = CliRunner().invoke(cli.main, ["closedown", str(source), "--outputs", str(tmp_path)])
    assert result.exit_code == 2 and "missing column(s) 'Destination'" in result.output
    book = tmp_path / "wrong.xlsx"
    write_actions([{h: "x" for h in HEADERS}], book)
    openpyxl_book = openpyxl.load_workbook(book)
    openpyxl_book["Actions"].title = "Sheet1"
    openpyxl_book.save(book)
    result = CliRunner().invoke(cli.main, ["closedown", str(book), "--outputs", str(tmp_path)])
    assert result.exit_code == 2 and "no sheet named 'Actions'" in result.output


def test_cli_writes_the_tracker(tmp_path):
    result = CliRunner().invoke(cli.main, ["closedown", str(EXAMPLE_XLSX), "--outputs", str(tmp_path),
                                           "--date", "2023-10-20"])
    assert result.exit_code == 0, result.output
    assert "19 actions in 5 themes" in result.output
    assert "Move to next improvement phase: 10" in result.output
    assert (tmp_path / "closedown_2023-10-20.xlsx").exists()


def test_text_is_written_as_text(tmp_path):
    source = actions_csv(tmp_path / "a.csv", [["Theme", "=HYPERLINK(\"x\")", "+44 evidence", "-", "Moving to Directorate plans"]])
    path, _ = office_for(tmp_path).closedown(source, DAY)
    ws = openpyxl.load_workbook(path)[TRACKER_SHEET]
    cells = {c.value: c.data_type for row in ws.iter_rows() for c in row if c.value}
    assert cells['=HYPERLINK("x")'] == "s" and cells["+44 evidence"] == "s"


def test_example_workbook_matches_its_source(tmp_path):
    from etl.demo.examples import FIXED_TIME, text_records

    rebuilt = write_actions(text_records(EXAMPLE_CSV), tmp_path / "c.xlsx", created=FIXED_TIME)
    assert rebuilt.read_bytes() == EXAMPLE_XLSX.read_bytes(), "run scripts/make_example_inputs.py"


def test_sheets_print_on_a4_landscape_with_the_header_repeated(tracker):
    book = openpyxl.load_workbook(tracker)
    for ws in book.worksheets:
        assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
        assert "&F" in ws.oddFooter.left.text
    header = next(r[0].row for r in book[TRACKER_SHEET].iter_rows(max_col=1) if r[0].value == "Theme")
    assert book[TRACKER_SHEET].print_title_rows == f"${header}:${header}"
