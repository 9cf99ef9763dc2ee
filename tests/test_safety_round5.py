"""The fifth round of the safety grammar (``[broad.r5_*]`` sections, issue 11), in every language.

Messages written for this test (not taken from any labelled set). Each new rule pairs two specific concepts
(a burden that ends "soon", the partner's self-harm "if I...", pictures sent to the family "unless..."), so the
negatives are the everyday senses of the same words: a receipt to pay someone back, a pickup outside the
house, "tell mum I love her", "I won't be around next week". Gating: every new pattern must carry literals
that the regex gate can prove (the grammar runs on a million messages in the speed benchmark).
"""

from __future__ import annotations

import pytest
from safety_round_support import ROUND_CLASSES, assert_found, cases, round_sections

from ebbtide.signals import safety
from ebbtide.signals.regex_gate import necessary_literals
from ebbtide.signals.safety import CLEAR, classify_texts

POSITIVE = {
    "en": [
        ("self_harm", "don't worry, i won't be a burden for much longer"),
        ("self_harm", "honestly im tired of being alive"),
        ("threat", "those photos go to your whole family unless you pick up"),
        ("threat", "he poured hot coffee over my hand on purpose"),
        ("control", "he rang my boss to check i was really in"),
        ("control", "he hides my inhaler when we fight"),
        ("contempt", "she keeps calling me a burden in front of everyone"),
    ],
    "es": [
        ("self_harm", "pronto no vas a tener que aguantarme"),
        ("self_harm", "estoy cansado de existir"),
        ("threat", "os reviento a los dos si os veo juntos"),
        ("control", "tu medicacion la guardo yo y punto"),
        ("contempt", "hablar contigo es como hablarle a una pared"),
    ],
    "pt": [
        ("self_harm", "nao quero mais estar viva, de verdade"),
        ("threat", "vou fazer da tua vida um inferno"),
        ("control", "o meu salario cai na conta dele todo mes"),
        ("contempt", "tu foste o maior erro da minha vida"),
    ],
    "de": [
        ("self_harm", "ich bin so mude vom leben"),
        ("threat", "das wird ein nachspiel haben, glaub mir"),
        ("control", "ich hab dein passwort geandert, du brauchst es nicht"),
        ("contempt", "wer will dich noch, schau dich an"),
    ],
    "fr": [
        ("self_harm", "j'en peux plus d'exister"),
        ("threat", "je vais foutre le feu a ta voiture"),
        ("control", "tu laisses ta localisation activee, point"),
        ("contempt", "espece de porc, regarde toi"),
    ],
}

NEGATIVE = [
    "send me the receipt and I'll pay you back",
    "I'm outside your house, come down when you're ready",
    "tell mum I love her, see you Sunday",
    "I won't be around next week, I'm in Lisbon",
    "the pills are on the table, one each after dinner",
    "hit me with the details when you have them",
    "I'll send the holiday photos to your mum tomorrow",
    "you have until tomorrow to submit the form, then it closes",
    "mandame una foto para ver que tal te queda",
    "mañana no voy a estar, me voy a Madrid",
    "¿te acuerdas de mí? fuimos juntos al cole",
    "vou mandar as fotos amanhã",
    "vai ter volta? a passagem ta cara",
    "ich kenn Leute, die das toll finden",
    "du kannst nichts dafür, wirklich nicht",
    "teil deinen Standort, dann find ich dich",
    "je suis arrivé, ça fait 10 minutes",
    "je crame au soleil, j'ai oublié la crème",
]


@pytest.mark.parametrize(("lang", "cls", "text"), cases(POSITIVE))
def test_round5_finds_each_class(lang: str, cls: str, text: str) -> None:
    assert_found(cls, text)


def test_round5_everyday_senses_stay_quiet() -> None:
    found = dict(zip(NEGATIVE, classify_texts(NEGATIVE), strict=True))
    assert {t: c for t, c in found.items() if c in CLEAR or c == "contempt"} == {}


@pytest.mark.parametrize("lang", safety.LANGS)
def test_round5_sections_name_every_class_and_are_gated(lang: str) -> None:
    sections = round_sections(lang, "r5_")
    assert {spec["class"] for spec in sections.values()} == ROUND_CLASSES
    frags = safety._data(lang).get("fragments", {})
    for name, spec in sections.items():
        for pattern in spec["patterns"]:
            assert necessary_literals(safety._fill(pattern, frags)) is not None, (lang, name, pattern[:80])
