"""RAG rules: the five-point project scale, its typed variants, direction of travel, escalation.

The scale and its definitions come from the Improvement Plan highlight report (seed 000);
direction of travel and escalation from the Performance Management Framework (seed 004,
"Project reporting").
"""

from __future__ import annotations

import re

GREEN = "Green"
GREEN_AMBER = "Green/Amber"
AMBER = "Amber"
AMBER_RED = "Amber/Red"
RED = "Red"

#: Best to worst.
RAG_SCALE: tuple[str, ...] = (GREEN, GREEN_AMBER, AMBER, AMBER_RED, RED)

#: What each rating means for a project (seed 000's methodology, said of a project).
RAG_DEFINITIONS: dict[str, str] = {
    GREEN: "Successful delivery of the project to time, cost and quality appears to be highly likely.",
    GREEN_AMBER: (
        "Successful delivery of the project within timescale appears probable. However, constant "
        "attention will be needed to ensure risks do not materialise into issues threatening delivery."
    ),
    AMBER: (
        "Successful delivery of the project appears feasible, but issues exist requiring attention. "
        "These appear resolvable at this stage, and if addressed properly, should not represent a "
        "schedule overrun."
    ),
    AMBER_RED: (
        "Successful delivery of the project is in doubt with major risks or issues apparent in some "
        "key areas. Action is underway to ensure these are addressed and establish whether "
        "resolution is feasible."
    ),
    RED: (
        "Successful delivery of the project within the agreed timescale and/or budget appears to be "
        "unachievable as issues have been identified which officers conclude are at present not "
        "manageable or resolvable. The project will therefore need re-profiling."
    ),
}

#: A return may say the project cannot be rated this period, giving one of these reasons.
NOT_RATED = "Not rated"
NOT_RATED_REASONS: tuple[str, ...] = ("Reset", "Exempt", "On hold")
#: What the status drop-down offers: the scale, then Not rated.
STATUS_CHOICES: tuple[str, ...] = (*RAG_SCALE, NOT_RATED)

UP, SAME, DOWN = "↑", "→", "↓"

_COLOURS = {"g": "G", "green": "G", "a": "A", "amber": "A", "r": "R", "red": "R"}
_BY_LETTERS = {
    frozenset("G"): GREEN,
    frozenset("GA"): GREEN_AMBER,
    frozenset("A"): AMBER,
    frozenset("AR"): AMBER_RED,
    frozenset("R"): RED,
}
# "+" is not a separator: "Amber+" is not on the scale and must be questioned.
_SEPARATORS = re.compile(r"[\s/\\\-–—&,|]+|\band\b")


def normalise_rag(value: object) -> str | None:
    """The scale's spelling of a typed RAG (`G`, ` amber `, `A/G`, `Amber-Red`, `AR`…).

    Blank gives None. Anything that is not one of the five ratings raises `ValueError`
    quoting the value: a Green/Red mix, `Blue`, `Amber+`, a number.
    """
    if value is None:
        return None
    text = str(value).replace("\u00a0", " ").strip()
    if not text:
        return None
    tokens = [t for t in _SEPARATORS.split(text.lower()) if t]
    if len(tokens) == 1 and tokens[0] not in _COLOURS and re.fullmatch(r"[gar]{2}", tokens[0]):
        tokens = list(tokens[0])  # "AG", "ra"
    letters = [_COLOURS.get(t) for t in tokens]
    rating = _BY_LETTERS.get(frozenset(letters)) if letters and None not in letters and len(letters) <= 2 else None
    if rating is None:
        raise ValueError(f"'{text}' is not a RAG rating: use one of {', '.join(RAG_SCALE)}")
    return rating


def normalise_status(value: object) -> str | None:
    """A return's status this period: a rating on the scale (as `normalise_rag` reads it) or
    `Not rated` (also typed `not rated`, `unrated`, `N/R`)."""
    text = "" if value is None else str(value).replace("\u00a0", " ").strip()
    if re.sub(r"[\s/\-_.]+", "", text.casefold()) in ("notrated", "unrated", "nr"):
        return NOT_RATED
    try:
        return normalise_rag(value)
    except ValueError:
        raise ValueError(f"'{text}' is not a RAG rating: use one of {', '.join(RAG_SCALE)}, "
                         f"or {NOT_RATED} (with a reason)") from None


def rag_rank(rag: str) -> int:
    """Position on the scale, 0 (Green) to 4 (Red)."""
    return RAG_SCALE.index(rag)


def direction_of_travel(current: str | None, previous: str | None) -> str | None:
    """`↑` better, `→` same, `↓` worse than the previous period; None without both ratings
    (a status of Not rated is no rating)."""
    if current not in RAG_SCALE or previous not in RAG_SCALE:
        return None
    change = rag_rank(previous) - rag_rank(current)
    return UP if change > 0 else DOWN if change < 0 else SAME


def is_escalated(current: str | None, direction: str | None) -> bool:
    """Red, or moving towards red: listed for the Director for Resources and Performance."""
    return current == RED or direction == DOWN


def median_rag(ratings) -> str | None:
    """The median of some ratings on the five-point scale: a programme's suggested RAG.

    Ratings may be typed variants (`G`, `amber/green`); blanks are ignored; a value that is
    not a rating raises `ValueError`. The ratings are ordered best to worst (Green … Red)
    and the middle one is taken. With an even count there are two middle ratings and the
    rule is to take the WORSE of the two (closer to Red): a programme whose workstreams
    are split between Green and Green/Amber is suggested as Green/Amber, never rounded up.
    Ties need no rule (equal ratings are the same rating). No ratings give None.
    """
    ranks = sorted(rag_rank(r) for r in (normalise_rag(v) for v in ratings) if r is not None)
    if not ranks:
        return None
    # For an odd count both indexes are the middle; for an even count, the later (worse) one.
    return RAG_SCALE[ranks[len(ranks) // 2]]
