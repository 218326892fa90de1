"""KPI rating rules (seed 004, Appendix 5): RAG against direction for improvement and against target.

Figures are compared as exact rationals made from the decimal a person typed (a float read to
12 significant digits), so 90 against a target of 100 is exactly 10% off: Amber, never Red by a
rounding hair. The project RAG scale and direction arrows come from `etl.rules.rag`.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from etl.rules.rag import AMBER, DOWN, GREEN, RED, SAME, UP



BLUE = "Blue"
BASELINE = "Baseline"
CONTEXTUAL = "Contextual"
IN_DEVELOPMENT = "In Development"
#: Statuses of a KPI that is tracked but not RAG rated.
KPI_STATUSES: tuple[str, ...] = (BASELINE, CONTEXTUAL, IN_DEVELOPMENT)
#: KPI ratings, best to worst.
KPI_RAG_SCALE: tuple[str, ...] = (BLUE, GREEN, AMBER, RED)

#: Appendix 5: RAG rating compared to direction for improvement.
KPI_DIRECTION_DEFINITIONS: dict[str, str] = {
    RED: "Change in performance from previous period to current period is in the opposite direction "
         "to direction for improvement",
    AMBER: "Performance is unchanged from previous to current period",
    GREEN: "Change in performance from previous period to current period is in line with direction "
           "for improvement",
}
#: Appendix 5: RAG rating compared to target, and the statuses of KPIs that are not rated.
KPI_TARGET_DEFINITIONS: dict[str, str] = {
    RED: "Current performance is off target by more than 10%",
    AMBER: "Current performance is off target by 10% or less",
    GREEN: "Current performance is on target by up to 5% over target",
    BLUE: "Current performance is on target by more than 5%",
    BASELINE: "Indicates performance is currently being tracked to inform the target setting process",
    CONTEXTUAL: "These measures track key activity being undertaken, to present a rounded view of "
                "information relevant to the service area, without a performance target",
    IN_DEVELOPMENT: "Measure has been agreed, but data collection, target setting, and dashboard are in "
                    "development",
}

_RED_BEYOND = Fraction(1, 10)  # worse than target by more than 10%: Red
_BLUE_BEYOND = Fraction(1, 20)  # better than target by more than 5%: Blue

_DIRECTION_WORDS = {
    "↑": UP, "up": UP, "higher": UP, "higher is better": UP, "increase": UP,
    "↓": DOWN, "down": DOWN, "lower": DOWN, "lower is better": DOWN, "decrease": DOWN,
}


def exact(value: float | int | Decimal | Fraction | str) -> Fraction:
    """The exact rational for a figure as typed: 0.1 is 1/10, not the float nearest it."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        # 12 significant digits drop the noise of arithmetic such as 9.03 / 100 (a typed "9.03%").
        return Fraction(Decimal(f"{value:.12g}"))
    return Fraction(Decimal(str(value)))


def normalise_direction(value: object) -> str | None:
    """`↑` or `↓` for a typed direction for improvement (`Up`, `higher`, `↓`…); None when blank.

    Raises `ValueError` quoting anything else, `→` included: "no change is better" is not a
    direction for improvement.
    """
    if value is None:
        return None
    text = " ".join(str(value).replace("\u00a0", " ").split())
    if not text:
        return None
    direction = _DIRECTION_WORDS.get(text.casefold())
    if direction is None:
        hint = " (→ is a direction of travel; say whether higher or lower is better)" if text == SAME else ""
        raise ValueError(f"'{text}' is not a direction for improvement: use ↑ (higher is better) or ↓ "
                         f"(lower is better){hint}")
    return direction


def kpi_direction_of_travel(current: float | None, previous: float | None) -> str | None:
    """The sign of the change, whatever is better: `↑`, `→`, `↓`; None without both figures."""
    if current is None or previous is None:
        return None
    change = exact(current) - exact(previous)
    return UP if change > 0 else DOWN if change < 0 else SAME


def rag_vs_direction(current: float | None, previous: float | None, direction: str) -> str | None:
    """Green when the change follows the direction for improvement, Amber unchanged, Red opposite."""
    travel = kpi_direction_of_travel(current, previous)
    if travel is None:
        return None
    if travel == SAME:
        return AMBER
    return GREEN if travel == direction else RED


def shortfall(current: float, target: float, direction: str) -> Fraction:
    """How far the current figure is worse than target, as a fraction of the target.

    Positive is worse, negative better; "better" follows the direction for improvement.
    A target of zero has no scale: any miss counts as a whole target's worth (see
    `rag_vs_target`).
    """
    gap = exact(current) - exact(target)
    worse = -gap if direction == UP else gap
    scale = abs(exact(target))
    if scale == 0:
        return Fraction(0) if worse == 0 else Fraction(1 if worse > 0 else -1)
    return worse / scale


def rag_vs_target(current: float | None, target: float | None, direction: str) -> str | None:
    """Red more than 10% worse than target; Amber up to and including 10% worse; Green from on
    target up to and including 5% better; Blue more than 5% better. None without a target."""
    if current is None or target is None:
        return None
    off = shortfall(current, target, direction)
    if off > _RED_BEYOND:
        return RED
    if off > 0:
        return AMBER
    if off >= -_BLUE_BEYOND:
        return GREEN
    return BLUE


def kpi_ratings(
    current: float | None,
    previous: float | None,
    target: float | None,
    direction: str,
    status: str | None = None,
) -> tuple[str | None, str | None]:
    """(RAG vs direction, RAG vs target) for one KPI. A KPI with a non-scored status
    (Baseline, Contextual, In Development) shows that status in both places: it is tracked,
    not rated."""
    if status in KPI_STATUSES:
        return status, status
    return rag_vs_direction(current, previous, direction), rag_vs_target(current, target, direction)


BETTER, WORSE, LEVEL = "Better", "Worse", "Level"


def compare_with(current: float | None, comparator: float | None, direction: str | None) -> tuple[float | None, str | None]:
    """(gap, verdict) of a KPI's figure against a comparator (England, a CA average…): the gap
    is current minus comparator; the verdict is Better, Worse or Level following the
    direction for improvement. (None, None) without both figures and a direction."""
    if current is None or comparator is None or direction not in (UP, DOWN):
        return None, None
    gap = exact(current) - exact(comparator)
    if gap == 0:
        return 0.0, LEVEL
    better = gap > 0 if direction == UP else gap < 0
    return float(gap), BETTER if better else WORSE
