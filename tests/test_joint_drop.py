"""A drop that begins for both people in the same week is not called drifting while it is young.

Drifting apart is usually gradual; a drop that starts for both at once more often comes from something
shared that a chat cannot see (a trip together, a busy stretch, another app). The verdict waits
(``too_early``) until such a drop has lasted six weeks (signals/pattern.py, docs/signals.md).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ebbtide.features import build_features
from ebbtide.insight import explain
from ebbtide.model import Pattern, SignId, SignResult, SignStatus
from ebbtide.signals import assess
from ebbtide.signals.pattern import JOINT_HOLD_WEEKS, joint_recent_drop
from ebbtide.simulate.couple import simulate_trajectory
from ebbtide.simulate.scenarios import Trajectory, _ramp

START = date(2025, 1, 6)
ONSET = 24


def _sign(person: str, since: date, sign: SignId = SignId.DECREASED_COMMUNICATION) -> SignResult:
    return SignResult(sign, person, SignStatus.DETECTED, since, "clear")


@pytest.mark.parametrize(("mine", "theirs", "last", "held"), [
    (date(2025, 6, 2), date(2025, 6, 2), date(2025, 6, 30), True),     # same week, 4 weeks old
    (date(2025, 6, 2), date(2025, 6, 9), date(2025, 6, 30), True),     # adjacent weeks
    (date(2025, 6, 2), date(2025, 6, 23), date(2025, 6, 30), False),   # three weeks apart: not joint
    (date(2025, 6, 2), date(2025, 6, 2), date(2025, 7, 14), False),    # six weeks old: a verdict
])
def test_joint_recent_drop_needs_the_same_week_and_a_young_drop(mine: date, theirs: date, last: date,
                                                               held: bool) -> None:
    signs = [_sign("Alex", mine), _sign("Sam", theirs)]
    assert joint_recent_drop(signs, "Alex", "Sam", last) is held


def test_a_joint_drop_needs_a_behavioural_sign_for_both() -> None:
    signs = [_sign("Alex", date(2025, 6, 2)), _sign("Sam", date(2025, 6, 2), SignId.DECLINE_IN_INTIMACY)]
    assert not joint_recent_drop(signs, "Alex", "Sam", date(2025, 6, 30))


@pytest.fixture(scope="module")
def sudden_mutual():  # noqa: ANN201
    t = Trajectory.flat(ONSET + 12)
    _ramp(t.withdraw["partner"], ONSET, 1, 0.7)
    _ramp(t.withdraw["me"], ONSET, 1, 0.7)
    return build_features(simulate_trajectory(t, seed=3, label="joint", start=START))


def test_a_young_joint_drop_is_too_early_and_an_older_one_is_mutual_drift(sudden_mutual) -> None:  # noqa: ANN001
    onset = START + timedelta(weeks=ONSET)
    young = assess(sudden_mutual, me="Alex", partner="Sam", today=onset + timedelta(weeks=3, days=-1))
    assert young.pattern is Pattern.TOO_EARLY
    assert "same week" in young.pattern_explanation
    insight = explain(young, features=sudden_mutual)
    assert "too early to call it drifting" in insight.headline
    assert insight.plan[0].id.value in ("patience", "space_but_connected")
    assert not any("sustained" in t or "four weeks or more" in t for p in insight.plan for t in (p.why,))
    old = assess(sudden_mutual, me="Alex", partner="Sam",
                 today=onset + timedelta(weeks=JOINT_HOLD_WEEKS + 2, days=-1))
    assert old.pattern is Pattern.MUTUAL_DRIFT


def test_a_one_sided_drop_is_not_held_back() -> None:
    t = Trajectory.flat(ONSET + 6)
    _ramp(t.withdraw["partner"], ONSET, 1, 0.7)
    feats = build_features(simulate_trajectory(t, seed=3, label="one", start=START))
    a = assess(feats, me="Alex", partner="Sam", today=START + timedelta(weeks=ONSET + 3, days=-1))
    assert a.pattern in (Pattern.PARTNER_PULLING_AWAY, Pattern.PURSUE_WITHDRAW)
