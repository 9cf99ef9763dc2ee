"""Evidence spans found only for the messages a report shows (issue 13, speed), the same as for every row.

``signals.evidence.with_matches`` no longer finds the spans of every message of the recent period when the
feature frame was built without them: each evidence list finds them for the few rows it picked
(``evidence.shown``). The assessment must be the same as with the spans of every row computed up front.
"""

from __future__ import annotations

import pytest

from ebbtide.features import build_features
from ebbtide.signals import assess, evidence
from ebbtide.simulate import simulate_couple


def _spans(result):
    return [(s.person, s.sign, e.timestamp, e.text, e.why, e.spans) for s in result.signs for e in s.evidence]


@pytest.mark.parametrize("scenario", ["partner_pulling_away", "mutual_drift"])
def test_spans_of_shown_rows_equal_spans_of_every_row(scenario, monkeypatch):
    chat = simulate_couple(scenario, seed=3)
    me, partner = chat.truth.me, chat.truth.partner
    every = assess(build_features(chat.messages, with_matches=True), me=me, partner=partner)

    sizes: list[int] = []
    real = evidence.shown

    def counted(rows):
        if evidence.SPANS_LATER in rows.columns and "matches" not in rows.columns:
            sizes.append(rows.height)
        return real(rows)

    monkeypatch.setattr(evidence, "shown", counted)
    later = assess(build_features(chat.messages), me=me, partner=partner)
    assert _spans(later) == _spans(every)
    assert any(spans for *_, spans in _spans(every)), "no evidence with spans: the comparison says nothing"
    assert sizes and max(sizes) <= evidence.MAX_EVIDENCE  # only the rows shown were analysed again


def test_no_language_layer_columns_gives_no_spans():
    chat = simulate_couple("partner_pulling_away", seed=3)
    features = build_features(chat.messages).drop("lang", "noncommittal")
    rows = features.with_row_index("src_row").head(3)
    out = evidence.with_matches(rows, features)
    assert evidence.SPANS_LATER not in out.columns and "matches" not in out.columns
