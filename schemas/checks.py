"""Check builders shared by the schemas of officers' tables (portfolio, KPIs, close-down).

The schemas validate raw cells as typed (blank cells are None), so every failure still
holds what the officer typed and can be quoted back; each check is named, and each schema's
`messages` turns a check name into the message.
"""

from __future__ import annotations

from typing import Callable

import pandera.pandas as pa

from etl.rules import values


def blank(value: object) -> bool:
    """Nothing typed, or only spaces."""
    return values.clean_text(value) is None


def parses(parser: Callable[[object], object]) -> Callable[[object], bool]:
    """True where `parser` accepts the value (it raises ValueError otherwise)."""
    def check(value: object) -> bool:
        try:
            parser(value)
        except ValueError:
            return False
        return True

    return check


def canonical_choice(value: object, choices: tuple[str, ...]) -> str | None:
    """The choice a typed value names, ignoring case and stray spaces; None if none."""
    text = values.clean_text(value)
    if text is None:
        return None
    folded = " ".join(text.split()).casefold()
    for choice in choices:
        if choice.casefold() == folded:
            return choice
    return None


def column(*checks: pa.Check, unique: bool = False) -> pa.Column:
    """A column of raw cells with these checks (blank cells allowed unless a check says not)."""
    return pa.Column(object, list(checks), nullable=True, unique=unique, required=True)


def element(fn: Callable[[object], bool], name: str) -> pa.Check:
    return pa.Check(fn, element_wise=True, name=name)


def required(name: str) -> pa.Check:
    """Fails on every blank cell of the column."""
    return pa.Check(lambda s: ~s.map(blank), name=name, ignore_na=False)


def parser_reason(parser: Callable[[object], object], fallback: str = "'{value}' is not valid") -> Callable[[object], str]:
    """The parser's own explanation of why a value does not parse (it quotes the value)."""

    def message(value: object) -> str:
        try:
            parser(value)
        except ValueError as exc:
            return str(exc)
        return fallback.format(value=value)

    return message
