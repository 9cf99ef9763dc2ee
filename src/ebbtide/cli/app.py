"""The Typer application object and what every command shares (consoles, error handling)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from ebbtide.errors import EbbtideError

app = typer.Typer(
    name="ebbtide",
    help="Private, honest help when you feel your partner pulling away. Everything stays on this computer.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()  # results (stdout)
err = Console(stderr=True)  # reports, progress and errors (stderr)

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Turn our own errors into a plain message on stderr and exit status 2 (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except EbbtideError as exc:
            err.print(f"[bold red]error:[/] {exc.message}", highlight=False, markup=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


@app.command()
def version() -> None:
    """Print the ebbtide version."""
    from ebbtide import __version__

    out.print(__version__)
