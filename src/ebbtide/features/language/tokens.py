"""Shared tokenisation, so training, detection, sentiment and counts all see the same tokens.

Everything here is a Polars expression or works on exploded token frames: the hot path never loops over
messages in Python (1M messages must fit in seconds).
"""

from __future__ import annotations

import polars as pl

#: A word (letters/digits with inner apostrophes), an emoticon, or one pictographic emoji.
#: Emoji sequences (ZWJ, skin tones) yield their pictographic parts, each a token.
WORD_RE = r"[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*"
EMOTICON_RE = r"(?:<3|</3|[:;=8][\-o\*']?[\)\]\(\[dDpP/\\|@3*]|[\)\]\(\[dDpP/\\|@][\-o\*']?[:;=8])"
EMOJI_RE = r"\p{Extended_Pictographic}"
TOKEN_RE = f"{WORD_RE}|{EMOTICON_RE}|{EMOJI_RE}"


def normalise(text: pl.Expr) -> pl.Expr:
    """Lower case, typographic apostrophes folded to ASCII (lists are written with ')."""
    return text.str.to_lowercase().str.replace_all("’", "'", literal=True)


def word_count(text: pl.Expr) -> pl.Expr:
    """Number of words (emoji and emoticons are not words)."""
    return text.str.count_matches(WORD_RE).cast(pl.Int32)


def token_frame(norm: pl.Series, row_ids: pl.Series | None = None, bigrams: bool = False) -> pl.DataFrame:
    """Explode normalised texts into one row per token: columns ``row`` (UInt32), ``pos`` and ``tok``.

    With ``bigrams`` an extra column ``bi`` holds "tok next" (null at a message's last token). Rows of
    consecutive tokens stay contiguous, so "previous token" is a global shift guarded by ``row`` equality,
    which is much cheaper than a window over a million groups.
    """
    rows = row_ids if row_ids is not None else pl.Series("row", range(len(norm)), dtype=pl.UInt32)
    df = pl.DataFrame({"row": rows.cast(pl.UInt32), "tok": norm.str.extract_all(TOKEN_RE)})
    df = df.explode("tok").drop_nulls("tok")
    if bigrams:
        nxt = pl.col("tok").shift(-1)
        same = pl.col("row").shift(-1) == pl.col("row")
        df = df.with_columns(bi=pl.when(same).then(pl.col("tok") + " " + nxt).otherwise(None))
    return df
