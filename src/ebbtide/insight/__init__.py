"""Insight layer: what may lie behind the pattern and what to do (reasons, plan, FAQ, safety).

Public API::

    explain(assessment, *, reflection=None, safety_answer=None, hints=None, features=None) -> Insight

All wording is in ``insight/data/*.toml``; this package only selects and fills it. See docs/insight.md.
"""

from ebbtide.insight.explain import explain, headline, limits
from ebbtide.insight.hints import Hints, hints_from_assessment, hints_from_features, withdrawing_person
from ebbtide.insight.safety import CrisisResource, crisis_resources, is_safety_answer
from ebbtide.insight.wording import (
    WORDING_FILES,
    load,
    pattern_label,
    sign_label,
    status_label,
    strength_label,
)

__all__ = [
    "WORDING_FILES", "CrisisResource", "Hints", "crisis_resources", "explain", "headline",
    "hints_from_assessment", "hints_from_features", "is_safety_answer", "limits", "load", "pattern_label",
    "sign_label", "status_label", "strength_label", "withdrawing_person",
]
