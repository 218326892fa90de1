"""Scripted example returns for the demo: what named partners "typed" in a given month.

`examples/returns/*.json` hold, per period and project, the field values and table rows
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

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from etl.contracts import fields as F
from etl.errors import ConfigError
from etl.cycle.templates import Answers


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
