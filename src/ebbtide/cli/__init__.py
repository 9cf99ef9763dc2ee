"""Command line: ``ebbtide``. Each command group lives in its own module and registers on ``app``."""

import gc
import os

# Importing the modules registers their commands on ``app``.
from ebbtide.cli import (  # noqa: F401
    analysis_cmds,  # analyze, demo
    annotate_cmd,  # annotate
    data_cmds,  # parse, import, coverage
    lock_cmds,  # lock, unlock (a passphrase for the store)
    people_cmds,  # people (list, merge, split, me, rename)
    stored_cmds,  # conversations, forget
    web_cmds,  # serve, check
)
from ebbtide.cli.app import app


def main() -> None:
    # The libraries imported above (Polars, Rich, Typer...) live until the process ends. Moving them out
    # of the garbage collector's reach spares every collection, and the one at exit, from walking them:
    # about 0.1 s off each command on a 2-core machine (bench/bench_parse.py, docs/benchmarks.md).
    gc.freeze()
    # Everything ebbtide writes (store, its log, parsed tables, reports) is readable by this user only.
    os.umask(os.umask(0o077) | 0o077)
    app()


__all__ = ["app", "main"]
