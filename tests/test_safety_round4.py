"""The fourth round of the safety grammar (``[broad.r4_*]`` sections, issue 11), in every language.

Each section names its class (``class = "self_harm"``); these messages were written for this test (not
taken from any labelled set). Negatives include the kinds of real chat lines that a first draft of the
round raised to safety first: "odd" read as "od'd", "threw me off a bit", "me saco de la nariz", a third
person who "is gonna finish u" in a game.
"""

from __future__ import annotations

import pytest
from safety_round_support import ROUND_CLASSES, assert_found, cases, round_sections

from ebbtide.signals import safety
from ebbtide.signals.safety import CLEAR, classify_texts

POSITIVE = {
    "en": [
        ("self_harm", "he said he wrote goodbye letters to his parents"),
        ("self_harm", "ive saved up my sleeping pills, enough to stop"),
        ("self_harm", "tbh everyone would be happier without me"),
        ("threat", "open the door or i'm kicking the door in"),
        ("threat", "keep going and see what happens, i still have ur nudes"),
        ("control", "I need the password for your insta by tonight"),
        ("control", "she's cancelling my bank card again"),
        ("contempt", "who would ever love you honestly"),
    ],
    "es": [
        ("self_harm", "dejo una carta de despedida en la mesa"),
        ("self_harm", "ya no quiero estar vivo"),
        ("threat", "te rompo la puerta si no abris"),
        ("control", "pasame la clave de tu insta ahora"),
        ("contempt", "nadie te respeta, ni tu familia te soporta"),
    ],
    "pt": [
        ("self_harm", "ele deixou uma carta de despedida"),
        ("self_harm", "nao quero mais viver assim, nao vejo outra saida"),
        ("threat", "nunca mais vais ver os teus filhos"),
        ("control", "me passa a senha do teu insta"),
        ("contempt", "ninguem te respeita"),
    ],
    "de": [
        ("self_harm", "sie hat einen abschiedsbrief geschrieben"),
        ("self_harm", "ich will nicht mehr leben"),
        ("threat", "du landest im krankenhaus wenn du gehst"),
        ("control", "gib mir das passwort von deinem insta"),
        ("contempt", "du bist ein versager und ein feigling"),
    ],
    "fr": [
        ("self_harm", "elle a laisse une lettre d'adieu"),
        ("self_harm", "je veux plus vivre"),
        ("threat", "tu verras plus jamais les enfants"),
        ("control", "donne moi le mot de passe de ton insta"),
        ("contempt", "personne te respecte"),
    ],
}

NEGATIVE = [
    "no need to print whether the number is even or odd",
    "ur so odd man",
    "That one threw me off a bit",
    "his training gonna finish u in the next round",
    "siempre q agarro un celu me saco de la nariz",
    "the goodbye party is at 8, bring a card",
    "what's the wifi password for the guest network",
    "share your location so I can pick you up at the station",
    "who would ever love you more than me 😂",
    "meu celular morreu, a bateria nao aguenta mais",
    "die tabletten fur den hund liegen bereit, bitte nicht vergessen",
    "le pot d'adieu de julie c'est vendredi",
]


@pytest.mark.parametrize(("lang", "cls", "text"), cases(POSITIVE))
def test_round4_finds_each_class(lang: str, cls: str, text: str) -> None:
    assert_found(cls, text)


@pytest.mark.parametrize("text", NEGATIVE)
def test_round4_hard_negatives_stay_quiet(text: str) -> None:
    assert classify_texts([text])[0] not in CLEAR


def test_every_language_has_round4_sections_with_a_known_class() -> None:
    for lang in safety.LANGS:
        assert {spec["class"] for spec in round_sections(lang, "r4_").values()} == ROUND_CLASSES, lang


def test_a_section_with_an_unknown_class_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    real = safety._data

    def patched(name: str) -> dict:
        data = dict(real(name))
        if name == "en":
            data["broad"] = {**data["broad"], "r9_oops": {"class": "sadness", "patterns": ["x"]}}
        return data

    monkeypatch.setattr(safety, "_data", patched)
    safety.rules.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"r9_oops.*sadness"):
            safety.rules()
    finally:
        monkeypatch.undo()
        safety.rules.cache_clear()
