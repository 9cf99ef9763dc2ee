"""Reports that never say what isn't so (issue 14): the consistency checker over many analyses.

The checker (tests/consistency.py) reads every sentence of a report back against the values of the
same report. It runs here over generated chats of every scenario (one pipeline run per chat,
reused by all checks), the shared samples, the bundled demo and the self-check, and must find
nothing. The checker itself is tested first, on reports made wrong on purpose.

Affordable on two shared cores: the chats are short (8-30 weeks) and each is analysed once.
``EBBTIDE_CONSISTENCY_SEEDS=N`` runs N chats per scenario instead of the default.
"""

from __future__ import annotations

import itertools
import os
import sys
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from consistency import check, render_faces  # noqa: E402

from ebbtide.errors import EbbtideError  # noqa: E402
from ebbtide.insight import explain  # noqa: E402
from ebbtide.insight.sample import sample_assessment  # noqa: E402
from ebbtide.insight.selfcheck import parse_answers, run_selfcheck  # noqa: E402
from ebbtide.model import Evidence, Pattern, ReasonId, SignId, SignStatus, senders_by_volume  # noqa: E402
from ebbtide.pipeline import run_analysis  # noqa: E402
from ebbtide.simulate import SCENARIOS, simulate_couple  # noqa: E402

SEEDS = int(os.environ.get("EBBTIDE_CONSISTENCY_SEEDS", "8"))  # 14 scenarios x 8 = 112 chats
SAMPLES = Path(__file__).parents[2] / "shared" / "samples"
DEMO = Path(__file__).parents[1] / "src" / "ebbtide" / "simulate" / "data" / "demo_whatsapp.txt"


def analyse(messages: pl.DataFrame, me: str, partner: str):  # type: ignore[no-untyped-def]
    couple = messages.filter(pl.col("sender").is_in([me, partner, ""]))
    done = run_analysis(couple, me=me, partner=partner)  # the one pipeline every face uses
    return render_faces(done.assessment, done.insight, messages=couple)


# --------------------------------------------------------------------------- the checker catches lies
def _sample_faces(pattern: Pattern = Pattern.PARTNER_PULLING_AWAY, **kw):  # type: ignore[no-untyped-def]
    a = sample_assessment(pattern, **kw)
    return a, explain(a)


def test_the_checker_passes_a_consistent_report() -> None:
    a, i = _sample_faces()
    assert check(render_faces(a, i)) == []


def test_the_checker_catches_sameness_that_is_not_so() -> None:
    a, i = _sample_faces(Pattern.PARTNER_PULLING_AWAY)
    lie = replace(a, pattern_explanation="Sam's messages stayed about the same.")
    problems = check(render_faces(lie, i))
    assert any(p.startswith("direction:") and "Sam's messages stayed the same" in p for p in problems)


def test_the_checker_catches_counts_that_do_not_agree() -> None:
    a, i = _sample_faces()
    bad = replace(i, headline=i.headline + " 1 messages in 1 weeks, +1 points, 0.00.")
    problems = " ".join(check(render_faces(a, bad)))
    for phrase in ("'1 messages'", "'1 weeks'", "'+1 points'", "'0.00'"):
        assert phrase in problems


def test_the_checker_catches_dips_that_the_history_does_not_hold() -> None:
    a, i = _sample_faces(history=False)
    first = i.reasons[0]
    bad = replace(i, reasons=(replace(first, text=first.text + " 3 earlier quieter stretches that came back to usual."),
                              *i.reasons[1:]))
    assert any("recovered dip" in p for p in check(render_faces(a, bad)))


def test_the_checker_catches_evidence_that_contradicts_its_label() -> None:
    a, i = _sample_faces()
    t = datetime(2025, 8, 20, 19, 0)
    yes = Evidence(t, "Sam", "yes! 7?", "noncommittal answer to a plan or relationship question",
                   context_before="dinner tonight?", context_sender="Alex")
    signs = tuple(
        replace(s, evidence=(*s.evidence, yes)) if s.person == "Sam" and s.sign is SignId.INCREASED_TIME_APART
        else s for s in a.signs
    )
    signs = tuple(replace(s, status=SignStatus.DETECTED, strength="clear")
                  if s.person == "Sam" and s.sign is SignId.INCREASED_TIME_APART else s for s in signs)
    problems = check(render_faces(replace(a, signs=signs), i))
    assert any("noncommittal answer shown under another sign" in p for p in problems)
    assert any("not a noncommittal answer" in p for p in problems)


def test_the_checker_catches_a_silence_inside_the_usual_reply_time() -> None:
    a, i = _sample_faces()
    end = datetime(2025, 9, 7, 20, 8)
    silence = Evidence(end - timedelta(minutes=2), "Alex", "good morning", "no reply in the same conversation; "
                       "no message from Sam since")
    signs = tuple(replace(s, evidence=(silence,)) if s.person == "Sam" and s.sign is SignId.DECREASED_COMMUNICATION
                  else s for s in a.signs)
    messages = pl.DataFrame({"timestamp": [end - timedelta(hours=1), end - timedelta(minutes=2), end],
                             "sender": ["Sam", "Alex", "Alex"], "text": ["hi", "good morning", "x"]})
    problems = check(render_faces(replace(a, signs=signs), i, messages=messages))
    assert any("within the usual reply time" in p for p in problems)


def test_the_checker_catches_reasons_without_data_and_chat_talk_in_the_self_check() -> None:
    a, _ = _sample_faces(Pattern.INSUFFICIENT_DATA)
    _, full = _sample_faces(Pattern.PARTNER_PULLING_AWAY)
    assert any(p.startswith("no data:") for p in check(render_faces(a, full)))
    answers = parse_answers({"signs": {"decreased_communication": 2, "decline_in_intimacy": 2}})
    sa, si = run_selfcheck(answers)
    bad = replace(si, headline="Some things in your chat suggest distance.")
    assert any(p.startswith("chat:") for p in check(render_faces(sa, bad, from_answers=True)))


def test_the_checker_catches_a_talking_less_starter_without_the_sign() -> None:
    a, i = _sample_faces(Pattern.STABLE)
    step = i.plan[0]
    bad = replace(i, plan=(replace(step, starters=("I've noticed we've been talking less lately and I miss it.",)),
                           *i.plan[1:]))
    assert any("talking less" in p for p in check(render_faces(a, bad)))


# --------------------------------------------------------------------------- the checker finds nothing
CHATS = [(name, seed) for name in SCENARIOS for seed in range(SEEDS)]


@pytest.mark.parametrize(("scenario", "seed"), CHATS, ids=[f"{n}-{s}" for n, s in CHATS])
def test_generated_chats_say_nothing_that_is_not_so(scenario: str, seed: int) -> None:
    weeks = 8 + (seed * 7 + len(scenario)) % 23  # 8 to 30 weeks: short histories, changes near the edges
    chat = simulate_couple(scenario, seed=seed, weeks=weeks)
    assert check(analyse(chat.messages, "Alex", "Sam")) == []


@pytest.mark.parametrize("days", [3, 7, 20])
def test_very_short_chats_get_no_reasons_and_no_answers(days: int) -> None:
    """An 11-message, one-week chat: 'Not enough data yet', and no reasons or FAQ pretending otherwise."""
    chat = simulate_couple("partner_pulling_away", seed=3, weeks=8)
    start = chat.messages.get_column("timestamp").min()
    short = chat.messages.filter(pl.col("timestamp") < start + timedelta(days=days))  # type: ignore[operator]
    if days == 7:
        short = short.head(11)
    faces = analyse(short, "Alex", "Sam")
    assert faces.assessment.pattern is Pattern.INSUFFICIENT_DATA
    assert faces.data["reasons"] == [] and faces.data["faq"] == []
    assert "fear in" not in faces.terminal and "Not enough data yet" in faces.terminal
    assert check(faces) == []


def test_the_demo_says_nothing_that_is_not_so() -> None:
    from ebbtide.importers import read_export

    parsed = read_export(DEMO)
    faces = analyse(parsed.messages, "Alex", "Sam")
    assert check(faces) == []


def _sample_files() -> list[Path]:
    if not SAMPLES.exists():
        return []
    return sorted(p for p in SAMPLES.rglob("*") if p.is_file() and p.suffix in {".txt", ".json", ".csv", ".xml", ".md"}
                  and p.name != "README.md")


@pytest.mark.skipif(not SAMPLES.exists(), reason="needs ../shared/samples (the shared sample exports), not present")
def test_the_samples_say_nothing_that_is_not_so() -> None:
    from ebbtide.importers import read_export

    analysed = 0
    problems: list[str] = []
    for path in _sample_files():
        try:
            parsed = read_export(path)
        except EbbtideError:
            continue  # not a chat export by itself (e.g. a schema file): the importer tests cover those
        people = senders_by_volume(parsed.messages)
        if len(people) < 2:
            continue
        me = parsed.report.me if parsed.report.me in people else people[0]
        partner = next(p for p in people if p != me)
        problems += [f"{path.name}: {p}" for p in check(analyse(parsed.messages, me, partner))]
        analysed += 1
    assert analysed >= 5
    assert problems == []


# Every combination of a few answers: the self-check speaks only of the answers given.
_SELFCHECK = list(itertools.product((-1, 0, 1, 3), (0, 2), (0, 2), (0, 1, 2), (None, 0, 3)))[::5]  # 29 of 144, every value of every answer


@pytest.mark.parametrize("chunk", range(4))
def test_the_self_check_speaks_only_of_the_answers(chunk: int) -> None:
    problems: list[str] = []
    for n, (level, other, back, reaching, fit) in enumerate(_SELFCHECK):
        if n % 4 != chunk:
            continue
        signs = {"decreased_communication": level, "decline_in_intimacy": other, "increased_time_apart": level,
                 "change_in_engagement": other, "evasive_responses": -1 if level < 0 else other}
        raw = {"signs": signs, "pulling_back": back, "reaching_out": reaching,
               "reflection": {} if fit is None else {ReasonId.PERSONAL_SPACE.value: fit,
                                                     ReasonId.EXTERNAL_STRESS.value: 3 - fit}}
        assessment, insight = run_selfcheck(parse_answers(raw))
        faces = render_faces(assessment, insight, from_answers=True)
        problems += [f"{raw}: {p}" for p in check(faces)]
    assert problems == []
