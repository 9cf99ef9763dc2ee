"""End to end on simulated couples: simulator -> build_features -> signals.assess finds the planted
pattern (and stays calm for holidays, a stressful week and a dip that recovered).

This guards the simulator's realism and the analysis together: if either drifts, the planted truth
stops being found. One seed per scenario keeps it to a few seconds per scenario.
"""

from __future__ import annotations

import pytest

from ebbtide.features import build_features
from ebbtide.simulate import SCENARIOS, simulate_couple

signals = pytest.importorskip("ebbtide.signals")


@pytest.mark.slow
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_assessment_reads_the_planted_pattern(scenario):
    chat = simulate_couple(scenario, seed=1)
    features = build_features(chat.messages, with_matches=False)
    result = signals.assess(features, me=chat.truth.me, partner=chat.truth.partner)
    assert result.pattern == chat.truth.pattern, result.pattern_explanation
    if chat.truth.dipped and chat.truth.dip_start:
        starts = [d.start for d in result.dips if d.person in chat.truth.dipped and d.recovered]
        assert any(abs((s - chat.truth.dip_start).days) <= 21 for s in starts), result.dips
