"""The layout holds: no import cycles, each package imports only what its docstring allows, the
README documents every command, and pmo runs as `python -m pmo`.

The allowed imports are those the sub-packages' docstrings state and docs/design.md draws.
A new package of etl/ must be placed in `ALLOWED` (the test says so when one is not).
"""

from __future__ import annotations

import re
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

import cli
from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from import_cycles import cycles, import_graph  # noqa: E402

FOUNDATION = {"etl.errors", "etl.config", "etl.files", "etl.terminal"}
#: What each layer may import, besides itself and the standard library.
ALLOWED: dict[str, set[str]] = {
    "etl.files": {"etl.errors"},  # check_writable raises ConfigError
    "etl.terminal": set(),  # text from files made safe to print (issue 15)
    "etl.errors": set(),
    "etl.config": {"etl.errors"},
    "etl.rules": {"etl.errors"},
    "etl.contracts": {"etl.rules"} | FOUNDATION,
    "schemas": {"etl.rules", "etl.contracts"} | FOUNDATION,
    "etl.store": {"etl.rules", "etl.contracts"} | FOUNDATION,
    "etl.cycle": {"etl.rules", "etl.contracts", "schemas", "etl.store"} | FOUNDATION,
    "etl.workbooks": {"etl.rules", "etl.contracts", "schemas", "etl.cycle"} | FOUNDATION,
    "etl.publish": {"etl.rules", "etl.contracts", "schemas", "etl.cycle"} | FOUNDATION,
    # Word papers: the models, and the workbooks' colours so a RAG looks the same in both.
    "etl.documents": {"etl.rules", "etl.cycle", "etl.workbooks"} | FOUNDATION,
    "etl.mail": {"etl.rules", "etl.contracts", "etl.store", "etl.cycle"} | FOUNDATION,
    "etl.office": {"etl.rules", "etl.contracts", "schemas", "etl.store", "etl.cycle", "etl.workbooks",
                   "etl.documents", "etl.mail", "etl.publish"} | FOUNDATION,
    "etl.demo": {"etl.rules", "etl.contracts", "schemas", "etl.store", "etl.cycle", "etl.workbooks", "etl.mail",
                 "etl.office"} | FOUNDATION,
    "etl": {"etl.office", "etl.rules"} | FOUNDATION,
    "etl.__main__": {"cli"},
    "etl.launch": {"cli"},
    "cli": {"etl", "etl.rules", "etl.cycle", "etl.mail", "etl.office", "etl.demo", "schemas"} | FOUNDATION,
}


def layer(module: str) -> str:
    """`etl.cycle.ingest` → `etl.cycle`; `schemas.kpi` → `schemas`; `etl.office` stays."""
    parts = module.split(".")
    if parts[0] == "schemas":
        return "schemas"
    if parts[0] == "etl" and len(parts) > 1 and (ROOT / "etl" / parts[1]).is_dir():
        return f"etl.{parts[1]}"
    return module


def test_there_are_no_import_cycles():
    assert cycles(import_graph()) == []


def test_the_cycle_check_finds_a_planted_cycle_and_ignores_type_checking_imports(tmp_path):
    (tmp_path / "etl").mkdir()
    (tmp_path / "schemas").mkdir()
    (tmp_path / "cli.py").write_text("")
    (tmp_path / "etl" / "__init__.py").write_text("")
    (tmp_path / "schemas" / "__init__.py").write_text("")
    (tmp_path / "etl" / "a.py").write_text("def f():\n    from etl.b import g\n")
    (tmp_path / "etl" / "b.py").write_text("from etl import a\n")
    (tmp_path / "etl" / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from etl import d\n")
    (tmp_path / "etl" / "d.py").write_text("import etl.c\n")
    assert cycles(import_graph(tmp_path)) == [["etl.a", "etl.b"]]


def test_each_layer_imports_only_what_it_may():
    wrong = []
    for module, imported in import_graph().items():
        own = layer(module)
        assert own in ALLOWED, f"{module}: place its package '{own}' in ALLOWED (and in docs/design.md)"
        for target in imported:
            if layer(target) != own and layer(target) not in ALLOWED[own]:
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_models_never_import_workbook_writers_or_mail():
    for module, imported in import_graph().items():
        if layer(module) == "etl.cycle":
            assert not {t for t in imported if layer(t) in ("etl.workbooks", "etl.publish", "etl.mail", "etl.office")}, module


def _readme_commands() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = re.search(r"^## The monthly cycle\n(.*?)^#", text, re.S | re.M).group(1)
    return set(re.findall(r"`pmo ([a-z-]+)", table))


def test_every_command_in_the_readme_table_exists_and_every_command_is_documented():
    commands = cli.main.commands
    table = _readme_commands()
    assert table, "the README's command table lists no command"
    assert table <= set(commands), table - set(commands)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    undocumented = [name for name in commands if f"pmo {name}" not in readme]
    assert undocumented == []
    for name, command in commands.items():
        result = CliRunner().invoke(cli.main, [name, "--help"])
        assert result.exit_code == 0, name
        assert command.help and len(command.help.split()) >= 5, f"pmo {name} has no help text"
        params = [p for p in command.params if isinstance(p, click.Option) and p.name != "help"]
        assert all(p.help for p in params), [p.name for p in params if not p.help]


@pytest.mark.parametrize("module", ["pmo", "etl"])
def test_python_dash_m_runs_pmo(module):
    result = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: pmo ")


def test_the_public_api_is_small_and_importable():
    import etl

    assert set(etl.__all__) == {"ConfigError", "Office", "Period", "PmoError", "PortfolioError", "Problem",
                                "Settings", "load_settings"}
    assert all(getattr(etl, name) for name in etl.__all__)
