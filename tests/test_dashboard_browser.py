"""The dashboard in a real browser (headless Chromium), from file:// and from `python -m http.server`.

A user filters, clicks a district and a point, follows a project page and comes back; the
page must make no request elsewhere, set no cookie, run no script from a return, and pass
axe-core's WCAG 2.2 AA checks.
"""

from __future__ import annotations

import pytest

from helpers_browser import chromium, http_server, require_browser
from helpers_dashboard import AS_OF, build_dashboard_case
from helpers_register import PERIOD

# axe-core rules for WCAG 2.0/2.1/2.2 A and AA; "preload" off: axe would fetch the style sheet
# again, which the pages' Content-Security-Policy (rightly) refuses.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
               "preload": False}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from etl.office import Office

    tmp = tmp_path_factory.mktemp("browser")
    portfolio, db = build_dashboard_case(tmp / "case")
    office = Office(inputs=tmp / "inputs", outputs=tmp / "outputs", db=db, portfolio_path=portfolio)
    index, _ = office.dashboard(PERIOD, AS_OF)
    return index.parent


@pytest.fixture(scope="module")
def browser():
    require_browser()
    with chromium() as b:
        yield b


@pytest.fixture(scope="module", params=["file", "http"])
def base(request, site):
    if request.param == "file":
        yield site.as_uri() + "/"
    else:
        with http_server(site) as url:
            yield url


@pytest.fixture
def page(browser, base):
    context = browser.new_context()
    page = context.new_page()
    page.requests, page.errors = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    assert not page.errors, page.errors
    assert all(url.startswith(base) or url.startswith("data:") for url in page.requests), page.requests
    assert context.cookies() == []
    context.close()


def open_index(page, base, hash_=""):
    page.goto(base + "index.html" + hash_)
    page.wait_for_function("window.pmoTimings && window.pmoTimings.ready")


def names_listed(page) -> list[str]:
    return page.locator("#list tbody tr td:first-child a").all_inner_texts()


def count(page, kind, key) -> str:
    return page.locator(f'[data-count="{kind}"][data-key="{key}"]').inner_text()


def visible_points(page) -> int:
    return page.locator("#points a:not(.hidden)").count()


def axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options=AXE_OPTIONS)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in result.response["violations"]]


def test_overview_counts_and_lists(page, base):
    open_index(page, base)
    assert page.locator("#showing").inner_text() == "Showing all 9 projects."
    assert page.locator("html").get_attribute("lang") == "en-GB"
    assert "Position as at 25 October 2024" in page.locator("main").inner_text()
    assert (count(page, "rag", "Red"), count(page, "rag", "Not rated"), count(page, "rag", "No RAG")) == ("1", "1", "3")
    assert (count(page, "direction", "Worsening"), count(page, "returns", "Received"), count(page, "returns", "Due")) == (
        "1", "5", "6")
    assert len(names_listed(page)) == 9 and visible_points(page) == 6
    assert page.locator("#area-wide").inner_text().startswith("River Crossing")
    unmapped = page.locator("#unmapped").inner_text()
    assert "New Bridge" in unmapped and "Library Study" in unmapped and "outside the mapped districts" in unmapped
    assert "Open Government Licence" in page.locator(".map .attribution").inner_text()
    assert axe_violations(page) == []


def test_filters_combine_and_are_kept_in_the_url(page, base):
    open_index(page, base)
    page.get_by_label("Red", exact=True).check()
    assert names_listed(page) == ["Bus Depot"]
    assert count(page, "rag", "Red") == "1" and count(page, "rag", "Green") == "0"
    assert visible_points(page) == 1 and "rag=Red" in page.url
    page.get_by_label("Red", exact=True).uncheck()
    page.locator("select[name=directorate]").select_option("Economy")
    page.get_by_label("Green/Amber", exact=True).check()
    assert names_listed(page) == ["Market Towns"]
    page.get_by_role("button", name="Clear filters").click()
    page.get_by_label("Project name").fill("cycle")
    assert names_listed(page) == ["Cycle Links"]
    assert page.locator("#showing").inner_text() == "Showing 1 of 9 projects: name contains “cycle”."
    page.get_by_label("Red", exact=True).check()
    assert page.locator("#list tbody").inner_text() == "No projects match these filters."
    assert visible_points(page) == 0 and count(page, "rag", "Green") == "0"
    assert axe_violations(page) == []
    # A linked view opens filtered.
    open_index(page, base, "#district=Fenland&rag=Red")
    assert names_listed(page) == ["Bus Depot"]
    assert page.locator("select[name=district]").input_value() == "Fenland"


def test_clicking_a_district_filters_to_it_and_again_clears_it(page, base):
    open_index(page, base)
    page.locator('#districts a[data-district="Fenland"]').click()
    assert sorted(names_listed(page)) == ["Bus Depot", "Depot Roof", "Market Towns"]
    assert page.locator("select[name=district]").input_value() == "Fenland"
    assert visible_points(page) == 3 and "district=Fenland" in page.url
    # From the keyboard: focus the district and press Enter to toggle it off.
    page.locator('#districts a[data-district="Fenland"]').focus()
    page.keyboard.press("Enter")
    assert len(names_listed(page)) == 9


def test_clicking_a_point_opens_the_project_and_back_keeps_the_filters(page, base):
    open_index(page, base, "#directorate=Place")
    point = page.locator('#points a[aria-label^="Cycle Links: RAG status Green, Cambridge"]')
    point.click()
    page.wait_for_url("**/projects/R-03.html*")
    assert page.locator("h1").inner_text() == "Cycle Links"
    main = page.locator("main").inner_text()
    assert "RAG status\nGreen" in main and "Received" in main and "September update R-03" in main
    assert axe_violations(page) == []
    page.get_by_role("link", name="Back to the list of projects").click()
    page.wait_for_url("**/index.html#directorate=Place")  # before evaluating anything in the new page
    page.wait_for_function("window.pmoTimings && window.pmoTimings.ready")
    assert page.locator("select[name=directorate]").input_value() == "Place"
    assert "Cycle Links" in names_listed(page) and "Market Towns" not in names_listed(page)


def test_every_point_and_filter_works_from_the_keyboard(page, base):
    open_index(page, base)
    page.get_by_label("Project name").focus()
    page.keyboard.type("station")
    assert names_listed(page) == ["Station Quarter"]
    page.locator('#points a[aria-label^="Station Quarter"]').focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/projects/R-01.html*")
    # The PM update's <script> is shown as text and never ran.
    assert "<script>window.pwned = 1</script>" in page.locator("main").inner_text()
    assert page.evaluate("window.pwned === undefined")
    assert "[e-mail address withheld]" in page.locator("main").inner_text()


def test_the_data_dictionary_page(page, base):
    page.goto(base + "data.html")
    text = page.locator("main").inner_text()
    assert "projects.geojson" in text and "project_id" in text and "Direction of travel" in text
    assert axe_violations(page) == []
