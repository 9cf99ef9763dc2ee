"""Data commands: parse, import, coverage (``conversations`` and ``forget``: stored_cmds.py).

Every input file is read (and so checked) before anything is written, so a bad path among good
ones leaves no half-done output or store. Results go to stdout; parse reports, progress and errors
go to stderr, so ``ebbtide parse chat.txt > messages.jsonl`` keeps the data clean.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.text import Text

from ebbtide.cli.app import app, err, friendly_errors, out
from ebbtide.errors import ChooseChat, EbbtideError, UnreadableInput, shown
from ebbtide.model import DateOrder, ParsedExport, Platform
from ebbtide.report.parse_report import parse_report_lines

_LARGE_FILE = 20_000_000  # bytes: above this a progress display is worth showing
_LARGE_ROWS = 200_000  # messages: storing more than this takes long enough to show a spinner


class OutputFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"


DbOption = Annotated[
    Path | None,
    typer.Option("--db", envvar="EBBTIDE_DB", help="Store file (default: your data folder; or EBBTIDE_DB).",
                 show_default=False),
]
DateOrderOption = Annotated[
    DateOrder | None,
    typer.Option("--date-order", help="How numeric dates are written, when the file cannot tell.",
                 show_default=False),
]
PlatformOption = Annotated[
    Platform | None,
    typer.Option("--platform", help="Skip format detection and read the file as this messenger's export.",
                 show_default=False),
]
ChatOption = Annotated[
    str | None,
    typer.Option("--chat", help="Which conversation to read from an export that holds several (name, id or "
                 "number; default: asked on a terminal; or EBBTIDE_CHAT).", show_default=False),
]
PathsArgument = Annotated[list[Path], typer.Argument(help="Chat export files (.txt, .zip, .json...).",
                                                     show_default=False)]
TzOption = Annotated[
    str | None,
    typer.Option("--tz", help="Time zone of exports that write local times without one (e.g. Europe/Berlin; "
                 "default: this computer's).", show_default=False),
]


# --------------------------------------------------------------------------- reading
def _check_path(path: Path) -> None:
    """Fail before any work when a path is plainly wrong (folders pass: some exports are folders)."""
    if not path.exists():
        raise UnreadableInput("file not found", where=str(path), fix="Check the path and try again.")
    if not (path.is_file() or path.is_dir()):
        raise UnreadableInput("this is not a regular file", where=str(path),
                              fix="Give the export file (.txt, .zip, .json...) itself.")


def _read_one(path: Path, platform: Platform | None, date_order: DateOrder | None, chat: str | None = None,
              ) -> ParsedExport:
    from ebbtide.api import read_one  # imported late: the importers are the heavy part

    try:
        return read_one(path, platform, date_order, chat)
    except ChooseChat as several:
        if not can_ask():
            raise  # exit 2 with the list of chats
        return read_one(path, platform, date_order, ask_chat(several))


def can_ask() -> bool:
    """Whether a question can be asked: someone at a terminal (not a pipe, a script or a test)."""
    return sys.stdin.isatty() and err.is_terminal


def ask_chat(several: ChooseChat) -> str:
    """Which of the listed chats to read, asked on the terminal (a number, or a name)."""
    err.print(Text.assemble(several.where + ": " if several.where else "", several.what), highlight=False,
              soft_wrap=True)
    shown_chats = several.chats[: several.LISTED]
    for i, (_, line) in enumerate(shown_chats, 1):
        err.print(f"  {i}. {line}", markup=False, highlight=False, soft_wrap=True)
    if len(several.chats) > len(shown_chats):
        err.print(f"  … and {len(several.chats) - len(shown_chats)} more (type a name)", markup=False)
    while True:
        answer = typer.prompt("Which chat? Number or name", err=True).strip()
        if answer.isdigit() and 1 <= int(answer) <= len(shown_chats):
            return shown_chats[int(answer) - 1][0]
        if answer:
            return answer  # a name: the importer matches it (and says so when it does not)


@contextlib.contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Any]:
    """A progress bar on stderr when it helps (several or large files) and stderr is a terminal."""
    if not (enabled and err.is_terminal):
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn  # only on a terminal

    columns = (TextColumn("{task.description}", markup=False), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        yield (progress, progress.add_task("reading", total=total))


@contextlib.contextmanager
def _storing(path: Path, rows: int) -> Iterator[None]:
    """A spinner on stderr while a big export is merged into the store (terminal only)."""
    if rows < _LARGE_ROWS or not err.is_terminal:
        yield
        return
    with err.status(Text(f"storing {rows:,} messages from {shown(path.name)}…")):
        yield


def read_all(paths: list[Path], platform: Platform | None, date_order: DateOrder | None, chat: str | None = None,
             ) -> list[tuple[Path, ParsedExport]]:
    """Read every export (all paths checked first), with a progress bar for big jobs; ``chat`` picks the
    conversation in exports that hold several (asked on a terminal when not given)."""
    for path in paths:
        _check_path(path)
    big = len(paths) > 1 or any(p.is_file() and p.stat().st_size > _LARGE_FILE for p in paths)
    results: list[tuple[Path, ParsedExport]] = []
    with _progress(len(paths), big) as bar:
        for path in paths:
            if bar:
                bar[0].update(bar[1], description=f"reading {shown(path.name)}")
            results.append((path, _read_one(path, platform, date_order, chat)))
            if bar:
                bar[0].advance(bar[1])
    return results


def _print_report(parsed: ParsedExport) -> None:
    for line in parse_report_lines(parsed.report, parsed.messages):
        err.print(line, markup=False, highlight=False, emoji=False, soft_wrap=True)


# --------------------------------------------------------------------------- parse
def _iso_timestamps() -> pl.Expr:
    """Timestamps as ISO 8601 (2024-03-12T09:14:00), the same in JSON lines and CSV."""
    return pl.col("timestamp").dt.to_string("%Y-%m-%dT%H:%M:%S%.f")


def _write_text(frame: pl.DataFrame, fmt: OutputFormat, sink: Any) -> None:
    """Written by Polars (Rust) straight to ``sink``: a path, or a binary file such as stdout's buffer;
    no text passes through Python (about 1.4 s less for a million messages than strings per chunk).
    JSON lines go through a lazy sink: the converted timestamps are never a second copy of the table
    (about 70 MB less at the peak for a million messages; the same bytes)."""
    if fmt is OutputFormat.JSONL:
        frame.lazy().with_columns(_iso_timestamps()).sink_ndjson(sink)
    else:
        frame.with_columns(_iso_timestamps()).write_csv(sink, include_header=True)


def _write_stdout(frame: pl.DataFrame, fmt: OutputFormat) -> None:
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (some embedders, tests): one string
        target = io.BytesIO()
        _write_text(frame, fmt, target)
        sys.stdout.write(target.getvalue().decode("utf-8"))
    else:
        _write_text(frame, fmt, buffer)
        buffer.flush()
    sys.stdout.flush()


_SUFFIXES = {".csv": OutputFormat.CSV, ".parquet": OutputFormat.PARQUET, ".pq": OutputFormat.PARQUET}


def format_for(output: str) -> OutputFormat:
    """The format a file name asks for (``messages.csv`` -> csv); JSON lines otherwise."""
    return _SUFFIXES.get(Path(output).suffix.lower(), OutputFormat.JSONL) if output != "-" else OutputFormat.JSONL


def check_output(fmt: OutputFormat, output: str) -> None:
    """Refuse an impossible output before spending time on reading."""
    if output == "-":
        if fmt is OutputFormat.PARQUET:
            raise EbbtideError("parquet cannot be written to the terminal", where="-o",
                               fix="Give a file: -o messages.parquet")
        return
    target = Path(output).expanduser()
    if target.is_dir():
        raise EbbtideError("the output is a folder", where=str(target), fix="Give a file name for -o.")
    if not target.parent.exists():
        raise EbbtideError("the output folder does not exist", where=str(target.parent),
                           fix="Create it first or choose another -o path.")


def write_frame(frame: pl.DataFrame, fmt: OutputFormat, output: str) -> None:
    """Write the canonical table to a file (atomically: a temporary file renamed at the end) or stdout."""
    check_output(fmt, output)
    if output == "-":
        _write_stdout(frame, fmt)
        return
    target = Path(output).expanduser()
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        if fmt is OutputFormat.PARQUET:
            # snappy: what every Parquet reader understands, and about 0.1 s faster than Polars' default
            # zstd on a million messages (the file is larger: 29 MB instead of 17 MB)
            frame.write_parquet(tmp, compression="snappy")
        else:
            _write_text(frame, fmt, tmp)
        os.chmod(tmp, 0o600)  # messages are private: other users of this computer need not read them
        os.replace(tmp, target)
    except OSError as exc:
        raise EbbtideError(f"cannot write the output ({exc.strerror})", where=str(target),
                           fix="Check the folder exists and you may write there.") from None
    finally:
        tmp.unlink(missing_ok=True)


@app.command("parse")
@friendly_errors
def parse_cmd(
    paths: PathsArgument,
    fmt: Annotated[OutputFormat | None, typer.Option(
        "--format", "-f", help="Output format (default: from the -o file's extension, else jsonl).",
        show_default=False)] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="Output file, or - for stdout.")] = "-",
    date_order: DateOrderOption = None,
    platform: PlatformOption = None,
    chat: ChatOption = None,
) -> None:
    """Read exports and write one record per message (system lines included), without storing anything."""
    fmt = fmt or format_for(output)
    check_output(fmt, output)
    parsed = read_all(paths, platform, date_order, chat)
    frames = [p.messages for _, p in parsed]
    frame = pl.concat(frames, how="vertical") if len(frames) > 1 else frames[0]
    # the reports are worked out while the output is written (Polars lets go of the interpreter in both)
    with ThreadPoolExecutor(max_workers=1) as pool:
        reports = pool.submit(lambda: [parse_report_lines(p.report, p.messages) for _, p in parsed])
        write_frame(frame, fmt, output)
        for lines in reports.result():
            _print_lines(lines)


# --------------------------------------------------------------------------- import
@app.command("import")
@friendly_errors
def import_cmd(
    paths: PathsArgument,
    db: DbOption = None,
    date_order: DateOrderOption = None,
    platform: PlatformOption = None,
    conversation_id: Annotated[str | None, typer.Option(
        "--conversation-id", help="Store everything under this conversation id (e.g. to join exports of one "
        "chat that were given different ids).", show_default=False)] = None,
    tz: TzOption = None,
    chat: ChatOption = None,
) -> None:
    """Add exports to your local store; messages already there are not added twice."""
    from ebbtide.importers.timezones import choose_zone
    from ebbtide.store import Store

    zone = choose_zone(tz)  # checked before reading: a typo in --tz should not cost a long read
    parsed = read_all(paths, platform, date_order, chat)
    touched: list[str] = []
    with Store.open(db) as store, _progress(len(parsed), len(parsed) > 1) as bar:
        for path, p in parsed:
            if bar:  # several files: one bar over the storing too (no spinner inside it)
                bar[0].update(bar[1], description=f"storing {shown(path.name)}")
            try:
                with contextlib.nullcontext() if bar else _storing(path, p.messages.height):
                    results = store.import_export_all(p, source_path=path, conversation_id=conversation_id,
                                                      zone=zone)
                if bar:
                    bar[0].advance(bar[1])
            except KeyboardInterrupt:
                err.print(f"Interrupted: nothing from {shown(path.name)} was stored (files listed above were).",
                          markup=False, highlight=False)
                raise typer.Exit(130) from None
            for r in results:
                out.print(
                    f"{shown(path.name)} -> {r.conversation_id}: {r.added:,} added, "
                    f"{r.skipped_duplicates:,} already there ({r.total_in_file:,} in the file)",
                    markup=False, highlight=False, soft_wrap=True,
                )
                if r.note:
                    err.print(f"{shown(path.name)}: {r.note}", markup=False, highlight=False, soft_wrap=True)
            _print_report(p)
            touched.extend(r.conversation_id for r in results)
            if p.messages.height and p.messages.get_column("utc_offset_min").null_count():
                err.print(f"{shown(path.name)}: times without a zone were read as {zone.name} ({zone.source}; "
                          "change with --tz)", markup=False, highlight=False, soft_wrap=True)
        del p
        parsed.clear()  # the exports' frames are stored: free them before reading the coverage back
        for cid in dict.fromkeys(touched):
            if store.has_conversation(cid):
                _print_lines(coverage_report(store, cid))
        from ebbtide.cli.people_cmds import suggestion_lines

        _print_lines(suggestion_lines(store, touched, join_all=False))
        err.print(f"store: {shown(store.path)}", markup=False, highlight=False, soft_wrap=True)


# --------------------------------------------------------------------------- coverage
def coverage_report(store: Any, cid: str) -> list[str]:
    """The coverage report lines of one stored conversation (see ebbtide.report.coverage)."""
    from ebbtide.report.coverage import build_coverage, coverage_lines

    cov = build_coverage(store.message_meta(cid), conversation_id=cid, capabilities=store.capabilities(cid),
                         imports=store.import_history(cid))
    return coverage_lines(cov)


def _print_lines(lines: list[str]) -> None:
    for line in lines:
        err.print(line, markup=False, highlight=False, emoji=False, soft_wrap=True)


def person_coverage_report(store: Any, person: str) -> list[str]:
    """Coverage of the merged timeline of the user and ``person`` (every messenger, one-to-one chats)."""
    from ebbtide.report.coverage import build_coverage, coverage_lines
    from ebbtide.store.people import conversations_between, find_person, me_person, person_name
    from ebbtide.store.timeline import merged_timeline, pair_id, timeline_capabilities, timeline_imports

    me = me_person(store)
    if me is None:
        raise EbbtideError("ebbtide does not know which person is you yet", where="coverage --person",
                           fix="Tell it once: ebbtide people me YOUR-NAME")
    other = find_person(store, person)
    chats = conversations_between(store, me, other, only_the_two=True) or conversations_between(store, me, other)
    if not chats:
        raise EbbtideError(f"no stored chat between you and {person_name(store, other)}", where="coverage --person",
                           fix="Import your chats, and join names with: ebbtide people merge A B")
    frame = merged_timeline(store, me, other, chats)
    cov = build_coverage(frame, conversation_id=f"{pair_id(me, other)} ({', '.join(chats)})",
                         capabilities=timeline_capabilities(store, chats), imports=timeline_imports(store, chats))
    return coverage_lines(cov)


@app.command("coverage")
@friendly_errors
def coverage_cmd(
    conversation: Annotated[str | None, typer.Argument(help="Conversation id, its start, or a name.",
                                                       show_default=False)] = None,
    person: Annotated[str | None, typer.Option("--person", help="Instead: all your one-to-one chats with this "
                                               "person, merged (shows a move between messengers).",
                                               show_default=False)] = None,
    db: DbOption = None,
) -> None:
    """What a stored conversation covers: days, gaps, messages per person and messenger, what is missing."""
    from ebbtide.store import Store

    if bool(conversation) == bool(person):
        raise EbbtideError("say what to report on: a conversation or --person NAME (one of them)",
                           where="coverage", fix="e.g. ebbtide coverage Sam   or   ebbtide coverage --person Sam")
    with Store.open(db, create=False) as store:
        lines = person_coverage_report(store, person) if person else \
            coverage_report(store, store.resolve_conversation(conversation or ""))
    for line in lines:
        out.print(line, markup=False, highlight=False, soft_wrap=True)
