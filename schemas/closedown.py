"""The close-down tracker contract: its headers, the four destinations, and a pandera schema.

When an improvement phase ends each action is closed down into one of four destinations
(seeds 002 and 003). The schema validates the raw cells as typed, so every failure can
quote what the officer wrote; `canonical_destination` accepts the variants officers type
(any case, spaces, a hyphen or dash in place of the en dash).
"""

from __future__ import annotations

import re

import pandera.pandas as pa

from etl.rules import values
from etl.contracts.tables import CheckMessage
from schemas.checks import blank, column, required

#: Header as officers write it → the field name used in code. Order is the contract's.
HEADERS: dict[str, str] = {
    "Theme": "theme",
    "Task/Action": "task",
    "Activity Undertaken / Evidence": "evidence",
    "Activity Outstanding": "outstanding",
    "Destination": "destination",
    "New Phase": "new_phase",
}
#: Headers a tracker may leave out.
OPTIONAL: tuple[str, ...] = ("New Phase",)

COMPLETED_REVIEW = "Completed and future review in Directorate plans"
COMPLETED = "Completed – no further action"
NEXT_PHASE = "Move to next improvement phase"
DIRECTORATE = "Moving to Directorate plans"
#: The four destinations, in the order of the colour key.
DESTINATIONS: tuple[str, ...] = (COMPLETED_REVIEW, COMPLETED, NEXT_PHASE, DIRECTORATE)


def _key(text: str) -> str:
    text = re.sub(r"\s*[-‐‑‒–—―]+\s*", " - ", text.casefold())
    return " ".join(text.split())


_BY_KEY = {_key(d): d for d in DESTINATIONS}


def canonical_destination(value: object) -> str | None:
    """The destination a typed value names (case, spacing and dash style ignored); None if none."""
    text = values.clean_text(value)
    return None if text is None else _BY_KEY.get(_key(text))


def messages() -> dict[str, CheckMessage]:
    """Check name → how its failure is reported to the officer."""
    choices = "; ".join(f"'{d}'" for d in DESTINATIONS)
    return {
        "destination": CheckMessage(lambda v: f"'{v}' is not a destination: use one of {choices}"),
        "destination_required": CheckMessage(lambda v: f"Destination is blank: use one of {choices}"),
        "task_required": CheckMessage(lambda v: "Task/Action is blank: say which action this row closes down"),
        "theme_required": CheckMessage(
            lambda v: "Theme is blank on the first action: give the theme (later rows may leave it blank "
            "to continue the theme above)"),
    }


def build_schema() -> pa.DataFrameSchema:
    """The close-down actions schema (after the theme has been carried down blank rows)."""
    columns = {key: column() for key in HEADERS.values()}
    columns.update(
        theme=column(required("theme_required")),
        task=column(required("task_required")),
        destination=column(
            pa.Check(lambda v: blank(v) or canonical_destination(v) is not None, element_wise=True,
                     name="destination"),
            required("destination_required"),
        ),
    )
    return pa.DataFrameSchema(columns, strict=False, name="closedown")
