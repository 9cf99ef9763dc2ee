"""ebbtide: private, honest help for someone who feels their partner pulling away.

Data flows one way through the layers (a lower layer never imports a higher one):

    model -> importers -> store -> features -> signals -> insight -> pipeline -> api / report / web -> cli

The Python API (docs/api.md) is re-exported here and imported on first use, so ``import ebbtide``
stays fast::

    import ebbtide
    report = ebbtide.analyze("WhatsApp Chat with Sam.txt", me="Alex")
    print(report.terminal())
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from ebbtide.api import Chat, Report, Store, analyze, annotate, read

_API = ("Chat", "Report", "Store", "analyze", "annotate", "read")


def __getattr__(name: str) -> Any:
    if name in _API:
        from ebbtide import api

        return getattr(api, name)
    raise AttributeError(f"module 'ebbtide' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])


__all__ = ["Chat", "Report", "Store", "__version__", "analyze", "annotate", "read"]
