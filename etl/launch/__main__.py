"""`python -m pmo …`: the same as the `pmo` command."""

from cli import main

main(prog_name="pmo")
