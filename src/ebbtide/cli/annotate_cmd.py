"""``ebbtide annotate``: per-message language features for JSON lines, for checking and research.

Input: one JSON object per line, ``{"text": ...}`` with optional ``"question"`` (the message being answered),
``"lang"`` (a language code, else detected per text) and ``"id"`` (copied to the output). Output: one JSON
line per input with every feature and the matched spans. The whole input is read and checked before any
output is written, so a bad line never leaves half a result: by default it stops with the line number (exit
2); with ``--skip-bad`` bad lines are left out and listed on stderr.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from ebbtide.cli.app import app, err, friendly_errors
from ebbtide.errors import EbbtideError, UnreadableInput

_HELP_FORMAT = 'Each line must be a JSON object such as {"text": "maybe, we\'ll see", "question": "still on for Sat?"}.'


def _read_records(stream: TextIO, where: str, skip_bad: bool) -> tuple[list[dict[str, Any]], list[str]]:
    """Parse and check every line; returns the records and the problems skipped (if ``skip_bad``)."""
    from ebbtide.features.language.lexicon import SUPPORTED_LANGS

    records: list[dict[str, Any]] = []
    skipped: list[str] = []
    for no, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        problem = None
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            obj, problem = None, f"not valid JSON ({exc.msg} at column {exc.colno})"
        if problem is None:
            if not isinstance(obj, dict):
                problem = f"expected a JSON object, got {type(obj).__name__}"
            elif not isinstance(obj.get("text"), str):
                problem = 'missing "text" (a string)'
            elif obj.get("question") is not None and not isinstance(obj["question"], str):
                problem = '"question" must be a string'
            elif obj.get("lang") not in (None, "auto") and obj["lang"] not in SUPPORTED_LANGS:
                problem = f'"lang" must be one of {", ".join(SUPPORTED_LANGS)} or "auto", got {obj["lang"]!r}'
        if problem is not None:
            if not skip_bad:
                raise EbbtideError(problem, where=f"{where}, line {no}",
                                   fix=_HELP_FORMAT + " Fix the line, or use --skip-bad to leave bad lines out.")
            skipped.append(f"line {no}: {problem}")
            continue
        assert isinstance(obj, dict)
        if obj.get("lang") == "auto":
            obj = {k: v for k, v in obj.items() if k != "lang"}
        records.append(obj)
    return records, skipped


@app.command()
@friendly_errors
def annotate(
    file: Annotated[str, typer.Argument(help="JSON-lines file, or - for stdin.")] = "-",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.",
                                                show_default=False)] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Language of every text (en, es, pt, de, fr); "
                                             "default: detected per text.", show_default=False)] = None,
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Leave out bad lines (listed on stderr) "
                                           "instead of stopping.")] = False,
) -> None:
    """Annotate texts with ebbtide's language features (sentiment, affection, noncommittal, ...).

    Each input line: {"text": ..., "question": optional message being answered, "lang": optional, "id":
    optional}. Each output line: the features, the matched spans and, for other languages, why nothing was
    measured. Offline; nothing is stored.
    """
    from ebbtide.features.language import annotate_texts
    from ebbtide.features.language.lexicon import SUPPORTED_LANGS

    if lang is not None and lang not in SUPPORTED_LANGS:
        raise EbbtideError(f"unknown language {lang!r}", where="--lang",
                           fix=f"Use one of {', '.join(SUPPORTED_LANGS)}, or leave it out to detect it.")
    if file == "-":
        records, skipped = _read_records(sys.stdin, "stdin", skip_bad)
    else:
        path = Path(file)
        if not path.is_file():
            raise UnreadableInput("no such file" if not path.exists() else "not a file", where=str(path),
                                  fix="Give a JSON-lines file, or - to read standard input.")
        try:
            with path.open(encoding="utf-8") as fh:
                records, skipped = _read_records(fh, str(path), skip_bad)
        except UnicodeDecodeError as exc:
            raise UnreadableInput(f"not UTF-8 text ({exc.reason} at byte {exc.start})", where=str(path),
                                  fix="Save the file as UTF-8.") from None
    for s in skipped:
        err.print(f"skipped {s}", highlight=False, markup=False)
    results = _with_ids(records, annotate_texts(records, lang=lang))
    lines = (json.dumps(res, ensure_ascii=False) + "\n" for res in results)
    if output is None:
        for line in lines:
            sys.stdout.write(line)
        sys.stdout.flush()
    else:
        _write_atomic(output, lines)
    if skipped:
        err.print(f"{len(skipped)} bad line(s) skipped; {len(records)} annotated.", highlight=False)


def _with_ids(records: list[dict[str, Any]], results: Any) -> Any:
    for rec, res in zip(records, results, strict=True):
        if "id" in rec:
            res = {"id": rec["id"], **res}
        yield res


def _write_atomic(path: Path, lines: Any) -> None:
    """Write to a temporary file next to ``path`` and rename: no half-written output on failure."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise EbbtideError("folder does not exist", where=str(parent), fix="Create it or choose another -o path.")
    fd, tmp = tempfile.mkstemp(prefix=".ebbtide-", suffix=".jsonl", dir=parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for line in lines:
                fh.write(line)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
