"""Property: importing is idempotent, and overlapping pieces of a chat add up to the whole.

Known, documented limit of dedup by (time, sender, kind, text): if the part two exports share lies
entirely inside one minute, and the same message (say "ok") was sent in that minute both before
and after the shared part, the store cannot tell the repeats apart. Real overlapping exports share
thousands of messages, so the property is checked for splits whose shared part does not sit inside
a single minute (``assume`` below).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import ebbtide.store.merge as store_merge
from ebbtide.model import Message, MessageKind, ParsedExport, ParseReport, Platform, messages_to_frame
from ebbtide.store import Store

T0 = datetime(2024, 5, 1, 8, 0)
KEY = ["timestamp", "sender", "kind", "text"]

row = st.tuples(
    st.sampled_from([0, 0, 0, 1, 2, 30]),  # minutes since the previous message: many in the same minute
    st.sampled_from(["Alex", "Sam", ""]),
    st.sampled_from([MessageKind.TEXT, MessageKind.TEXT, MessageKind.MEDIA, MessageKind.SYSTEM]),
    st.sampled_from(["ok", "ok", "hi", "", "see you ✨", "line one\nline two"]),
)


def build(rows: list[tuple[int, str, MessageKind, str]]) -> list[Message]:
    msgs, ts = [], T0
    for line, (gap, sender, kind, text) in enumerate(rows, start=1):
        ts += timedelta(minutes=gap)
        if kind is MessageKind.MEDIA:  # media count by kind only (the text is a placeholder in any language)
            text = "<Media omitted>"
        msgs.append(Message(ts, sender, text, kind=kind, conversation_id="c", source_line=line))
    return msgs


def export(msgs: list[Message]) -> ParsedExport:
    return ParsedExport(messages_to_frame(msgs), ParseReport("c.txt", Platform.WHATSAPP, "t"))


_ids = itertools.count()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One store for all examples (opening a file per example is slow); each example its own chat."""
    saved = store_merge._SLICE_ROWS, store_merge._FRESH_ROWS
    store_merge._SLICE_ROWS = store_merge._FRESH_ROWS = 4  # tiny pieces: exercise the sliced insert and merge too
    try:
        with Store.open(tmp_path_factory.mktemp("hyp") / "s.duckdb") as opened:
            yield opened
    finally:
        store_merge._SLICE_ROWS, store_merge._FRESH_ROWS = saved


def stored(store: Store, pieces: list[list[Message]]) -> pl.DataFrame:
    cid = f"c{next(_ids)}"
    for piece in pieces:
        store.import_export(export(piece), conversation_id=cid)
    return store.messages(cid).drop("conversation_id")


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.lists(row, min_size=1, max_size=40))
def test_importing_twice_equals_once(store: Store, rows: list) -> None:
    msgs = build(rows)
    once = stored(store, [msgs])
    assert once.select(KEY).equals(messages_to_frame(msgs).select(KEY))
    assert stored(store, [msgs, msgs]).equals(once)


@SETTINGS
@given(st.lists(row, min_size=2, max_size=40), st.data())
def test_overlapping_pieces_add_up_to_the_whole(store: Store, rows: list, data: st.DataObject) -> None:
    msgs = build(rows)
    n = len(msgs)
    count = data.draw(st.integers(2, 4), label="pieces")
    ends = sorted(data.draw(st.lists(st.integers(1, n), min_size=count - 1, max_size=count - 1))) + [n]
    starts = [0]
    for previous_end in ends[:-1]:  # each piece starts at or before the previous one ended
        starts.append(data.draw(st.integers(0, previous_end)))
    starts = sorted(starts)
    ends = [max(e, s) for s, e in zip(starts, ends, strict=True)]
    for k in range(1, count):  # see the module docstring: a shared part inside one minute is ambiguous
        before_shared, after_shared = starts[k] - 1, max(ends[:k])
        if before_shared >= 0 and after_shared < n:
            assume(msgs[before_shared].timestamp != msgs[after_shared].timestamp)
    pieces = [msgs[s:e] for s, e in zip(starts, ends, strict=True)]
    whole = messages_to_frame(msgs).select(KEY)
    assert stored(store, pieces).select(KEY).equals(whole)
    # any order of importing gives the same messages (ties inside a minute may come back reordered)
    reverse = stored(store, pieces[::-1]).select(KEY)
    assert sorted(reverse.iter_rows()) == sorted(whole.iter_rows())
