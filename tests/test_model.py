from datetime import datetime

import polars as pl
import pytest

from ebbtide.model import (
    MESSAGE_SCHEMA,
    Message,
    MessageKind,
    Platform,
    empty_messages_frame,
    frame_to_messages,
    messages_to_frame,
    validate_messages_frame,
)


def test_records_round_trip_through_the_canonical_frame():
    msgs = [
        Message(datetime(2024, 3, 1, 9, 14), "Alex", "hi\nthere", platform=Platform.WHATSAPP, source_line=1),
        Message(datetime(2024, 3, 1, 9, 15), "", "Alex added Sam", kind=MessageKind.SYSTEM, source_line=3),
    ]
    frame = messages_to_frame(msgs)
    assert dict(frame.schema) == MESSAGE_SCHEMA
    assert frame_to_messages(frame) == msgs


def test_validation_rejects_wrong_columns_and_kinds():
    validate_messages_frame(empty_messages_frame())
    with pytest.raises(ValueError):
        validate_messages_frame(pl.DataFrame({"x": [1]}))
    bad = messages_to_frame([Message(datetime(2024, 1, 1), "A", "x")]).with_columns(kind=pl.lit("nope"))
    with pytest.raises(ValueError, match="unknown message kinds"):
        validate_messages_frame(bad)
