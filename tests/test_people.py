"""Who is who: aliases resolved to people, 'me' found or asked once and remembered, merges stored,
reversible and used by analyze (``--person`` and several one-to-one chats)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from ebbtide.cli import app
from ebbtide.errors import StoreError
from ebbtide.model import Message, ParsedExport, ParseReport, Platform, messages_to_frame
from ebbtide.store import Store
from ebbtide.store.people import (
    conversations_between,
    find_person,
    me_person,
    me_sender,
    merge_people,
    normalise_name,
    people,
    set_me,
    split_person,
    suggested_links,
)

runner = CliRunner()


def _export(platform: Platform, cid: str, senders: list[str], me: str | None = None) -> ParsedExport:
    msgs = [Message(datetime(2024, 1, 1, 9, i), s, f"hello {i}", platform=platform, conversation_id=cid)
            for i, s in enumerate(senders)]
    return ParsedExport(messages_to_frame(msgs), ParseReport(f"{cid}.txt", platform, "test",
                                                             participants=tuple(dict.fromkeys(senders)), me=me))


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    opened = Store.open(tmp_path / "s.duckdb")
    yield opened  # type: ignore[misc]
    opened.close()


def test_normalised_names_ignore_case_spacing_and_the_ios_tilde() -> None:
    assert normalise_name("~\u202fAlex  K ") == normalise_name("alex k") == "alex k"
    assert normalise_name("\u200eSam") == "sam"


def test_same_name_on_two_platforms_is_only_suggested_until_the_user_says_so(store: Store) -> None:
    store.import_export(_export(Platform.WHATSAPP, "w", ["Alex", "Sam"]))
    store.import_export(_export(Platform.TELEGRAM, "t", ["~ Alex", "sam.b"]))
    everyone = {p.name: p for p in people(store)}
    assert set(everyone) == {"Alex", "Sam", "~ Alex", "sam.b"}  # equal names alone link nobody
    assert [(a.name, b.name) for a, b in suggested_links(store)] == [("Alex", "~ Alex")]
    merged = merge_people(store, "Alex", "~ Alex")  # the user's word
    assert merged.platforms == ("telegram", "whatsapp") and suggested_links(store) == []
    assert conversations_between(store, merged.id, everyone["Sam"].id) == ["w"]


def test_merge_three_aliases_across_platforms_then_split(store: Store) -> None:
    store.import_export(_export(Platform.WHATSAPP, "w", ["Alex", "Sam"]))
    store.import_export(_export(Platform.INSTAGRAM, "i", ["alex.k", "Sam"]))
    store.import_export(_export(Platform.SMS, "s", ["+44 7700 900123", "Sam"]))
    merge_people(store, "2", "4")  # the three "Sam"s, one person by the user's word
    merge_people(store, "2", "6")
    merge_people(store, "Alex", "alex.k")
    merged = merge_people(store, "Alex", "+44 7700 900123")
    assert {a.sender for a in merged.aliases} == {"Alex", "alex.k", "+44 7700 900123"}
    assert find_person(store, "ALEX.K") == merged.id  # any alias finds the person
    alex, sam = merged.id, find_person(store, "Sam")
    assert sam == 2
    assert conversations_between(store, alex, sam) == ["w", "i", "s"]
    back = split_person(store, "alex.k")
    assert [a.sender for a in back.aliases] == ["alex.k"]
    assert conversations_between(store, alex, sam) == ["w", "s"]
    with pytest.raises(StoreError, match="not merged"):
        split_person(store, str(sam))


def test_merges_survive_reopening_and_unknown_names_are_clear_errors(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with Store.open(db) as store:
        store.import_export(_export(Platform.WHATSAPP, "w", ["Alex", "Sam"]))
        store.import_export(_export(Platform.SIGNAL, "g", ["Alex", "Sammy"]))
        merge_people(store, "Sam", "Sammy")
    with Store.open(db) as store:
        assert find_person(store, "Sammy") == find_person(store, "Sam")
        with pytest.raises(StoreError) as info:
            find_person(store, "Jordan")
        assert "no person called 'Jordan'" in info.value.message and "Sam" in info.value.fix


def test_me_from_the_export_links_every_chat_of_the_user(store: Store) -> None:
    store.import_export(_export(Platform.WHATSAPP, "w", ["Alex", "Sam"], me="Alex"))
    store.import_export(_export(Platform.TELEGRAM, "t", ["Alex Kim", "Sam"], me="Alex Kim"))
    me = me_person(store)
    assert me is not None and find_person(store, "Alex Kim") == me
    assert me_sender(store, "t") == "Alex Kim"


def test_the_partners_phone_export_does_not_make_the_partner_me(store: Store) -> None:
    store.import_export(_export(Platform.WHATSAPP, "w", ["Alex", "Sam"], me="Alex"))
    store.import_export(_export(Platform.WHATSAPP, "w", ["Alex", "Sam"], me="Sam"))  # exported on Sam's phone
    assert me_sender(store, "w") == "Alex"
    assert find_person(store, "Sam") != find_person(store, "Alex")


def test_set_me_is_remembered_and_one_person_across_chats(store: Store) -> None:
    store.import_export(_export(Platform.WHATSAPP, "w", ["Alex", "Sam"]))
    store.import_export(_export(Platform.LINE, "l", ["A. K.", "Sam"]))
    assert me_person(store) is None
    set_me(store, "w", "Alex")
    set_me(store, "l", "A. K.")  # a second chat: joined to the same "me"
    assert find_person(store, "A. K.") == find_person(store, "Alex") == me_person(store)


def test_forget_removes_people_left_without_a_chat(store: Store) -> None:
    store.import_export(_export(Platform.WHATSAPP, "w", ["Alex", "Sam"]))
    store.import_export(_export(Platform.LINE, "l", ["Alex", "Kim"]))
    store.forget("l")
    assert {p.name for p in people(store)} == {"Alex", "Sam"}
    assert all(a.conversation_id == "w" for p in people(store) for a in p.aliases)


def test_a_failed_import_adds_no_people(store: Store) -> None:
    bad = _export(Platform.WHATSAPP, "w", ["Alex", "Sam"])
    bad = ParsedExport(bad.messages.with_columns(pl.lit("nonsense").alias("kind")), bad.report)
    with pytest.raises(StoreError):
        store.import_export(bad)
    assert people(store) == []


# --------------------------------------------------------------------------- CLI
def _run(args: list[str], **kw: object):  # noqa: ANN202
    return runner.invoke(app, args, catch_exceptions=False, **kw)  # type: ignore[arg-type]


def _csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path.write_text("timestamp,sender,text\n" + "".join(f"{t},{s},{x}\n" for t, s, x in rows), encoding="utf-8")
    return path


def test_people_cli_lists_merges_and_splits(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    a = _csv(tmp_path / "a.csv", [("2024-01-01T09:00", "Alex", "hi"), ("2024-01-01T09:01", "Sam", "hey")])
    b = _csv(tmp_path / "b.csv", [("2024-02-01T09:00", "alex.k", "hi"), ("2024-02-01T09:01", "Sam", "yo")])
    assert _run(["import", str(a), str(b), "--db", db]).exit_code == 0
    listed = _run(["people", "--db", db])
    assert listed.exit_code == 0 and "alex.k" in listed.stdout and "Sam" in listed.stdout
    merged = _run(["people", "merge", "Alex", "alex.k", "--db", db])
    assert merged.exit_code == 0 and "one person" in merged.stdout
    assert _run(["people", "me", "Alex", "--db", db]).exit_code == 0
    assert "Alex (you)" in _run(["people", "--db", db]).stdout
    assert _run(["people", "split", "alex.k", "--db", db]).exit_code == 0
    missing = _run(["people", "merge", "Alex", "Nobody", "--db", db])
    assert missing.exit_code == 2 and "no person called 'Nobody'" in missing.output
    nothing = _run(["people", "--db", str(tmp_path / "none.duckdb")])
    assert nothing.exit_code == 2 and "no store" in nothing.output


@pytest.fixture(scope="module")
def two_apps(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A simulated couple: the first 14 weeks on WhatsApp, the rest in a CSV from another app, where the
    user is 'alex.k'."""
    pytest.importorskip("ebbtide.features")
    from ebbtide.simulate import simulate_couple, write_whatsapp_export

    folder = tmp_path_factory.mktemp("two_apps")
    msgs = simulate_couple("partner_pulling_away", seed=3, weeks=24).messages
    cut = msgs.get_column("timestamp").min() + (msgs.get_column("timestamp").max()
                                                 - msgs.get_column("timestamp").min()) * 0.55
    first = msgs.filter(pl.col("timestamp") < cut)
    later = msgs.filter(pl.col("timestamp") >= cut)
    wa = write_whatsapp_export(first, folder / "chat.txt")
    other = later.filter(pl.col("kind") == "text").select(
        pl.col("timestamp").dt.to_string("%Y-%m-%dT%H:%M:%S").alias("timestamp"),
        pl.when(pl.col("sender") == "Alex").then(pl.lit("alex.k")).otherwise(pl.col("sender")).alias("sender"),
        pl.col("text"),
    )
    csv = folder / "other.csv"
    other.write_csv(csv)
    return wa, csv


def test_analyze_person_runs_on_the_merged_timeline_of_both_apps(two_apps: tuple[Path, Path], tmp_path: Path) -> None:
    wa, csv = two_apps
    db = str(tmp_path / "s.duckdb")
    assert _run(["import", str(wa), str(csv), "--db", db, "--tz", "Europe/London"]).exit_code == 0
    listed = _run(["people", "--db", db])
    assert "Same names in different chats" in listed.stdout  # the two "Sam"s: suggested, not joined
    assert _run(["people", "merge", "--suggested", "--db", db]).exit_code == 0
    assert _run(["people", "merge", "Alex", "alex.k", "--db", db]).exit_code == 0
    out = tmp_path / "r.json"
    result = _run(["analyze", "--person", "Sam", "--me", "Alex", "--db", db, "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "Merged 2 chats" in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["me"] == "Alex" and data["partner"] == "Sam"
    # the user is remembered: next time no --me is needed
    again = _run(["analyze", "--person", "Sam", "--db", db])
    assert again.exit_code == 0, again.output
    # analysing one of the couple's chats by file merges their other one-to-one chat in...
    by_file = _run(["analyze", str(wa), "--db", db])
    assert by_file.exit_code == 0 and "Merged 2 chats" in by_file.output
    # ...unless one conversation is chosen explicitly
    alone = _run(["analyze", "--conversation", "generic", "--db", db])
    assert alone.exit_code == 0 and "Merged" not in alone.output


def test_analyze_person_without_knowing_me_says_what_to_do(two_apps: tuple[Path, Path], tmp_path: Path) -> None:
    wa, _ = two_apps
    db = str(tmp_path / "s.duckdb")
    assert _run(["import", str(wa), "--db", db]).exit_code == 0
    result = _run(["analyze", "--person", "Sam", "--db", db])
    assert result.exit_code == 2 and "--me" in result.output


def test_split_gives_me_back_to_the_right_person(store: Store) -> None:
    store.import_export(_export(Platform.WHATSAPP, "w", ["Alex", "Sam"], me="Alex"))
    store.import_export(_export(Platform.TELEGRAM, "t", ["Alex K", "Sam"]))
    merge_people(store, "Alex K", "Alex")  # keep the Telegram name
    assert me_person(store) == find_person(store, "Alex K")
    assert [p.is_me for p in people(store)][0] is True
    split_person(store, "Alex")
    assert me_person(store) == find_person(store, "Alex") != find_person(store, "Alex K")


def test_a_same_name_link_can_be_undone_for_one_chat(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    a = _csv(tmp_path / "a.csv", [("2024-01-01T09:00", "Alex", "hi"), ("2024-01-01T09:01", "Sam", "hey")])
    assert _run(["import", str(a), "--db", db, "--platform", "generic"]).exit_code == 0
    with Store.open(db) as store:
        store.import_export(_export(Platform.LINE, "line:work", ["Sam", "Kim"]))
        with pytest.raises(StoreError, match="matches 2 people"):  # not joined by the name alone
            find_person(store, "Sam")
    assert _run(["people", "merge", "--suggested", "--db", db]).exit_code == 0  # the user's word...
    with Store.open(db) as store:
        assert conversations_between(store, find_person(store, "Sam"), find_person(store, "Kim")) == ["line:work"]
    result = _run(["people", "split", "Sam", "--conversation", "line:work", "--db", db])
    assert result.exit_code == 0, result.output
    with Store.open(db) as store:
        with pytest.raises(StoreError, match="matches 2 people"):
            find_person(store, "Sam")
        assert len([p for p in people(store) if p.name == "Sam"]) == 2


def test_analyze_remembers_the_answer_to_who_you_are(two_apps: tuple[Path, Path], tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from ebbtide.cli import choose

    wa, _ = two_apps
    db = str(tmp_path / "s.duckdb")
    monkeypatch.setattr(choose, "_interactive", lambda: True)
    asked = _run(["analyze", str(wa), "--db", db], input="Alex\nno\nno\n")  # who you are, then the two safety questions
    assert asked.exit_code == 0 and "Which one is you?" in asked.output
    monkeypatch.setattr(choose, "_interactive", lambda: False)
    again = _run(["analyze", "--conversation", "Sam", "--db", db])
    assert again.exit_code == 0, again.output
    assert "Analysing as Alex (remembered from before" in again.output


def test_an_export_from_the_partners_phone_under_other_names_keeps_who_is_who(store: Store) -> None:
    """Sam's phone: Sam saved Alex as 'Alex K ❤️', the export says Sam is 'me'. Sam must not become the
    user, and Alex's alias must not be taken for Sam."""
    store.import_export(_export(Platform.WHATSAPP, "w", ["Alex", "Sam"], me="Alex"))
    store.import_export(_export(Platform.WHATSAPP, "w2", ["Alex K ❤️", "Sam"], me="Sam"))
    alex, sam = find_person(store, "Alex"), find_person(store, "2")
    assert me_person(store) == alex and alex != sam
    assert find_person(store, "Alex K ❤️") not in {alex, sam}  # unknown until merged
    # and on another messenger where the partner's export names the user as usual: the user's name
    # there stops "me" (sam.tg) from being taken for the user
    store.import_export(_export(Platform.TELEGRAM, "t", ["Alex", "sam.tg"], me="sam.tg"))
    assert me_person(store) == alex and find_person(store, "sam.tg") != alex


def test_saying_who_you_are_moves_a_wrong_guess_within_one_chat(store: Store) -> None:
    store.import_export(_export(Platform.WHATSAPP, "w", ["Alex", "Sam"], me="Sam"))  # partner's phone first
    assert me_person(store) == find_person(store, "Sam")
    set_me(store, "w", "Alex")  # the user corrects it: a move, not a merge
    assert me_person(store) == find_person(store, "Alex") != find_person(store, "Sam")
