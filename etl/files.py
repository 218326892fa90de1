"""Write files so they appear complete or not at all (a temporary file beside the target, then
rename); and the one CSV writer, which keeps spreadsheet programs from running a cell as a formula."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import tempfile
from pathlib import Path
from typing import Iterable, Iterator, Sequence

#: A cell starting with one of these is run as a formula by Excel or LibreOffice when the CSV is
#: opened (OWASP, "CSV Injection"): `=`, `+`, `-`, `@`, tab and carriage return.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: The quote that makes a spreadsheet program show the rest of the cell as text.
_TEXT_MARK = "'"
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def umask() -> int:
    """The process's umask (read without changing it for good)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it replaces `path`.

    On any error the temporary file is removed and whatever was at `path` is untouched.
    The file gets the usual permissions (not the owner-only ones of a temporary file).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def check_writable(folder: Path | str, what: str) -> Path:
    """Make `folder` (and its parents) and prove a file can be written there; `ConfigError` if not.

    Called before work that must not be half-done when its output cannot be written.
    """
    from etl.errors import ConfigError

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".pmo-write-check.", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise ConfigError(f"{folder}: cannot write {what} there ({exc.strerror or exc}); nothing was done. "
                          "Fix the folder's permissions or free some space, or pass --outputs.") from None
    return folder


def csv_safe(value: object) -> str:
    """A cell's text made inert for spreadsheet programs: a leading `'` before a formula start.

    A plain number (`-5`, `+1.5e3`) is left as it is: it is data, not a formula, and open data
    must stay numeric. A cell that already starts with `'` gets one more, so `csv_unescaped`
    gives back exactly what was written.
    """
    text = "" if value is None else str(value)
    if _NUMBER.fullmatch(text):
        return text
    return _TEXT_MARK + text if text.startswith(FORMULA_STARTS + (_TEXT_MARK,)) else text


def csv_unescaped(text: str) -> str:
    """The value `csv_safe` was given (reading back a CSV pmo wrote)."""
    return text[1:] if text.startswith(_TEXT_MARK) else text


def write_csv(path: Path | str, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    """Write a CSV every pmo output uses: atomically, UTF-8 with a byte-order mark (so Excel shows £
    and accents), CRLF line ends, and every cell through `csv_safe` (no formula injection)."""
    path = Path(path)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_safe(h) for h in headers])
    for row in rows:
        writer.writerow([csv_safe(v) for v in row])
    with atomic_path(path) as tmp:
        tmp.write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")
    return path


def file_safe(text: str) -> str:
    """`text` as part of a file name: anything but letters, digits, `-`, `_` and `.` becomes `-`."""
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)
