"""The couple simulator: seeded demo and test chats with a planted change and known truth.

    from ebbtide.simulate import simulate_couple, SCENARIOS, write_whatsapp_export, generate_large
    chat = simulate_couple("partner_pulling_away", seed=7, weeks=40)
    chat.messages  # canonical frame, platform "simulated"
    chat.truth     # SimulationTruth: pattern, who withdraws, when the change starts...

``python -m ebbtide.simulate --write-demo`` regenerates the bundled ``data/demo_whatsapp.txt``.
"""

from ebbtide.simulate.couple import SimulatedChat, SimulationTruth, simulate_couple
from ebbtide.simulate.demo import DEMO_PATH, demo_chat, demo_export_text
from ebbtide.simulate.large import generate_large
from ebbtide.simulate.scenarios import SCENARIOS, ScenarioSpec
from ebbtide.simulate.whatsapp import DIALECTS, format_whatsapp, write_whatsapp_export

__all__ = [
    "DEMO_PATH",
    "DIALECTS",
    "SCENARIOS",
    "ScenarioSpec",
    "SimulatedChat",
    "SimulationTruth",
    "demo_chat",
    "demo_export_text",
    "format_whatsapp",
    "generate_large",
    "simulate_couple",
    "write_whatsapp_export",
]
