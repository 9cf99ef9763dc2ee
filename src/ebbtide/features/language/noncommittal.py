"""Noncommittal (evasive, hedged) answers, judged with the question they answer.

Two parts, both vectorised:
- ``question_context``: for each text message, the question it most plausibly answers: the last question in
  the other person's most recent run of messages, if sent within the preceding ``CONTEXT_HOURS``.
- ``model_scores``: a hedge lexicon (data/<lang>.toml, [features] noncommittal) and, for English, a
  small logistic regression over the answer's words, word pairs, hedge counts and *pair features*
  (``pair_features``: how the answer starts, conditionals, hedges of belief / frequency / degree,
  preferences, negation, and the question's form and the words it shares with the answer) trained on Circa
  (see docs/models/noncommittal.md). Without a question, only a message with a hedge phrase can count
  ("maybe some other time"), because the model learned answers to yes/no questions.

Why hand-written pair features rather than only words: Circa's noncommittal answers are pragmatic ("I prefer
cookbooks" to "Do you like novels?" is "probably no"); a word count alone cannot tell that the answer names
something else than the question did, or that a "yes" opens the answer. The features are regex counts and
one token join, so scoring stays vectorised (a million messages in seconds).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import polars as pl

from ebbtide.features.language.sentiment import LinearTextModel, load_packaged_model
from ebbtide.features.language.tokens import WORD_RE, normalise

CONTEXT_HOURS = 6
MODEL_FILE = "noncommittal_en.npz"
#: Used when no trained model ships: the lexicon score (1 − 0.5^hits) must reach this.
LEXICON_THRESHOLD = 0.5


@cache
def noncommittal_model() -> LinearTextModel | None:
    return load_packaged_model(MODEL_FILE)


def question_context(frame: pl.DataFrame) -> pl.DataFrame:
    """Question being answered, per row of ``frame``.

    ``frame`` needs columns ``row`` (UInt32, unique), ``conversation_id``, ``sender``, ``timestamp``, ``is_text``,
    ``question`` (Bool) and ``text``. Returns ``row``, ``ctx_row`` (UInt32) and ``ctx_text`` (String), null
    where the message answers no question. Runs = consecutive text messages of one sender in a conversation;
    a message in run k answers the last question of run k−1 (a different sender by construction).
    """
    s = (
        frame.filter(pl.col("is_text"))
        .select("row", "conversation_id", "sender", "timestamp", "question", "text")
        .sort("conversation_id", "timestamp", "row")
    )
    new_run = (
        (pl.col("sender") != pl.col("sender").shift(1))
        | (pl.col("conversation_id") != pl.col("conversation_id").shift(1))
    ).fill_null(True)
    s = s.with_columns(run=new_run.cast(pl.UInt32).cum_sum())
    last_q = (
        s.filter(pl.col("question"))
        .group_by("run")
        .agg(
            ctx_row=pl.col("row").last(),
            ctx_ts=pl.col("timestamp").last(),
            ctx_text=pl.col("text").last(),
            ctx_conv=pl.col("conversation_id").last(),
        )
        .with_columns(run=pl.col("run") + 1)
    )
    joined = s.join(last_q, on="run", how="left")
    ok = (
        pl.col("ctx_row").is_not_null()
        & (pl.col("ctx_conv") == pl.col("conversation_id"))
        & ((pl.col("timestamp") - pl.col("ctx_ts")) <= pl.duration(hours=CONTEXT_HOURS))
    )
    out = joined.select(
        "row",
        ctx_row=pl.when(ok).then(pl.col("ctx_row")).otherwise(None),
        ctx_text=pl.when(ok).then(pl.col("ctx_text")).otherwise(None),
    ).sort("row")
    # back in ``frame``'s order (what a left join on ``row`` gives), by binary search on the unique row
    # numbers: a join of a million rows cost 0.6 CPU s, most of this function
    have = out.get_column("row").to_numpy()
    want = frame.get_column("row").to_numpy()
    at = np.minimum(np.searchsorted(have, want), max(len(have) - 1, 0))
    found = have[at] == want if len(have) else np.zeros(len(want), dtype=bool)
    idx = pl.Series("i", at, dtype=pl.Int64).scatter(np.flatnonzero(~found), None) if not found.all() else \
        pl.Series("i", at, dtype=pl.Int64)
    return pl.DataFrame([frame.get_column("row"), out.get_column("ctx_row").gather(idx),
                         out.get_column("ctx_text").gather(idx)])


_B = r"(?:^|[^\p{L}\p{N}'])"  # word boundary that treats an apostrophe as part of the word
_E = r"(?:$|[^\p{L}\p{N}'])"
_START = r"^[^\p{L}\p{N}]*"


def _any(*alts: str) -> str:
    return _B + "(?:" + "|".join(alts) + ")" + _E


_COMPARATIVE = ("more", "less", "most", "least", "mostly")
_NEGATION = ("not", "no", "never", "nothing", "none", "nor", "neither")
#: Patterns whose first branch holds a word boundary ``\\b`` (slow on text with any non-ASCII character:
#: Rust's regex leaves its DFA) and a literal that branch needs: texts without the literal are counted with
#: the rest of the pattern alone, which gives the same count (the first branch cannot match there).
_GATED: dict[str, tuple[str, str]] = {
    "comparative": ("er than", _any(*_COMPARATIVE)),
    "negation": ("n't", _any(*_NEGATION)),
}
#: Counted in the (normalised) answer. Order matters: it is the order of the model's dense weights.
ANSWER_PATTERNS: dict[str, str] = {
    "yes_start": _START + r"(?:yes|yeah|yea|yep|yup|sure|definitely|absolutely|of course|totally|certainly|i do|"
                 r"i am|i have|i did|i would|i will|i'd love|i love)" + _E,
    "no_start": _START + r"(?:no|nope|nah|never|not at all|i don't|i'm not|i am not|i haven't|i have not|"
                r"i didn't|i won't|i wouldn't|i do not|not)" + _E,
    "yes_any": _any("yes", "yeah", "yep", "definitely", "absolutely", "of course", "totally", "certainly",
                    "always", "love", "i'd love", "sure"),
    "no_any": _any("no", "nope", "never", "none", "not at all", "hate", "can't stand", "nothing"),
    "conditional": _any("if", "only if", "depends", "depending", "unless", "as long as", "provided", "when",
                        "assuming"),
    "hedge_belief": _any("probably", "i think", "think so", "might", "not sure", "maybe", "perhaps", "possibly",
                         "i guess", "i suppose", "likely", "unlikely", "could be", "not certain", "i believe"),
    "hedge_frequency": _any("sometimes", "occasionally", "once in a while", "now and then", "from time to time",
                            "at times", "here and there", "on occasion", "not often", "rarely", "seldom",
                            "every so often", "some days"),
    "hedge_degree": _any("kind of", "kinda", "sort of", "a little", "a bit", "somewhat", "fairly", "pretty",
                         "not really", "not much", "not that much", "not particularly", "not very", "not too",
                         "not a big", "not a huge", "not a fan", "it's ok", "it's okay", "it's alright", "ok",
                         "okay", "alright", "decent", "fine", "not bad", "so so", "so-so", "meh", "mixed", "partly",
                         "mostly", "more or less", "to some extent", "a few", "some", "certain"),
    "preference": _any("prefer", "i'd rather", "i would rather", "rather", "more into", "more of a", "favorite",
                       "favourite", "instead", "better", "more than", "less than", "over"),
    "comparative": r"\b\w+er than\b|" + _any(*_COMPARATIVE),
    "negation": r"n't\b|" + _any(*_NEGATION),
    "unknown": _any("don't know", "dont know", "idk", "no idea", "not sure", "haven't decided", "undecided",
                    "we'll see", "we will see", "not yet", "haven't thought", "hard to say", "depends", "who knows",
                    "can't say", "cannot say", "not decided"),
    "contrast": _any("but", "though", "although", "however", "except", "yet"),
    "depends_on": _any("depends on", "depending on", "it depends", "depends"),
    "modal": _any("could", "would", "should", "may", "might", "can", "wouldn't mind", "don't mind", "not opposed",
                  "open to", "willing"),
    "past_or_trial": _any("tried", "try", "once", "haven't tried", "never tried", "used to", "in the past",
                          "a while", "not recently", "lately", "these days"),
    "exclamation": r"!",
    "question_mark": r"\?",
}
#: Tested (0/1) on the (normalised) question being answered; all 0 without a question.
QUESTION_PATTERNS: dict[str, str] = {
    "q_negative": _START + r"(?:don't|doesn't|aren't|isn't|haven't|won't|wouldn't|didn't|can't)" + _E,
    "q_do": _START + r"(?:do|does|did)" + _E,
    "q_be": _START + r"(?:are|is|was|were|am)" + _E,
    "q_have": _START + r"(?:have|has|had)" + _E,
    "q_modal": _START + r"(?:would|will|could|can|should|shall|may|might)" + _E,
    "q_like": _any("like", "enjoy", "love", "fan", "into", "interested", "favorite", "favourite"),
    "q_frequency": _any("ever", "often", "usually", "regularly", "much", "a lot", "lot"),
    "q_want": _any("want", "wanna", "would you like", "interested", "up for", "feel like"),
    "q_or": _any("or"),
}
#: Answer feature × question feature products (a "no" to "don't you…?" means something else than to "do you…?").
CROSSES: tuple[tuple[str, str], ...] = tuple(
    (a, q) for a in ("yes_start", "no_start", "negation", "preference", "hedge_degree", "conditional")
    for q in ("q_negative", "q_like", "q_frequency", "q_want")
)
#: Words too common to count as "the answer talks about what the question asked".
_STOP = sorted(set(
    "a an the to of in on at for and or but is are was were be been do does did you your i me my we it this that "
    "with have has had would will can could should any some like there here what how about from as by into up "
    "out".split()
))
PAIR_FEATURE_NAMES: tuple[str, ...] = (
    *ANSWER_PATTERNS, *QUESTION_PATTERNS, "answer_words", "question_words", "shared_words",
    *(f"{a}*{q}" for a, q in CROSSES), "shared_ratio",
)


def _content_words(norm: pl.Series) -> pl.DataFrame:
    """(r, w): the words of each text (by position), stop words left out; a word may repeat."""
    return (
        pl.DataFrame({"r": pl.Series(range(len(norm)), dtype=pl.UInt32), "w": norm.str.extract_all(WORD_RE)})
        .explode("w").drop_nulls("w").filter(~pl.col("w").is_in(_STOP))
    )


def _ids(texts: pl.Series) -> tuple[np.ndarray, pl.Series]:
    """(id of each text among the distinct texts, the distinct texts)."""
    df = pl.DataFrame({"t": texts})
    uniq = df.unique("t", maintain_order=True).with_row_index("id")
    ids = df.join(uniq, on="t", how="left", maintain_order="left")["id"].to_numpy()
    return ids, uniq["t"]


def _shared_words(a_id: np.ndarray, ua: pl.Series, q_id: np.ndarray, uq: pl.Series) -> np.ndarray:
    """Number of distinct content words each answer shares with its question, for pairs given as ids into the
    distinct answers ``ua`` and questions ``uq``. Words are extracted once per distinct answer and question
    (long answers repeat; exploding every pair was the slow part) and numbered (one categorical cast), so the
    pairs' question words are looked up among their answer's words by integer keys, not strings."""
    qw = _content_words(uq)
    aw = _content_words(ua)
    wid = pl.concat([qw["w"], aw["w"]]).cast(pl.Categorical).to_physical().to_numpy().astype(np.uint64)
    qkey = np.sort(qw["r"].to_numpy().astype(np.uint64) << np.uint64(32) | wid[:qw.height])
    qkey = qkey[np.concatenate([[True], qkey[1:] != qkey[:-1]])] if len(qkey) else qkey  # each word once
    q_of, w_of = (qkey >> np.uint64(32)).astype(np.int64), qkey & np.uint64(0xFFFFFFFF)
    # each pair's question words: the pair's question's run in the sorted keys
    start = np.searchsorted(q_of, np.arange(len(uq)))
    count = np.bincount(q_of, minlength=len(uq))
    n_words = count[q_id]
    pair = np.repeat(np.arange(len(a_id)), n_words)
    offset = np.arange(len(pair)) - np.repeat(np.cumsum(n_words) - n_words, n_words)
    keys = a_id.astype(np.uint64)[pair] << np.uint64(32) | w_of[start[q_id][pair] + offset]
    akeys = aw["r"].to_numpy().astype(np.uint64) << np.uint64(32) | wid[qw.height:]
    found = pl.Series(keys).is_in(pl.Series(akeys).implode()).to_numpy()  # (np.isin is slower here)
    return np.bincount(pair[found], minlength=len(a_id)).astype(np.float64)


def _distinct_features(texts: pl.Series, exprs: list[pl.Expr], gated: dict[str, str] | None = None) -> np.ndarray:
    """``exprs`` (over column ``t``) evaluated once per text of ``texts`` (distinct: chats and Circa repeat
    answers and questions, and the regex passes are the expensive part; callers spread the rows back by id).
    ``gated``: column -> pattern of ``_GATED`` counts, computed apart and put in place of that column."""
    feats = pl.DataFrame({"t": texts}).with_columns(exprs)
    for name, pattern in (gated or {}).items():
        feats = feats.with_columns(_gated_count(feats.get_column("t"), pattern, *_GATED[name]).alias(name))
    return feats.drop("t").to_numpy().astype(np.float64)


def _gated_count(texts: pl.Series, pattern: str, literal: str, rest: str) -> pl.Series:
    """``texts.str.count_matches(pattern)`` as Float64, the whole pattern run only on texts holding ``literal``."""
    out = texts.str.count_matches(rest).cast(pl.Float64)
    idx = texts.str.contains(literal, literal=True).fill_null(False).arg_true()
    if len(idx):
        out = out.scatter(idx, texts.gather(idx).str.count_matches(pattern).cast(pl.Float64))
    return out


def pair_features(answers: pl.Series, questions: pl.Series | None = None,
                  answer_ids: tuple[np.ndarray, pl.Series] | None = None) -> np.ndarray:
    """Dense features of (answer, question) pairs, shape (n, len(PAIR_FEATURE_NAMES)); vectorised.

    Both are raw or normalised texts (normalised here); a null or missing question gives zero question
    features. Counts are log1p-squashed so a long message does not dominate. Answer and question features
    are computed once per distinct text; only the shared words need the pair. ``answer_ids``: ``_ids`` of
    the normalised answers when the caller has them.
    """
    n = len(answers)
    if not n:
        return np.zeros((0, len(PAIR_FEATURE_NAMES)))
    if answer_ids is None:
        answer_ids = _ids(pl.select(normalise(pl.lit(answers.cast(pl.String).fill_null("")))).to_series())
    a_id, ua = answer_ids
    fa = _distinct_features(ua, [
        *(pl.col("t").str.count_matches(p).cast(pl.Float64).alias(k) if k not in _GATED
          else pl.lit(0.0).alias(k) for k, p in ANSWER_PATTERNS.items()),
        pl.col("t").str.count_matches(WORD_RE).cast(pl.Float64).alias("answer_words"),
    ], gated={k: ANSWER_PATTERNS[k] for k in _GATED})[a_id]
    fq = np.zeros((n, len(QUESTION_PATTERNS) + 1))
    shared = np.zeros(n)
    if questions is not None:
        q = pl.select(normalise(pl.lit(questions.cast(pl.String).fill_null("")))).to_series()
        q_id, uq = _ids(q)
        fq = _distinct_features(uq, [
            *(pl.col("t").str.contains(p).cast(pl.Float64).alias(k) for k, p in QUESTION_PATTERNS.items()),
            pl.col("t").str.count_matches(WORD_RE).cast(pl.Float64).alias("question_words"),
        ])[q_id]
        shared = _shared_words(a_id, ua, q_id, uq)
    n_a, n_q = len(ANSWER_PATTERNS), len(QUESTION_PATTERNS)
    names = [*ANSWER_PATTERNS, *QUESTION_PATTERNS, "answer_words", "question_words", "shared_words"]
    out = np.empty((n, len(names) + len(CROSSES) + 1))  # filled in place: no column-by-column stacking
    base = out[:, :len(names)]
    base[:, :n_a] = fa[:, :n_a]
    base[:, n_a:n_a + n_q] = fq[:, :-1]
    base[:, n_a + n_q] = fa[:, n_a]
    base[:, n_a + n_q + 1] = fq[:, -1]
    base[:, n_a + n_q + 2] = shared
    np.log1p(base, out=base)
    x = [names.index(a) for a, _ in CROSSES]
    y = [names.index(q) for _, q in CROSSES]
    np.multiply(base[:, x], base[:, y], out=out[:, len(names):-1])
    out[:, -1] = shared / np.maximum(1.0, fq[:, -1])
    return out


def dense_features(hedge_hits: np.ndarray, words: np.ndarray, pair: np.ndarray | None = None) -> np.ndarray:
    """Dense features of the noncommittal model (same order at training and inference): three hedge/length
    features, then ``pair`` (from ``pair_features``) when the model was trained with them."""
    base = np.column_stack([np.log1p(hedge_hits), np.log1p(words), (hedge_hits > 0).astype(float)])
    return base if pair is None else np.hstack([base, pair])


def model_scores(
    norm: pl.Series, hedge_hits: np.ndarray, words: np.ndarray, questions: pl.Series | None = None
) -> np.ndarray | None:
    """P(noncommittal) from the trained English model, or None without a model.

    ``questions`` (aligned with ``norm``, null where a message answers no question) feeds the pair features.
    """
    model = noncommittal_model()
    if model is None:
        return None
    # numbered once (normalising a normalised text changes nothing): the pair features and the word weights
    # are both computed per distinct answer
    inv, uniq = _ids(pl.select(normalise(pl.lit(norm.cast(pl.String).fill_null("")))).to_series())
    pair = pair_features(norm, questions, answer_ids=(inv, uniq)) if model.dense.shape[0] > 3 else None
    dense = dense_features(hedge_hits, words, pair)
    # word weights depend on the answer alone: sum them once per distinct answer
    z_words = model.logits(uniq, np.zeros((len(uniq), dense.shape[1])))[:, 0]
    z = z_words[inv] + dense @ model.dense[:, 0]
    return 1.0 / (1.0 + np.exp(-z))


#: Scores given by the grammar's decisions (the model's P or the lexicon score is kept between them).
COMMITTAL_CAP = 0.2
#: The Circa model alone calls an answer the grammar leaves undecided noncommittal only from this P (its
#: Circa threshold, 0.58, flagged plain chat answers such as "only friday night, does that work?" on the
#: dev part of our chat set; 0.70 flagged none there).
CHAT_MODEL_THRESHOLD = 0.70
EVASIVE_FLOOR = 0.75


def first_word(norm: pl.Series) -> pl.Series:
    """The first word of each normalised text (null when it has none), for the yes/no opener check."""
    return norm.str.extract(r"^[^\p{L}\p{N}]*([\p{L}\p{N}']+)", 1)


def classify_answers(
    *, hedges: np.ndarray, strong: np.ndarray, non_answer: np.ndarray, committal: np.ndarray,
    opener: np.ndarray, has_question: np.ndarray, model_p: np.ndarray | None = None,
    model_thr: float = LEXICON_THRESHOLD,
) -> tuple[np.ndarray, np.ndarray]:
    """Evasive (noncommittal) or not, per message, from the grammar counts (vectorised; no loops).

    Inputs are aligned arrays: ``hedges`` (hits of the whole noncommittal grammar), ``strong`` (deferrals,
    conditions, handing the choice back, "not now", "I don't know"), ``non_answer``, ``committal`` (hits),
    ``opener`` (1: the message opens with a plain yes or no word, 2: one that stands apart, followed by a
    comma, full stop or "!"; booleans are read as 1), ``has_question`` (it answers a question);
    ``model_p`` the English Circa model's P (None for other languages). In order:

    1. a committal phrase ("for sure", "claro que sí", "auf jeden Fall") -> never noncommittal;
    2. a plain yes/no opening without a strong evasive phrase ("yes, I think we should") -> committal, also
       before a non-answer when the yes/no word stands apart ("no, all good, just tired": a reassurance,
       not a dodge; but "no te preocupes", "ja ja, wenn der richtige Moment kommt" stay non-answers);
    3. a strong evasive phrase, or, answering a question, a non-answer ("why would you ask") -> noncommittal;
    4. only a weak hedge ("I think", "a bit"): the model decides at its own (Circa) threshold where there is
       one (English), else noncommittal;
    5. nothing at all: answering a question, the model decides at P >= ``CHAT_MODEL_THRESHOLD``; else
       committal.

    Returns (value, score): score is the model's P or the lexicon score 1 − 0.5^hits, capped at
    ``COMMITTAL_CAP`` for committal decisions and raised to ``EVASIVE_FLOOR`` for grammar hits.
    """
    na = np.where(has_question, non_answer, 0)
    hits = hedges + na
    lex = 1.0 - np.power(0.5, hits)
    score = lex if model_p is None else np.where(has_question | (hedges > 0), model_p, lex)
    opener = np.asarray(opener).astype(np.int8)
    is_committal = (committal > 0) | ((opener > 0) & (strong == 0) & ((na == 0) | (opener == 2)))
    decided = ~is_committal & ((strong > 0) | (na > 0))
    weak_only = ~is_committal & ~decided & (hedges > 0)
    if model_p is None:
        grammar = decided | weak_only
        by_model = np.zeros_like(grammar)
    else:  # a weak hedge alone ("I think", "a bit") is left to the model at its own threshold
        grammar = decided
        by_model = (weak_only & (model_p >= model_thr)) | (
            ~is_committal & (hits == 0) & has_question & (model_p >= max(model_thr, CHAT_MODEL_THRESHOLD)))
    value = grammar | by_model
    score = np.where(is_committal, np.minimum(score, COMMITTAL_CAP), score)
    score = np.where(grammar, np.maximum(score, EVASIVE_FLOOR), score)
    return value, score


def model_threshold() -> float:
    model = noncommittal_model()
    return float(model.meta.get("threshold", 0.5)) if model is not None else LEXICON_THRESHOLD
