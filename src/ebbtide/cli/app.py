"""The Typer application object and what every command shares (consoles, error handling)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from ebbtide.errors import EbbtideError

app = typer.Typer(
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
