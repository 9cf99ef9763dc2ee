"""Parameters from ../shared (sample exports, research data), skipped with a clear reason when absent.

WHY: ``parametrize`` over an empty list reports "got empty parameter set", which says nothing about
what is missing; a fresh clone has no ../shared, and the skip should say so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).parents[2] / "shared"


def shared_names(folder: Path, pattern: str = "*") -> list[Any]:
    """File names in ``folder`` matching ``pattern``, or one skipped parameter naming what is missing."""
    names = sorted(p.name for p in folder.glob(pattern)) if folder.exists() else []
    if names:
        return names
    where = folder.relative_to(SHARED.parent) if folder.is_relative_to(SHARED.parent) else folder
    return [pytest.param("missing", marks=pytest.mark.skip(reason=f"needs ../{where} ({pattern}), not present"))]
