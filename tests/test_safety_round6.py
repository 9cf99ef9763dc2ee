"""The sixth round of the safety grammar (``[broad.r6_*]`` sections and the ``affection`` marker, issue 11).

Messages written for this test (not taken from any labelled set), one or more per class and language, each
missed by the grammar before the round. The round's classes: the partner's death made the partner's burden
("you'll be finding my body"), the means at hand, self-harm made conditional on the partner, the partner's
self-harm reported; intimate pictures sent to the family "unless...", injuries with their marks, pets and
children as leverage; a ban said as final ("end of discussion", "y punto", "já falei", "Punkt", "point barre"),
being online at night questioned, reported rules ("he says I can't...", "no me deja", "lässt mich nicht"),
permission to see one's own family; disgust at the partner, insults reported, "even a child would do better".
Every pattern needs a second, specific concept, so the negatives are the everyday senses of the same words.
"""

from __future__ import annotations

import pytest
from safety_round_support import ROUND_CLASSES, assert_found, cases, round_sections

from ebbtide.signals import safety
from ebbtide.signals.regex_gate import necessary_literals
from ebbtide.signals.safety import CLEAR, classify_texts

POSITIVE = {
    "en": [
        ("self_harm", "if you walk out tonight you'll be the one finding my body"),
        ("self_harm", "she sent me a picture of a blade and then went offline"),
        ("self_harm", "i've been saving up my pills for weeks now"),
        ("self_harm", "no one will miss me when i'm gone, not even you"),
        ("threat", "one more word and your whole family sees those videos"),
        ("threat", "keep texting him and he'll get what's coming"),
        ("threat", "if you leave, say goodbye to your cat"),
        ("control", "he says i can't go out with my sister unless he's there"),
        ("control", "my wife goes thru my messages every night while i sleep"),
        ("control", "you'll get your phone back when you learn to behave"),
        ("contempt", "she calls me 'the idiot' when she talks to her mum"),
        ("contempt", "you're so clueless it's embarrassing, even my mates laugh at you"),
        ("contempt", "i married a child"),
    ],
    "es": [
        ("self_harm", "cuando me muera lo vas a entender"),
        ("self_harm", "estoy en el puente, ya no aguanto"),
        ("self_harm", "me mandó una foto de una cuchilla y no contesta"),
        ("self_harm", "llevo semanas juntando pastillas"),
        ("threat", "si me dejas le mando las fotos a tu madre, tú decides"),
        ("threat", "mi novio me dejó la cara morada otra vez"),
        ("threat", "al perro lo tiro por la ventana si sigues así"),
        ("threat", "no me provoques, que ya sabes cómo me pongo"),
        ("control", "no sales con tus primas este finde, y punto final"),
        ("control", "te vi conectada a las 3 de la mañana, ¿con quién hablabas?"),
        ("contempt", "tienes la inteligencia de un ladrillo"),
        ("contempt", "me casé con un pelele"),
    ],
    "pt": [
        ("self_harm", "se tu fores embora vais encontrar o meu corpo"),
        ("self_harm", "tô juntando os comprimidos faz um mês"),
        ("threat", "se você me deixar eu mando teus vídeos pro teu chefe"),
        ("threat", "se tu fores à polícia nunca mais vês os miúdos"),
        ("control", "ele não deixa eu ir na academia sozinha"),
        ("control", "vi que tu ficaste online às 3h. com quem?"),
        ("control", "ele anota a quilometragem do carro todo dia"),
        ("contempt", "deu nojo te beijar ontem"),
        ("contempt", "és uma fraude, sempre foste"),
        ("contempt", "meu marido vive me chamando de burra"),
    ],
    "de": [
        ("self_harm", "ich hab mir ein seil besorgt"),
        ("self_harm", "ich bin nur noch eine last für alle"),
        ("self_harm", "wenn du jetzt auflegst, spring ich"),
        ("self_harm", "niemand würde mich vermissen"),
        ("threat", "er hat mich mit dem gürtel geschlagen"),
        ("threat", "ich weiß, wann dein sohn aus der schule kommt"),
        ("control", "du bleibst heute zuhause, ende der diskussion"),
        ("control", "warum warst du um 3 uhr nachts online? zeig mir mit wem"),
        ("control", "ab jetzt fragst du mich, bevor du was kaufst"),
        ("contempt", "mich ekelt's, wenn du isst"),
        ("contempt", "sie nennt mich vor ihren freundinnen nur die dumme"),
    ],
    "fr": [
        ("self_harm", "quand je serai morte tu comprendras"),
        ("self_harm", "je garde mes cachets de côté depuis des semaines"),
        ("threat", "si ton frère se mêle de ça je lui pète les genoux"),
        ("threat", "je connais l'adresse de tes parents, oublie pas"),
        ("threat", "si tu vas à la police tu reverras plus ton fils"),
        ("control", "tu sortiras pas ce soir, c'est comme ça"),
        ("control", "t'étais en ligne à 2h du mat, tu parlais avec qui ?"),
        ("control", "faut que je lui demande la permission pour sortir"),
        ("contempt", "ta voix me donne envie de vomir"),
        ("contempt", "t'es qu'une épave, même ta mère a honte de toi"),
        ("contempt", "même un gamin ferait mieux que toi"),
    ],
}

# The everyday senses of the round's words, which a first draft raised (or could raise) and must not.
NEGATIVE = [
    "I could sleep forever after that hike",
    "don't worry about me, I'll be home soon",
    "you won't have to wait much longer, 5 min away",
    "nobody's gonna miss me at work tomorrow, I'm off",
    "I'll be gone soon anyway, my flight is at 6",
    "tell the kids I love them, see you Sunday",
    "I got the pills right here, do you need one for your headache?",
    "we're off to the airport, say goodbye to the cat!",
    "congrats on the promotion 👏👏",
    "the train is late again 🙄",
    "where were you between 2 and 3? I called to say hi",
    "turn it back on, the match is starting",
    "I replied for you to the party invite",
    "you don't need your card, I'll pay tonight",
    "I've deleted the photos from your phone like you asked",
    "I told you, you're not going to regret it",
    "no more gym for me, I mean it, too sore",
    "call me from your work phone if your mobile dies",
    "so I know you're actually there, the table is booked at 8",
    "the pics from the wedding, your whole family sees them on Sunday",
    "your precious cake will be in pieces if you drop the box",
    "the doctor says I can't go out for a week",
    "escribí las cartas para los Reyes Magos con los niños",
    "si hace calor me tiro a la piscina",
    "mándale las fotos de la boda a tu madre",
    "tengo las pastillas aquí, ¿quieres una para la cabeza?",
    "el gran día por fin 👏",
    "quem te vê até acha que você tem 20 anos",
    "nada de academia hoje, tô cansada",
    "tira essa maquiagem antes de dormir",
    "você não vai pagar nada, já falei",
    "já escrevi as cartas pro Papai Noel",
    "ein klick und fertig",
    "wow, der zug hat schon wieder verspätung 🙄",
    "er nennt mich schatz",
    "schick mir sofort ein foto vom kleid!",
    "du gehst jetzt schlafen, du bist krank. punkt.",
    "dann passiert was lustiges, drück mal den knopf",
    "t'es qu'un amour",
    "la pauvre, elle pleure tout le temps depuis l'enterrement",
    "si tu réponds pas dans les 5 minutes je commande sans toi",
    "il m'a fait arrêter de fumer, merci à lui",
    "je gagne assez pour deux, je t'invite",
    "je te plante là, j'ai un rdv",
    "quand je serai devant chez toi je t'appelle",
]

# Physical words in a loving context: the threat is muted; said to be unwanted, or without the kiss, it stays.
AFFECTION = [
    "he pinned me against the wall and kissed me 😍",
    "ele me prensou na parede e me beijou 😍",
    "er hat mich an die wand gedrückt und geküsst 😍",
    "il m'a plaquée contre le mur et m'a embrassée 😍",
]
STILL_THREATS = [
    "he pinned me against the wall and kissed me, I said no",
    "he pinned me against the wall and screamed in my face",
    "ele me prensou na parede e gritou",
]


@pytest.mark.parametrize(("lang", "cls", "text"), cases(POSITIVE))
def test_round6_finds_each_class(lang: str, cls: str, text: str) -> None:
    assert_found(cls, text)


def test_round6_everyday_senses_stay_quiet() -> None:
    found = dict(zip(NEGATIVE, classify_texts(NEGATIVE), strict=True))
    assert {t: c for t, c in found.items() if c in CLEAR or c == "contempt"} == {}


def test_round6_kisses_are_not_threats_but_unwanted_force_is() -> None:
    assert [c for c in classify_texts(AFFECTION) if c in CLEAR] == []
    assert classify_texts(STILL_THREATS) == ["threat"] * len(STILL_THREATS)


def test_round6_french_meme_is_not_a_quote() -> None:
    """French "même" is "meme" once accents go: it must not read as the English "meme" (a quote mutes all)."""
    assert classify_texts(["même ta famille peut pas te blairer", "lol this meme: you're worthless"]) == ["contempt", None]


@pytest.mark.parametrize("lang", safety.LANGS)
def test_round6_sections_name_every_class_and_are_gated(lang: str) -> None:
    sections = round_sections(lang, "r6_")
    assert {spec["class"] for spec in sections.values()} == ROUND_CLASSES
    frags = safety._data(lang).get("fragments", {})
    for name, spec in sections.items():
        for pattern in spec["patterns"]:
            assert necessary_literals(safety._fill(pattern, frags)) is not None, (lang, name, pattern[:80])
