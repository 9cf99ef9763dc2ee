"""Command line: ``ebbtide``. Each command group lives in its own module and registers on ``app``."""

from ebbtide.cli.app import app

# Importing the modules registers their commands.
from ebbtide.cli import data_cmds  # noqa: E402,F401  parse, import, conversations, forget

try:  # the analysis commands arrive with the analysis layers
    from ebbtide.cli import analysis_cmds  # noqa: F401  analyze, demo
except ImportError:  # pragma: no cover
    pass
try:
    from ebbtide.cli import web_cmds  # noqa: F401  serve, check
except ImportError:  # pragma: no cover
    pass
from ebbtide.cli import people_cmds  # noqa: E402,F401  people (list, merge, split, me, rename)

try:
    from ebbtide.cli import annotate_cmd  # noqa: F401  annotate
except ImportError:  # pragma: no cover
    pass


def main() -> None:
    app()


__all__ = ["app", "main"]
