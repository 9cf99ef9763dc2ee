"""The broad layer of the safety grammar: concepts that meet in one message, in every language.

The phrase grammar alone found about a quarter of the dangerous messages written by someone who had not
seen it (docs/safety.md, third round). The broad layer reads concepts (a demand and the phone, a ban and
friends, violence aimed at "you", reported blows, means of self-harm, insults to the partner) in any
wording. These messages were written for this test (not taken from any labelled set); each language
has positives of every class and hard negatives with the same words.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources

import pytest

from ebbtide.signals import safety
from ebbtide.signals.safety import BROAD_MAX_CHARS, CLEAR, classify_texts

POSITIVE = {
    "en": [
        ("control", "hand it over now, i want to read ur texts"),
        ("control", "you won't be seeing those girls from work again"),
        ("control", "my husband took my bank card and gives me cash when he feels like it"),
        ("threat", "i swear i'll break your legs if you go"),
        ("threat", "she threw a plate at me last night"),
        ("self_harm", "honestly thinking about ending it all this weekend"),
        ("contempt", "you are such a useless waste of space"),
    ],
    "es": [
        ("control", "desbloquea el celu y pasamelo ya"),
        ("control", "no quiero que salgas con tus amigas nunca mas"),
        ("threat", "me dio una patada en la cocina"),
        ("threat", "te voy a romper la cara si vuelves tarde"),
        ("self_harm", "ya no quiero seguir viviendo asi, me voy a tirar del puente"),
        ("contempt", "sos una inutil, no servis para nada"),
    ],
    "pt": [
        ("control", "me mostra tuas conversas agora"),
        ("threat", "vou te arrebentar quando chegar"),
        ("self_harm", "tomei todos os comprimidos da caixa"),
        ("contempt", "voce e um lixo, nao presta pra nada"),
    ],
    "de": [
        ("control", "zeig mir sofort deinen chat mit dem"),
        ("control", "zu deinen freunden gehst du nicht mehr"),
        ("threat", "ich schwör dir ich bring dich um wenn du gehst"),
        ("self_harm", "ich will nicht mehr leben, ich hab die tabletten alle auf einmal"),
        ("contempt", "du bist so ein erbärmlicher versager"),
    ],
    "fr": [
        ("control", "donne-moi le code de ton portable"),
        ("control", "tu sors plus avec tes copines, c'est non"),
        ("threat", "je vais te défoncer si tu pars"),
        ("self_harm", "j'ai envie de mourir, je vais en finir"),
        ("contempt", "t'es vraiment une incapable"),
    ],
}

NEGATIVE = [
    "share your location so i can pick you up from the station",
    "what's the wifi password again?",
    "you're not going out tonight? thought you had plans",
    "this traffic is killing me",
    "you'll regret missing the gig, they played everything",
    "i'd kill for a pizza right now",
    "mandame tu ubicacion asi te busco",
    "me muero de hambre, pedimos algo?",
    "ich bring dich um 8 zum bahnhof",
    "die hitze bringt mich um",
    "je viens te chercher, envoie-moi ta position",
    "je meurs de faim",
    "se nao for no show vai se arrepender, foi incrivel",
    "boludo, viste el partido?",
    "could you check your child's bag for a blue jumper",
    "that file is too big, u can't share it in whatsapp",
]


@pytest.mark.parametrize(("lang", "cls", "text"), [(lang, c, t) for lang, items in POSITIVE.items() for c, t in items])
def test_broad_layer_finds_each_class(lang: str, cls: str, text: str) -> None:
    got = classify_texts([text])[0]
    if cls in CLEAR:
        assert got in CLEAR, (lang, text, got)
    else:
        assert got in (*CLEAR, "contempt"), (lang, text, got)


@pytest.mark.parametrize("text", NEGATIVE)
def test_hard_negatives_stay_silent(text: str) -> None:
    assert classify_texts([text])[0] is None, text


def test_broad_layer_reads_only_chat_length_messages() -> None:
    short = "give me your phone now"
    assert classify_texts([short])[0] == "control"
    # a forwarded notice: the same concepts far apart in a long text are not a demand to a partner
    notice = ("Dear parents, please give me your feedback on the trip. " + "The bus leaves at eight. " * 12
              + "Remember to bring your phone and a packed lunch, and tell me your questions now.")
    assert len(notice) > BROAD_MAX_CHARS
    assert classify_texts([notice])[0] is None


def test_said_in_earnest_cancels_laughter() -> None:
    joking, earnest = classify_texts(["me quiero morir jajaja", "me quiero morir, no es broma"])
    assert joking == "ambiguous"  # laughter turns self-harm into the calm question, never silence
    assert earnest == "self_harm"


def test_every_fragment_named_in_a_pattern_exists() -> None:
    for lang in safety.LANGS:
        text = resources.files("ebbtide.signals").joinpath("data", "safety", f"{lang}.toml").read_text(encoding="utf-8")
        data = tomllib.loads(text)
        frags = data.get("fragments", {})
        assert data.get("broad"), f"{lang}: no broad layer"
        for cls, spec in data["broad"].items():
            for p in [*spec.get("patterns", []), *spec.get("unless", [])]:
                for name in re.findall(r"%([A-Z_]+)%", p):
                    assert name in frags, f"{lang} {cls}: unknown fragment %{name}%"
    with pytest.raises(KeyError):
        safety._fill("%NOPE%", {})
