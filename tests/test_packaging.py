"""pmo as a new office would get it: a built wheel, installed normally (not editable) into a fresh
virtual environment, used from a folder outside the checkout.

The bundled e-mail wording and the demo's example data are package data, so `pmo demo` and
`pmo send --dry-run` work there with no `inputs/` folder at all; `python -m pmo` works too.
The fresh environment borrows the test environment's third-party packages (pandas and the
rest) through a path file, so the test needs no package index; pmo itself comes only from
the wheel.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT


def _run(args: list, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PMO_DB")}
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600, **kwargs)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, Path]:
    """A wheel of this checkout, installed into a new virtual environment."""
    work = tmp_path_factory.mktemp("wheel")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                  work / "dist", ROOT], cwd=work)
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("pmo-*.whl")
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    target = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=work)
    site = Path(target.stdout.strip())
    # The test environment's third-party packages, but not its editable pmo: a path added by a
    # .pth file is put on sys.path without its own .pth files (the editable finder) being run.
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = _run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "-q",
                    "--target", site, wheel], cwd=work)
    assert install.returncode == 0, install.stderr
    return {"wheel": wheel, "python": python, "site": site, "outside": tmp_path_factory.mktemp("office")}


def test_wheel_holds_the_package_data(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    assert {"etl/mail/email_templates/send.txt", "etl/mail/email_templates/chase.html",
            "etl/demo/examples_data/portfolio.csv", "etl/demo/examples_data/returns/portfolio.json",
            "pmo/__main__.py", "cli.py"} <= names
    assert not any(n.startswith(("tests/", "bench/", "scripts/", "inputs/")) for n in names)


def test_installed_pmo_runs_the_demo_and_a_dry_run_send_from_outside_the_checkout(installed):
    python, outside = installed["python"], installed["outside"]
    where = _run([python, "-c", "import etl, cli; print(etl.__file__); print(cli.__file__)"], cwd=outside)
    assert where.returncode == 0, where.stderr
    assert all(str(installed["site"]) in line for line in where.stdout.splitlines()), where.stdout
    assert not (outside / "inputs").exists()

    demo = _run([python, "-m", "pmo", "demo"], cwd=outside)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "Demo complete" in demo.stdout
    assert (outside / "outputs" / "2023-09" / "single_project_register_2023-09.xlsx").exists()
    assert (outside / "outputs" / "2023-09" / "corporate_performance_report_2023-09.xlsx").exists()

    send = _run([python, "-m", "pmo", "send", "--period", "2023-09", "--dry-run", "--db", outside / "none.db"],
                cwd=outside)
    assert send.returncode == 0, send.stdout + send.stderr
    assert "would send" in send.stdout and "send 2023-09:" in send.stdout
    assert not (outside / "none.db").exists()
