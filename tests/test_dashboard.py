"""`pmo dashboard`: what the public site holds, what it must never hold, and bad input.

The browser's view (filters, map, pages, accessibility) is in test_dashboard_browser.py.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import re

import pytest
from click.testing import CliRunner

import cli
from etl.config import Settings
from etl.cycle.boundaries import boundaries_path, load_boundaries
from helpers_dashboard import AS_OF, HIDDEN_ID, HIDDEN_NAME, SECRETS, build_dashboard_case
from helpers_register import PERIOD

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def run(tmp_path, *extra, period=PERIOD):
    case = tmp_path / "case"
    portfolio, db = (case / "portfolio.csv", case / "pmo.db") if case.exists() else build_dashboard_case(case)
    inputs = tmp_path / "inputs"
    inputs.mkdir(exist_ok=True)
    result = CliRunner().invoke(cli.main, [
        "dashboard", "--period", str(period), "--db", str(db), "--portfolio", str(portfolio),
        "--inputs", str(inputs), "--outputs", str(tmp_path / "outputs"), "--as-of", AS_OF.isoformat(), *extra,
    ])
    return result, tmp_path / "outputs" / str(period) / "dashboard"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dashboard")
    result, folder = run(tmp)
    assert result.exit_code == 0, result.output
    return result, folder


def test_build_says_what_it_published_and_what_is_not_mapped(site):
    result, folder = site
    assert "9 projects published (1 kept off by the portfolio's Publish column); 6 on the map" in result.output
    assert "2 projects listed but not mapped" in result.output
    assert "R-09 New Bridge: no latitude and longitude in the portfolio" in result.output
    assert "R-10 Library Study: 51.5074, -0.1278 is outside the mapped districts" in result.output
    assert "5 of 6 returns due received" in result.output
    assert (folder / "index.html").exists() and (folder / "data.html").exists()
    assert sorted(p.name for p in (folder / "projects").iterdir()) == [
        f"R-{n:02d}.html" for n in range(1, 11) if n != 5]


def test_open_data_has_every_published_project_and_the_map_points(site):
    _, folder = site
    with open(folder / "projects.csv", encoding="utf-8-sig", newline="") as handle:
        rows = {r["project_id"]: r for r in csv.DictReader(handle)}
    assert len(rows) == 9 and HIDDEN_ID not in rows
    assert rows["R-01"]["rag"] == "Amber" and rows["R-01"]["direction"] == "Worsening"
    assert rows["R-01"]["rag_2024-08"] == "Green" and rows["R-01"]["rag_2024-09"] == "Amber"
    assert rows["R-02"]["rag"] == "Red" and rows["R-02"]["direction"] == "No change"
    assert rows["R-06"]["rag"] == "No RAG" and rows["R-06"]["return_status"] == "Not due"
    assert rows["R-01"]["forecast_completion_date"] == "2025-06-30"
    data = json.loads((folder / "projects.json").read_text(encoding="utf-8"))
    assert data["period"] == "2024-09" and data["position_as_at"] == "2024-10-25"
    r01 = next(p for p in data["projects"] if p["project_id"] == "R-01")
    assert r01["rag_history"][-2:] == [{"period": "2024-08", "rag": "Green"}, {"period": "2024-09", "rag": "Amber"}]
    geo = json.loads((folder / "projects.geojson").read_text(encoding="utf-8"))
    points = {f["properties"]["project_id"]: f["geometry"] for f in geo["features"]}
    # Mapped: inside a district; not Area-wide, without coordinates, outside, withheld.
    assert sorted(points) == ["R-01", "R-02", "R-03", "R-04", "R-06", "R-08"]
    assert points["R-03"] == {"type": "Point", "coordinates": [0.1218, 52.2053]}


def test_no_email_address_or_withheld_field_anywhere_in_the_output(site):
    _, folder = site
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert len(files) > 10
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not EMAIL.search(text), f"{path.name}: {EMAIL.search(text)[0]}"
        for secret in (*SECRETS, "Sam Sponsor", "Pat Manager", "Ira Rep", HIDDEN_NAME, f">{HIDDEN_ID}<", f'"{HIDDEN_ID}"'):
            assert secret not in text, f"{secret!r} in {path.name}"
    page = (folder / "projects" / "R-01.html").read_text(encoding="utf-8")
    assert "Ask [e-mail address withheld] for the plans." in page


def test_script_in_a_pm_update_is_written_as_text(site):
    _, folder = site
    page = (folder / "projects" / "R-01.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in page
    assert "<script>window" not in page
    index = (folder / "index.html").read_text(encoding="utf-8")
    data = index.split('<script type="application/json" id="pmo-data">')[1].split("</script>")[0]
    assert "<" not in data  # nothing in the embedded data can close its script element


def test_project_page_shows_the_projects_public_facts(site):
    _, folder = site
    page = (folder / "projects" / "R-01.html").read_text(encoding="utf-8")
    for expected in ("<h1>Station Quarter</h1>", "Amber", "Worsening", "Received", "Delivery", "Peterborough",
                     "Place", "Transport", "A project", "More homes and jobs", "31 March 2025", "30 June 2025",
                     "Planning consent", "1 December 2024", 'href="../index.html"'):
        assert expected in page, expected
    history = page.split("last twelve periods")[1]
    assert re.search(r"2024-08</th><td><span class=\"badge rag-green\">Green", history)
    assert re.search(r"2023-10</th><td>No return", history)


def test_a_period_with_no_returns_still_writes_a_dashboard_that_says_so(tmp_path):
    result, folder = run(tmp_path, period=PERIOD.shift(2))
    assert result.exit_code == 0, result.output
    assert "No returns received for 2024-11" in result.output
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "No highlight reports have been received for November 2024." in index


def test_a_boundary_file_that_is_not_geojson_is_a_clear_error(tmp_path):
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "areas.geojson").write_text("<html>not json</html>", encoding="utf-8")
    (tmp_path / "inputs" / "pmo.toml").write_text('dashboard_boundaries = "areas.geojson"\n', encoding="utf-8")
    result, folder = run(tmp_path)
    assert result.exit_code == 2
    assert "areas.geojson: not valid GeoJSON: not JSON" in result.output
    assert not folder.exists()


def test_a_missing_boundary_file_is_named(tmp_path):
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "pmo.toml").write_text('dashboard_boundaries = "maps/areas.geojson"\n', encoding="utf-8")
    result, _ = run(tmp_path)
    assert result.exit_code == 2
    assert f"{tmp_path / 'inputs' / 'maps' / 'areas.geojson'}: boundary file not found" in result.output


@pytest.mark.parametrize("content, message", [
    ('{"type": "Feature"}', "expected a FeatureCollection"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "Fenland"}, '
     '"geometry": {"type": "Point", "coordinates": [0, 52]}}]}', "feature 1: not valid GeoJSON for a district"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "Atlantis"}, '
     '"geometry": {"type": "Polygon", "coordinates": [[[0, 52], [1, 52], [1, 53], [0, 52]]]}}]}',
     "feature 1 (name='Atlantis') names none of the configured districts"),
])
def test_boundary_file_problems_are_named(tmp_path, content, message):
    from etl.errors import ConfigError

    path = tmp_path / "b.geojson"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_boundaries(path)


def test_the_bundled_boundaries_are_the_six_districts_and_locate_places():
    boundaries = load_boundaries(boundaries_path(Settings()))
    assert sorted(d.name for d in boundaries.districts) == sorted(Settings().districts)
    assert "Open Government Licence v.3.0" in boundaries.attribution
    # Cambridge market square, March, Peterborough cathedral, Huntingdon, Ely, London.
    assert boundaries.locate([0.1218, 0.088, -0.2389, -0.1856, 0.2625, -0.1278],
                             [52.2053, 52.551, 52.5724, 52.3315, 52.3986, 51.5074]) == [
        "Cambridge", "Fenland", "Peterborough", "Huntingdonshire", "East Cambridgeshire", None]


def test_public_fields_come_from_the_settings(tmp_path):
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "pmo.toml").write_text(
        'dashboard_public_fields = ["project_manager", "progress_summary"]\n', encoding="utf-8")
    result, folder = run(tmp_path)
    assert result.exit_code == 0, result.output
    with open(folder / "projects.csv", encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    assert "project_manager" in header and "progress_summary" in header
    assert "project_description" not in header and "rag_2024-09" not in header
    assert "Pat Manager01" in (folder / "projects" / "R-01.html").read_text(encoding="utf-8")


def test_an_unknown_public_field_is_a_usage_error(tmp_path):
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "pmo.toml").write_text('dashboard_public_fields = ["budget"]\n', encoding="utf-8")
    result, _ = run(tmp_path)
    assert result.exit_code == 2
    assert "dashboard_public_fields names unknown field(s) budget" in result.output


def test_publish_must_be_yes_or_no(tmp_path):
    from etl.cycle.portfolio import load_portfolio
    from etl.errors import PortfolioError
    from conftest import write_rows_csv
    from helpers_dashboard import dashboard_rows

    rows = dashboard_rows()
    rows[2]["Publish"] = "perhaps"
    with pytest.raises(PortfolioError) as err:
        load_portfolio(write_rows_csv(rows, tmp_path / "portfolio.csv"))
    [problem] = err.value.problems
    assert (problem.field, problem.row, problem.value) == ("Publish", 4, "perhaps")


def test_a_rebuild_replaces_the_whole_site(tmp_path):
    result, folder = run(tmp_path)
    (folder / "projects" / "OLD-99.html").write_text("stale", encoding="utf-8")
    result, folder = run(tmp_path)
    assert result.exit_code == 0
    assert not (folder / "projects" / "OLD-99.html").exists()
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]
    from etl.files import umask

    assert folder.stat().st_mode & 0o777 == 0o777 & ~umask()  # not private: a web server reads it


def test_page_names_are_safe_and_unique():
    from etl.publish.site import page_names

    assert page_names(["CPCA-001", "A/B 7", "A_B_7", "../x", "a_b_7"]) == {
        "CPCA-001": "CPCA-001.html", "A/B 7": "A_B_7.html", "A_B_7": "A_B_7-2.html", "../x": "x.html",
        "a_b_7": "a_b_7-3.html"}


def test_the_overview_counts_are_in_the_page_before_any_script_runs(site):
    _, folder = site
    index = (folder / "index.html").read_text(encoding="utf-8")
    counts = dict(re.findall(r'data-count="[a-z]+" data-key="([^"]+)">(\d+)<', index))
    # R-08 is closed and keeps its last RAG (Green); R-10's return is Not rated (it came in);
    # have none.
    assert counts == {"Green": "2", "Green/Amber": "1", "Amber": "1", "Amber/Red": "0", "Red": "1", "Not rated": "1",
                      "No RAG": "3",
                      "Improving": "0", "No change": "1", "Worsening": "1", "Not known": "7",
                      "Due": "6", "Received": "5"}
    assert "Showing all 9 projects." in index


def test_before_the_due_date_a_return_not_in_is_awaited_and_still_due(tmp_path):
    result, folder = run(tmp_path, "--as-of", "2024-10-01")  # returns due 14 October
    assert result.exit_code == 0, result.output
    with open(folder / "projects.csv", encoding="utf-8-sig", newline="") as handle:
        rows = {r["project_id"]: r for r in csv.DictReader(handle)}
    assert rows["R-09"]["return_status"] == "Awaited"
    assert rows["R-10"]["rag"] == "Not rated" and rows["R-10"]["return_status"] == "Not rated"
    assert "5 of 6 returns due received" in result.output


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="pages are written by a second process only where there is fork")
def test_pages_written_in_two_processes_are_those_written_in_one(tmp_path, monkeypatch):
    from etl.publish import site

    monkeypatch.setattr(site, "FORK_FROM", 10**9)  # one process
    result, folder = run(tmp_path)
    assert result.exit_code == 0, result.output
    alone = _files(folder)
    forks = []
    real_fork = os.fork

    def fork():
        forks.append(os.getpid())
        return real_fork()

    monkeypatch.setattr(site, "FORK_FROM", 2)  # the case's nine pages: the open data and two pages written by a forked process
    monkeypatch.setattr(site.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(site.os, "fork", fork)
    result, folder = run(tmp_path)
    assert result.exit_code == 0, result.output
    assert forks == [os.getpid()]
    assert _files(folder) == alone
    assert len([name for name in alone if name.startswith("projects/")]) == 9


@pytest.mark.skipif(not hasattr(os, "fork"), reason="pages are written by a second process only where there is fork")
def test_a_page_the_forked_process_cannot_write_leaves_the_last_site_as_it_was(tmp_path, monkeypatch):
    from etl.publish import site

    result, folder = run(tmp_path)
    assert result.exit_code == 0, result.output
    before = _files(folder)
    first_page = sorted(name for name in before if name.startswith("projects/"))[0].split("/")[1]
    real_write = site.write_page

    def disk_full_on_first_page(path, text):  # the first page is among those the forked process writes
        if path.name == first_page:
            raise OSError(errno.ENOSPC, f"No space left on device (process {os.getpid()})", str(path))
        real_write(path, text)

    monkeypatch.setattr(site, "FORK_FROM", 2)
    monkeypatch.setattr(site.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(site, "write_page", disk_full_on_first_page)
    result, _ = run(tmp_path)
    assert result.exit_code == 2, result.output  # a full disk: one line, no traceback
    assert "No space left on device" in result.output and first_page in result.output
    assert f"(process {os.getpid()})" not in result.output  # raised in the forked process, reported here
    assert _files(folder) == before
    assert [p.name for p in folder.parent.iterdir()] == ["dashboard"]  # no half-written site left beside it
