"""KPI ratings by data release: the December 2023 re-run of the September sheet keeps the
September ratings ("No new data since"), and a new release compares with the one before it."""

import sqlite3

import openpyxl
import pytest

from conftest import office_for
from etl.rules.periods import Period
from etl.rules.rag import AMBER, GREEN, RED
from helpers_scorecard import EXAMPLE_KPIS_XLSX, kpi_rows, write_kpi_csv

pytestmark = pytest.mark.filterwarnings("ignore:Sparkline Group extension:UserWarning")  # openpyxl cannot read them

SEPTEMBER, DECEMBER, MARCH = Period(2023, 9), Period(2023, 12), Period(2024, 3)
METRIC_2 = "Metric 2: Total jobs in Cambridgeshire and Peterborough"


def blank_previous(rows):
    for row in rows:
        row["Previous Period Performance"] = ""
    return rows


@pytest.fixture
def september_then_december(tmp_path):
    """September 2023 from inputs/kpis.xlsx, then December with the same sheet, previous figures blanked."""
    office = office_for(tmp_path / "out", tmp_path / "pmo.db")
    september = office.scorecard(SEPTEMBER, EXAMPLE_KPIS_XLSX)
    december = office.scorecard(DECEMBER, write_kpi_csv(blank_previous(kpi_rows()), tmp_path / "dec.csv"))
    return office, september, december


def ratings(run):
    return {s.kpi.metric: (s.rag_direction, s.rag_target) for s in run.scored}


def test_december_with_no_new_data_keeps_the_september_ratings(september_then_december):
    """The defect: every rated KPI came out Amber and Red went from 10 to 0."""
    _, september, december = september_then_december
    assert len(september.red) == 10
    assert ratings(december) == ratings(september)
    assert len(december.red) == 10 and december.counts.get(AMBER) == september.counts.get(AMBER) == 1
    assert len(december.no_new_data) == 27
    assert {s.release_note for s in december.scored} == {"No new data since September 2023"}
    metric_2 = next(s for s in december.scored if s.kpi.metric == METRIC_2)
    assert metric_2.previous == 519000.0 and metric_2.travel == "↓"
    assert metric_2.previous_from == "KPI sheet of the September 2023 report"


def test_december_workbook_marks_no_new_data_and_keeps_red_kpis(september_then_december):
    _, september, december = september_then_december
    book = openpyxl.load_workbook(december.path)
    ws = book["Balanced Scorecard"]
    cols = {c.value: c.column for c in ws[4] if c.value}
    notes = [ws.cell(r, cols["Data Release"]).value for r in range(5, ws.max_row + 1)
             if ws.cell(r, cols["Metric"]).value]
    assert notes.count("No new data since September 2023") == 27
    red = book["Red KPIs"]
    listed = {red.cell(r, 2).value for r in range(5, red.max_row + 1) if red.cell(r, 2).value}
    assert listed == {s.kpi.metric for s in september.red}
    summary = {book["Summary"].cell(r, 1).value: book["Summary"].cell(r, 2).value
               for r in range(5, book["Summary"].max_row + 1)}
    assert summary["KPIs with no new data since an earlier report (ratings kept)"] == 27
    assert summary["Red KPIs (against direction or target)"] == 10


def test_rerunning_december_gives_the_same_ratings_and_stores_each_release_once(september_then_december, tmp_path):
    office, september, december = september_then_december
    again = office.scorecard(DECEMBER, tmp_path / "dec.csv")
    assert ratings(again) == ratings(september) and len(again.no_new_data) == 27
    with sqlite3.connect(tmp_path / "pmo.db") as con:
        releases = con.execute("SELECT COUNT(*), MIN(first_period), MAX(first_period) FROM kpi_releases").fetchone()
        periods = con.execute("SELECT period, COUNT(*) FROM kpi_values GROUP BY period ORDER BY period").fetchall()
    assert releases == (27, "2023-09", "2023-09")
    assert periods == [("2023-09", 27), ("2023-12", 27)]


def test_a_new_release_compares_with_the_release_before_it(september_then_december, tmp_path):
    """March 2024: Metric 2 has 2022 data (521,000): compared with 2021's 516,000, not with
    itself or the December report; Metric 7 is unchanged and keeps its Red."""
    office, _, _ = september_then_december
    rows = blank_previous(kpi_rows())
    jobs = next(r for r in rows if r["Metric"] == METRIC_2)
    jobs["Date of Latest Available Data"], jobs["Current Period Performance"] = "2022", "521000"
    march = office.scorecard(MARCH, write_kpi_csv(rows, tmp_path / "mar.csv"))
    metric_2 = next(s for s in march.scored if s.kpi.metric == METRIC_2)
    assert (metric_2.previous, metric_2.travel, metric_2.rag_direction) == (516000.0, "↑", GREEN)
    assert metric_2.previous_from == "2021 data, reported September 2023"
    assert metric_2.release_note == "New data" and not metric_2.no_new_data_since
    assert len(march.red) == 9 and len(march.no_new_data) == 26
    metric_7 = next(s for s in march.scored if s.kpi.metric.startswith("Metric 7:"))
    assert metric_7.rag_direction == RED and metric_7.release_note == "No new data since September 2023"


def test_a_previous_figure_typed_on_the_sheet_still_wins_and_is_named(september_then_december, tmp_path):
    office, _, _ = september_then_december
    rows = blank_previous(kpi_rows())
    jobs = next(r for r in rows if r["Metric"] == METRIC_2)
    jobs["Date of Latest Available Data"], jobs["Current Period Performance"] = "2022", "521000"
    jobs["Previous Period Performance"] = "525000"  # the officer's own figure: a fall, so Red
    march = office.scorecard(MARCH, write_kpi_csv(rows, tmp_path / "mar.csv"))
    metric_2 = next(s for s in march.scored if s.kpi.metric == METRIC_2)
    assert (metric_2.previous, metric_2.previous_from, metric_2.rag_direction) == (525000.0, "KPI sheet", RED)
    ws = openpyxl.load_workbook(march.path)["Balanced Scorecard"]
    cols = {c.value: c.column for c in ws[4] if c.value}
    row = next(r for r in range(5, ws.max_row + 1) if ws.cell(r, cols["Metric"]).value == METRIC_2)
    assert ws.cell(row, cols["Previous Figure From"]).value == "KPI sheet"


def test_a_revised_figure_for_the_same_data_date_is_rated_against_the_release_before(tmp_path):
    office = office_for(tmp_path / "out", tmp_path / "pmo.db")
    rows = blank_previous(kpi_rows())
    jobs = next(r for r in rows if r["Metric"] == METRIC_2)
    jobs["Date of Latest Available Data"], jobs["Current Period Performance"] = "2020", "519000"
    office.scorecard(Period(2023, 6), write_kpi_csv(rows, tmp_path / "jun.csv"))
    jobs["Date of Latest Available Data"], jobs["Current Period Performance"] = "2021", "516000"
    office.scorecard(SEPTEMBER, write_kpi_csv(rows, tmp_path / "sep.csv"))
    jobs["Current Period Performance"] = "520000"  # ONS revised the 2021 figure
    revised = office.scorecard(DECEMBER, write_kpi_csv(rows, tmp_path / "dec.csv"))
    metric_2 = next(s for s in revised.scored if s.kpi.metric == METRIC_2)
    assert metric_2.release_note == "Revised figure"
    assert (metric_2.previous, metric_2.rag_direction) == (519000.0, GREEN)


def test_a_store_from_before_data_releases_is_upgraded_in_place(tmp_path):
    """A store written before issue 12 (schema 2: values per report only) gains the release
    and Most Complex tables on first use, and its reports' values are kept."""
    from etl.store.db import MIGRATIONS, SCHEMA_VERSION, _statements

    path = tmp_path / "pmo.db"
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:2]:
        for statement in _statements(script):
            db.execute(statement)
    db.execute("INSERT INTO kpi_values (period, metric, value, recorded_at) VALUES ('2023-06', ?, 519000, 'x')",
               (METRIC_2,))
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    run = office_for(tmp_path / "out", path).scorecard(SEPTEMBER, EXAMPLE_KPIS_XLSX)
    assert len(run.red) == 10
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert con.execute("SELECT COUNT(*) FROM kpi_releases").fetchone() == (27,)
        assert con.execute("SELECT COUNT(*) FROM scorecard_projects WHERE period = '2023-09'").fetchone() == (7,)
        assert con.execute("SELECT period FROM kpi_values WHERE metric = ? ORDER BY period", (METRIC_2,)).fetchall() \
            == [("2023-06",), ("2023-09",)]
