"""The bundled demo chat: Alex (the user) and Sam, ~9 months, written as an Android WhatsApp export.

The file ``data/demo_whatsapp.txt`` is committed so ``ebbtide demo`` works offline without running the
simulator; a test regenerates it and checks it has not drifted from the simulator.
"""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

from ebbtide.simulate.couple import SimulatedChat, simulate_couple
from ebbtide.simulate.whatsapp import format_whatsapp

DEMO_ME = "Alex"
DEMO_PARTNER = "Sam"
DEMO_SEED = 11
DEMO_START = date(2025, 1, 6)
DEMO_DIALECT = "android_en_gb"
DEMO_PATH: Path = Path(str(resources.files("ebbtide.simulate").joinpath("data/demo_whatsapp.txt")))


def demo_chat() -> SimulatedChat:
    """The demo couple (scenario ``demo``), with its truth."""
    return simulate_couple("demo", seed=DEMO_SEED, start=DEMO_START, me=DEMO_ME, partner=DEMO_PARTNER)


def demo_export_text() -> str:
    """The exact text of the bundled demo export (what ``--write-demo`` writes)."""
    return format_whatsapp(demo_chat().messages, dialect=DEMO_DIALECT, me=DEMO_ME)


def write_demo(path: str | Path | None = None) -> Path:
    """Regenerate the demo export at ``path`` (default: the bundled file)."""
    target = Path(path) if path else DEMO_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as fh:
        fh.write(demo_export_text())
    return target
