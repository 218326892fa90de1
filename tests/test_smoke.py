"""The package imports and the CLI answers, without the heavy libraries being loaded."""

import subprocess
import sys

from click.testing import CliRunner

import cli


def test_help_lists_commands():
    result = CliRunner().invoke(cli.main, ["--help"])
    assert result.exit_code == 0
    # DESIGN.md's CLI contract: every step of the cycle is a command.
    for command in ("templates", "send", "ingest", "chase", "feedback", "register", "scorecard",
                    "highlight", "closedown", "demo"):
        assert f"  {command} " in result.output, command


def test_help_does_not_import_pandas():
    code = "import sys, cli; cli.main(['--help'], standalone_mode=False); print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
