"""The package imports and the CLI answers, without the heavy libraries being loaded."""

import subprocess
import sys

from click.testing import CliRunner

import cli


def test_help_lists_commands():
    result = CliRunner().invoke(cli.main, ["--help"])
    assert result.exit_code == 0
    assert "templates" in result.output and "demo" in result.output


def test_help_does_not_import_pandas():
    code = "import sys, cli; cli.main(['--help'], standalone_mode=False); print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
