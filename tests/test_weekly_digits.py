"""A message written with another script's digits ("१२:३०", "١٥ min") does not stop the analysis (the call
minutes parser once cast every row's match to a number, and \\d matched those digits too)."""

from __future__ import annotations

from datetime import datetime, timedelta

from ebbtide.features import build_features
from ebbtide.model import Message, MessageKind, messages_to_frame
from ebbtide.signals import assess


def test_other_scripts_digits_do_not_break_the_weekly_table() -> None:
    t0 = datetime(2025, 1, 6, 9)
    texts = ["see you at १२:३० ok", "١٥ min", "call me at 7:30", "voice call", "sure"]
    rows = [Message(t0 + timedelta(hours=5 * i), ("Alex", "Sam")[i % 2], texts[i % len(texts)],
                    MessageKind.CALL if texts[i % len(texts)] == "voice call" else MessageKind.TEXT)
            for i in range(400)]
    features = build_features(messages_to_frame(rows))
    a = assess(features, me="Alex", partner="Sam")
    assert a.weekly.height > 0
