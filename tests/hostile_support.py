"""Shared by the hostile-input tests: the fault-run script (``bench/fuzz_inputs.py``) as a module.

The CLI runner those tests use (own store, 40 columns, no default chat) is the ``runner`` fixture in
conftest.py.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _load_fuzz() -> ModuleType:
    """``bench/fuzz_inputs.py``, loaded once per process (registered under its own name)."""
    module = sys.modules.get("fuzz_inputs")
    if module is None:
        spec = importlib.util.spec_from_file_location("fuzz_inputs", ROOT / "bench" / "fuzz_inputs.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["fuzz_inputs"] = module
        spec.loader.exec_module(module)
    return module


FUZZ = _load_fuzz()
