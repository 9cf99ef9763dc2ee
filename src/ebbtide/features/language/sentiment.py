"""Message sentiment, vectorised: VADER's lexicon and rules as Polars joins, plus a small trained model.

Why not call VADER per message: its Python loop runs at a few thousand messages per second, far too slow
for a million. Here VADER's lexicon (MIT licence, read from the installed ``vaderSentiment`` package) is
joined onto exploded tokens, with VADER's main rules (negation in the three preceding words, boosters,
exclamation marks, the compound normalisation). A small multinomial logistic regression trained on
GoEmotions (see docs/models/sentiment.md) adds word and word-pair weights on top of the VADER features;
when its file is missing the VADER scores are used alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl

from ebbtide.features.language.tokens import token_frame

LABELS: tuple[str, ...] = ("negative", "neutral", "positive")
MODEL_FILE = "sentiment_en.npz"
_ALPHA = 15.0  # VADER's compound normalisation constant
_EXCLAIM = 0.292  # VADER's per-"!" emphasis (at most 4)


@cache
def _vader_dir() -> Path:
    import vaderSentiment  # installed dependency; only its data files are read

    return Path(vaderSentiment.__file__).parent


@cache
def vader_tables() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(valence table tok->val, booster table tok->boost, negator table tok) from VADER's package data.

    Emoji are scored by their VADER description ("red heart" -> heart 3.2), as VADER itself does by
    substituting the description into the text; here the description's valences are summed.
    """
    from vaderSentiment import vaderSentiment as vs

    lex: dict[str, float] = {}
    for line in (_vader_dir() / "vader_lexicon.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            lex[parts[0].lower()] = float(parts[1])
    emoji_val: dict[str, float] = {}
    for line in (_vader_dir() / "emoji_utf8_lexicon.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            val = sum(lex.get(w, 0.0) for w in parts[1].lower().split())
            key = parts[0].replace("\ufe0f", "")
            if val and len(key) == 1:
                emoji_val[key] = max(-4.0, min(4.0, val))
    lex.update(emoji_val)
    valence = pl.DataFrame({"tok": list(lex), "val": list(lex.values())})
    boost = pl.DataFrame(
        {"tok": list(vs.BOOSTER_DICT), "boost": [float(v) for v in vs.BOOSTER_DICT.values()]}
    )
    neg_words = set(vs.NEGATE) | {"never", "no", "nope", "nothing", "nowhere", "noone", "none", "not"}
    neg_words |= {w.replace("'", "") for w in neg_words}
    negators = pl.DataFrame({"tok": sorted(neg_words), "negator": [True] * len(neg_words)})
    return valence, boost, negators


@cache
def _merged_table(with_model: bool) -> pl.DataFrame:
    """One token table for everything sentiment needs (VADER valence, booster, negator, model weights), so
    each message's tokens are joined once."""
    valence, boost, negators = vader_tables()
    t = valence.join(boost, on="tok", how="full", coalesce=True).join(negators, on="tok", how="full", coalesce=True)
    model = sentiment_model() if with_model else None
    if model is not None and model.meta.get("bigrams", "1") == "0":
        t = t.join(model.terms.rename({"term": "tok"}), on="tok", how="full", coalesce=True)
    return t


@cache
def _table_arrays(with_model: bool) -> tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``_merged_table`` as token -> index and NumPy columns (valence with NaN where none, booster, negator,
    model weights), each with one more entry at the end for a token not in the table."""
    t = _merged_table(with_model)
    wcols = [c for c in t.columns if c.startswith("w") and c[1:].isdigit()]
    index = {tok: i for i, tok in enumerate(t["tok"].to_list())}
    val = np.append(t["val"].fill_null(np.nan).to_numpy().astype(np.float64), np.nan)
    boost = np.append(t["boost"].fill_null(0.0).to_numpy().astype(np.float64), 0.0)
    neg = np.append(t["negator"].fill_null(False).to_numpy().astype(bool), False)
    w = np.vstack([t.select(wcols).fill_null(0.0).to_numpy().astype(np.float64), np.zeros((1, len(wcols)))])
    return index, val, boost, neg, w


def vader_features(norm: pl.Series, with_model: bool = False) -> pl.DataFrame:
    """VADER-style scores for normalised texts, one row per input in input order.

    Columns: ``vader_sum`` (sum of adjusted valences), ``vader_pos``, ``vader_neg`` (sums of the positive and
    negative parts), ``vader_compound`` (−1..1), ``vader_hits`` (number of sentiment-bearing tokens); with
    ``with_model`` (a unigram model) also the summed model weights ``w0..``.

    Tokens are looked up once (token -> table index) and the rules run on NumPy arrays of the token stream
    (a message's tokens are contiguous, so "the token k before" is a shift guarded by the message number);
    each message's sums are ``bincount``s, in token order.
    """
    index, val_t, boost_t, neg_t, w_t = _table_arrays(with_model)
    n = len(norm)
    toks = token_frame(norm)
    row = toks["row"].to_numpy().astype(np.int64)
    ti = toks["tok"].replace_strict(index, default=len(val_t) - 1, return_dtype=pl.UInt32).to_numpy()
    val = val_t[ti]

    def prev(arr: np.ndarray, k: int, fill: float | bool) -> np.ndarray:
        out = np.full(len(arr), fill, dtype=arr.dtype)
        if len(arr) > k:
            same = row[k:] == row[:-k]
            out[k:] = np.where(same, arr[:-k], fill)
        return out

    boost, neg = boost_t[ti], neg_t[ti]
    boosted = val + np.sign(val) * (prev(boost, 1, 0.0) + 0.95 * prev(boost, 2, 0.0))
    negated = prev(neg, 1, False) | prev(neg, 2, False) | prev(neg, 3, False)
    adj = np.where(negated, boosted * -0.74, boosted)
    has = ~np.isnan(val)
    r, a = row[has], adj[has]
    vsum = np.bincount(r, weights=a, minlength=n)
    pos = np.bincount(r, weights=np.clip(a, 0, None), minlength=n)
    neg_sum = np.bincount(r, weights=np.clip(a, None, 0), minlength=n)
    hits = np.bincount(r, minlength=n).astype(np.int32)
    wsums = {f"w{i}": np.bincount(row, weights=w_t[ti, i], minlength=n) for i in range(w_t.shape[1])}
    excl = np.minimum(norm.str.count_matches("!").fill_null(0).to_numpy(), 4).astype(np.float64) * _EXCLAIM
    s = np.where(vsum > 0, vsum + excl, np.where(vsum < 0, vsum - excl, vsum))
    return pl.DataFrame({
        "vader_sum": s, "vader_pos": pos, "vader_neg": neg_sum, "vader_compound": s / np.sqrt(s * s + _ALPHA),
        "vader_hits": hits, **wsums,
    })


VADER_FEATURES: tuple[str, ...] = ("vader_compound", "vader_pos", "vader_neg", "vader_hits_log")


def vader_matrix(vf: pl.DataFrame) -> np.ndarray:
    """The dense VADER features the trained model uses (same order at training and inference)."""
    return np.column_stack(
        [
            vf["vader_compound"].to_numpy(),
            vf["vader_pos"].to_numpy() / 4.0,
            vf["vader_neg"].to_numpy() / 4.0,
            np.log1p(vf["vader_hits"].to_numpy().astype(float)),
        ]
    )


@dataclass(frozen=True, slots=True)
class LinearTextModel:
    """Weights of a linear model over word and word-pair counts plus dense features.

    ``terms`` are unigrams and "w1 w2" bigrams; ``weights`` has one column per class; ``dense`` one row
    per dense feature. Scoring is a join of exploded tokens onto ``terms`` and a sum: fully vectorised.
    """

    terms: pl.DataFrame  # columns: term, w0..w{k-1}
    dense: np.ndarray  # (n_dense, k)
    bias: np.ndarray  # (k,)
    classes: tuple[str, ...]
    meta: dict[str, str]

    @property
    def k(self) -> int:
        return len(self.bias)

    def logits(self, norm: pl.Series, dense: np.ndarray) -> np.ndarray:
        """Class logits for normalised texts: (n, k).

        Each token is numbered once (``_term_lookup``); a word pair is two numbers, so no "w1 w2" strings are
        built. Each text's weights are summed in the order a join would give them: its words in order, then
        its word pairs in order (``bincount``)."""
        n = len(norm)
        bigrams = self.meta.get("bigrams", "1") == "1"
        vocab, uni_w, is_uni, pair_ix, pair_w = _term_lookup(self)
        v = len(is_uni) - 1  # the number of a token no term uses
        toks = token_frame(norm)
        row = toks["row"].to_numpy().astype(np.int64)
        ids = toks["tok"].replace_strict(vocab, default=v, return_dtype=pl.Int64).to_numpy()
        uni = is_uni[ids]
        rows, weights = [row[uni]], [uni_w[ids[uni]]]
        if bigrams and len(ids) > 1:
            known = (row[1:] == row[:-1]) & (ids[:-1] < v) & (ids[1:] < v)
            key = ids[:-1][known] * v + ids[1:][known]
            hit = pl.Series(key, dtype=pl.Int64).replace_strict(pair_ix, default=-1, return_dtype=pl.Int64).to_numpy()
            found = hit >= 0
            rows.append(row[:-1][known][found])
            weights.append(pair_w[hit[found]])
        r, w = np.concatenate(rows), np.concatenate(weights)
        out = np.column_stack([np.bincount(r, weights=w[:, c], minlength=n) for c in range(self.k)]) \
            if n else np.zeros((0, self.k))
        return out + dense @ self.dense + self.bias

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            terms=np.array(self.terms["term"].to_list(), dtype=np.str_),
            weights=self.terms.select([f"w{i}" for i in range(self.k)]).to_numpy().astype(np.float32),
            dense=self.dense.astype(np.float32),
            bias=self.bias.astype(np.float32),
            classes=np.array(self.classes, dtype=np.str_),
            meta_keys=np.array(list(self.meta), dtype=np.str_),
            meta_vals=np.array(list(self.meta.values()), dtype=np.str_),
        )

    @classmethod
    def load(cls, raw: bytes | Path) -> LinearTextModel:
        import io

        src = io.BytesIO(raw) if isinstance(raw, bytes) else raw
        with np.load(src, allow_pickle=False) as z:
            w = z["weights"].astype(np.float64)
            terms = pl.DataFrame({"term": z["terms"].tolist()}).with_columns(
                [pl.Series(f"w{i}", w[:, i]) for i in range(w.shape[1])]
            )
            return cls(
                terms=terms,
                dense=z["dense"].astype(np.float64),
                bias=z["bias"].astype(np.float64),
                classes=tuple(z["classes"].tolist()),
                meta=dict(zip(z["meta_keys"].tolist(), z["meta_vals"].tolist(), strict=True)),
            )


_LOOKUPS: dict[int, tuple[LinearTextModel, tuple]] = {}


def _term_lookup(model: LinearTextModel) -> tuple[dict[str, int], np.ndarray, np.ndarray, dict[int, int], np.ndarray]:
    """A model's terms as numbers (kept per model): token -> number (words and the parts of word pairs),
    each number's word weights and whether it is a word term (one more entry for "no term"), word pair
    (n1 · V + n2) -> its row in the pair weights, the pair weights."""
    kept = _LOOKUPS.get(id(model))
    if kept is not None and kept[0] is model:
        return kept[1]  # type: ignore[return-value]
    terms = model.terms["term"].to_list()
    w = model.terms.select([f"w{i}" for i in range(model.k)]).to_numpy().astype(np.float64)
    vocab: dict[str, int] = {}
    pairs = [(i, t.split(" ")) for i, t in enumerate(terms) if " " in t]
    for t in terms:
        if " " not in t:
            vocab.setdefault(t, len(vocab))
    for _, parts in pairs:
        if len(parts) == 2:  # a term of other than two tokens never matches a word pair
            for part in parts:
                vocab.setdefault(part, len(vocab))
    v = len(vocab)
    uni_w = np.zeros((v + 1, model.k))
    is_uni = np.zeros(v + 1, dtype=bool)
    for i, t in enumerate(terms):
        if " " not in t:
            uni_w[vocab[t]] = w[i]
            is_uni[vocab[t]] = True
    pair_ix: dict[int, int] = {}
    rows: list[int] = []
    for i, parts in pairs:
        if len(parts) == 2:
            pair_ix.setdefault(vocab[parts[0]] * v + vocab[parts[1]], len(rows))
            if len(pair_ix) > len(rows):
                rows.append(i)
    out = (vocab, uni_w, is_uni, pair_ix, w[rows] if rows else np.zeros((0, model.k)))
    _LOOKUPS[id(model)] = (model, out)
    return out


def load_packaged_model(name: str) -> LinearTextModel | None:
    """A model shipped in ``data/`` (None if absent, so the lexicon path still works)."""
    res = resources.files("ebbtide.features.language").joinpath("data").joinpath(name)
    if not res.is_file():
        return None
    return LinearTextModel.load(res.read_bytes())


@cache
def sentiment_model() -> LinearTextModel | None:
    return load_packaged_model(MODEL_FILE)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def score_sentiment(norm: pl.Series, *, use_model: bool = True) -> pl.DataFrame:
    """Sentiment of normalised English texts: ``sentiment`` (label) and ``sentiment_score`` (−1..1).

    With the trained model the score is P(positive) − P(negative); without it, VADER's compound score and
    its usual ±0.05 thresholds.
    """
    model = sentiment_model() if use_model else None
    fused = model is not None and model.meta.get("bigrams", "1") == "0"
    vf = vader_features(norm, with_model=fused)
    if model is None or len(norm) == 0:
        comp = vf["vader_compound"]
        label = (
            pl.when(comp >= 0.05).then(pl.lit("positive")).when(comp <= -0.05).then(pl.lit("negative"))
            .otherwise(pl.lit("neutral"))
        )
        return vf.select(sentiment=label, sentiment_score=pl.col("vader_compound"))
    if fused:  # the weights were summed in the same pass as VADER
        wsum = vf.select([f"w{i}" for i in range(model.k)]).to_numpy()
        logits = wsum + vader_matrix(vf) @ model.dense + model.bias
    else:
        logits = model.logits(norm, vader_matrix(vf))
    p = softmax(logits)
    cls = list(model.classes)
    labels = pl.Series("sentiment", cls, dtype=pl.String).gather(p.argmax(axis=1))
    score = p[:, cls.index("positive")] - p[:, cls.index("negative")]
    return pl.DataFrame([labels, pl.Series("sentiment_score", score, dtype=pl.Float64)])


def compound_to_label(c: float) -> str:
    """VADER's standard thresholds, for the baseline in the quality bench."""
    if math.isnan(c):
        return "neutral"
    return "positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral"
