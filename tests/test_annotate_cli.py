"""``ebbtide annotate``: JSON lines in and out, clear errors with line numbers, nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ebbtide.cli import app

runner = CliRunner()


def run(args: list[str], stdin: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["annotate", *args], input=stdin)


def test_stdin_to_stdout_with_every_feature() -> None:
    lines = [
        {"id": "a", "text": "maybe, we'll see", "question": "are we still on for saturday?"},
        {"text": "love you too ❤️"},
    ]
    res = run(["-"], "\n".join(json.dumps(x) for x in lines) + "\n")
    assert res.exit_code == 0, res.output
    out = [json.loads(x) for x in res.stdout.splitlines()]
    assert len(out) == 2
    first = out[0]
    assert first["id"] == "a" and first["answering"] == "are we still on for saturday?"
    assert first["noncommittal"]["value"] is True and first["noncommittal"]["judged_with_question"] is True
    for key in ("sentiment", "affection", "question", "plan_question", "relationship_question", "noncommittal",
                "meetup", "we_talk", "future_talk", "space_request", "stress", "past_hurt", "vulnerability",
                "conflict", "safety_concern", "function_words", "matches", "lang", "words"):
        assert key in first, key
    assert set(first["sentiment"]) == {"label", "score"}
    assert out[1]["affection"] == {"value": True, "score": out[1]["affection"]["score"]}
    assert any(m["term"] == "love you too" for m in out[1]["matches"])


def test_file_to_output_file(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "on my way"}\n\n{"text": "I need some space", "lang": "en"}\n', encoding="utf-8")
    dst = tmp_path / "out.jsonl"
    res = run([str(src), "-o", str(dst)])
    assert res.exit_code == 0, res.output
    out = [json.loads(x) for x in dst.read_text(encoding="utf-8").splitlines()]
    assert [o["meetup"] for o in out] == [True, False]
    assert out[1]["space_request"] is True


def test_bad_line_stops_with_line_number_and_writes_nothing(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "ok"}\n{"text": broken}\n', encoding="utf-8")
    dst = tmp_path / "out.jsonl"
    res = run([str(src), "-o", str(dst)])
    assert res.exit_code == 2
    assert "line 2" in res.output and "not valid JSON" in res.output and "--skip-bad" in res.output
    assert not dst.exists()
    assert "Traceback" not in res.output


def test_missing_text_and_wrong_types() -> None:
    assert "missing \"text\"" in run(["-"], '{"txt": "hi"}\n').output
    assert "expected a JSON object" in run(["-"], '["hi"]\n').output
    res = run(["-"], '{"text": "hi", "lang": "xx"}\n')
    assert res.exit_code == 2 and '"lang" must be one of' in res.output


def test_skip_bad_reports_and_continues() -> None:
    res = run(["--skip-bad", "-"], '{"text": "ok"}\nnope\n{"text": "love you"}\n')
    assert res.exit_code == 0
    assert "skipped line 2" in res.output
    assert len([x for x in res.stdout.splitlines() if x.startswith("{")]) == 2


def test_missing_file_and_bad_lang_option(tmp_path: Path) -> None:
    res = run([str(tmp_path / "nope.jsonl")])
    assert res.exit_code == 2 and "no such file" in " ".join(res.output.split())
    res = run(["--lang", "klingon", "-"], '{"text": "hi"}\n')
    assert res.exit_code == 2 and "unknown language" in res.output


def test_unsupported_language_says_why() -> None:
    res = run(["-"], '{"text": "Привет, как дела? скучаю"}\n')
    rec = json.loads(res.stdout.splitlines()[0])
    assert rec["lang"] == "und" and "not_measured" in rec and rec["affection"]["value"] is None
