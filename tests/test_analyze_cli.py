"""``ebbtide analyze`` and ``ebbtide demo`` end to end (real importer, store, features, signals, insight)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from ebbtide.cli import analysis_cmds, app, choose

pytest.importorskip("ebbtide.features", reason="features layer not there yet")
if not hasattr(__import__("ebbtide.features", fromlist=["x"]), "build_features"):  # pragma: no cover
    pytest.skip("ebbtide.features.build_features not there yet", allow_module_level=True)

runner = CliRunner()


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ebbtide.simulate import simulate_couple, write_whatsapp_export

    chat = simulate_couple("partner_pulling_away", seed=3, weeks=24)
    return write_whatsapp_export(chat.messages, tmp_path_factory.mktemp("chat") / "chat.txt")


@pytest.fixture(scope="module")
def group_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ebbtide.simulate import simulate_couple, write_whatsapp_export

    msgs = simulate_couple("stable", seed=5, weeks=16).messages
    extra = msgs.filter(pl.col("sender") == "Sam").head(40).with_columns(pl.lit("Kim").alias("sender"))
    both = pl.concat([msgs, extra]).sort("timestamp", maintain_order=True)
    return write_whatsapp_export(both, tmp_path_factory.mktemp("group") / "group.txt")


def _run(args: list[str], **kw: object):  # noqa: ANN202
    return runner.invoke(app, args, catch_exceptions=False, **kw)  # type: ignore[arg-type]


def test_demo_runs_end_to_end_and_says_it_is_simulated(tmp_path: Path) -> None:
    result = _run(["demo", "--json", str(tmp_path / "d.json"), "--html", str(tmp_path / "d.html")])
    assert result.exit_code == 0, result.output
    assert "simulated" in result.stdout.split("\n\n")[0]
    assert "What you can do" in result.stdout and "The five signs" in result.stdout
    data = json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))
    assert data["simulated"] is True and data["me"] == "Alex" and data["partner"] == "Sam"
    assert data["pattern"] in {"partner_pulling_away", "pursue_withdraw"}
    assert len(data["signs"]) == 10
    assert any(f["from_history"] for f in data["faq"])  # the demo has an earlier dip that recovered
    html = (tmp_path / "d.html").read_text(encoding="utf-8")
    assert "Plotly.newPlot" in html and "simulated" in html


def test_demo_takes_both_answers_to_the_safety_question() -> None:
    afraid = _run(["demo", "--afraid"])
    assert afraid.exit_code == 0 and "Your safety comes first" in afraid.stdout
    calm = _run(["demo", "--not-afraid"])
    assert calm.exit_code == 0 and "Your safety comes first" not in calm.stdout
    assert "What you can do" in calm.stdout


def test_demo_never_touches_the_users_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "mine.duckdb"
    monkeypatch.setenv("EBBTIDE_DB", str(db))
    assert _run(["demo"]).exit_code == 0
    assert not db.exists()


def test_analyze_with_me_writes_reports(export: Path, tmp_path: Path) -> None:
    db, out = tmp_path / "s.duckdb", tmp_path / "r.json"
    result = _run(["analyze", str(export), "--me", "Alex", "--db", str(db), "--json", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["me"] == "Alex" and data["partner"] == "Sam" and data["simulated"] is False
    assert data["pattern"] in {"partner_pulling_away", "pursue_withdraw"}
    sam = {s["id"]: s for s in data["signs"] if s["person"] == "Sam"}
    assert sam["decreased_communication"]["status"] == "detected" or sam["change_in_engagement"]["status"] == "detected"
    # The conversation is stored: analyse it again without the file.
    again = _run(["analyze", "--conversation", "Sam", "--me", "alex", "--db", str(db)])
    assert again.exit_code == 0, again.output
    assert "What you can do" in again.stdout


def test_analyze_without_me_and_without_a_terminal_exits_2_naming_participants(export: Path, tmp_path: Path) -> None:
    result = _run(["analyze", str(export), "--db", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 2
    assert "Alex" in result.stderr and "Sam" in result.stderr and "--me" in result.stderr


def test_analyze_asks_who_you_are_on_a_terminal(export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(choose, "_interactive", lambda: True)
    db = tmp_path / "s.duckdb"
    result = _run(["analyze", str(export), "--db", str(db), "--json", str(tmp_path / "r.json")],
                    input="x\n2\nno\nno\n")
    assert result.exit_code == 0, result.output
    assert "Which one is you?" in result.stderr and "1. " in result.stderr
    people = analysis_cmds.participants(_stored(db))
    assert json.loads((tmp_path / "r.json").read_text())["me"] == people[1]


def _stored(db: Path) -> pl.DataFrame:
    from ebbtide.store import Store

    with Store.open(db) as store:
        return store.messages(store.conversations()[0].id)


def test_the_exports_own_hint_names_you(export: Path, tmp_path: Path) -> None:
    named = tmp_path / "WhatsApp Chat with Sam.txt"  # Android names the file after the other person
    named.write_bytes(export.read_bytes())
    out = tmp_path / "r.json"
    result = _run(["analyze", str(named), "--db", str(tmp_path / "s.duckdb"), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "Analysing as Alex" in result.stderr
    assert json.loads(out.read_text())["me"] == "Alex"


def test_unknown_me_exits_2_naming_participants(export: Path, tmp_path: Path) -> None:
    result = _run(["analyze", str(export), "--me", "Jordan", "--db", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 2
    assert "Jordan" in result.stderr and "Alex" in result.stderr and "Sam" in result.stderr


@pytest.mark.parametrize("value", ["2025-01-01", "2025-13-01:2025-02-01", "2025-03-01:2025-02-01"])
def test_bad_baseline_exits_2_before_any_work(value: str, tmp_path: Path) -> None:
    result = _run(["analyze", "nothing.txt", "--baseline", value, "--db", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 2 and "--baseline" in result.stderr
    assert not (tmp_path / "s.duckdb").exists()


def test_baseline_override_is_used(export: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = _run(["analyze", str(export), "--me", "Alex", "--db", str(tmp_path / "s.duckdb"),
                   "--baseline", "2025-01-13:2025-03-09", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["baseline"] == {"start": "2025-01-13", "end": "2025-03-09"}


def test_nothing_to_analyse_and_missing_file_are_clear_errors(tmp_path: Path) -> None:
    result = _run(["analyze", "--db", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 2 and "nothing to analyse" in result.stderr
    result = _run(["analyze", str(tmp_path / "missing.txt"), "--me", "A", "--db", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 2 and "not found" in result.stderr


def test_analyze_me_without_a_file_reuses_the_store(export: Path, tmp_path: Path) -> None:
    """README: ``analyze --me NAME`` imports the exports, or reuses your store."""
    db = tmp_path / "s.duckdb"
    assert _run(["import", str(export), "--db", str(db)]).exit_code == 0
    result = _run(["analyze", "--me", "Alex", "--db", str(db), "--json", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "r.json").read_text())["me"] == "Alex"
    wrong = _run(["analyze", "--me", "Jordan", "--db", str(db)])
    assert wrong.exit_code == 2 and "did not write in any stored chat" in wrong.stderr


def test_version_flag() -> None:
    from ebbtide import __version__

    result = _run(["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"ebbtide {__version__}"


def test_unwritable_report_path_is_a_clear_error(export: Path, tmp_path: Path) -> None:
    result = _run(["analyze", str(export), "--me", "Alex", "--db", str(tmp_path / "s.duckdb"),
                   "--json", str(tmp_path / "no" / "such" / "dir" / "r.json")])
    assert result.exit_code == 2 and "--json" in result.stderr


def test_group_chat_analyses_you_and_the_main_other_sender(group_export: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = _run(["analyze", str(group_export), "--me", "Alex", "--db", str(tmp_path / "s.duckdb"),
                   "--json", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["partner"] == "Sam"
    assert any("group chat" in n for n in data["coverage"]["notes"])
    assert "Kim" not in data["coverage"]["by_person"]
    chosen = _run(["analyze", "--conversation", "Kim", "--me", "Alex", "--partner", "kim",
                   "--db", str(tmp_path / "s.duckdb"), "--json", str(out)])
    assert chosen.exit_code == 0, chosen.output
    assert json.loads(out.read_text())["partner"] == "Kim"


def test_a_group_of_three_active_people_is_refused_without_partner(tmp_path: Path) -> None:
    from ebbtide.simulate import simulate_couple, write_whatsapp_export

    msgs = simulate_couple("stable", seed=6, weeks=12).messages
    kim = (pl.int_range(pl.len()) % 3 == 0) & (pl.col("sender") == "Sam")
    group = msgs.with_columns(pl.when(kim).then(pl.lit("Kim")).otherwise(pl.col("sender")).alias("sender"))
    path = write_whatsapp_export(group, tmp_path / "group.txt")
    db = str(tmp_path / "s.duckdb")
    refused = _run(["analyze", str(path), "--me", "Alex", "--db", db])
    assert refused.exit_code == 2
    assert "group chat" in refused.stderr and "--partner" in refused.stderr and "Kim" in refused.stderr
    assert "between two people" in refused.stderr
    chosen = _run(["analyze", str(path), "--me", "Alex", "--partner", "Kim", "--db", db,
                   "--json", str(tmp_path / "r.json")])
    assert chosen.exit_code == 0, chosen.output
    assert json.loads((tmp_path / "r.json").read_text())["partner"] == "Kim"


def test_afraid_flag_puts_safety_first(export: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = _run(["analyze", str(export), "--me", "Alex", "--db", str(tmp_path / "s.duckdb"), "--afraid",
                   "--country", "uk", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.index("Your safety comes first") < result.stdout.index("What you can do")
    data = json.loads(out.read_text())
    assert data["safety"]["safety_first"] and data["safety"]["resources"][0]["region"] == "uk"
    assert "open_communication" not in [p["id"] for p in data["plan"]]


def test_many_runs_in_one_day_bring_a_gentle_note(export: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    first = _run(["analyze", str(export), "--me", "Alex", "--db", str(db)])
    assert first.exit_code == 0 and "times today" not in first.stderr
    from ebbtide.store import Store
    from ebbtide.store.journal import record_run

    with Store.open(db) as store:  # as if the user had already looked three more times today
        for _ in range(3):
            record_run(store, "analysis")
    fifth = _run(["analyze", "--conversation", "Sam", "--me", "Alex", "--db", str(db)])
    assert fifth.exit_code == 0, fifth.output
    assert "You have looked at this 5 times today" in fifth.stderr
