"""Shared by the hostile-input tests: the fault-run script (``bench/fuzz_inputs.py``) as a module.

The CLI runner those tests use (own store, 40 columns, no default chat) is the ``runner`` fixture in
conftest.py.
"""

from __future__ import annotations

from script_support import ROOT, load_script

FUZZ = load_script(ROOT / "bench" / "fuzz_inputs.py")
