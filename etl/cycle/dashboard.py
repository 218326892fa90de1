"""The public Performance Dashboard's content: every published project, with only its public fields.

Built from what the register already works out (`build_register`: RAG shown, direction of
travel, return status, dates, the narrative of the return shown), the store's RAG history
(the last twelve periods) and the latest return's description and outcomes. The dashboard
is public, so a project goes out only when its portfolio row does not say `Publish: no`,
and only the fields named in the office's `dashboard_public_fields` go out beside the few
the dashboard is built on (`FIELDS`, `always`). E-mail addresses typed into a published
text are replaced by a note. Where each project sits on the map is decided here too: a
project with no coordinates, or coordinates outside every district, is listed and not
mapped. Laying the site out is `etl.publish.site`'s job; `Office.dashboard` does both.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from etl.config import AREA_WIDE, Settings
from etl.errors import ConfigError
from etl.rules import periods
from etl.rules.periods import Period
from etl.rules.rag import DOWN, NOT_RATED, RAG_SCALE, SAME, UP
from etl.cycle.register import NO_RAG, build_register
from etl.store.db import Store
from etl.cycle.boundaries import Boundaries

HISTORY_PERIODS = 12
DIRECTION_WORDS = {UP: "Improving", SAME: "No change", DOWN: "Worsening"}
NO_DIRECTION = "Not known"
#: The RAG categories the dashboard counts and filters by, best first.
RAG_CATEGORIES: tuple[str, ...] = (*RAG_SCALE, NOT_RATED, NO_RAG)
#: A return came in (a Not rated one too); a return was due (in, awaited or missing).
RECEIVED_STATUSES = (periods.RECEIVED, periods.RECEIVED_LATE, periods.NOT_RATED)
DUE_STATUSES = (*RECEIVED_STATUSES, periods.AWAITED, periods.MISSING)
#: Replaces an e-mail address found in a published text.
EMAIL_WITHHELD = "[e-mail address withheld]"
_EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


@dataclass(frozen=True)
class PublicField:
    """A field the dashboard can publish: its name in the open data, its heading, what it means."""

    name: str
    header: str
    description: str
    #: published whatever the settings say: the dashboard is built on it
    always: bool = False
    #: names a person, holds an e-mail address, a sponsor's comment or a risk
    personal: bool = False
    #: free text typed by a person (e-mail addresses in it are withheld)
    text: bool = False


FIELDS: tuple[PublicField, ...] = (
    PublicField("project_id", "Project ID", "The project's reference in the Programme Office's portfolio.", always=True),
    PublicField("project_name", "Project name", "The project's name.", always=True, text=True),
    PublicField("programme", "Programme", "The programme the project is part of, if any.", text=True),
    PublicField("directorate", "Directorate", "The directorate responsible for the project.", always=True),
    PublicField("service", "Service", "The service or type of activity.", always=True),
    PublicField("district", "District", "The district the project is in, or Area-wide when it serves the whole area.", always=True),
    PublicField("stage", "Stage", "Pipeline, Concept, Business Case, Delivery or Closed.", always=True),
    PublicField("delivery_organisation", "Delivery organisation", "The organisation delivering the project.", text=True),
    PublicField("latitude", "Latitude", "Where the project is (WGS84 latitude); blank when it has no single place.", always=True),
    PublicField("longitude", "Longitude", "Where the project is (WGS84 longitude); blank when it has no single place.", always=True),
    PublicField("rag", "RAG status", "The project's RAG status on the five-point scale (Green, Green/Amber, Amber, "
                "Amber/Red, Red); Not rated when its return gave no rating (reset, exempt or on hold); No RAG when "
                "it has not reported one.", always=True),
    PublicField("rag_period", "RAG reported for", "The period (YYYY-MM) of the return the RAG status comes from; an "
                "earlier period when the project was not due to report this one.", always=True),
    PublicField("direction", "Direction of travel", "The RAG status compared with the return before: Improving, "
                "No change, Worsening, or Not known when there is no earlier RAG.", always=True),
    PublicField("return_status", "Return status", "This period's highlight report: Received, Received late, Not "
                "rated, Awaited (due date not yet passed), Missing (due, not received), Not due, Paused (pipeline) or "
                "Closed.", always=True),
    PublicField("project_description", "Description", "What the project is, from its latest return.", text=True),
    PublicField("project_outcomes", "Outcomes", "What the project is to achieve, from its latest return.", text=True),
    PublicField("agreed_completion_date", "Agreed completion", "The completion date agreed for the project (YYYY-MM-DD)."),
    PublicField("forecast_completion_date", "Forecast completion", "The completion date forecast in the return shown (YYYY-MM-DD)."),
    PublicField("next_key_milestone", "Next key milestone", "The next key milestone, from the return shown.", text=True),
    PublicField("next_key_milestone_date", "Next key milestone date", "When the next key milestone is due (YYYY-MM-DD)."),
    PublicField("progress_summary", "Progress summary", "The project manager's summary of progress, from the return shown.", text=True),
    PublicField("rag_history", "RAG history", "The RAG status reported for each of the last twelve periods (blank: no "
                "return for that period). In projects.csv one column per period, rag_YYYY-MM."),
    PublicField("sponsor", "Sponsor", "The project's sponsor.", personal=True, text=True),
    PublicField("project_manager", "Project manager", "The project manager.", personal=True, text=True),
    PublicField("project_manager_email", "Project manager e-mail", "The project manager's e-mail address.", personal=True),
    PublicField("internal_representative", "Internal representative", "The authority's contract manager.", personal=True, text=True),
    PublicField("internal_representative_email", "Internal representative e-mail", "The contract manager's e-mail address.",
                personal=True),
    PublicField("sponsor_comments", "Sponsor comments", "The sponsor's comments in the latest return.", personal=True, text=True),
    PublicField("top_risk", "Top risk", "The project's top risk, from the return shown.", personal=True, text=True),
    PublicField("top_risk_mitigation", "Top risk mitigation", "How the top risk is mitigated.", personal=True, text=True),
)
FIELD_BY_NAME = {f.name: f for f in FIELDS}


@dataclass
class Dashboard:
    """What the public dashboard shows for a period."""

    period: Period
    as_of: dt.date
    built_at: dt.datetime
    settings: Settings
    boundaries: Boundaries
    #: published fields, in `FIELDS` order
    fields: tuple[PublicField, ...]
    #: one dict per published project: the published fields' values (dates as dates)
    projects: list[dict[str, Any]]
    #: the last twelve periods, oldest first (the columns of `rag_history`)
    history_periods: list[Period]
    #: Project ID → (longitude, latitude) of each project drawn on the map
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: (Project ID, name, why) for each project with a district that is listed but not mapped
    unmapped: list[tuple[str, str, str]] = field(default_factory=list)
    #: projects the portfolio keeps off the dashboard (`Publish: no`)
    withheld: int = 0

    @property
    def returns_received(self) -> int:
        return sum(1 for p in self.projects if p["return_status"] in RECEIVED_STATUSES)

    @property
    def returns_due(self) -> int:
        return sum(1 for p in self.projects if p["return_status"] in DUE_STATUSES)

    def published(self, name: str) -> bool:
        return any(f.name == name for f in self.fields)


def public_fields(settings: Settings) -> tuple[PublicField, ...]:
    """The fields an office publishes: those the dashboard is built on and those it names."""
    unknown = [name for name in settings.dashboard_public_fields if name not in FIELD_BY_NAME]
    if unknown:
        optional = ", ".join(f.name for f in FIELDS if not f.always)
        raise ConfigError(f"pmo.toml: dashboard_public_fields names unknown field(s) {', '.join(unknown)}; "
                          f"known: {optional}")
    named = set(settings.dashboard_public_fields)
    return tuple(f for f in FIELDS if f.always or f.name in named)


def withhold_emails(text: str | None) -> str | None:
    """The text with any e-mail address in it replaced by a note (a dashboard is public)."""
    return _EMAIL_IN_TEXT.sub(EMAIL_WITHHELD, text) if text else text


def build_dashboard(
    portfolio: pd.DataFrame,
    store: Store,
    period: Period,
    as_of: dt.date,
    boundaries: Boundaries,
    settings: Settings | None = None,
) -> Dashboard:
    """The dashboard for `period` as it stands on `as_of` (the register's view, public fields only)."""
    settings = settings or Settings()
    fields = public_fields(settings)
    register = build_register(portfolio, store, period, as_of, settings, record=False)
    months = [period.shift(-back) for back in range(HISTORY_PERIODS - 1, -1, -1)]
    keys = [str(m) for m in months]
    # The returns the register read serve here too; only the latest return of a project whose
    # register row shows none (awaited, missing) is still to be read in full.
    returns = register.history.by_project
    latest_id = {pid: rows[-1]["id"] for pid, rows in returns.items()}
    latest = register.details
    unread = [latest_id[r["project_id"]] for r in register.rows
              if r["project_id"] in latest_id and latest_id[r["project_id"]] not in latest]
    if unread:
        latest = {**latest, **store.returns_by_id(unread)}

    publish = portfolio["publish"] if "publish" in portfolio.columns else pd.Series(True, index=portfolio.index)
    place = {pid: (org, lat, lon) for pid, org, lat, lon in zip(
        portfolio.index, portfolio["delivery_organisation"], portfolio["latitude"], portfolio["longitude"])}
    projects, withheld = [], 0
    for row in register.rows:
        pid = row["project_id"]
        if not publish.get(pid, True):
            withheld += 1
            continue
        organisation, lat, lon = place[pid]
        last = latest.get(latest_id.get(pid, -1), {})
        values = {
            **row,
            "delivery_organisation": organisation,
            "latitude": None if pd.isna(lat) else float(lat),
            "longitude": None if pd.isna(lon) else float(lon),
            "rag": row["rag"] or NO_RAG,
            "rag_period": row["rag_period_key"],
            "direction": DIRECTION_WORDS.get(row["direction"], NO_DIRECTION),
            "return_status": row["status"],
            "project_description": last.get("project_description"),
            "project_outcomes": last.get("project_outcomes"),
            "next_key_milestone_date": row["next_key_milestone_date"],
            "progress_summary": row["pm_update"],
            "sponsor_comments": last.get("sponsor_comments"),
            "rag_history": _rag_history(returns.get(pid, ()), keys),
        }
        projects.append({f.name: withhold_emails(values.get(f.name)) if f.text else values.get(f.name) for f in fields})
    positions, unmapped = _place(projects, boundaries)
    return Dashboard(
        period=period, as_of=as_of, built_at=dt.datetime.now().replace(microsecond=0), settings=settings,
        boundaries=boundaries, fields=fields, projects=projects, history_periods=months,
        positions=positions, unmapped=unmapped, withheld=withheld,
    )


def _rag_history(returns: Any, keys: list[str]) -> list[tuple[str, str | None]]:
    """(period, RAG reported for it or None) for each of `keys`, from a project's returns oldest first."""
    reported = {r["period"]: r["rag_this_period"] for r in returns if r["period"] >= keys[0]}
    return [(key, reported.get(key)) for key in keys]


def _place(projects: list[dict[str, Any]], boundaries: Boundaries) -> tuple[dict[str, tuple[float, float]], list[tuple[str, str, str]]]:
    """Which projects go on the map; the others (not Area-wide) with the reason they are not drawn."""
    candidates = [p for p in projects if p["district"] != AREA_WIDE]
    located = [p for p in candidates if p["latitude"] is not None and p["longitude"] is not None]
    districts = boundaries.locate([p["longitude"] for p in located], [p["latitude"] for p in located])
    inside = {p["project_id"]: d for p, d in zip(located, districts)}
    positions, unmapped = {}, []
    for p in candidates:
        pid = p["project_id"]
        if p["latitude"] is None or p["longitude"] is None:
            unmapped.append((pid, p["project_name"], "no latitude and longitude in the portfolio"))
        elif inside[pid] is None:
            unmapped.append((pid, p["project_name"],
                             f"{p['latitude']:g}, {p['longitude']:g} is outside the mapped districts"))
        else:
            positions[pid] = (p["longitude"], p["latitude"])
    return positions, unmapped


def dashboard_folder(outputs: Path | str, period: Period) -> Path:
    """`outputs/<YYYY-MM>/dashboard/`."""
    return Path(outputs) / str(period) / "dashboard"
