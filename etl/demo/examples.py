"""The bundled example data: the officer's inputs and the returns named partners "typed".

The example data is package data (`etl/demo/examples_data/`, read with `importlib.resources`),
so an installed pmo runs its demo anywhere. `portfolio.csv`, `kpis.csv`, `closedown.csv`,
`priority_activities.csv` and `gateway_review.csv` (the corporate plan) are the plain-text sources of the officer's workbooks; `write_example_inputs` builds the
workbooks from them (the demo into its own folder, `scripts/make_example_inputs.py` into
`inputs/`). `returns/*.json` hold, per period and project, the field values and table rows
of a return and the day it arrived::

    {"2023-08": {"CPCA-008": {"received": "2023-09-12",
                              "values": {"rag_this_period": "Green", "completed_date": "2023-08-21", ...},
                              "tables": {"milestones_this_period": [["Agree Procurement Code", "Completed", "2023-07-26"]],
                                         "milestones_next_period": [["...", "2023-10-31"]],
                                         "risks": [["...", "...", "Medium"]]}}}}

Values are written into the template as given, except that ISO dates (`YYYY-MM-DD`) for
date fields and date columns become dates. Files are merged; a project may appear in one file only.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.resources
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from etl.contracts import fields as F
from etl.errors import ConfigError
from etl.cycle.templates import Answers


#: Where the bundled example data is (a real folder: pmo is installed unzipped).
EXAMPLES = Path(str(importlib.resources.files("etl.demo") / "examples_data"))
#: A fixed creation time keeps the example workbooks' bytes the same from run to run.
FIXED_TIME = dt.datetime(2023, 9, 1, 9, 0, 0)


def text_records(source: Path | str) -> list[dict[str, object]]:
    """A source's rows as text, blank cells as None (the close-down actions of seed 002; the
    KPIs, whose figures such as `62.60%` become numbers when written)."""
    with open(source, encoding="utf-8", newline="") as handle:
        return [{h: (v or None) for h, v in row.items()} for row in csv.DictReader(handle)]


#: Portfolio columns an officer's workbook holds as numbers and dates, not text.
_PORTFOLIO_TYPES = {
    "Delivery Cost (£)": float,
    "Latitude": float,
    "Longitude": float,
    "Agreed Completion Date": dt.date.fromisoformat,
}


def portfolio_records(source: Path | str) -> list[dict[str, object]]:
    """The example portfolio's rows, typed as an officer's workbook would hold them."""
    return [{h: (_PORTFOLIO_TYPES[h](v) if h in _PORTFOLIO_TYPES and v is not None else v) for h, v in row.items()}
            for row in text_records(source)]


def write_example_inputs(folder: Path | str) -> list[Path]:
    """Write the example portfolio, KPI sheet, close-down actions and corporate plan (Priority
    Activities, Gateway Review commitments) into `folder`."""
    from etl.workbooks.inputs import write_actions, write_corporate_plan, write_kpis, write_portfolio

    folder = Path(folder)
    return [
        write_portfolio(portfolio_records(EXAMPLES / "portfolio.csv"), folder / "portfolio.xlsx", created=FIXED_TIME),
        write_actions(text_records(EXAMPLES / "closedown.csv"), folder / "closedown.xlsx", created=FIXED_TIME),
        write_kpis(text_records(EXAMPLES / "kpis.csv"), folder / "kpis.xlsx", created=FIXED_TIME),
        write_corporate_plan(text_records(EXAMPLES / "priority_activities.csv"),
                             text_records(EXAMPLES / "gateway_review.csv"), folder / "corporate_plan.xlsx",
                             created=FIXED_TIME),
    ]


@dataclass(frozen=True)
class ExampleReturn:
    answers: Answers
    received: dt.date | None


def _date_or_value(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _answers(raw: dict[str, Any]) -> Answers:
    values = {
        name: _date_or_value(v) if F.FIELD_BY_NAME.get(name) and F.FIELD_BY_NAME[name].kind == "date" else v
        for name, v in raw.get("values", {}).items()
    }
    tables = {}
    for name, rows in raw.get("tables", {}).items():
        kinds = [kind for _, _, kind in F.TABLE_BY_NAME[name].columns]
        tables[name] = [
            tuple(_date_or_value(v) if k == "date" else v for v, k in zip(row, kinds)) for row in rows
        ]
    return Answers(values=values, tables=tables)


def load_example_returns(folder: Path | str) -> dict[str, dict[str, ExampleReturn]]:
    """Period → Project ID → the scripted return, from every JSON file in the folder."""
    merged: dict[str, dict[str, ExampleReturn]] = {}
    for path in sorted(Path(folder).glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read example returns: {exc}") from exc
        for period, projects in data.items():
            for project_id, raw in projects.items():
                if project_id in merged.setdefault(period, {}):
                    raise ConfigError(f"{path}: {project_id} {period} is scripted in another file too")
                received = raw.get("received")
                merged[period][project_id] = ExampleReturn(
                    _answers(raw), dt.date.fromisoformat(received) if received else None
                )
    return merged
