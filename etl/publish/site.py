"""Write the public Performance Dashboard as a static site the web team can upload as it is.

`outputs/<YYYY-MM>/dashboard/`: `index.html` (overview, filters, map, list), one page per
project in `projects/`, the open data (`projects.csv`, `projects.json`, `projects.geojson`)
with its dictionary (`data.html`), and the hand-written script and style sheet in `assets/`.
Pages are Jinja2 templates with autoescape on, so text from a return or the portfolio is
always shown as text. The map is SVG drawn here from the boundary file. Nothing is loaded
from another server and the pages' Content-Security-Policy forbids it. The site is written
into a folder beside the target and swapped in whole, so a failed build leaves the last
one as it was. Where the machine can fork and has two cores, a forked process writes the
open data and a third of the project pages meanwhile (`in_two_processes`).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import os
import pickle
import re
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from jinja2 import Environment, PackageLoader, select_autoescape

from etl.config import AREA_WIDE
from etl.files import write_csv
from etl.cycle.dashboard import DUE_STATUSES, NO_RAG, RAG_CATEGORIES, RECEIVED_STATUSES, Dashboard
from etl.cycle.boundaries import Boundaries
from etl.files import umask
from etl.rules.dates import day_month_year

MAP_WIDTH = 640
#: From this many project pages, a second process shares the writing (below, forking costs more than it saves).
FORK_FROM = 1000
#: The share of the pages the forked process writes beside the open data (which takes about as long as a third).
PAGES_IN_FORK = 0.33
ASSETS = ("dashboard.css", "dashboard.js")
RAG_ORDER = RAG_CATEGORIES
DIRECTIONS = ("Improving", "No change", "Worsening", "Not known")
# A CSV cell starting with one of these is a formula to Excel; text from a return must not become one.


@functools.lru_cache(maxsize=None)  # a handful of RAG values, looked up ~20 times on each of 10,000 pages
def rag_class(rag: str | None) -> str:
    """`rag-green-amber` for `Green/Amber`: the CSS class carrying a RAG's colour."""
    return "rag-" + re.sub(r"[^a-z]+", "-", (rag or NO_RAG).lower()).strip("-")


def long_date(day: dt.date | None) -> str:
    """`31 March 2025` (a UK date in words, unambiguous to any reader); blank for none."""
    return day_month_year(day) if day else ""


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("etl.publish", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(rag_class=rag_class, long_date=long_date)
    return env


@dataclass(frozen=True)
class _Projection:
    """Longitude/latitude → SVG units: equirectangular, true to scale at the area's middle latitude."""

    west: float
    north: float
    scale: float
    squash: float
    height: float

    @classmethod
    def fit(cls, boundaries: Boundaries, width: float = MAP_WIDTH) -> "_Projection":
        west, south, east, north = boundaries.bounds()
        squash = math.cos(math.radians((south + north) / 2))
        scale = width / ((east - west) * squash)
        return cls(west, north, scale, squash, round((north - south) * scale, 1))

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return round((lon - self.west) * self.squash * self.scale, 1), round((self.north - lat) * self.scale, 1)


def _district_shapes(boundaries: Boundaries, project: _Projection) -> list[dict[str, Any]]:
    shapes = []
    for district in boundaries.districts:
        parts = []
        for ring in district.rings:
            points = [project(lon, lat) for lon, lat in ring]
            parts.append("M" + " L".join(f"{x:g},{y:g}" for x, y in points[:-1]) + " Z")
        largest = max(district.rings, key=len)
        # Label at the mean of the largest ring's vertices: inside for the compact shapes of districts.
        lx, ly = project(sum(p[0] for p in largest) / len(largest), sum(p[1] for p in largest) / len(largest))
        shapes.append({"name": district.name, "d": " ".join(parts), "x": lx, "y": ly})
    return shapes


def page_names(project_ids: list[str]) -> dict[str, str]:
    """Project ID → a safe file name for its page (`CPCA-001.html`), unique even when IDs differ only in odd characters."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for pid in project_ids:
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", pid).strip("._") or "project"
        name, n = f"{stem}.html", 1
        while name.lower() in taken:
            n += 1
            name = f"{stem}-{n}.html"
        taken.add(name.lower())
        names[pid] = name
    return names


def _json_value(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _record(dashboard: Dashboard, project: dict[str, Any]) -> dict[str, Any]:
    """A project as it goes into projects.json and projects.geojson."""
    out = {}
    for f in dashboard.fields:
        value = project[f.name]
        if f.name == "rag_history":
            value = [{"period": p, "rag": r} for p, r in value]
        out[f.name] = _json_value(value)
    return out


def _script_json(data: Any) -> str:
    """JSON safe inside an HTML <script> data block: no `<`, `>` or `&` left to end it early."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(_json_value(value))  # `write_csv` keeps any formula start inert


def write_open_data(dashboard: Dashboard, folder: Path) -> list[Path]:
    """projects.csv, projects.json and projects.geojson (mapped projects as Points)."""
    records = [_record(dashboard, p) for p in dashboard.projects]
    # Each record is encoded once, for both files (10,000 projects: encoding is most of the cost).
    encoded = [json.dumps(r, ensure_ascii=False) for r in records]
    header = json.dumps({"period": str(dashboard.period), "position_as_at": dashboard.as_of.isoformat(),
                         "published_by": dashboard.settings.authority_name}, ensure_ascii=False)[1:-1]
    json_path = folder / "projects.json"
    json_path.write_text(f'{{{header},"projects":[{",".join(encoded)}]}}', encoding="utf-8")
    features = []
    for record, text in zip(records, encoded):
        where = dashboard.positions.get(record["project_id"])
        if where is not None:
            features.append(f'{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{where[0]!r},{where[1]!r}]}},'
                            f'"properties":{text}}}')
    geojson_path = folder / "projects.geojson"
    geojson_path.write_text(f'{{"type":"FeatureCollection",{header},"features":[{",".join(features)}]}}',
                            encoding="utf-8")

    names = [f.name for f in dashboard.fields if f.name != "rag_history"]
    history = [str(p) for p in dashboard.history_periods] if dashboard.published("rag_history") else []
    # pmo's one CSV writer: UTF-8 with a byte-order mark (Excel reads £ and accents right; Power BI
    # and ArcGIS accept it), and no cell can run as a formula.
    csv_path = write_csv(folder / "projects.csv", names + [f"rag_{p}" for p in history],
                         ([_csv_text(project[n]) for n in names]
                          + [(dict(project["rag_history"]) if history else {}).get(p) or "" for p in history]
                          for project in dashboard.projects))
    return [csv_path, json_path, geojson_path]


def _browser_data(dashboard: Dashboard, pages: dict[str, str], project: _Projection) -> dict[str, Any]:
    """What the page's script filters: one short array per project (10,000 projects stay ~1.5 MB)."""
    rows = []
    for p in dashboard.projects:
        where = dashboard.positions.get(p["project_id"])
        xy = project(*where) if where else (None, None)
        rows.append([p["project_id"], p["project_name"], p["rag"], p["direction"], p["return_status"], p["district"] or "",
                     p["directorate"] or "", p["service"] or "", pages[p["project_id"]], *xy])
    unmapped = {pid: why for pid, _, why in dashboard.unmapped}
    return {
        "columns": ["id", "name", "rag", "direction", "status", "district", "directorate", "service", "page", "x", "y"],
        "projects": rows,
        "unmapped": unmapped,
        "ragOrder": list(RAG_ORDER),
        "directions": list(DIRECTIONS),
        "areaWide": AREA_WIDE,
        "receivedStatuses": list(RECEIVED_STATUSES),
        "dueStatuses": list(DUE_STATUSES),
    }


def _charts(dashboard: Dashboard) -> list[dict[str, Any]]:
    """The overview's charts with their unfiltered counts, written into the page (what shows
    before the script runs, or without it): (key, count, bar colour class) per row."""
    rag = {r: 0 for r in RAG_ORDER}
    direction = {d: 0 for d in DIRECTIONS}
    for p in dashboard.projects:
        rag[p["rag"]] += 1
        direction[p["direction"]] += 1
    return [
        {"caption": "Projects by RAG status", "heading": "RAG status", "unit": "Projects", "kind": "rag",
         "rows": [(r, n, rag_class(r)) for r, n in rag.items()]},
        {"caption": "Projects by direction of travel", "heading": "Direction of travel", "unit": "Projects",
         "kind": "direction", "rows": [(d, n, "bar-plain") for d, n in direction.items()]},
        {"caption": f"Highlight reports for {dashboard.period.label}", "heading": "Reports", "unit": "Number",
         "kind": "returns", "rows": [("Due", dashboard.returns_due, "bar-plain"),
                                     ("Received", dashboard.returns_received, "bar-received")]},
    ]


def _write_pages(dashboard: Dashboard, folder: Path) -> None:
    """index.html, data.html, a page per project, and the open data (`write_open_data`)."""
    env = _environment()
    project = _Projection.fit(dashboard.boundaries)
    pages = page_names([p["project_id"] for p in dashboard.projects])
    common = {
        "d": dashboard,
        "period_label": dashboard.period.label,
        "as_of": long_date(dashboard.as_of),
        "authority": dashboard.settings.authority_name,
        "attribution": dashboard.boundaries.attribution,
        "rag_order": RAG_ORDER,
        "pub": frozenset(f.name for f in dashboard.fields),
    }
    values = lambda key: sorted({p[key] for p in dashboard.projects if p[key]})  # noqa: E731
    index = env.get_template("index.html").render(
        **common,
        root="",
        charts=_charts(dashboard),
        total=len(dashboard.projects),
        received=dashboard.returns_received,
        directions=DIRECTIONS,
        districts=[*dashboard.settings.districts, AREA_WIDE],
        directorates=values("directorate"),
        services=values("service"),
        shapes=_district_shapes(dashboard.boundaries, project),
        map_width=MAP_WIDTH,
        map_height=project.height,
        data=_script_json(_browser_data(dashboard, pages, project)),
    )
    (folder / "index.html").write_text(index, encoding="utf-8")
    (folder / "data.html").write_text(env.get_template("data.html").render(**common, root=""), encoding="utf-8")
    projects = folder / "projects"
    projects.mkdir()
    template = env.get_template("project.html")  # compiled once, rendered per project

    def write(start: int, stop: int | None = None) -> None:
        for p in dashboard.projects[start:stop]:
            html = template.render(**common, root="../", p=p, mapped=p["project_id"] in dashboard.positions)
            write_page(projects / pages[p["project_id"]], html)

    # With a second process: it writes the open data and a share of the pages while this one
    # writes the other pages.
    split = int(len(dashboard.projects) * PAGES_IN_FORK)
    in_two_processes(lambda: (write_open_data(dashboard, folder), write(0, split)), lambda: write(split),
                     len(dashboard.projects) >= FORK_FROM)


def write_page(path: Path, text: str) -> None:
    """A new file holding `text` in UTF-8: one open, one write, one close (10,000 project pages:
    creating the files costs more than rendering them, so no buffered text layer in between)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        data = memoryview(text.encode("utf-8"))
        while data:
            data = data[os.write(fd, data):]
    finally:
        os.close(fd)


def in_two_processes(forked: Callable[[], None], here: Callable[[], None], worth_it: bool = True) -> None:
    """`forked()` in a forked process while `here()` runs in this one; both one after the other
    here where there is no fork (Windows), only one core, or it is not `worth_it`.

    Writing ten thousand pages is file creation and template rendering, both CPU-bound; a fork
    shares the rendered state without pickling it. An error in the forked process is raised
    here once both are done, so the caller's clean-up (the site swapped in whole or not at all) runs.
    """
    if not worth_it or not hasattr(os, "fork") or (os.cpu_count() or 1) < 2:
        forked()
        here()
        return
    read, written = os.pipe()
    pid = os.fork()
    if pid == 0:  # the forked process: its part, then its outcome through the pipe, then out
        code = 0
        try:
            os.close(read)
            try:
                forked()
            except BaseException as exc:  # noqa: BLE001 (sent to the parent, which raises it)
                code = 1
                try:
                    message = pickle.dumps(exc)
                except Exception:  # noqa: BLE001 (an exception that cannot be pickled: its text)
                    message = pickle.dumps(RuntimeError(f"{exc.__class__.__name__}: {exc}"))
                with os.fdopen(written, "wb") as pipe:
                    pipe.write(message)
        finally:
            os._exit(code)  # never back into the parent's code (no atexit, no buffers flushed twice)
    os.close(written)
    try:
        here()
    finally:
        with os.fdopen(read, "rb") as pipe:
            message = pipe.read()  # blocks until the forked process is done (or has died)
        _, status = os.waitpid(pid, 0)
    if message:
        raise pickle.loads(message)
    if os.waitstatus_to_exitcode(status) != 0:
        raise OSError(f"writing the dashboard stopped in a forked process (exit status {status})")


def write_dashboard(dashboard: Dashboard, folder: Path | str) -> Path:
    """Write the whole site to `folder` (replacing any earlier build once complete); the index page."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".part", dir=folder.parent))
    try:
        os.chmod(work, 0o777 & ~umask())  # a web server must be able to read it (mkdtemp makes it private)
        assets = work / "assets"
        assets.mkdir()
        for name in ASSETS:
            (assets / name).write_bytes((resources.files("etl.publish") / "static" / name).read_bytes())
        _write_pages(dashboard, work)  # and the open data
        old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
        if folder.exists():
            os.replace(folder, old)
        os.replace(work, folder)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return folder / "index.html"
