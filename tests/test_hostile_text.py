"""Nothing a user types or a file holds is ever read as Rich markup (issue 16).

Rich treats ``[bold]`` as a style and raises ``MarkupError`` on a stray ``[/x]``; before this was
fixed, ``ebbtide forget '[/x]' --yes`` crashed with a traceback. Every command's output and error
paths are fed file names, participant names, arguments and file contents that look like markup,
and each must exit 0 or 2, without an exception, showing the text literally.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ebbtide.cli import app, data_cmds
from ebbtide.cli.app import err
from ebbtide.simulate import DEMO_PATH

# Markup look-alikes: a closing tag with nothing open, a style, a bare close, an unclosed bracket,
# a link, and a trailing backslash (Rich's escape character).
HOSTILE = ["[/x]", "[bold]", "[/]", "[red", "[link=x]y[/link]", "end\\"]
ME, PARTNER = "[/b]Alex", "[bold]Sam[/x]"

BODY = [
    "12/03/2024, 09:14 - {p}: morning [/x] ☀️\n",
    "12/03/2024, 09:20 - {m}: hey [bold]you\n",
    "13/03/2024, 18:02 - {p}: ok\n",
    "15/03/2024, 07:05 - {m}: see you tonight?\n",
    "15/03/2024, 08:30 - {p}: maybe\n",
]




def clean(result: Result, *, codes: tuple[int, ...] = (0, 2)) -> str:
    """Exit 0 or 2, no exception escaped, no markup error; returns stdout + stderr."""
    text = result.stdout + result.stderr
    assert result.exit_code in codes, (result.exit_code, text, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "MarkupError" not in text and "Traceback" not in text
    return text


def flat(text: str) -> str:
    """Output without line breaks (Rich may soft-wrap long lines at 40 columns)."""
    return "".join(text.split())


@pytest.fixture
def chat(tmp_path: Path) -> Path:
    path = tmp_path / "[bold] WhatsApp Chat with [red.txt"  # no "/" in a file name
    path.write_text("".join(line.format(m=ME, p=PARTNER) for line in BODY), encoding="utf-8")
    return path


def test_file_and_participant_names_in_parse_import_list_people(runner: CliRunner, chat: Path) -> None:
    result = runner.invoke(app, ["parse", str(chat)])
    clean(result, codes=(0,))
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["sender"] for r in records} == {ME, PARTNER}

    text = clean(runner.invoke(app, ["import", str(chat)]), codes=(0,))
    assert flat("[bold] WhatsApp Chat with [red.txt") in flat(text)

    text = clean(runner.invoke(app, ["conversations", "--coverage"]), codes=(0,))
    assert flat(PARTNER) in flat(text) and flat(ME) in flat(text)

    text = clean(runner.invoke(app, ["people", "list"]), codes=(0,))
    assert flat(PARTNER) in flat(text)
    clean(runner.invoke(app, ["people", "me", ME]), codes=(0,))
    text = clean(runner.invoke(app, ["people", "rename", PARTNER, "[/i]River"]), codes=(0,))
    assert "[/i]River" in text
    text = clean(runner.invoke(app, ["people", "list"]), codes=(0,))
    assert flat("[/i]River") in flat(text)


@pytest.mark.parametrize("hostile", HOSTILE[:2] + HOSTILE[-2:])
def test_arguments_that_look_like_markup_in_errors(runner: CliRunner, chat: Path, hostile: str) -> None:
    clean(runner.invoke(app, ["import", str(chat)]), codes=(0,))
    clean(runner.invoke(app, ["people", "me", ME]), codes=(0,))
    cases = [
        ["forget", hostile, "--yes"],
        ["coverage", hostile],
        ["coverage", "--person", hostile],
        ["analyze", str(chat), "--me", hostile],
        ["analyze", "--conversation", hostile],
        ["analyze", str(chat), "--me", ME, "--partner", hostile],
        ["analyze", str(chat), "--me", ME, "--baseline", hostile],
        ["analyze", str(chat), "--me", ME, "--tz", hostile],
        ["people", "merge", hostile, PARTNER],
        ["people", "split", hostile],
        ["people", "me", hostile],
        ["people", "rename", hostile, "x"],
        ["parse", str(chat.parent / f"{hostile}.txt")],
        ["parse", str(chat), "--date-order", hostile],
        ["annotate", "--lang", hostile],
        ["check", "--answers", str(chat.parent / f"missing {hostile}.json")],
    ]
    for args in cases:
        text = clean(runner.invoke(app, args))
        assert hostile in text or flat(hostile) in flat(text), (args, text)


def test_forget_and_people_with_every_look_alike(runner: CliRunner, chat: Path) -> None:
    clean(runner.invoke(app, ["import", str(chat)]), codes=(0,))
    for hostile in HOSTILE:
        for args in (["forget", hostile, "--yes"], ["people", "me", hostile]):
            text = clean(runner.invoke(app, args), codes=(2,))
            assert flat(hostile) in flat(text), (args, text)


def test_file_contents_that_look_like_markup_in_errors(runner: CliRunner, tmp_path: Path) -> None:
    bad_date = tmp_path / "chat.csv"
    bad_date.write_text("timestamp,sender,text\n[/x] 2024-01-01,[bold]Ana,hi [/]\n", encoding="utf-8")
    for command in ("parse", "import"):
        text = clean(runner.invoke(app, [command, str(bad_date)]))
        assert "[/x]" in text

    jsonl = tmp_path / "texts.jsonl"
    jsonl.write_text('{"text": "hi [/x]"}\n[/x] not json\n{"nope": "[bold]"}\n', encoding="utf-8")
    clean(runner.invoke(app, ["annotate", str(jsonl)]), codes=(2,))
    text = clean(runner.invoke(app, ["annotate", str(jsonl), "--skip-bad"]), codes=(0,))
    assert "skipped line 2" in text

    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"partner": "[/x]Sam[bold]", "signs": {"decreased_communication": 3,
                                                                         "decline_in_intimacy": 2}}))
    text = clean(runner.invoke(app, ["check", "--answers", str(answers)]), codes=(0,))
    assert flat("[/x]Sam[bold]") in flat(text)
    answers.write_text(json.dumps({"partner": "Sam", "signs": {"[/x]": 9}}))
    text = clean(runner.invoke(app, ["check", "--answers", str(answers)]), codes=(2,))
    assert "[/x]" in text


def test_progress_and_spinners_on_a_terminal(runner: CliRunner, chat: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The progress bar and the 'storing…' spinner show file names; only on a terminal, so force one."""
    monkeypatch.setattr(err, "_force_terminal", True)
    monkeypatch.setattr(data_cmds, "_LARGE_ROWS", 0)
    other = tmp_path / "[red]second [i].txt"
    other.write_text(chat.read_text(encoding="utf-8"), encoding="utf-8")
    clean(runner.invoke(app, ["import", str(chat), str(other)]), codes=(0,))
    clean(runner.invoke(app, ["import", str(chat)]), codes=(0,))


@pytest.mark.slow
def test_the_whole_report_with_markup_in_both_names(runner: CliRunner, tmp_path: Path) -> None:
    text = Path(DEMO_PATH).read_text(encoding="utf-8")
    path = tmp_path / "[bold]demo.txt"
    path.write_text(text.replace(" - Sam: ", f" - {PARTNER}: ").replace(" - Alex: ", f" - {ME}: "),
                    encoding="utf-8")
    out = clean(runner.invoke(app, ["analyze", str(path), "--me", ME, "--json", str(tmp_path / "r.json")]),
                codes=(0,))
    assert flat(PARTNER) in flat(out)
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
