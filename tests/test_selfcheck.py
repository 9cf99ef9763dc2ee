"""The guided self-check: answers -> Assessment -> the same explain() as a chat; and `ebbtide check`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ebbtide.cli import app
from ebbtide.errors import EbbtideError
from ebbtide.insight import explain
from ebbtide.insight.selfcheck import parse_answers, run_selfcheck, selfcheck_assessment, selfcheck_text
from ebbtide.model import Pattern, ReasonId, SignId, SignStatus, StrategyId

TODAY = date(2025, 6, 2)
AWAY = {"decreased_communication": 2, "decline_in_intimacy": 3, "change_in_engagement": 1}


def _run(**data: object):  # noqa: ANN202
    return run_selfcheck(parse_answers(data), today=TODAY)


def test_the_data_file_asks_about_all_five_signs() -> None:
    t = selfcheck_text()
    assert {s["id"] for s in t["signs"]} == {s.value for s in SignId}
    assert set(t["headline"]) == {p.value for p in Pattern}


@pytest.mark.parametrize(("data", "pattern"), [
    ({"signs": AWAY}, Pattern.PARTNER_PULLING_AWAY),
    ({"signs": AWAY, "reaching_out": 2}, Pattern.PURSUE_WITHDRAW),
    ({"signs": AWAY, "pulling_back": 1}, Pattern.MUTUAL_DRIFT),
    ({"signs": {s.value: 0 for s in SignId}, "pulling_back": 2}, Pattern.ME_PULLING_AWAY),
    ({"signs": {s.value: 0 for s in SignId}}, Pattern.STABLE),
    ({"signs": {}}, Pattern.INSUFFICIENT_DATA),
])
def test_answers_give_the_expected_pattern(data: dict, pattern: Pattern) -> None:
    assessment, insight = _run(**data)
    assert assessment.pattern is pattern
    assert insight.headline.startswith("From your answers") or pattern is Pattern.INSUFFICIENT_DATA
    assert "{" not in insight.headline


def test_signs_carry_strength_and_unsure_is_insufficient_data() -> None:
    a = selfcheck_assessment(parse_answers({"signs": {"decline_in_intimacy": 3, "evasive_responses": -1},
                                            "weeks": 4, "partner": "Sam"}), today=TODAY)
    by = {s.sign: s for s in a.signs if s.person == "Sam"}
    assert by[SignId.DECLINE_IN_INTIMACY].status is SignStatus.DETECTED
    assert by[SignId.DECLINE_IN_INTIMACY].strength == "strong"
    assert by[SignId.DECLINE_IN_INTIMACY].since == date(2025, 5, 5)
    assert by[SignId.EVASIVE_RESPONSES].status is SignStatus.INSUFFICIENT_DATA
    assert by[SignId.INCREASED_TIME_APART].status is SignStatus.INSUFFICIENT_DATA  # left out = can't tell
    assert a.weekly.is_empty() and a.coverage.messages == 0


def test_the_plan_and_faq_come_from_explain() -> None:
    data = parse_answers({"signs": AWAY, "partner": "Sam"})
    assessment, insight = run_selfcheck(data, today=TODAY)
    direct = explain(assessment)
    assert [p.id for p in insight.plan] == [p.id for p in direct.plan]
    assert [f.id for f in insight.faq] == [f.id for f in direct.faq]
    assert insight.limits[0] == selfcheck_text()["limits"][0]


def test_reflection_reorders_the_reasons() -> None:
    _, plain = _run(signs=AWAY)
    _, weighed = _run(signs=AWAY, reflection={"past_baggage": 3, "external_stress": 0})
    assert weighed.reasons[0].id is ReasonId.PAST_BAGGAGE
    assert weighed.reasons[-1].id is ReasonId.EXTERNAL_STRESS
    assert len(weighed.reasons) == len(plain.reasons) == 6  # never hidden


@pytest.mark.parametrize("afraid", [True, "yes", "Sometimes"])
def test_a_yes_to_the_safety_question_puts_safety_first(afraid: object) -> None:
    _, insight = _run(signs=AWAY, afraid=afraid)
    assert insight.safety_first and insight.safety_message
    held_back = {StrategyId.OPEN_COMMUNICATION, StrategyId.SPACE_BUT_CONNECTED}
    assert not held_back & {p.id for p in insight.plan}


@pytest.mark.parametrize(("data", "where"), [
    ({"signs": {"decreased_communication": 7}}, "answers.signs.decreased_communication"),
    ({"signs": {"ghosting": 1}}, "answers.signs"),
    ({"reflection": {"external_stress": "lots"}}, "answers.reflection.external_stress"),
    ({"weeks": 0}, "answers.weeks"),
    ({"afraid": "perhaps"}, "answers.afraid"),
    ({"mood": 3}, "answers"),
    ({"signs": [1, 2]}, "answers.signs"),
])
def test_bad_answers_say_where_and_what_to_do(data: dict, where: str) -> None:
    with pytest.raises(EbbtideError) as exc:
        parse_answers(data)
    assert exc.value.where == where and exc.value.fix


# --------------------------------------------------------------------------- ebbtide check
runner = CliRunner()


def test_check_without_a_terminal_or_answers_exits_2_with_help() -> None:
    result = runner.invoke(app, ["check"], input="")
    assert result.exit_code == 2
    assert "--answers" in result.output


def test_check_with_an_answers_file(tmp_path: Path) -> None:
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({"signs": AWAY, "partner": "Sam", "reaching_out": 2}), encoding="utf-8")
    out = tmp_path / "r.json"
    result = runner.invoke(app, ["check", "--answers", str(answers), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "pursue-withdraw" in result.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["pattern"] == "pursue_withdraw" and data["source"] == "self-check"


def test_check_safety_answer_shows_crisis_lines_first(tmp_path: Path) -> None:
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({"signs": AWAY, "afraid": True}), encoding="utf-8")
    result = runner.invoke(app, ["check", "--answers", str(answers), "--country", "uk"])
    assert result.exit_code == 0, result.output
    assert result.stdout.index("Samaritans") < result.stdout.index("Talk to someone trained")
    for held_back in ("Look for a couples counsellor", "raise it directly", "give them space", "turned around"):
        assert held_back not in result.stdout


@pytest.mark.parametrize(("content", "message"), [("{not json", "not valid JSON"), ("[1]", "not a JSON object"),
                                                  ('{"signs": {"x": 1}}', "not one of the five signs")])
def test_check_reports_a_bad_answers_file(tmp_path: Path, content: str, message: str) -> None:
    answers = tmp_path / "a.json"
    answers.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["check", "--answers", str(answers)])
    assert result.exit_code == 2 and message in result.output


def test_check_with_a_missing_answers_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", "--answers", str(tmp_path / "none.json")])
    assert result.exit_code == 2 and "file not found" in result.output


def test_check_asks_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import ebbtide.cli.web_cmds as web_cmds

    monkeypatch.setattr(web_cmds, "_interactive", lambda: True)
    # the two safety questions first, then partner, weeks, five signs (3 = "clearly less"), pulling
    # back (1 = no), reaching out (3 = "yes, clearly"), six reasons (1 = does not fit)
    answers = ["no", "no", "Sam", "6", "3", "3", "1", "3", "1", "1", "3"] + ["1"] * 6
    result = runner.invoke(app, ["check"], input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "pursue-withdraw" in result.stdout and "Sam" in result.stdout
