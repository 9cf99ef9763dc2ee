"""signals layer: weekly metrics, own baselines, change points, the five signs, the verdict, dips.

Entry point: ``assess(features, me=..., partner=..., baseline=..., today=...) -> Assessment``.
Method: docs/signals.md.
"""

from ebbtide.signals.assess import assess
from ebbtide.signals.weekly import WEEKLY_COLUMNS

__all__ = ["WEEKLY_COLUMNS", "assess"]
