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
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

#: Languages with full word lists. Anything else is detected as "und" (undetermined) and gets null features.
SUPPORTED_LANGS: tuple[str, ...] = ("en", "es", "pt", "de", "fr")

#: Features matched from word lists (Boolean columns of the same name unless noted in annotate.py).
LIST_FEATURES: tuple[str, ...] = (
    "affection", "noncommittal", "plan", "relationship_question", "meetup", "we_talk", "future_talk",
    "space_request", "stress", "past_hurt", "vulnerability", "conflict", "safety_concern",
)
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
    return f"{start}{body}{end}"


def alternation(terms: list[str] | tuple[str, ...]) -> str | None:
    """Terms to one alternation; longest first so spans cover the fullest phrase. None for no terms."""
    if not terms:
        return None
    uniq = sorted(set(terms), key=lambda s: (-len(s), s))
    return "(?:" + "|".join(term_to_regex(t) for t in uniq) + ")"


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
    return Lexicon(
        lang=lang,
        version=str(raw["version"]),
        features=tuples("features"),
        modifiers=tuples("modifiers"),
        detect_words=tuple(detect.get("words", ())),
        function_words=tuples("function_words"),
    )


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
