"""The terminal report: verdict and plan first, both people's signs, evidence, safety first when flagged."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from ebbtide.insight import explain
from ebbtide.insight.sample import sample_assessment
from ebbtide.model import Pattern
from ebbtide.report.formatting import change_text
from ebbtide.report.terminal import render_terminal


def _render(pattern: Pattern, **kw: object) -> str:
    safety = bool(kw.pop("safety", False))
    a = sample_assessment(pattern, safety=safety)
    buf = io.StringIO()
    render_terminal(a, explain(a), Console(file=buf, width=100, color_system=None), **kw)  # type: ignore[arg-type]
    return buf.getvalue()


@pytest.mark.parametrize("pattern", list(Pattern))
def test_every_pattern_renders_in_the_promised_order(pattern: Pattern) -> None:
    text = _render(pattern)
    order = ["What you can do", "The five signs", "What may lie behind it", "Questions people ask",
             "Your history of quieter stretches", "What this is based on", "What this cannot know"]
    if pattern is Pattern.INSUFFICIENT_DATA:  # no answers from a history that is not there
        order.remove("Questions people ask")
    positions = [text.index("What the chat suggests")]
    positions += [re.search(rf"^{re.escape(h)}.* ─", text, re.MULTILINE).start() for h in order]  # type: ignore[union-attr]
    assert positions == sorted(positions)
    assert "Alex" in text and "Sam" in text


def test_signs_show_metrics_with_interval_and_evidence_messages() -> None:
    text = _render(Pattern.PARTNER_PULLING_AWAY)
    assert "118 → 64" in text and "likely between" in text
    assert "maybe, we'll see" in text and "are we still on for Saturday?" in text
    assert "Your own side, Alex" in text
    assert "cannot be" in text and "measured" in text  # the not_measurable sign (wrapped in its cell)


def test_safety_first_leads_with_crisis_lines() -> None:
    text = _render(Pattern.PARTNER_PULLING_AWAY, safety=True)
    assert text.index("Your safety comes first") < text.index("What you can do")
    assert "988" in text and "1-800-799-7233" in text and "116 123" in text
    assert "Ways to start" not in text


def test_demo_banner_when_simulated() -> None:
    text = _render(Pattern.STABLE, simulated=True)
    assert text.lstrip().startswith("╭") and "simulated" in text.split("\n\n")[0]


def test_change_text_reads_shares_as_points_and_counts_as_relative() -> None:
    from ebbtide.model import MetricChange

    share = MetricChange("s", "s", 0.05, 0.30, 0.25, 0.21, 0.29, unit="share")
    assert change_text(share) == "5% → 30% (+25 points, likely between +21 points and +29 points)"
    count = MetricChange("m", "m", 118.0, 64.0, 64 / 118 - 1, -0.58, -0.34, unit="per week")
    assert change_text(count) == "118 per week → 64 per week (−46%, likely between −58% and −34%)"
    assert change_text(MetricChange("m", "m", None, 3.0, None)) == "n/a → 3.0"
