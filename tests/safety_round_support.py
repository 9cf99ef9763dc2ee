"""Shared checks for the safety grammar's rounds (``[broad.rN_*]`` sections): tests/test_safety_round4.py, ..._round5.py, ..._round6.py."""

from __future__ import annotations

import tomllib

from ebbtide.signals import safety
from ebbtide.signals.safety import CLEAR, classify_texts

ROUND_CLASSES = {"control", "threat", "self_harm", "contempt"}


def assert_found(cls: str, text: str) -> None:
    """Clear danger must reach the clear level (any of its classes); contempt may also be read as clear danger."""
    found = classify_texts([text])[0]
    assert found in (CLEAR if cls in CLEAR else (*CLEAR, "contempt")), (cls, text, found)


def round_sections(lang: str, prefix: str) -> dict[str, dict]:
    """The ``[broad.<prefix>*]`` sections of one language's grammar file."""
    text = (safety.resources.files("ebbtide.signals") / "data" / "safety" / f"{lang}.toml").read_text(encoding="utf-8")
    return {name: spec for name, spec in tomllib.loads(text)["broad"].items() if name.startswith(prefix)}


def cases(positive: dict[str, list[tuple[str, str]]]) -> list[tuple[str, str, str]]:
    """``{lang: [(class, text), ...]}`` -> ``[(lang, class, text), ...]`` for ``pytest.mark.parametrize``."""
    return [(lang, cls, text) for lang, items in positive.items() for cls, text in items]
