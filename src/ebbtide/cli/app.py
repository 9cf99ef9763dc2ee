"""The Typer application object and what every command shares (consoles, error handling)."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from ebbtide.errors import EbbtideError


class _Loading(list[Any]):
    """A command list that imports the pending command modules before anyone reads it (appending, as
    the modules' ``@app.command`` decorators do while they are imported, does not)."""

    def __init__(self, load: Callable[[], None]) -> None:
        super().__init__()
        self._before_read = load

    def __len__(self) -> int:
        self._before_read()
        return super().__len__()

    def __iter__(self) -> Iterator[Any]:
        self._before_read()
        return super().__iter__()

    def __getitem__(self, index: Any) -> Any:
        self._before_read()
        return super().__getitem__(index)


class _LazyCommands(typer.Typer):
    """A Typer app whose command modules are imported when its commands are first looked at.

    WHY: ``ebbtide parse`` is timed against other parsers as a whole process, and importing every
    command module (the analysis, the web server, the store's commands) cost about 0.03 s of its
    start-up. ``ebbtide.cli`` names the modules (``load_later``); whatever reads the command list
    (running the app, ``typer.testing.CliRunner``, help) imports them first, so every command is
    always there, unless ``main`` narrowed the list to the one module the command line needs.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending: list[str] = []
        self.registered_commands = _Loading(self._load)
        self.registered_groups = _Loading(self._load)

    def load_later(self, *modules: str) -> None:
        self._pending.extend(modules)

    def load_only(self, module: str) -> None:
        """Of the modules not imported yet, import only ``module`` (``ebbtide.cli.main``'s fast path)."""
        self._pending = [m for m in self._pending if m == module]

    def _load(self) -> None:
        modules, self._pending = self._pending, []
        for module in modules:
            importlib.import_module(module)


app = _LazyCommands(
    name="ebbtide",
    help="Private, honest help when you feel your partner pulling away. Everything stays on this computer.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)  # results (stdout); lines are never hard-wrapped (pipes, any width)
err = Console(stderr=True, soft_wrap=True)  # reports, progress and errors (stderr)
# The analysis report (panels, tables, indented paragraphs) needs a width to lay out in: with soft
# wrapping, Rich crops what does not fit instead. It wraps at the terminal's width (80 when piped).
report = Console()

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Turn our own errors into a plain message on stderr and exit status 2 (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except EbbtideError as exc:
            # The message may hold file names or file content: never parse it as markup, never hard-wrap it.
            err.print(Text.assemble(("error:", "bold red"), " ", exc.message), highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def _print_version(value: bool) -> None:
    if value:
        from ebbtide import __version__

        out.print(f"ebbtide {__version__}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", is_eager=True,
                                 callback=_print_version),
    passphrase_file: Annotated[Path | None, typer.Option(
        "--passphrase-file", envvar="EBBTIDE_PASSPHRASE_FILE", show_default=False,
        help="Read the store's passphrase from this file's first line (for scripts; else asked on a terminal).",
    )] = None,
) -> None:
    """Private, honest help when you feel your partner pulling away. Everything stays on this computer."""
    from ebbtide import askpass
    from ebbtide.cli.lock_cmds import ask_passphrase

    askpass.set_passphrase_file(passphrase_file)
    askpass.set_prompt(ask_passphrase)


@app.command()
def version() -> None:
    """Print the ebbtide version."""
    from ebbtide import __version__

    out.print(__version__)
