"""The journal in the store (events, check-ins, runs per day, settings, JSON export) and what it
adds to the analysis (time apart the chat cannot see, before/after an event, safety in notes)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from ebbtide.errors import EbbtideError
from ebbtide.insight.sample import sample_assessment
from ebbtide.model import Pattern, SignId, SignStatus
from ebbtide.store import Store
from ebbtide.store import journal as jr
from ebbtide.web.journal_link import apply_journal, before_after, notes_raise_safety, time_apart_from_journal


@pytest.fixture()
def store(tmp_path: Path):  # noqa: ANN201
    with Store.open(tmp_path / "j.duckdb") as s:
        yield s


def test_events_round_trip_in_date_order_and_survive_reopening(tmp_path: Path) -> None:
    db = tmp_path / "j.duckdb"
    with Store.open(db) as s:
        jr.add_event(s, day=date(2025, 3, 3), kind="talk", note="  we talked  ")
        jr.add_event(s, day=date(2025, 1, 5), kind=jr.EventKind.TRIP)
    with Store.open(db) as s:
        got = jr.events(s)
    assert [(e.date, e.kind, e.note) for e in got] == [
        (date(2025, 1, 5), jr.EventKind.TRIP, ""), (date(2025, 3, 3), jr.EventKind.TALK, "we talked")]
    assert got[0].id != got[1].id


def test_bad_events_are_refused_with_what_to_do(store: Store) -> None:
    with pytest.raises(EbbtideError, match="not a kind of event") as exc:
        jr.add_event(store, day=date(2025, 1, 1), kind="party")
    assert "talk" in exc.value.fix
    with pytest.raises(EbbtideError, match="future"):
        jr.add_event(store, day=date.today() + timedelta(days=2), kind="talk")
    with pytest.raises(EbbtideError, match="characters"):
        jr.add_event(store, day=date(2025, 1, 1), kind="talk", note="x" * (jr.NOTE_MAX + 1))
    assert jr.events(store) == []


def test_event_of_an_unknown_conversation_is_kept_as_couple_wide(store: Store) -> None:
    e = jr.add_event(store, day=date(2025, 1, 1), kind="fight", conversation_id="nope")
    assert e.conversation_id is None
    assert [x.id for x in jr.events(store, "other")] == [e.id]  # couple-wide events show everywhere


def test_delete_event(store: Store) -> None:
    e = jr.add_event(store, day=date(2025, 1, 1), kind="talk")
    assert jr.delete_event(store, e.id) is True
    assert jr.delete_event(store, e.id) is False
    assert jr.events(store) == []


def test_checkins_validate_and_round_trip(store: Store) -> None:
    with pytest.raises(EbbtideError, match="outside 1..5"):
        jr.add_checkin(store, jr.CheckIn(date(2025, 1, 1), 6))
    saved = jr.add_checkin(store, jr.CheckIn(date(2025, 1, 1), 2, saw_each_other=False, outside_stress="work",
                                             afraid=None, controlled=False, note="quiet week"))
    [back] = jr.checkins(store)
    assert back == saved
    assert (back.closeness, back.saw_each_other, back.afraid, back.controlled) == (2, False, None, False)


def test_runs_are_counted_per_day(store: Store) -> None:
    d = date(2025, 5, 1)
    assert [jr.record_run(store, day=d) for _ in range(3)] == [1, 2, 3]
    assert jr.record_run(store, day=d + timedelta(days=1)) == 1
    assert jr.runs_on(store, day=d) == 3
    assert jr.runs_on(store, kind="other", day=d) == 0


def test_settings_set_replace_and_remove(store: Store) -> None:
    jr.set_setting(store, "country", "uk")
    jr.set_setting(store, "country", "us")
    assert jr.get_setting(store, "country") == "us"
    jr.set_setting(store, "country", None)
    assert jr.get_setting(store, "country", "none") == "none"


def test_export_is_json_with_everything_written_down(store: Store) -> None:
    jr.add_event(store, day=date(2025, 3, 3), kind="talk", note="über alles 💬")
    jr.add_checkin(store, jr.CheckIn(date(2025, 3, 4), 4, saw_each_other=True))
    data = json.loads(json.dumps(jr.export_journal(store)))
    assert data["format"] == "ebbtide-journal"
    assert data["events"][0] == {**data["events"][0], "date": "2025-03-03", "kind": "talk", "note": "über alles 💬"}
    assert data["checkins"][0]["closeness"] == 4 and data["checkins"][0]["saw_each_other"] is True


def test_forget_journal_and_forget_all_remove_it(tmp_path: Path) -> None:
    with Store.open(tmp_path / "j.duckdb") as s:
        jr.add_event(s, day=date(2025, 3, 3), kind="talk")
        jr.set_setting(s, "me", "Alex")
        jr.forget_journal(s)
        assert jr.events(s) == [] and jr.settings(s) == {}
        jr.add_event(s, day=date(2025, 3, 3), kind="talk")
        s.forget_all()
        assert jr.events(s) == []


# --------------------------------------------------------------------------- journal -> analysis
def _weeks_events(start: date, together: list[bool]) -> list[jr.JournalEvent]:
    out = []
    for i, t in enumerate(together):
        kind = jr.EventKind.TOGETHER if t else jr.EventKind.APART
        out.append(jr.JournalEvent(i + 1, start + timedelta(weeks=i), kind, ""))
    return out


def test_time_apart_from_the_journal_compares_the_users_own_weeks() -> None:
    since = date(2025, 3, 3)
    evs = _weeks_events(since - timedelta(weeks=4), [True, True, True, True, False, False, True, False])
    res = time_apart_from_journal(evs, [], person="Sam", since=since)
    assert res is not None and res.status is SignStatus.DETECTED
    assert res.metrics[0].baseline == 1.0 and res.metrics[0].recent == 0.25
    assert "journal" in res.note


def test_time_apart_from_the_journal_needs_entries_on_both_sides() -> None:
    since = date(2025, 3, 3)
    evs = _weeks_events(since - timedelta(weeks=1), [True, False, False])
    assert time_apart_from_journal(evs, [], person="Sam", since=since) is None


def test_checkins_count_as_weeks_together_or_apart() -> None:
    since = date(2025, 3, 3)
    cis = [jr.CheckIn(since + timedelta(weeks=w), 3, saw_each_other=w < 0) for w in (-3, -2, 1, 2)]
    res = time_apart_from_journal([], cis, person="Sam", since=since)
    assert res is not None and res.status is SignStatus.DETECTED


def test_apply_journal_only_fills_what_the_chat_cannot_measure() -> None:
    a = sample_assessment(Pattern.PARTNER_PULLING_AWAY)
    since = a.recent[0]
    evs = _weeks_events(since - timedelta(weeks=5), [True] * 5 + [False, False, False])
    before = {(s.sign, s.person): s for s in a.signs}
    after = {(s.sign, s.person): s for s in apply_journal(a, evs, []).signs}
    for key, old in before.items():
        new = after[key]
        if key == (SignId.INCREASED_TIME_APART, a.partner) and old.status in (
            SignStatus.NOT_MEASURABLE, SignStatus.INSUFFICIENT_DATA
        ):
            assert new.status is SignStatus.DETECTED
        else:
            assert new == old


def test_before_after_reads_the_weeks_around_an_event() -> None:
    weeks = [date(2025, 1, 6) + timedelta(weeks=i) for i in range(12)]
    values = [50, 50, 50, 50, 20, 20, 20, 20, 48, 50, 52, 50]
    weekly = pl.DataFrame({"week": weeks, "person": ["Sam"] * 12, "messages": values})
    talk = weeks[8] - timedelta(days=1)  # the Sunday before week 8: the event's week is week 7
    [res] = before_after(weekly, talk, metrics={"messages": ("Messages per week", "down")},
                         event_label="the talk", baseline=(weeks[0], weeks[3] + timedelta(days=6)))
    assert (res.before, res.after, res.weeks_before, res.weeks_after) == (20.0, 50.0, 4, 4)
    assert "back to Sam's usual" in res.sentence and "higher" in res.sentence


def test_before_after_with_no_weeks_after_says_so() -> None:
    weekly = pl.DataFrame({"week": [date(2025, 1, 6)], "person": ["Sam"], "messages": [3]})
    [res] = before_after(weekly, date(2025, 1, 8), metrics={"messages": ("Messages", "down")})
    assert res.after is None and "No weeks after" in res.sentence


@pytest.mark.parametrize("text", ["some days I want to die", "I am scared of him when he drinks",
                                  "he controls my phone"])
def test_safety_language_in_notes_is_noticed(text: str) -> None:
    assert notes_raise_safety(["a normal note", text])


def test_ordinary_notes_raise_no_safety_flag() -> None:
    assert not notes_raise_safety(["we had dinner", "he was tired after work", ""])


def test_recent_journal_entries_hint_at_reasons() -> None:
    from ebbtide.model import ReasonId
    from ebbtide.web.journal_link import journal_hints

    since = date(2025, 3, 3)
    evs = [jr.JournalEvent(1, date(2025, 3, 10), jr.EventKind.JOB_CHANGE, "new job, long hours"),
           jr.JournalEvent(2, date(2025, 1, 10), jr.EventKind.FIGHT, "old fight"),
           jr.JournalEvent(3, date(2025, 3, 12), jr.EventKind.TALK, "")]
    cis = [jr.CheckIn(date(2025, 3, 11), 3, outside_stress="his mother is ill"),
           jr.CheckIn(date(2025, 3, 18), 3, outside_stress="  ")]
    hints = journal_hints(evs, cis, since=since)
    assert set(hints) == {ReasonId.EXTERNAL_STRESS}  # the fight is older than the recent stretch
    assert [e.text for e in hints[ReasonId.EXTERNAL_STRESS]] == ["his mother is ill", "new job, long hours"]


def test_journal_hints_reach_the_reasons_through_explain() -> None:
    from ebbtide.insight import explain
    from ebbtide.model import ReasonId
    from ebbtide.web.journal_link import journal_hints

    a = sample_assessment(Pattern.PARTNER_PULLING_AWAY, space_request=False)
    cis = [jr.CheckIn(a.recent[0] + timedelta(days=7 * i), 3, outside_stress="exams") for i in range(4)]
    plain = explain(a)
    hinted = explain(a, hints=journal_hints([], cis, since=a.recent[0]))
    stress = next(r for r in hinted.reasons if r.id is ReasonId.EXTERNAL_STRESS)
    assert stress.hints == next(r for r in plain.reasons if r.id is ReasonId.EXTERNAL_STRESS).hints + 4
    assert any(e.text == "exams" for e in stress.evidence)


def test_forgotten_journal_notes_leave_no_bytes_in_the_file(tmp_path: Path) -> None:
    db = tmp_path / "j.duckdb"
    secret = "we talked about the ring-9f3c1"
    with Store.open(db) as s:
        jr.add_event(s, day=date(2025, 3, 3), kind="talk", note=secret)
        first = jr.add_event(s, day=date(2025, 3, 4), kind="talk", note=secret + "-b")
        assert jr.delete_event(s, first.id)
        jr.forget_journal(s)
    data = db.read_bytes()
    assert secret.encode() not in data
