"""Realistic chat text in bulk, for benchmarks: mostly distinct messages, as real chats are.

A phrase bank repeated a million times lets per-distinct-text caches hide the real cost of the language
layer (a real chat of a million messages has well over 90 % distinct texts). Here every message is built
from parts drawn with numpy and joined by Polars (a million messages in a few seconds):

- words drawn from a Zipf distribution (exponent about 1.1) over a ranked vocabulary per language:
  function and chat words first (from the word lists' detection and function-word sections), then the
  feature terms, then a long tail (English: the sentiment model's vocabulary; es/pt/de/fr: made-up words
  from syllables that look like the language, accents included);
- about a quarter of messages carry a feature phrase (English: the simulator's phrase banks; other
  languages: terms of their word lists), sometimes negated ("don't miss you"), with words around it;
- typos (swapped, dropped or doubled letters) in about 4 % of words, a capital first letter, some shouting,
  accents dropped in some es/pt/de/fr messages, question marks, "!!", "...", emoji (skin tones, ZWJ
  sequences, hearts), a few multi-line messages, and short acknowledgements ("ok", "jaja", "👍") that repeat;
- languages mixed message by message (a bilingual couple: mostly ``main`` plus es/pt/de/fr).

Seeded: the same arguments give the same texts. Wording comes from the package's own data files.
"""

from __future__ import annotations

import random
import string
from functools import cache

import numpy as np
import polars as pl

from ebbtide.simulate.phrases import phrase, phrase_banks

LANGS: tuple[str, ...] = ("en", "es", "pt", "de", "fr")
#: Share of messages per language (the couple writes mostly English, and switches).
DEFAULT_MIX: dict[str, float] = {"en": 0.72, "es": 0.08, "pt": 0.06, "de": 0.08, "fr": 0.06}
ZIPF_EXPONENT = 1.1

_ACKS: dict[str, tuple[str, ...]] = {
    "en": ("ok", "okay", "k", "kk", "haha", "hahaha", "lol", "lmao", "yes", "yeah", "yep", "no", "nope", "sure",
           "omg", "ok!", "thanks", "ty", "np", "👍", "😂", "😂😂", "❤️", "😘", "hmm", "ah", "oh", "yes!", "mm"),
    "es": ("ok", "vale", "jaja", "jajaja", "sí", "si", "no", "dale", "va", "bueno", "gracias", "👍", "😂"),
    "pt": ("ok", "kkk", "kkkk", "rs", "sim", "não", "nao", "blz", "beleza", "valeu", "tá", "ta", "👍"),
    "de": ("ok", "okay", "ja", "nein", "jo", "haha", "danke", "gut", "klar", "ne", "👍", "alles klar"),
    "fr": ("ok", "oui", "non", "mdr", "ptdr", "merci", "d'accord", "dac", "ouais", "bah", "👍", "ok ok"),
}
_NEGATORS: dict[str, tuple[str, ...]] = {
    "en": ("don't", "dont", "not", "never", "i don't"), "es": ("no", "nunca"), "pt": ("não", "nao", "nunca"),
    "de": ("nicht", "nie", "kein"), "fr": ("ne", "pas", "jamais"),
}
_SYLLABLES: dict[str, tuple[str, str]] = {  # (syllables, endings) for the made-up long tail
    "es": ("ca la ma pe ri to sa ne co llo rra ci ño ta ba go de mi ju ve", "ado ada ción os as ar er ir ito"),
    "pt": ("ca la ma pe ri to sa ne co lho rra ci nho ta ba go de mi ju ve", "ado ada ção os as ar er ir inho ão"),
    "de": ("ge be ver un schla ka mer te ber zu ein lich stein wald hau kin ner", "ung keit en er chen lich ig"),
    "fr": ("pa re mon tre la vi ché rou bel ga son dé ti ma cou fleur", "ment eur tion é ée er ais ons"),
}
_EMOJI: tuple[str, ...] = (
    "😂", "❤️", "😘", "😍", "🥰", "😊", "👍", "🙈", "😭", "🤣", "💕", "😅", "🙄", "😴", "🥺", "🔥", "✨", "🎉",
    "👍🏽", "🫶🏻", "❤️‍🔥", "👩‍❤️‍👨", "💔", "😒", "🤗", "😉", "🙃", "🤔", "💪🏾", "🇩🇪", "🍕", "☕", "🌙", "😬",
    "<3", ":)", ":(", ";)", "xoxo", ":D",
)
_ACCENTS = ("á", "é", "í", "ó", "ú", "ñ", "ã", "õ", "ç", "ê", "â", "ô", "à", "è", "ü", "ö", "ä", "ß", "ë", "ï")
_PLAIN = ("a", "e", "i", "o", "u", "n", "a", "o", "c", "e", "a", "o", "a", "e", "u", "o", "a", "ss", "e", "i")
_END = ("", "", "", "", "", "?", "!", "!!", "...", ".", " haha", " lol", "??", "?!", " x")


@cache
def _lexicon_words(lang: str) -> tuple[list[str], list[str]]:
    """(frequent words, feature terms) of one language's word lists, cleaned of list syntax."""
    from ebbtide.features.language.lexicon import load_lexicon

    lex = load_lexicon(lang)
    frequent: list[str] = list(lex.detect_words)
    for words in lex.function_words.values():
        frequent.extend(words)
    terms = [t.rstrip("*") for f, ts in lex.features.items() if f != "safety_concern"  # rare in real chats
             for t in ts if not t.startswith("re:")]
    return _dedupe(frequent), _dedupe(terms)


def _dedupe(words: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for w in words:
        w = w.strip()
        if w and w not in seen:
            seen[w] = None
    return list(seen)


@cache
def _vocabulary(lang: str, tail: int = 6000) -> tuple[str, ...]:
    """Ranked vocabulary: frequent words, then single words of the feature terms, then a long tail."""
    frequent, terms = _lexicon_words(lang)
    rng = random.Random(f"ebbtide:vocab:{lang}")
    words = [w for t in terms for w in t.split()]
    rng.shuffle(words)
    ranked = _dedupe(frequent + words)
    if lang == "en":
        extra = [w for w in _english_tail() if w.isalpha()]
        rng.shuffle(extra)
        ranked = _dedupe(ranked + extra[:tail])
    else:
        syl, end = (s.split() for s in _SYLLABLES[lang])
        made = {"".join(rng.choice(syl) for _ in range(rng.randint(1, 3))) + rng.choice(end) for _ in range(tail)}
        ranked = _dedupe(ranked + sorted(sorted(made), key=lambda _: rng.random()))  # sorted first: a set's order follows the hash seed
    return tuple(ranked)


def _english_tail() -> list[str]:
    """Real English words for the tail: the sentiment model's vocabulary (GoEmotions words), as shipped."""
    from importlib import resources

    with resources.files("ebbtide.features.language").joinpath("data/sentiment_en.npz").open("rb") as fh:
        return [str(w) for w in np.load(fh, allow_pickle=False)["terms"]]


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 3:
        return word + word[-1]
    i = rng.randrange(len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:  # swap two letters
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:  # drop one
        return word[:i] + word[i + 1:]
    if kind == 2:  # double one
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice(string.ascii_lowercase) + word[i + 1:]  # wrong key


def _phrase_pool(lang: str, rng: random.Random, size: int) -> list[str]:
    """Feature-bearing phrases: the simulator's banks (English) or word-list terms (es/pt/de/fr)."""
    if lang == "en":
        banks, _ = phrase_banks()
        names = [b for b in banks if b not in ("greeting_flat",)]
        return [phrase(rng.choice(names), rng) for _ in range(size)]
    _, terms = _lexicon_words(lang)
    return [rng.choice(terms) for _ in range(size)]


def _zipf_cdf(size: int) -> np.ndarray:
    p = 1.0 / np.power(np.arange(1, size + 1, dtype=float), ZIPF_EXPONENT)
    return np.cumsum(p) / p.sum()


def chat_texts(n: int, seed: int = 0, mix: dict[str, float] | None = None) -> pl.Series:
    """``n`` chat messages (String series); see the module docstring for what they contain."""
    mix = mix or DEFAULT_MIX
    langs = [lg for lg in LANGS if mix.get(lg, 0) > 0]
    rng = np.random.default_rng(seed)
    prng = random.Random(f"ebbtide:chat_text:{seed}")
    if n == 0:
        return pl.Series("text", [], dtype=pl.String)
    lang_of = rng.choice(len(langs), size=n, p=np.array([mix[lg] for lg in langs]) / sum(mix[lg] for lg in langs))
    kind = rng.random(n)
    ack = kind < 0.05
    has_phrase = (kind >= 0.05) & (kind < 0.30)
    # words per message: a skewed length distribution (many short messages, a long tail)
    n_words = np.clip(np.round(rng.lognormal(1.6, 0.75, n)), 1, 45).astype(np.int64)
    n_words = np.where(has_phrase, rng.integers(1, 7, n), n_words)
    n_words = np.where(ack, 0, n_words)

    # vocabulary and typo forms, one global table (per-language blocks)
    vocab: list[str] = []
    typos: list[str] = []
    offset = {}
    cdfs = {}
    for lg in langs:
        words = _vocabulary(lg)
        offset[lg] = len(vocab)
        vocab.extend(words)
        typos.extend(_typo(w, prng) for w in words)
        cdfs[lg] = _zipf_cdf(len(words))
    msg = np.repeat(np.arange(n, dtype=np.int64), n_words)
    tok_lang = lang_of[msg]
    u = rng.random(msg.size)
    ids = np.empty(msg.size, dtype=np.int64)
    for k, lg in enumerate(langs):
        sel = tok_lang == k
        ids[sel] = offset[lg] + np.minimum(np.searchsorted(cdfs[lg], u[sel]), len(cdfs[lg]) - 1)
    typo = rng.random(msg.size) < 0.04
    table = pl.Series(vocab + typos)
    tok = table.gather(np.where(typo, ids + len(vocab), ids))
    pos = np.arange(msg.size) - np.repeat(np.cumsum(n_words) - n_words, n_words)
    parts = [pl.DataFrame({"m": msg, "k": 2 * pos + 1, "s": tok})]

    # feature phrases, at a random place among the words, sometimes negated
    pm = np.flatnonzero(has_phrase)
    if pm.size:
        phrase_txt = np.empty(pm.size, dtype=object)
        pl_lang = lang_of[pm]
        for k, lg in enumerate(langs):
            sel = np.flatnonzero(pl_lang == k)
            pool = _phrase_pool(lg, prng, 3000)
            phrase_txt[sel] = [pool[j] for j in rng.integers(0, len(pool), sel.size)]
            neg = sel[rng.random(sel.size) < 0.06]
            for j in neg:
                phrase_txt[j] = f"{prng.choice(_NEGATORS[lg])} {phrase_txt[j]}"
        where = (rng.random(pm.size) * (n_words[pm] + 1)).astype(np.int64)
        parts.append(pl.DataFrame({"m": pm, "k": 2 * where, "s": pl.Series(phrase_txt.tolist(), dtype=pl.String)}))
    # acknowledgements (these repeat, as "ok" and "haha" do)
    am = np.flatnonzero(ack)
    if am.size:
        ack_txt = np.empty(am.size, dtype=object)
        for k, lg in enumerate(langs):
            sel = np.flatnonzero(lang_of[am] == k)
            ack_txt[sel] = [_ACKS[lg][j] for j in
                            np.minimum(rng.zipf(1.6, sel.size) - 1, len(_ACKS[lg]) - 1)]
        parts.append(pl.DataFrame({"m": am, "k": np.zeros(am.size, dtype=np.int64),
                                   "s": pl.Series(ack_txt.tolist(), dtype=pl.String)}))
    # emoji: about a quarter of messages, one to three, at the end (sometimes the start)
    em = np.flatnonzero(rng.random(n) < 0.25)
    if em.size:
        cnt = rng.integers(1, 4, em.size)
        em_rep = np.repeat(em, cnt)
        e_ids = np.minimum(rng.zipf(1.5, em_rep.size) - 1, len(_EMOJI) - 1)
        start = rng.random(em.size) < 0.15
        place = np.where(np.repeat(start, cnt), -1, 10_000)
        parts.append(pl.DataFrame({"m": em_rep, "k": place, "s": pl.Series(_EMOJI).gather(e_ids)}))
    allp = pl.concat(parts).sort("m", "k")
    joined = allp.group_by("m", maintain_order=True).agg(pl.col("s").str.join(" "))
    text = pl.Series("text", [""] * 0, dtype=pl.String).extend_constant("", n)
    text = text.scatter(joined["m"].to_numpy(), joined["s"])

    # surface: accents dropped, capitals, shouting, end punctuation, line breaks
    non_en = lang_of != (langs.index("en") if "en" in langs else -1)
    no_acc = pl.Series(non_en & (rng.random(n) < 0.35))
    cap = pl.Series(rng.random(n) < 0.3)
    shout = pl.Series(rng.random(n) < 0.015)
    end = pl.Series(_END).gather(rng.integers(0, len(_END), n))
    nl = pl.Series(rng.random(n) < 0.03)
    t = pl.col("text")
    df = pl.DataFrame({"text": text, "no_acc": no_acc, "cap": cap, "shout": shout, "end": end, "nl": nl})
    df = df.with_columns(text=pl.when("no_acc").then(t.str.replace_many(list(_ACCENTS), list(_PLAIN))).otherwise(t))
    df = df.with_columns(text=pl.when("shout").then(t.str.to_uppercase()).when("cap").then(
        t.str.slice(0, 1).str.to_uppercase() + t.str.slice(1)).otherwise(t))
    df = df.with_columns(text=pl.when(pl.col("nl")).then(t.str.replace(" ", "\n", literal=True)).otherwise(t))
    df = df.with_columns(text=pl.when(pl.Series(~ack)).then(t + pl.col("end")).otherwise(t))
    return df["text"]


def distinct_share(texts: pl.Series) -> float:
    """Share of messages whose text occurs once or more but is counted once (distinct / all)."""
    return texts.n_unique() / len(texts) if len(texts) else 0.0


__all__ = ["DEFAULT_MIX", "LANGS", "chat_texts", "distinct_share"]
