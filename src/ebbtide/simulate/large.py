"""A large synthetic chat for benchmarks (1M messages in a few seconds), vectorised with numpy.

Not a scenario: no sessions are planned one by one. It has the statistical shape the analysis sees
(runs, reply latencies, long gaps between conversations, media, realistic text) and one planted
change so the benchmark exercises a real finding: over the last 15 % of the chat the partner replies
about five times slower. About 100 messages per conversation and ~200 per day: 1M messages span about
14 years from ``start``.

Text: by default ``chat_text.chat_texts`` (≥ 90 % distinct messages, Zipf vocabulary, typos, emoji,
en/es/pt/de/fr mixed), as a real chat; ``text="phrases"`` draws from a pool of 4,000 simulator phrases
instead (the earlier benchmark text, which repeats, so per-distinct-text caches flatter the speed).
"""

from __future__ import annotations

import random
from datetime import datetime

import numpy as np
import polars as pl

from ebbtide.model import MESSAGE_SCHEMA, MessageKind, Platform
from ebbtide.simulate.chat_text import chat_texts
from ebbtide.simulate.phrases import phrase, phrase_banks

_BANK_WEIGHTS = {
    "everyday": 40,
    "answer": 8,
    "question": 10,
    "affection": 10,
    "affection_back": 3,
    "plan_question": 3,
    "plan_committal": 2,
    "plan_noncommittal": 1,
    "meetup": 2,
    "stress": 1,
    "we_future": 2,
    "ack": 8,
    "greeting": 4,
    "multiline": 0.5,
    "conflict": 0.3,
    "vulnerability": 0.3,
    "relationship_question": 0.2,
}


def _phrase_pool(seed: int, size: int = 4000) -> list[str]:
    rng = random.Random(f"ebbtide:large:{seed}")
    banks, _ = phrase_banks()
    names = [b for b in _BANK_WEIGHTS if b in banks]
    weights = [_BANK_WEIGHTS[b] for b in names]
    return [phrase(rng.choices(names, weights=weights)[0], rng) for _ in range(size)]


def generate_large(
    n_messages: int,
    seed: int = 0,
    *,
    me: str = "Alex",
    partner: str = "Sam",
    start: datetime = datetime(2018, 1, 1, 8, 0),
    text: str = "realistic",
) -> pl.DataFrame:
    """A canonical frame of ``n_messages`` messages between ``me`` and ``partner`` (one conversation)."""
    if n_messages < 0:
        raise ValueError("n_messages must be >= 0")
    rng = np.random.default_rng(seed)
    n = n_messages
    switch = rng.random(n) < 0.55  # a change of speaker (otherwise the same person goes on)
    switch[:1] = False
    who = np.cumsum(switch) % 2  # 0 = me, 1 = partner
    gaps = rng.uniform(3, 90, n)  # inside a run
    latency = np.minimum(np.exp(np.log(120.0) + rng.normal(0.0, 1.0, n)), 5 * 3600.0)
    late = np.arange(n) >= int(n * 0.85)
    latency = np.where(late & (who == 1), np.minimum(latency * 5.0, 5 * 3600.0), latency)
    gaps = np.where(switch, latency, gaps)
    new_session = rng.random(n) < 1 / 100
    gaps = np.where(new_session, 6 * 3600 + 300 + rng.exponential(1.5 * 3600, n), gaps)
    gaps[:1] = 0.0
    seconds = np.cumsum(np.round(gaps)).astype("int64")
    stamps = np.datetime64(start, "us") + (seconds * 1_000_000).astype("timedelta64[us]")
    if text == "phrases":
        pool = pl.Series(_phrase_pool(seed))
        texts = pool.gather(rng.integers(0, len(pool), n))
    elif text == "realistic":
        texts = chat_texts(n, seed=seed)
    else:
        raise ValueError(f"text must be 'realistic' or 'phrases', not {text!r}")
    media = rng.random(n) < 0.04
    kind = np.where(media, MessageKind.MEDIA.value, MessageKind.TEXT.value)
    frame = pl.DataFrame(
        {
            "timestamp": pl.Series(stamps).cast(pl.Datetime("us")),
            "utc_offset_min": pl.Series([None] * 0, dtype=pl.Int32).extend_constant(None, n),
            "sender": pl.Series(np.where(who == 0, me, partner)),
            "text": texts,
            "kind": pl.Series(kind),
            "edited": pl.Series(np.zeros(n, dtype=bool)),
            "platform": pl.repeat(Platform.SIMULATED.value, n, eager=True),
            "conversation_id": pl.repeat(f"sim-large-{seed}", n, eager=True),
            "source_file": pl.repeat("simulated", n, eager=True),
            "source_line": pl.Series(np.arange(1, n + 1, dtype=np.int64)),
        }
    )
    frame = frame.with_columns(
        pl.when(pl.col("kind") == MessageKind.MEDIA.value)
        .then(pl.lit(""))
        .otherwise(pl.col("text"))
        .alias("text")
    )
    return frame.cast(MESSAGE_SCHEMA)  # type: ignore[arg-type]
