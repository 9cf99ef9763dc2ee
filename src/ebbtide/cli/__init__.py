"""Command line: ``ebbtide``. Each command group lives in its own module and registers on ``app``."""

import gc
import importlib
import os
import sys

# No garbage collection while the libraries are imported (Typer, Rich and, in ``main``, Polars: hundreds
# of thousands of long-lived objects, none of them garbage): each collection meanwhile would walk them
# all again. Restored at once for whoever imports this module; ``main`` freezes them first.
_collecting = gc.isenabled()
gc.disable()

from ebbtide.cli.app import app  # noqa: E402

if _collecting:
    gc.enable()

# Importing a module registers its commands on ``app``; it happens when the commands are first looked at
# (see ``_LazyCommands``), so every command is there for whoever runs ``app``.
app.load_later(
    "ebbtide.cli.analysis_cmds",  # analyze, demo
    "ebbtide.cli.annotate_cmd",  # annotate
    "ebbtide.cli.data_cmds",  # parse, import, coverage
    "ebbtide.cli.lock_cmds",  # lock, unlock (a passphrase for the store)
    "ebbtide.cli.people_cmds",  # people (list, merge, split, me, rename)
    "ebbtide.cli.stored_cmds",  # conversations, forget
    "ebbtide.cli.web_cmds",  # serve, check
)


def main() -> None:
    collecting = gc.isenabled()
    gc.disable()
    if sys.argv[1:2] == ["parse"]:  # the one command timed as a whole process: only its own module
        app.load_only("ebbtide.cli.data_cmds")
        # Polars' allocator (jemalloc) with one arena instead of four per core: freed memory is reused
        # instead of new pages being faulted in (a fifth fewer page faults, about 0.2 s less system time
        # for a million messages, same peak). Set before Polars is loaded, which happens only now.
        os.environ.setdefault("_RJEM_MALLOC_CONF", "narenas:1")
        importlib.import_module("ebbtide.cli.data_cmds")  # Polars too, so that it is frozen below
    # The libraries imported above (Polars, Rich, Typer...) live until the process ends. Moving them out
    # of the garbage collector's reach spares every collection, and the one at exit, from walking them:
    # about 0.1 s off each command on a 2-core machine (bench/bench_parse.py, docs/benchmarks.md).
    gc.freeze()
    if collecting:
        gc.enable()
    # Everything ebbtide writes (store, its log, parsed tables, reports) is readable by this user only.
    os.umask(os.umask(0o077) | 0o077)
    app()


__all__ = ["app", "main"]
