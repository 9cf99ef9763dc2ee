"""The benchmark's realistic chat text: mostly distinct, Zipf-like, several languages, emoji and typos."""

from __future__ import annotations

import os
import subprocess
import sys

import polars as pl

from ebbtide.simulate import generate_large
from ebbtide.simulate.chat_text import chat_texts, distinct_share


def test_realistic_text_is_mostly_distinct_and_seeded() -> None:
    texts = chat_texts(50_000, seed=4)
    assert len(texts) == 50_000 and texts.null_count() == 0
    assert distinct_share(texts) >= 0.9
    assert texts.equals(chat_texts(50_000, seed=4))
    assert not texts.equals(chat_texts(50_000, seed=5))
    assert chat_texts(0).len() == 0


def test_realistic_text_is_the_same_in_every_process() -> None:
    """The same seed gives the same text whatever Python's hash seed (no set order leaks into it), so a
    benchmark or a count measured in two processes compares like with like."""
    code = ("import hashlib; from ebbtide.simulate.chat_text import chat_texts; "
            "print(hashlib.sha256('\\n'.join(chat_texts(5_000, seed=3).to_list()).encode()).hexdigest())")
    digests = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": str(h)}).stdout.strip() for h in (1, 2)}
    assert len(digests) == 1 and "" not in digests


def test_realistic_text_has_the_features_of_real_chats() -> None:
    texts = chat_texts(40_000, seed=1)
    has = {
        "emoji": texts.str.contains(r"\p{Extended_Pictographic}").mean(),
        "question": texts.str.contains("?", literal=True).mean(),
        "capital": texts.str.contains(r"^\p{Lu}").mean(),
        "line break": texts.str.contains("\n", literal=True).mean(),
        "spanish": texts.str.contains(r"\b(?:que|pero|quiero|jaja)\b").mean(),
        "german": texts.str.contains(r"\b(?:ich|nicht|und)\b").mean(),
    }
    for name, share in has.items():
        assert 0.01 < share < 0.6, (name, share)
    words = texts.str.to_lowercase().str.extract_all(r"[\p{L}']+").explode().drop_nulls()
    counts = words.value_counts(sort=True)["count"].to_list()
    assert len(counts) > 5000  # a long tail of rare words
    assert counts[0] > 20 * counts[99]  # and a few very frequent ones (Zipf)
    short = texts.filter(texts.str.len_chars() <= 3)
    assert 0.02 < len(short) / len(texts) < 0.2  # "ok", "jaja", "👍" repeat, as in real chats


def test_generate_large_keeps_the_phrase_text_on_request() -> None:
    real = generate_large(2000, seed=2)
    old = generate_large(2000, seed=2, text="phrases")
    assert real["timestamp"].equals(old["timestamp"])
    text_rows = real.filter(pl.col("kind") == "text")["text"]
    assert distinct_share(text_rows) > distinct_share(old.filter(pl.col("kind") == "text")["text"])
