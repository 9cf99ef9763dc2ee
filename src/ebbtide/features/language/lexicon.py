"""Word and phrase lists, loaded from versioned TOML files under ``data/``.

Wording lives in data, not code, so lists can be reviewed and extended (and new languages added) without
touching the matching logic. The fast path (``matching.py``) turns literal terms into padded Aho–Corasick
patterns; this module also turns a list into one regular expression per feature that both Polars (Rust
``regex``) and Python ``re`` understand, used for evidence spans and for the few raw ``re:`` terms.

Term syntax (lower case):
- a space matches any run of whitespace;
- an apostrophe is optional and matches ``'`` or ``’`` ("don't" also finds "dont" and "don’t");
- a trailing ``*`` matches the rest of the word ("stress*");
- word boundaries are added where a term begins or ends with a letter or digit;
- ``re:...`` is a raw regular expression (no look-around, no back-references).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

#: Languages with full word lists. Anything else is detected as "und" (undetermined) and gets null features.
SUPPORTED_LANGS: tuple[str, ...] = ("en", "es", "pt", "de", "fr")

#: Features matched from word lists (Boolean columns of the same name unless noted in annotate.py).
LIST_FEATURES: tuple[str, ...] = (
    "affection", "noncommittal", "plan", "relationship_question", "meetup", "we_talk", "future_talk",
    "space_request", "stress", "past_hurt", "vulnerability", "conflict", "safety_concern",
    "nc_strong", "non_answer", "committal", "aff_pet", "aff_you", "aff_warm", "aff_negator", "aff_third",
    "aff_thing", "aff_to_you",
)
#: The evasive-answer grammar (``[evasive]`` in each language file). Every category is part of the
#: ``noncommittal`` list; the strong ones (a deferral, a condition, handing the choice back, "not now",
#: "I don't know") also form ``nc_strong``, which a plain "yes"/"no" opening does not outweigh. ``non_answer``
#: ("nothing", "why would you ask that") counts only on a message that answers a question; ``committal``
#: ("for sure", "claro que sí", "auf jeden Fall") makes an answer committal whatever else it says; ``opener``
#: lists the first words of a plain yes or no ("yes", "nope", "claro", "nein"); ``alone`` holds non-answers
#: that count only as the whole message ("later", "nothing", "hmm").
EVASIVE_STRONG: tuple[str, ...] = ("defer", "condition", "hand_back", "not_now", "unknown")
EVASIVE_WEAK: tuple[str, ...] = ("hedge",)
#: Function-word categories for language style matching (our own closed-class lists, not LIWC).
FUNCTION_WORD_CATEGORIES: tuple[str, ...] = (
    "ppron", "ipron", "article", "auxverb", "adverb", "prep", "conj", "negate", "quant",
)

_WORD_CHAR = re.compile(r"\w")
_APOS = "['’]?"


def term_to_regex(term: str) -> str:
    """One list term to a regular expression fragment (see the module docstring for the syntax)."""
    if term.startswith("re:"):
        return f"(?:{term[3:]})"
    start, body, end = _term_parts(term)
    return f"{start}{body}{end}"


def _term_parts(term: str) -> tuple[str, str, str]:
    """A literal (not ``re:``) term as (leading boundary, body, trailing boundary); boundaries are ``\\b`` or ""."""
    t = term.strip().lower()
    wildcard = t.endswith("*")
    if wildcard:
        t = t[:-1]
    parts: list[str] = []
    for ch in t:
        if ch in "'’":
            parts.append(_APOS)
        elif ch.isspace():
            if not parts or parts[-1] != r"\s+":
                parts.append(r"\s+")
        else:
            parts.append(re.escape(ch))
    body = "".join(parts)
    if wildcard:
        body += r"\w*"
    start = r"\b" if t and _WORD_CHAR.match(t[0]) else ""
    end = r"\b" if t and not wildcard and _WORD_CHAR.match(t[-1]) else ""
    return start, body, end


def alternation(terms: list[str] | tuple[str, ...]) -> str | None:
    """Terms to one alternation; longest first so spans cover the fullest phrase. None for no terms."""
    if not terms:
        return None
    uniq = sorted(set(terms), key=lambda s: (-len(s), s))
    return "(?:" + "|".join(term_to_regex(t) for t in uniq) + ")"


def _letter(ch: str) -> bool:
    """A word character for Python's and Rust's ``\\w`` alike (letters, decimal digits, underscore)."""
    return ch.isalpha() or ch.isdecimal() or ch == "_"


def contains_patterns(terms: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Regexes that together find the same texts as ``alternation(terms)`` with ``str.contains`` (a text
    matches when any of them does), much faster on text with non-ASCII characters. Not for spans.

    WHY: a word boundary ``\\b`` anywhere in a regex makes Rust's regex engine leave its fast DFA for
    every text holding a non-ASCII character (accents, emoji): a list of a few hundred terms then took
    about 10 CPU s per million chat messages. For "does the text contain a term", a leading ``\\b``
    before a word character is the same as ``(?:^|[^\\w])`` and a trailing one after a word character
    the same as ``(?:[^\\w]|$)`` (they consume the neighbouring character, which ``contains`` does not
    care about). Terms are grouped by their boundaries so the large Unicode classes appear once per
    group (the compiled regex stays under Polars' size limit). Raw ``re:`` terms keep their own
    regex (one alternation of them).
    """
    groups: dict[tuple[bool, bool], list[str]] = {}
    raw: list[str] = []
    for term in sorted(set(terms), key=lambda s: (-len(s), s)):
        if term.startswith("re:"):
            raw.append(term_to_regex(term))
            continue
        start, body, end = _term_parts(term)
        t = term.strip().lower().removesuffix("*")
        if (start and not _letter(t[0])) or (end and not _letter(t[-1])):
            raw.append(term_to_regex(term))  # Python and Rust may disagree on whether it is a word character
            continue
        groups.setdefault((bool(start), bool(end)), []).append(body)
    out = []
    for (start_b, end_b), bodies in sorted(groups.items()):
        out.append((r"(?:^|[^\w])" if start_b else "") + "(?:" + "|".join(bodies) + ")"
                   + (r"(?:[^\w]|$)" if end_b else ""))
    if raw:
        out.append("(?:" + "|".join(raw) + ")")
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """All lists of one language (plus the language-independent ones in ``common.toml``)."""

    lang: str
    version: str
    features: dict[str, tuple[str, ...]]
    modifiers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    detect_words: tuple[str, ...] = ()
    function_words: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def pattern(self, feature: str) -> str | None:
        """The feature's regex (case-insensitive source; callers lower-case the text), or None if no list."""
        return alternation(self.features.get(feature, ()))

    def modifier(self, name: str) -> str | None:
        return alternation(self.modifiers.get(name, ()))


def _read_toml(name: str) -> dict[str, object]:
    text = resources.files("ebbtide.features.language").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    return tomllib.loads(text)


@cache
def common_lists() -> Lexicon:
    """Language-independent markers (affection emoji, sarcasm emoji)."""
    raw = _read_toml("common.toml")
    feats = {k: tuple(v) for k, v in dict(raw.get("features", {})).items()}  # type: ignore[call-overload]
    return Lexicon(lang="*", version=str(raw["version"]), features=feats)


@cache
def load_lexicon(lang: str) -> Lexicon:
    """The lists of one supported language. Raises ``KeyError`` for an unsupported one."""
    if lang not in SUPPORTED_LANGS:
        raise KeyError(f"no word lists for language {lang!r}; supported: {', '.join(SUPPORTED_LANGS)}")
    raw = _read_toml(f"{lang}.toml")

    def tuples(section: str) -> dict[str, tuple[str, ...]]:
        return {k: tuple(v) for k, v in dict(raw.get(section, {})).items()}  # type: ignore[call-overload]

    detect = dict(raw.get("detect", {}))  # type: ignore[call-overload]
    features = tuples("features")
    modifiers = tuples("modifiers")
    evasive = tuples("evasive")
    strong = tuple(t for cat in EVASIVE_STRONG for t in evasive.get(cat, ()))
    weak = tuple(t for cat in EVASIVE_WEAK for t in evasive.get(cat, ()))
    features["noncommittal"] = features.get("noncommittal", ()) + strong + weak
    features["nc_strong"] = strong
    features["non_answer"] = evasive.get("non_answer", ())
    features["committal"] = evasive.get("committal", ())
    modifiers["answer_opener"] = evasive.get("opener", ())
    modifiers["answer_alone"] = evasive.get("alone", ())
    aff = tuples("affection")
    edge = aff.get("pet_names_edge", ())
    greet = aff.get("greetings", ())
    # a pet name right after a greeting is address ("night honey", "gracias cielo"); the combinations are
    # generated here so the matcher still sees plain phrases
    features["aff_pet"] = aff.get("pet_names", ()) + tuple(
        f"{g} {p}" for g in greet for p in (*edge, *aff.get("pet_names_after_greeting", ())))
    features["aff_you"] = aff.get("you_forms", ())
    features["aff_warm"] = aff.get("warm_words", ())
    features["aff_negator"] = aff.get("negators", ())
    features["aff_third"] = aff.get("third_person", ())
    # things (food, places, objects, pets, TV) and words that address the partner: hearts or heart-eyes
    # about a thing are not affection ("der Kuchen war ein Traum 😍") unless the message also speaks to them
    features["aff_thing"] = aff.get("things", ())
    features["aff_to_you"] = aff.get("to_you", ())
    modifiers["pet_names_edge"] = edge
    # for evidence spans: every pet name once (the greeting combinations above would make a slow regex)
    modifiers["pet_names_all"] = aff.get("pet_names", ()) + edge + aff.get("pet_names_after_greeting", ())
    modifiers["affection_alone"] = aff.get("alone", ())
    if lang == "en":  # chat spelling: "miss u", "up to u", "love ur smile"
        features = {k: with_u_spellings(v) for k, v in features.items()}
        modifiers = {k: with_u_spellings(v) for k, v in modifiers.items()}
    return Lexicon(
        lang=lang,
        version=str(raw["version"]),
        features={k: with_unaccented(v) for k, v in features.items()},
        modifiers={k: with_unaccented(v) for k, v in modifiers.items()},
        detect_words=tuple(detect.get("words", ())),
        function_words=tuples("function_words"),
    )


def unaccented(term: str) -> str:
    """``term`` without diacritics ("qué" -> "que", "não" -> "nao", "müde" -> "mude"); chats often drop them."""
    return "".join(c for c in unicodedata.normalize("NFD", term) if not unicodedata.combining(c)).replace(
        "\u00df", "ss")


def with_unaccented(terms: tuple[str, ...]) -> tuple[str, ...]:
    """Terms plus their spellings without diacritics (and German umlauts written "ae", "oe", "ue"), in order,
    without duplicates. Raw ``re:`` terms are kept as written."""
    out: dict[str, None] = {}
    for t in terms:
        out[t] = None
        if t.startswith("re:"):
            continue
        out[unaccented(t)] = None
        if any(u in t for u in "äöü"):
            out[t.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")] = None
    return tuple(out)


_YOU = re.compile(r"\b(?:you're|youre|your|you)\b")
_U_FORMS = {"you're": "ur", "youre": "ur", "your": "ur", "you": "u"}


def with_u_spellings(terms: tuple[str, ...]) -> tuple[str, ...]:
    """English terms plus their chat spelling ("you" -> "u", "your"/"you're" -> "ur"), in order, without
    duplicates ("miss your face" also finds "miss ur face"). Raw ``re:`` terms are kept as written."""
    out: dict[str, None] = {}
    for t in terms:
        out[t] = None
        if not t.startswith("re:") and _YOU.search(t):
            out[_YOU.sub(lambda m: _U_FORMS[m.group(0)], t)] = None
    return tuple(out)


def lexicon_versions() -> dict[str, str]:
    """Version of every list file, for reports and reproducibility."""
    out = {lang: load_lexicon(lang).version for lang in SUPPORTED_LANGS if _has_file(lang)}
    out["common"] = common_lists().version
    return out


def _has_file(lang: str) -> bool:
    return resources.files("ebbtide.features.language").joinpath("data").joinpath(f"{lang}.toml").is_file()


def available_langs() -> tuple[str, ...]:
    """Supported languages whose list file is present (all of SUPPORTED_LANGS in a full install)."""
    return tuple(lang for lang in SUPPORTED_LANGS if _has_file(lang))
