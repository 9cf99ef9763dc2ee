"""Affection toward the partner, per message, from word-list counts (classification only; no matching here).

The lists live in ``data/<lang>.toml``: ``[features] affection`` holds warm phrases that stand on their own
("love you", "te echo de menos", "du fehlst mir"); ``[affection]`` holds the parts of a grammar of address:

- ``pet_names`` ("babe", "mi amor", "mein schatz"): warmth when used to address someone;
- ``pet_names_edge`` (words that are also everyday words: "honey", "baby", "cielo", "linda", "ma belle"):
  only as the first or last word of the message, or right after a greeting (``greetings``: "night",
  "hey", "gracias", "gute nacht"), so "honey mustard or bbq?" is not affection but "night honey" is;
- ``you_forms`` ("you're", "eres", "vc é", "du bist", "t'es") together with ``warm_words`` ("so sweet",
  "my person", "mi mundo", "süß", "trop chou"): a compliment or a statement of what the partner is;
- ``negators`` ("not", "no", "stop", "nicht", "pas", "não"): a pet name or a compliment in a refusal or a
  negated sentence ("babe I said no", "I'm not your sweetheart", "nicht jetzt, liebling") does not count;
- ``third_person`` ("my mum", "the kids", "mi madre"): the words are about someone else ("my mum misses
  you", "minha mãe tá com saudade de vc"); its emoji do not count either;
- ``alone``: replies that are warm only as the whole message ("ily2", "yo más", "ich dich mehr").

Warm phrases (``affection``) are cancelled by ``[modifiers] negated_affection`` (a negator just before them:
"I don't miss you"); sarcasm markers cancel everything. Everything is NumPy over counts the one
Aho–Corasick pass produced, so it stays vectorised.
"""

from __future__ import annotations

import numpy as np
import polars as pl

_W = r"[\p{L}\p{N}']+"
#: The first word when it stands apart ("honey, ..." / "baby!" / the whole message), the last word after a
#: comma ("thanks, honey"): where an everyday word like "honey" or "beautiful" is an address.
_EDGE = {
    "first": rf"^[^\p{{L}}\p{{N}}]*({_W})(?:\s*[,!.…]|[^\p{{L}}\p{{N}}']*$)",
    "last": rf",\s*({_W})[^\p{{L}}\p{{N}}']*$",
}


def edge_word(norm: pl.Series, where: str) -> pl.Series:
    """The first or last word of each normalised text where it stands apart as an address (else null)."""
    return norm.str.extract(_EDGE[where], 1)


def affection_hits(
    *, phrases: np.ndarray, negated: np.ndarray, emoji: np.ndarray, sarcasm: np.ndarray, pet: np.ndarray,
    pet_edge: np.ndarray, you_form: np.ndarray, warm: np.ndarray, negator: np.ndarray, third: np.ndarray,
    alone: np.ndarray, thing: np.ndarray | None = None, to_you: np.ndarray | None = None,
) -> np.ndarray:
    """Number of affection hits per message (aligned integer/boolean arrays in; 0 = no affection).

    ``phrases`` warm-phrase hits, ``negated`` (bool) a negator governs one of them, ``emoji`` affectionate
    emoji, ``sarcasm`` markers, ``pet`` pet names anywhere (incl. greeting + pet name), ``pet_edge`` (bool or
    count) an everyday-word pet name as first/last word, ``you_form`` / ``warm`` the compliment pair,
    ``negator`` / ``third`` the cancelling words (a third person also cancels the emoji), ``alone`` (bool) a
    whole-message warm reply; ``thing`` (food, places, objects, pets, TV) cancels the emoji unless ``to_you``
    (a word addressing the partner: "you", "te", "dich", "toi") is in the message too.
    """
    strong = np.where(negated | (third > 0), 0, phrases)
    soft = pet + pet_edge.astype(np.int64) + ((you_form > 0) & (warm > 0)).astype(np.int64)
    soft = np.where((negator > 0) | (third > 0), 0, soft)
    # hearts about someone or something else ("mein hund ist so ein schatz 🐶❤️", "le bébé de Sophie 🥰")
    # and hearts or heart-eyes about a thing ("der Kuchen war ein Traum 😍", "q bonita la playa 😍")
    off = third > 0
    if thing is not None:
        off = off | ((thing > 0) & ((0 if to_you is None else to_you) == 0))
    hits = strong + soft + alone.astype(np.int64) + np.where(off, 0, emoji)
    return np.where(sarcasm > 0, 0, hits)
