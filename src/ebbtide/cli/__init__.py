"""Command line: ``ebbtide``. Each command group lives in its own module and registers on ``app``."""

# Importing the modules registers their commands on ``app``.
from ebbtide.cli import (  # noqa: F401
    analysis_cmds,  # analyze, demo
    annotate_cmd,  # annotate
    data_cmds,  # parse, import, coverage, conversations, forget
    people_cmds,  # people (list, merge, split, me, rename)
    web_cmds,  # serve, check
)
from ebbtide.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
