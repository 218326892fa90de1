"""Settings an office may change: districts, due day, size limits, chase rules.

Defaults follow docs/design.md. An office overrides them in `<inputs>/pmo.toml`, e.g.::

    due_working_day = 8
    districts = ["Cambridge", "Fenland"]
    max_return_mb = 30

Unknown keys are an error (a typo should not silently fall back to a default).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from etl.errors import ConfigError

DEFAULT_DISTRICTS = (
    "Cambridge",
    "East Cambridgeshire",
    "Fenland",
    "Huntingdonshire",
    "Peterborough",
    "South Cambridgeshire",
)
AREA_WIDE = "Area-wide"
SETTINGS_FILE = "pmo.toml"
IMAP_SECURITY = ("tls", "starttls", "plain")


@dataclass(frozen=True)
class Settings:
    """Office-level settings, with the design's defaults (docs/design.md)."""

    districts: tuple[str, ...] = DEFAULT_DISTRICTS
    # Returns are due on this working day of the month after the period.
    due_working_day: int = 10
    # Bank holidays of this part of the UK are not working days.
    holiday_subdivision: str = "ENG"
    max_return_mb: float = 20.0
    chase_escalate_after_days: int = 10
    chase_escalation_email: str = ""
    office_name: str = "Programme Office"
    office_email: str = "pmo@example.gov.uk"
    authority_name: str = "Cambridgeshire and Peterborough Combined Authority"
    # The office's clock (IANA name): an e-mailed return's Date is read in this time zone,
    # so one stamped 23:30 UTC on the due day in summer (00:30 BST the next day) is late.
    timezone: str = "Europe/London"
    # The office mailbox `pmo collect` reads (issue 16); the password only from PMO_IMAP_PASSWORD.
    imap_host: str = ""
    imap_port: int = 0  # 0: 993 for "tls", 143 otherwise
    imap_user: str = ""
    imap_folder: str = "INBOX"
    # "tls" (from the start), "starttls", or "plain" (refused unless the host is this machine).
    imap_security: str = "tls"
    # A certificate file to trust besides the system's (a server with its own certificate).
    imap_ca_file: str = ""
    # Folders to move taken messages to; empty: leave them where they are. Mail is never deleted.
    imap_processed_folder: str = ""
    imap_rejected_folder: str = ""

    @property
    def allowed_districts(self) -> tuple[str, ...]:
        return (*self.districts, AREA_WIDE)


def load_settings(inputs_dir: Path | str | None) -> Settings:
    """Settings from `<inputs_dir>/pmo.toml` when it exists, else the defaults."""
    settings = Settings()
    if inputs_dir is None:
        return settings
    path = Path(inputs_dir) / SETTINGS_FILE
    if not path.exists():
        return settings
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read settings: {exc}") from exc
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    if "districts" in data:
        if not isinstance(data["districts"], list) or not all(isinstance(d, str) for d in data["districts"]):
            raise ConfigError(f"{path}: 'districts' must be a list of names")
        data["districts"] = tuple(d.strip() for d in data["districts"])
    if "due_working_day" in data:
        day = data["due_working_day"]
        if not isinstance(day, int) or not 1 <= day <= 20:
            raise ConfigError(f"{path}: 'due_working_day' must be a whole number from 1 to 20, not {day!r}")
    if "timezone" in data:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(str(data["timezone"]))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"{path}: 'timezone' {data['timezone']!r} is not a time zone name "
                              "(e.g. Europe/London)") from exc
    if data.get("imap_security", "tls") not in IMAP_SECURITY:
        raise ConfigError(f"{path}: 'imap_security' must be one of {', '.join(IMAP_SECURITY)}, "
                          f"not {data['imap_security']!r}")
    return replace(settings, **data)
