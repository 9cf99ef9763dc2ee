"""Load a script of the repository (``bench/*.py``, ``tests/fixtures/.../make_sets.py``) as a module.

Shared by the tests that call the benchmark scripts' functions: each script is executed once per process
and registered under its file name, so that its dataclasses and pickling see one module.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_script(path: Path) -> ModuleType:
    """The script at ``path`` as a module named after its file, loaded once per process."""
    name = path.stem
    module = sys.modules.get(name)
    if module is None or getattr(module, "__file__", None) != str(path):
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module
