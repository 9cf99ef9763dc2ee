"""The JSON report matches docs/json-report.md (keys per object), is valid JSON and dated YYYY-MM-DD."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ebbtide.insight import explain
from ebbtide.insight.sample import sample_assessment
from ebbtide.model import Pattern, SignId
from ebbtide.report.json_report import SCHEMA_VERSION, report_dict, write_json

DOC = Path(__file__).parents[1] / "docs" / "json-report.md"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def documented_keys() -> dict[str, list[str]]:
    """Section heading (lower case) -> keys listed in its table."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = line[3:].strip().lower()
            sections[current] = []
        elif current is not None and (m := re.match(r"^\| `(\w+)` \|", line)):
            sections[current].append(m.group(1))
    return {k: v for k, v in sections.items() if v}


@pytest.fixture(scope="module")
def report() -> dict:
    a = sample_assessment(Pattern.PURSUE_WITHDRAW, safety=True)
    return json.loads(json.dumps(report_dict(a, explain(a), simulated=True)))


def test_doc_lists_every_object() -> None:
    assert set(documented_keys()) >= {"top level", "coverage", "sign", "metric", "evidence", "reason",
                                      "plan step", "faq answer", "dip", "safety", "resource"}


def test_report_keys_match_the_doc_exactly(report: dict) -> None:
    doc = documented_keys()
    assert list(report) == doc["top level"]
    assert set(report["coverage"]) == set(doc["coverage"])
    for sign in report["signs"]:
        assert set(sign) == set(doc["sign"])
        for metric in sign["metrics"]:
            assert set(metric) == set(doc["metric"])
        for ev in sign["evidence"]:
            assert set(ev) == set(doc["evidence"])
    for reason in report["reasons"]:
        assert set(reason) == set(doc["reason"])
    for step in report["plan"]:
        assert set(step) == set(doc["plan step"])
    for faq in report["faq"]:
        assert set(faq) == set(doc["faq answer"])
    assert report["history"]["dips"]
    for dip in report["history"]["dips"]:
        assert set(dip) == set(doc["dip"])
    assert set(report["safety"]) == set(doc["safety"])
    assert report["safety"]["resources"]
    for res in report["safety"]["resources"]:
        assert set(res) == set(doc["resource"])


def test_values_follow_the_documented_conventions(report: dict) -> None:
    assert report["schema_version"] == SCHEMA_VERSION == 1
    assert report["simulated"] is True and report["pattern"] == "pursue_withdraw"
    assert DATE.match(report["coverage"]["first"]) and DATE.match(report["coverage"]["last"])
    assert len(report["signs"]) == 10
    pairs = {(s["person"], s["id"]) for s in report["signs"]}
    assert pairs == {(p, s.value) for p in ("Alex", "Sam") for s in SignId}
    assert [s["person"] for s in report["signs"][:5]] == ["Alex"] * 5
    for s in report["signs"]:
        assert s["since"] is None or DATE.match(s["since"])
        assert s["strength"] in {"none", "slight", "clear", "strong"}
    for d in report["history"]["dips"]:
        assert DATE.match(d["start"]) and (d["end"] is None or DATE.match(d["end"]))
    assert all(DATE.match(c) for c in report["history"]["change_points"])
    assert report["safety"]["safety_first"] is True
    assert "open_communication" not in [p["id"] for p in report["plan"]]


def test_missing_signs_are_filled_as_insufficient_data() -> None:
    a = sample_assessment(Pattern.INSUFFICIENT_DATA)
    from dataclasses import replace

    a = replace(a, signs=a.signs[:3])
    data = report_dict(a, explain(a))
    assert len(data["signs"]) == 10
    assert sum(s["status"] == "insufficient_data" for s in data["signs"]) == 10
    assert data["weekly"] == []


def test_nan_becomes_null_and_file_is_strict_json(tmp_path: Path) -> None:
    from dataclasses import replace

    from ebbtide.model import MetricChange, SignResult, SignStatus

    a = sample_assessment(Pattern.STABLE)
    odd = SignResult(SignId.DECREASED_COMMUNICATION, "Sam", SignStatus.NOT_DETECTED,
                     metrics=(MetricChange("x", "x", float("nan"), 1.0, float("inf")),))
    a = replace(a, signs=(odd, *a.signs[1:]))
    path = write_json(tmp_path / "r.json", a, explain(a))
    text = path.read_text(encoding="utf-8")
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    metric = next(s for s in data["signs"] if s["person"] == "Sam" and s["id"] == "decreased_communication")
    assert metric["metrics"][0]["baseline"] is None and metric["metrics"][0]["change"] is None
    assert not list(tmp_path.glob("*.tmp"))
