"""The demo runs the cycle on the bundled data; an office's settings file changes the rules."""

import csv
import dataclasses
import datetime as dt

import pytest
from click.testing import CliRunner

import cli
from conftest import EXAMPLE_PORTFOLIO_XLSX
from etl.config import Settings, load_settings
from etl.demo.runner import DEMO_PERIODS
from etl.errors import ConfigError
from etl.rules.periods import Period
from etl.office import Office


def test_pmo_demo_runs_end_to_end(tmp_path):
    result = CliRunner().invoke(cli.main, ["demo", "--outputs", str(tmp_path / "out"), "--inputs", str(tmp_path / "none")])
    assert result.exit_code == 0, result.output
    assert "Demo complete" in result.output
    for period in DEMO_PERIODS:
        folder = tmp_path / "out" / str(period)
        with open(folder / "distribution.csv", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
        assert rows and all((folder / r["File"]).exists() for r in rows)


def test_settings_file_changes_due_day_and_districts(tmp_path):
    (tmp_path / "pmo.toml").write_text('due_working_day = 1\ndistricts = ["Fenland"]\noffice_email = "pmo@fenland.example"\n')
    settings = load_settings(tmp_path)
    assert settings.allowed_districts == ("Fenland", "Area-wide")
    assert settings.due_working_day == 1 and settings.office_email == "pmo@fenland.example"


def test_due_working_day_setting_reaches_the_distribution_list(tmp_path):
    office = Office(outputs=tmp_path, db=tmp_path / "pmo.db", portfolio_path=EXAMPLE_PORTFOLIO_XLSX,
                    settings=Settings(due_working_day=1))
    written = office.templates(Period(2024, 9)).written
    assert {w.due_date for w in written} == {dt.date(2024, 10, 1)}


@pytest.mark.parametrize(
    "text, message",
    [
        ("due_workin_day = 3\n", "unknown setting(s) due_workin_day"),
        ("due_working_day = 40\n", "'due_working_day' must be a whole number from 1 to 20"),
        ("districts = 'Fenland'\n", "'districts' must be a list of names, not text 'Fenland'"),
        ("due_working_day = \n", "cannot read settings"),
    ],
)
def test_bad_settings_file(tmp_path, text, message):
    (tmp_path / "pmo.toml").write_text(text)
    with pytest.raises(ConfigError, match=message.replace("(", "\\(").replace(")", "\\)")):
        load_settings(tmp_path)


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(Settings)])
def test_every_setting_is_type_checked_by_its_field_type(tmp_path, field):
    """Each setting, including any added later, refuses a value of the wrong type with a short
    message naming the key and the type expected (issue 15, item 10): never a traceback, and a
    huge value is not echoed in full."""
    wrong = "[{ a = 1 }]" if isinstance(getattr(Settings(), field), str) else '"x' + "y" * 100_000 + '"'
    (tmp_path / "pmo.toml").write_text(f"{field} = {wrong}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path)
    message = str(caught.value)
    assert f"'{field}' must be " in message and len(message) < 300, message


def test_settings_of_the_right_type_load(tmp_path):
    (tmp_path / "pmo.toml").write_text('max_return_mb = 5\ndistricts = ["Fenland"]\noffice_name = "PMO"\n')
    settings = load_settings(tmp_path)
    assert (settings.max_return_mb, settings.districts, settings.office_name) == (5.0, ("Fenland",), "PMO")


def test_bad_settings_exit_2(tmp_path):
    (tmp_path / "pmo.toml").write_text("colour = 'blue'\n")
    (tmp_path / "portfolio.xlsx").write_bytes(EXAMPLE_PORTFOLIO_XLSX.read_bytes())
    result = CliRunner().invoke(cli.main, ["templates", "--period", "2024-09", "--inputs", str(tmp_path),
                                           "--outputs", str(tmp_path / "out")])
    assert result.exit_code == 2 and "unknown setting(s) colour" in result.output


def test_demo_ends_with_the_register_for_each_month(tmp_path):
    from openpyxl import load_workbook

    from etl.demo.runner import run_demo
    from etl.cycle.portfolio import load_portfolio
    from etl.cycle.register import register_path

    ctx = run_demo(outputs_dir=tmp_path / "out")
    for period in DEMO_PERIODS:
        assert register_path(tmp_path / "out", period) in ctx.files
    book = load_workbook(register_path(tmp_path / "out", DEMO_PERIODS[-1]), read_only=True)
    ids = [row[0] for row in book["Register"].iter_rows(min_row=2, values_only=True)]
    assert ids == list(load_portfolio(EXAMPLE_PORTFOLIO_XLSX).index)
# ----------------------------------------------------------------------- the demo's returns and ingest


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(cli.main, ["demo", "--outputs", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_demo_ingests_every_scripted_return_month_by_month(demo_run):
    from etl.demo.examples import EXAMPLES as BUNDLED_EXAMPLES
    from etl.demo.runner import demo_returns_folder
    from etl.demo.examples import load_example_returns
    from etl.store.db import Store

    out, output = demo_run
    scripted = load_example_returns(BUNDLED_EXAMPLES / "returns")
    with Store(out / "demo" / "pmo.db") as store:
        for period in DEMO_PERIODS:
            month = scripted[str(period)]
            files = store.files(period)
            rejected = {f["project_id"] for f in files if f["outcome"] == "rejected"}
            stored = {r["project_id"] for r in store.current_returns(period)}
            assert stored == set(month) - rejected
            assert len(files) == len(month)
            assert sorted(p.name for p in demo_returns_folder(out, period).iterdir()) == sorted(
                f"{project}_{period}_highlight.xlsx" for project in month)
            assert f"{period}: accepted {len(stored)}, rejected {len(rejected)}" in output
            assert (out / str(period) / "validation_report.xlsx").exists()
        # Normalised on the way in, and the previous RAG carried from the month before.
        march = store.current_returns("2023-09")
        by_project = {r["project_id"]: r for r in march}
        assert by_project["CPCA-016"]["rag_this_period"] == "Red"
        assert by_project["CPCA-016"]["rag_previous"] == "Amber/Red"
        assert by_project["CPCA-013"]["rag_this_period"] == "Green/Amber"  # typed "Green / Amber"
        assert by_project["CPCA-013"]["completed_by"] == "Graham Ransome"  # typed with a non-breaking space
        late = by_project["CPCA-045"]
        assert dt.datetime.fromisoformat(late["received_at"]).date() == dt.date(2023, 10, 18)


def test_demo_rejects_two_september_returns_and_reports_them(demo_run):
    import openpyxl

    out, output = demo_run
    wb = openpyxl.load_workbook(out / "2023-09" / "validation_report.xlsx", read_only=True)
    rows = list(wb["Problems"].iter_rows(values_only=True))
    problems = [dict(zip(rows[0], r)) for r in rows[1:]]
    files_rows = list(wb["Files"].iter_rows(values_only=True))
    outcomes = {r[0]: r[2] for r in files_rows[1:]}
    wb.close()
    assert outcomes["CPCA-044_2023-09_highlight.xlsx"] == "Rejected"
    assert outcomes["CPCA-059_2023-09_highlight.xlsx"] == "Rejected"
    purple = next(p for p in problems if p["Project ID"] == "CPCA-044")
    from etl.demo.runner import demo_returns_folder
    from helpers_returns import name_cell

    sent = demo_returns_folder(out, DEMO_PERIODS[-1]) / "CPCA-044_2023-09_highlight.xlsx"
    assert purple["Field"] == "Status this period" and purple["Value"] == "Purple"
    assert purple["Cell"] == name_cell(sent, "rag_this_period")
    blank = next(p for p in problems if p["Project ID"] == "CPCA-059")
    assert blank["Field"] == "Project manager update" and "required" in blank["Problem"]
    assert "rejected 2" in output.split("2023-09: accepted")[1].splitlines()[0]


def test_demo_publishes_the_dashboard_for_its_month(demo_run):
    import json

    from etl.cycle.dashboard import dashboard_folder
    from etl.cycle.portfolio import load_portfolio

    out, output = demo_run
    folder = dashboard_folder(out, DEMO_PERIODS[-1])
    data = json.loads((folder / "projects.json").read_text(encoding="utf-8"))
    assert [p["project_id"] for p in data["projects"]] == list(load_portfolio(EXAMPLE_PORTFOLIO_XLSX).index)
    assert "The public Performance Dashboard" in output and str(folder / "index.html") in output
