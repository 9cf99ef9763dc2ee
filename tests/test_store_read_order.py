"""What the store gives back keeps the query's order, also for a big conversation.

With DuckDB 1.4.4 the relation API (``con.sql(...).pl()``) returned the rows of an ordered query with
their batches interleaved (and up to 10x slower): here in every run tried from 30,000 stored messages
on, in 2 of 3 runs with 10,000. Features such as reply times read the messages in order, so
``messages`` and ``message_meta`` must come back chronological. The rows are stored in a scrambled
physical order here, as merges of overlapping exports leave them."""

from __future__ import annotations

from pathlib import Path

from ebbtide.store import Store

ROWS = 60_000
CID = "whatsapp:a+b"


def test_big_conversation_reads_back_in_order(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with Store.open(path) as store:
        store._ensure_conversation(CID, "whatsapp")
        store._rows(
            "INSERT INTO messages SELECT $1, i + 1, 1, TIMESTAMP '2020-01-01' + to_seconds(i * 60), NULL, "
            "CASE WHEN i % 2 = 0 THEN 'A' ELSE 'B' END, 'message ' || i, 'text', false, 'whatsapp', 'chat.txt', "
            f"i + 1 FROM range({ROWS}) AS t(i) ORDER BY hash(i)",
            [CID],
        )
    with Store.open(path) as store:
        for _ in range(2):
            frame = store.messages(CID)
            assert frame.height == ROWS
            assert frame.get_column("timestamp").is_sorted()
            assert frame.get_column("source_line").is_sorted()
            meta = store.message_meta(CID)
            assert meta.height == ROWS
            assert meta.get_column("timestamp").is_sorted()
