"""Text from files made safe to print on a terminal: no control character can move the cursor,
erase a line, change colours or reorder text.

A return's cells, a file's name or a sheet's name can carry ANSI escape sequences, carriage
returns, backspaces or Unicode bidirectional overrides; printed as they are, they can erase the
"Rejected:" lines and show a fake all-clear (issue 15). `terminal_safe` shows each such
character as a visible escape (`\\x1b`, `\\r`, `\\u202e`) instead. The CLI passes every line it
prints through it, at the edge.
"""

from __future__ import annotations

import re

# C0 controls (tab and newline included: a value must not start a line of its own), DEL, C1
# controls, and the Unicode format characters that reorder or hide text (bidi embeddings,
# overrides and isolates, zero-width marks, the line and paragraph separators), and the lone
# surrogates that stand for the bytes of a file name that is not valid UTF-8.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")


def _visible(match: re.Match) -> str:
    char = match.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if char in named:
        return named[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: object, keep_newlines: bool = False) -> str:
    """`text` with every control and reordering character shown as a visible escape.

    `keep_newlines` keeps line breaks that pmo itself put between lines (the text's own
    values must then have been made safe first).
    """
    text = str(text)
    if keep_newlines:
        return "\n".join(_UNSAFE.sub(_visible, line) for line in text.split("\n"))
    return _UNSAFE.sub(_visible, text)
