"""Set up pmo in a local virtual environment and run it: needs only Python 3.11+.

    python3 run.py demo     # the whole monthly cycle on the bundled example data
    python3 run.py test     # the test suite
    python3 run.py pmo ...  # any pmo command, e.g. python3 run.py pmo templates --period 2024-09

The first run creates `.venv/` and installs pmo with its dependencies into it; later runs
reinstall only when `pyproject.toml` has changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".pmo-installed"


def _bin(name: str) -> Path:
    folder = "Scripts" if os.name == "nt" else "bin"
    suffix = ".exe" if os.name == "nt" else ""
    return VENV / folder / f"{name}{suffix}"


def ensure_environment() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"pmo needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted and _bin("python").exists():
        return
    if not _bin("python").exists():
        print("Creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing pmo and its dependencies into .venv …", flush=True)
    pip = [str(_bin("python")), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["install", "--upgrade", "pip"], check=True)
    subprocess.run(pip + ["install", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test", "pmo"):
        print(__doc__)
        return 2
    ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "demo":
        args = [str(_bin("pmo")), "demo", *rest]
    elif command == "test":
        args = [str(_bin("python")), "-m", "pytest", *rest]
    else:
        args = [str(_bin("pmo")), *rest]
    return subprocess.call(args, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
