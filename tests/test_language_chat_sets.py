"""Our chat-language labelled sets (five languages): size, fixed split, and the figures on the held-apart
part (docs/language.md). The held-apart part is only scored here, never used to change a list or a rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from script_support import load_script

REPO = Path(__file__).resolve().parents[1]
CHAT = REPO / "tests" / "fixtures" / "language" / "chat"
LANGS = ("en", "es", "pt", "de", "fr")


def _bench():  # type: ignore[no-untyped-def]
    return load_script(REPO / "bench" / "language_quality.py")


def _make_sets():  # type: ignore[no-untyped-def]
    return load_script(CHAT / "make_sets.py")


@pytest.mark.parametrize("lang", LANGS)
def test_sets_are_big_enough_and_the_split_is_the_committed_one(lang: str) -> None:
    b, mk = _bench(), _make_sets()
    for feature, build in (("evasive", mk.evasive), ("affection", mk.affection)):
        df = b.load_chat(feature, lang)
        assert df.height >= 300, (feature, lang)
        assert set(df["label"].unique().to_list()) == {0, 1}
        assert 0.3 <= (df["split"] == "test").mean() <= 0.5
        # the TSV is exactly what the seeded builder writes: the split cannot drift
        lines = (CHAT / f"{feature}_{lang}.tsv").read_text(encoding="utf-8").splitlines()
        assert lines == build(lang)
    ev = b.load_chat("evasive", lang)
    # a question group is entirely dev or entirely test
    assert ev.group_by("group").agg(n=__import__("polars").col("split").n_unique())["n"].max() == 1


def test_parallel_items_share_their_split() -> None:
    b = _bench()
    splits = {lang: b.load_chat("affection", lang)["split"].to_list() for lang in LANGS}
    assert all(splits[lang] == splits["en"] for lang in LANGS)


@pytest.mark.parametrize("lang", LANGS)
def test_held_apart_figures(lang: str) -> None:
    b = _bench()
    ev = b.eval_chat_evasive(lang, "test")
    assert ev["f1"] >= 0.90, ev["f1"]  # target of issue 13 (our own set; see docs/language.md for caveats)
    assert ev["f1"] > ev["baseline_f1"]
    af = b.eval_chat_affection(lang, "test")
    assert af["p"] >= 0.90 and af["r"] >= 0.80, (af["p"], af["r"])  # measured, not the 0.95 / 0.90 target
    assert af["f1"] > af["baseline_f1"]


def _one(text: str, lang: str, question: str | None = None) -> dict:  # type: ignore[type-arg]
    from ebbtide.features.language import annotate_texts

    rec = {"text": text, **({"question": question} if question else {})}
    return next(annotate_texts([rec], lang=lang))


@pytest.mark.parametrize(("lang", "question", "answer"), [
    ("en", "are we still on for saturday?", "for sure, maybe a bit late"),
    ("es", "¿cenamos mañana?", "claro que sí, no sé a qué hora salgo pero voy"),
    ("pt", "vc vem amanhã?", "com certeza"),
    ("de", "kommst du samstag?", "auf jeden fall, weiß nur noch nicht wann"),
    ("fr", "tu viens samedi ?", "bien sûr"),
])
def test_committal_phrases_are_never_noncommittal(lang: str, question: str, answer: str) -> None:
    r = _one(answer, lang, question)
    assert r["noncommittal"]["value"] is False
    assert r["noncommittal"]["score"] <= 0.2


@pytest.mark.parametrize(("lang", "question", "answer"), [
    ("en", "dinner friday?", "ask me closer to the time"),
    ("en", "are we still on?", "up to you I guess"),
    ("en", "can we talk tonight?", "not now"),
    ("en", "is something wrong?", "nothing"),
    ("es", "¿vienes el sábado?", "q se yo, depende del curro"),
    ("pt", "bora sábado?", "n sei, te aviso"),
    ("de", "kommst du am samstag?", "kp, frag mich freitag nochmal"),
    ("fr", "tu viens samedi ?", "jsp, on verra"),
])
def test_deferrals_conditions_hand_backs_and_non_answers(lang: str, question: str, answer: str) -> None:
    r = _one(answer, lang, question)
    assert r["noncommittal"]["value"] is True
    assert r["noncommittal"]["judged_with_question"] is True


def test_non_answers_need_a_question_and_plain_yes_wins_over_weak_hedges() -> None:
    assert _one("nothing", "en")["noncommittal"]["value"] is False  # not answering anything
    assert _one("yes, I think we should", "en", "should we book it?")["noncommittal"]["value"] is False
    assert _one("yes maybe", "en", "should we book it?")["noncommittal"]["value"] is True
    assert _one("no idea", "en", "when are you free?")["noncommittal"]["value"] is True


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("en", "night honey 😴", True), ("en", "honey mustard or bbq?", False), ("en", "babe I said no", False),
    ("en", "you're so sweet", True), ("en", "the cake is so sweet", False), ("en", "my mum misses you", False),
    ("es", "buenas noches cielo", True), ("es", "el cielo está gris", False), ("es", "me encantas", True),
    ("es", "no te echo de menos", False), ("pt", "o chá de bebê é domingo", False), ("pt", "boa noite bebê", True),
    ("de", "du fehlst mir", True), ("de", "nicht jetzt, liebling", False), ("fr", "t'es trop chou", True),
    ("fr", "je suis pas ta chérie", False), ("en", "ily2", True),
])
def test_affection_grammar_of_address(lang: str, text: str, expected: bool) -> None:
    assert _one(text, lang)["affection"]["value"] is expected


@pytest.mark.parametrize("lang", ("es", "pt", "de", "fr"))
def test_sentiment_is_not_measurable_outside_english_never_an_english_guess(lang: str) -> None:
    r = _one("hoy fue un día horrible", lang)
    assert r["sentiment"]["label"] is None and r["sentiment"]["score"] is None
    assert "not_measurable" in r["sentiment"] and lang in r["sentiment"]["not_measurable"]
    assert "not_measurable" not in _one("what a horrible day", "en")["sentiment"]


@pytest.mark.parametrize("lang", LANGS)
def test_blind_sets_are_whole_and_scored_apart(lang: str) -> None:
    """``chat/blind6/``: written by writers who never saw the annotator or the other sets; all held apart
    (split ``blind``), converted by ``convert_blind.py`` without reading the items, its errors never listed.
    (``blind4``, the held-apart set until round 6, was scored three times and is now development:
    ``blind_dev4``.)"""
    b = _bench()
    assert b.BLIND_FOLDERS["blind"] == "blind6" and "blind" not in b.DEV_SPLITS
    for feature in ("evasive", "affection"):
        df = b.load_chat(feature, lang, "blind")
        assert df.height >= 160, (feature, lang)
        assert set(df["label"].unique().to_list()) == {0, 1}
        assert set(df["split"].unique().to_list()) == {"blind"}
        assert df["id"].n_unique() == df.height
    assert b.load_chat("evasive", lang, "blind")["question"].n_unique() >= 35
    # regression floors a little under the one scoring after round 6 (docs/language.md), not the targets
    ev = b.eval_chat_evasive(lang, "blind")
    assert ev["p"] >= 0.93 and ev["f1"] >= 0.66, (ev["p"], ev["f1"])
    af = b.eval_chat_affection(lang, "blind")
    assert af["p"] >= 0.83 and af["r"] >= 0.78, (af["p"], af["r"])


@pytest.mark.parametrize(("split", "folder"),
                         [("blind_dev", "blind4dev"), ("blind_dev5", "blind5dev"), ("blind_dev4", "blind4")])
@pytest.mark.parametrize("lang", LANGS)
def test_blind_development_sets_are_whole(lang: str, split: str, folder: str) -> None:
    """``chat/blind4dev/``, ``chat/blind5dev/`` and ``chat/blind4/`` (held apart until round 6): sets written
    blind to the annotator, for development (their errors may be listed and turned into kinds of phrasing;
    blind6 stays apart)."""
    b = _bench()
    assert b.BLIND_FOLDERS[split] == folder
    for feature in ("evasive", "affection"):
        df = b.load_chat(feature, lang, split)
        assert df.height >= 150, (feature, lang, split)
        assert set(df["label"].unique().to_list()) == {0, 1}
        assert set(df["split"].unique().to_list()) == {split}
        assert df["id"].n_unique() == df.height
        lines = (CHAT / folder / f"{feature}_{lang}.tsv").read_text(encoding="utf-8").splitlines()
        assert len(lines) == df.height + 1  # a header, then one item per line
        if feature == "evasive":
            assert df["question"].str.strip_chars().str.len_chars().min() > 0
    # regression floors (the kinds of phrasing added from these sets' errors must keep working; not targets)
    ev, af = b.eval_chat_evasive(lang, split), b.eval_chat_affection(lang, split)
    assert ev["p"] >= 0.94 and ev["f1"] >= 0.85, (ev["p"], ev["f1"])
    assert af["p"] >= 0.90 and af["r"] >= 0.90, (af["p"], af["r"])


@pytest.mark.parametrize(("lang", "question", "answer"), [
    # deflecting the question
    ("en", "do you want to move in together?", "what's the rush"), ("es", "¿nos casamos?", "tú qué crees"),
    ("pt", "vamos morar junto?", "não é o momento"), ("de", "willst du kinder?", "gute frage"),
    ("fr", "tu m'aimes encore ?", "tu poses de ces questions"),
    # vague times and conditions on pay day or the weather
    ("en", "when are you coming home?", "soonish"), ("es", "¿cuándo vienes a verme?", "un día de estos"),
    ("pt", "quando vc vem?", "logo logo"), ("de", "wann kommst du heim?", "demnächst"),
    ("fr", "tu viens quand ?", "un de ces quatre"),
    ("en", "can you pay me back this week?", "when i get paid"), ("es", "¿me devuelves la plata?", "cuando cobre"),
    ("pt", "me paga essa semana?", "quando receber"), ("de", "gibst du mir das geld zurück?", "wenn das gehalt kommt"),
    ("fr", "tu me rembourses ?", "quand je serai payée"),
    # sleeping on it, talking in person, dismissing
    ("en", "should we put down the deposit?", "let's sleep on it"),
    ("es", "¿firmamos el piso?", "lo consulto con la almohada"),
    ("pt", "fechamos a viagem?", "dá-me mais uns dias"), ("de", "buchen wir die reise?", "lass mich drüber schlafen"),
    ("fr", "on prend l'appart ?", "laisse-moi dormir dessus"),
])
def test_round5_evasive_kinds(lang: str, question: str, answer: str) -> None:
    assert _one(answer, lang, question)["noncommittal"]["value"] is True


@pytest.mark.parametrize(("lang", "question", "answer"), [
    ("en", "do you want to get engaged?", "not yet, i'm not ready. it's a no for now"),
    ("fr", "on emménage ensemble ?", "je suis pas prête, c'est non"),
    ("es", "¿nos casamos?", "no estoy lista, es un no"), ("pt", "vamos morar junto?", "não tô pronta, é um não"),
    ("de", "ziehen wir zusammen?", "ich bin nicht bereit, das ist ein nein"),
])
def test_round5_committal(lang: str, question: str, answer: str) -> None:
    assert _one(answer, lang, question)["noncommittal"]["value"] is False


@pytest.mark.parametrize(("lang", "text", "expected"), [
    # longing, counting down, smiling because of the partner
    ("en", "wish i could teleport to you", True), ("es", "no veo la hora de verte", True),
    ("pt", "doida pra te ver", True), ("de", "ich hab sehnsucht", True), ("fr", "il me tarde de te voir", True),
    ("en", "counting the sleeps", True), ("es", "cuento los días", True), ("de", "ich zähl die tage", True),
    ("pt", "não consigo parar de sorrir", True), ("fr", "je souris comme une idiote à cause de toi", True),
    # regional pet names after a greeting
    ("en", "morning hen", True), ("es", "hola mi vidita", True), ("pt", "boa noite docinho", True),
    ("de", "nachti mäuschen", True), ("fr", "cc mon poussin", True),
    # pet names in anger, hearts about someone or something else, kisses for the family
    ("en", "listen babe, if you leave the dishes one more time i'm done", False),
    ("es", "cariño, otra vez tarde? estoy harta", False), ("pt", "amor, cadê a chave? de novo?", False),
    ("de", "schatz, wo zum teufel ist mein schlüssel", False), ("fr", "chérie, tu te fous de moi là", False),
    ("en", "the puppy is so cute 😍", False), ("de", "mein hund ist so ein schatz ❤️", False),
    ("fr", "le chien est trop mignon ❤️", False), ("es", "besos a tu mamá de mi parte", False),
    ("pt", "manda um beijo pra tua mãe", False), ("en", "thanks babe 🙃", False),
    ("pt", "tô com saudade do meu sofá", False), ("pt", "saudade do seu sorriso", True),
    ("es", "odio mi vida", False), ("de", "süße schuhe, woher?", False),
])
def test_round5_affection_kinds(lang: str, text: str, expected: bool) -> None:
    assert _one(text, lang)["affection"]["value"] is expected


@pytest.mark.parametrize(("lang", "text", "expected"), [
    # hearts or heart-eyes about a thing (food, places, objects, pets, TV) are not affection ...
    ("en", "the sunset from the pier tonight 😍", False), ("en", "new episode just dropped 😍😍", False),
    ("es", "qué rica la pizza de anoche ❤️", False), ("es", "el atardecer desde la terraza 😍", False),
    ("pt", "esse bolo de cenoura 😍", False), ("pt", "a praia hoje tá perfeita ❤️", False),
    ("de", "die torte von oma 😍", False), ("de", "was für ein sonnenuntergang ❤️", False),
    ("fr", "cette glace pistache 😍", False), ("fr", "la vue depuis le balcon ❤️", False),
    # ... unless the message speaks to the partner too
    ("en", "saving the last slice of pizza for you 😍", True), ("es", "esta playa contigo 😍", True),
    ("pt", "esse bolo é pra você ❤️", True), ("de", "der kuchen ist nur für dich ❤️", True),
    ("fr", "ce gâteau c'est pour toi ❤️", True),
])
def test_round6_hearts_about_things(lang: str, text: str, expected: bool) -> None:
    assert _one(text, lang)["affection"]["value"] is expected


@pytest.mark.parametrize(("lang", "text", "expected"), [
    # warmth without the usual words: "you make me ...", dreams, growing old together, smiling because of them
    ("en", "u make my heart do somersaults", True), ("en", "dreamt about you again lol", True),
    ("es", "contigo me haces muy feliz, lo sabes?", True), ("es", "quiero envejecer contigo, tontito", True),
    ("pt", "vc me faz tão bem, sabia?", True), ("pt", "sonhei contigo essa noite 🙈", True),
    ("de", "hab heut nacht von dir geträumt", True), ("de", "will mit dir alt werden", True),
    ("fr", "j'ai rêvé de toi toute la nuit", True), ("fr", "tu me rends tellement heureux tu sais", True),
    # chat spellings and stretched words
    ("en", "miss ur laugh so much", True), ("es", "te re extraño mi vida", True), ("pt", "te amuuuu", True),
    ("de", "liebe dichhh", True), ("fr", "jtmmm", True),
    # pet names
    ("es", "buenas, flaca", True), ("pt", "bom dia morzinho", True), ("de", "morgen schnuckelchen", True),
    ("fr", "bonne nuit ma caille", True),
    # taken back right after, a "te quiero" that asks for something, other people, a place loved
    ("en", "love you? haha no chance", False), ("es", "te echo de menos? no.", False),
    ("pt", "saudade de vc? não", False), ("de", "ich vermiss dich? nee, echt nicht", False),
    ("fr", "tu me manques ? non.", False), ("es", "te quiero preguntar una cosa del alquiler", False),
    ("en", "my friends adore you ❤️", False), ("fr", "mes potes t'adorent", False),
    ("pt", "que saudade do inverno", False), ("es", "ni te extrañé ni nada", False),
])
def test_round6_affection_kinds(lang: str, text: str, expected: bool) -> None:
    assert _one(text, lang)["affection"]["value"] is expected


@pytest.mark.parametrize(("lang", "question", "answer"), [
    # a vague time with a promise is still a put-off ("promise" alone no longer makes an answer committal)
    ("en", "when are you paying me back?", "soon, i promise"), ("es", "¿cuándo vienes?", "cuando pueda, te lo prometo"),
    ("pt", "quando vc vem?", "logo logo, prometo"), ("de", "wann kommst du?", "demnächst, versprochen"),
    ("fr", "tu viens quand ?", "bientôt, je promets"),
    # handing the choice back, in chat spelling
    ("en", "thai or pizza tonight?", "up to u tbh"), ("es", "¿playa o montaña?", "lo que tú veas mejor"),
    ("pt", "praia ou serra?", "eu alinho no que decidires"), ("de", "kino oder essen?", "wenn du willst"),
    ("fr", "plage ou montagne ?", "à toi de voir, franchement"),
    # a negated "sure" is not committal; "I'm getting to it"; a condition on remembering
    ("de", "kommst du mit zur hochzeit?", "bin mir nicht sicher"),
    ("en", "did you call the landlord?", "getting to it, chill"), ("es", "¿me traes pan?", "si me acuerdo, sí"),
])
def test_round6_evasive_kinds(lang: str, question: str, answer: str) -> None:
    assert _one(answer, lang, question)["noncommittal"]["value"] is True


@pytest.mark.parametrize(("lang", "question", "answer"), [
    # a plain no standing apart, then a reassurance: committal
    ("en", "are you upset with me?", "no, all good, just tired"), ("es", "¿estás enfadada?", "no, tranqui, estoy bien"),
    ("pt", "tá chateada comigo?", "não, tô bem, juro"), ("de", "bist du sauer?", "nein, alles gut, bin nur müde"),
    ("fr", "t'es fâché ?", "non, ça va, juste crevé"),
    # "not tonight" with a reason or another day is a plain no
    ("es", "¿cenamos hoy?", "hoy no, tengo turno de noche. el jueves?"),
])
def test_round6_committal(lang: str, question: str, answer: str) -> None:
    assert _one(answer, lang, question)["noncommittal"]["value"] is False


def test_round6_a_no_word_that_opens_a_non_answer_does_not_outweigh_it() -> None:
    assert _one("no te preocupes por eso", "es", "¿estás enfadado conmigo?")["noncommittal"]["value"] is True
    assert _one("ja ja, wenn der richtige moment kommt", "de", "sagst du es deinen eltern?")["noncommittal"]["value"]
