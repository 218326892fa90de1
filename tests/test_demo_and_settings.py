"""The demo runs the cycle on the bundled data; an office's settings file changes the rules."""

import csv
import datetime as dt

import pytest
from click.testing import CliRunner

import cli
from conftest import EXAMPLE_PORTFOLIO_XLSX
from etl.config import Settings, load_settings
from etl.demo import DEMO_PERIODS
from etl.errors import ConfigError
from etl.periods import Period
from etl.templates import prepare_templates


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
    run = prepare_templates(EXAMPLE_PORTFOLIO_XLSX, Period(2024, 9), Settings(due_working_day=1))
    written, _ = run.write(tmp_path)
    assert {w.due_date for w in written} == {dt.date(2024, 10, 1)}


@pytest.mark.parametrize(
    "text, message",
    [
        ("due_workin_day = 3\n", "unknown setting(s) due_workin_day"),
        ("due_working_day = 40\n", "'due_working_day' must be a whole number from 1 to 20"),
        ("districts = 'Fenland'\n", "'districts' must be a list of names"),
        ("due_working_day = \n", "cannot read settings"),
    ],
)
def test_bad_settings_file(tmp_path, text, message):
    (tmp_path / "pmo.toml").write_text(text)
    with pytest.raises(ConfigError, match=message.replace("(", "\\(").replace(")", "\\)")):
        load_settings(tmp_path)


def test_bad_settings_exit_2(tmp_path):
    (tmp_path / "pmo.toml").write_text("colour = 'blue'\n")
    (tmp_path / "portfolio.xlsx").write_bytes(EXAMPLE_PORTFOLIO_XLSX.read_bytes())
    result = CliRunner().invoke(cli.main, ["templates", "--period", "2024-09", "--inputs", str(tmp_path),
                                           "--outputs", str(tmp_path / "out")])
    assert result.exit_code == 2 and "unknown setting(s) colour" in result.output


def test_demo_ends_with_the_register_for_each_month(tmp_path):
    from openpyxl import load_workbook

    from etl.demo import run_demo
    from etl.portfolio import load_portfolio
    from etl.register import register_path

    ctx = run_demo(outputs_dir=tmp_path / "out")
    for period in DEMO_PERIODS:
        assert register_path(tmp_path / "out", period) in ctx.files
    book = load_workbook(register_path(tmp_path / "out", DEMO_PERIODS[-1]), read_only=True)
    ids = [row[0] for row in book["Register"].iter_rows(min_row=2, values_only=True)]
    assert ids == list(load_portfolio(EXAMPLE_PORTFOLIO_XLSX).index)
