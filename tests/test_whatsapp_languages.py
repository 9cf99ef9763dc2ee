"""One fixture per UI language and phone, written by us, checked message by message.

Each fixture (tests/fixtures/whatsapp/lang/, rendered from ``UI`` below by running this file) tells the
same group story in the app's own words for that language: notices written as if by a person or by the
group (iPhone, with the U+200E mark after ``Name:``) or without an author (Android), media, deletions
(also by an admin), calls with and without duration, the edited marker, a contact card, a pinned
message, a person who only appears in notices, and people typing words that look like placeholders
("Null", "video call"). Run ``python tests/test_whatsapp_languages.py`` to rewrite the files after
changing ``UI``.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import pytest

from ebbtide.importers.whatsapp import IMPORTER

LANG_DIR = Path(__file__).parent / "fixtures" / "whatsapp" / "lang"
M = "\u200e"  # the mark an iPhone writes after 'Name: ' on the app's own lines

# The app's words per UI language (keys: see ``ios_story``/``android_story``).
UI: dict[str, dict[str, str]] = {
    "en": dict(
        enc="Messages and calls are end-to-end encrypted. Only people in this chat can read, listen to, or share them.",
        created="Alex created group “Lake trip”", added="Alex added Sam", image="image omitted",
        deleted="This message was deleted.", deleted_me="You deleted this message.",
        deleted_admin="This message was deleted by admin Alex.", missed=f"Missed voice call, {M}Tap to call back",
        call=f"Voice call, {M}12 min", failed=f"Call failed, {M}Try again", edited="<This message was edited>",
        contact="Contact card omitted", pinned="Alex pinned a message", contact_notice="Kim is a contact.",
        media_android="<Media omitted>", missed_android="Missed video call",
    ),
    "de": dict(
        enc="Nachrichten und Anrufe sind Ende-zu-Ende-verschlüsselt. Nur Personen in diesem Chat können sie lesen, "
        "anhören oder teilen.",
        created="Alex hat die Gruppe „Seeausflug“ erstellt.", added="Alex hat Sam hinzugefügt.", image="Bild weggelassen",
        deleted="Diese Nachricht wurde gelöscht.", deleted_me="Du hast diese Nachricht gelöscht.",
        deleted_admin="Diese Nachricht wurde von Admin Alex gelöscht.", missed="Verpasster Sprachanruf",
        call=f"Sprachanruf, {M}12 Min.", failed="Anruf fehlgeschlagen", edited="<Diese Nachricht wurde bearbeitet.>",
        contact="Kontaktkarte weggelassen", pinned="Alex hat eine Nachricht fixiert.",
        contact_notice="Kim ist ein Kontakt.", media_android="<Medien ausgeschlossen>",
        missed_android="Verpasster Videoanruf",
    ),
    "es": dict(
        enc="Los mensajes y las llamadas están cifrados de extremo a extremo. Nadie fuera de este chat, ni siquiera "
        "WhatsApp, puede leerlos ni escucharlos.",
        created="Alex creó el grupo “Viaje al lago”", added="Alex añadió a Sam", image="imagen omitida",
        deleted="Se eliminó este mensaje.", deleted_me="Eliminaste este mensaje.",
        deleted_admin="Este mensaje fue eliminado por el admin Alex.",
        missed=f"Llamada perdida. {M}Pulsar para volver a llamar", call=f"Llamada. {M}39 s",
        failed=f"Error en la llamada. {M}Reintentar", edited="<Se editó este mensaje.>",
        contact="Tarjeta de contacto omitida", pinned="Alex fijó un mensaje.", contact_notice="Kim es un contacto.",
        media_android="<Multimedia omitido>", missed_android="Llamada perdida",
    ),
    "pt": dict(
        enc="As mensagens e as chamadas são protegidas com a criptografia de ponta a ponta. Somente as pessoas "
        "nesta conversa podem ler, ouvir ou compartilhar esse conteúdo.",
        created="Alex criou o grupo “Passeio no lago”", added="Alex adicionou Sam", image="imagem ocultada",
        deleted="Mensagem apagada", deleted_me="Você apagou esta mensagem",
        deleted_admin="Mensagem apagada por um admin (você)", missed="Chamada de voz perdida",
        call=f"Chamada de voz, {M}12 min", failed="Falha na chamada", edited="<Mensagem editada>",
        contact="cartão de contato omitido", pinned="Alex fixou uma mensagem", contact_notice="Kim é um contato.",
        media_android="<Mídia omitida>", missed_android="Chamada de vídeo perdida",
    ),
    "fr": dict(
        enc="Les messages et les appels sont chiffrés de bout en bout. Seules les personnes de cette discussion "
        "peuvent les lire, les écouter ou les partager.",
        created="Alex a créé le groupe « Sortie au lac »", added="Alex a ajouté Sam", image="image absente",
        deleted="Ce message a été supprimé.", deleted_me="Vous avez supprimé ce message.",
        deleted_admin="Ce message a été supprimé par l’admin Alex.", missed="Appel vocal manqué",
        call=f"Appel vocal, {M}12 min", failed="Échec de l’appel", edited="<Ce message a été modifié>",
        contact="Fiche contact omise", pinned="Alex a épinglé un message.", contact_notice="Kim est un contact.",
        media_android="<Médias omis>", missed_android="Appel vidéo manqué",
    ),
    "it": dict(
        enc="I messaggi e le chiamate sono crittografati end-to-end. Solo le persone in questa chat possono "
        "leggerli, ascoltarli o condividerli.",
        created="Alex ha creato il gruppo “Gita al lago”", added="Alex ha aggiunto Sam", image="immagine omessa",
        deleted="Questo messaggio è stato eliminato.", deleted_me="Hai eliminato questo messaggio.",
        deleted_admin="Questo messaggio è stato eliminato dall’admin Alex.", missed="Chiamata vocale persa",
        call=f"Chiamata vocale, {M}12 min", failed="Chiamata non riuscita",
        edited="<Questo messaggio è stato modificato>", contact="scheda contatto omessa",
        pinned="Alex ha fissato un messaggio.", contact_notice="Kim è un contatto.", media_android="<Media omessi>",
        missed_android="Videochiamata persa",
    ),
    "nl": dict(
        enc="Berichten en gesprekken zijn end-to-end versleuteld. Alleen mensen in deze chat kunnen ze lezen, "
        "beluisteren of delen.",
        created="Alex heeft groep “Meertocht” aangemaakt", added="Alex heeft Sam toegevoegd",
        image="afbeelding weggelaten", deleted="Dit bericht is verwijderd.", deleted_me="Je hebt dit bericht verwijderd.",
        deleted_admin="Dit bericht is verwijderd door beheerder Alex.", missed="Gemiste spraakoproep",
        call=f"Spraakoproep, {M}12 min", failed="Oproep mislukt", edited="<Dit bericht is bewerkt>",
        contact="contactkaart weggelaten", pinned="Alex heeft een bericht vastgezet.",
        contact_notice="Kim is een contact.", media_android="<Media weggelaten>", missed_android="Gemiste video-oproep",
    ),
    "tr": dict(
        enc="Mesajlar ve aramalar uçtan uca şifrelidir. Bu sohbetin dışında bulunan hiç kimse, WhatsApp bile, "
        "bunları okuyamaz ve dinleyemez.",
        created="Alex “Göl gezisi” grubunu oluşturdu", added="Alex, Sam kişisini ekledi", image="görüntü dahil edilmedi",
        deleted="Bu mesaj silindi.", deleted_me="Bu mesajı sildiniz.",
        deleted_admin="Bu mesaj yönetici Alex tarafından silindi.", missed="Cevapsız sesli arama",
        call=f"Sesli arama, {M}12 dk", failed="Arama başarısız", edited="<Bu mesaj düzenlendi>",
        contact="Kişi kartı dahil edilmedi", pinned="Alex bir mesajı sabitledi.", contact_notice="Kim bir kişidir.",
        media_android="<Medya dahil edilmedi>", missed_android="Cevapsız görüntülü arama",
    ),
    "id": dict(
        enc="Pesan dan panggilan terenkripsi secara end-to-end. Tidak seorang pun di luar chat ini, termasuk "
        "WhatsApp, yang dapat membaca atau mendengarkannya.",
        created="Alex membuat grup “Jalan ke danau”", added="Alex menambahkan Sam", image="gambar tidak disertakan",
        deleted="Pesan ini telah dihapus", deleted_me="Anda menghapus pesan ini",
        deleted_admin="Pesan ini dihapus oleh admin Alex", missed="Panggilan suara tak terjawab",
        call=f"Panggilan suara, {M}12 mnt", failed="Panggilan gagal", edited="<Pesan ini telah diedit>",
        contact="kartu kontak tidak disertakan", pinned="Alex menyematkan pesan", contact_notice="Kim adalah kontak.",
        media_android="<Media tidak disertakan>", missed_android="Panggilan video tak terjawab",
    ),
    "ru": dict(
        enc="Сообщения и звонки защищены сквозным шифрованием. Никто вне этого чата, даже WhatsApp, не может их "
        "прочитать или прослушать.",
        created="Alex создал(а) группу «Поездка на озеро»", added="Alex добавил(а) Sam", image="изображение отсутствует",
        deleted="Данное сообщение удалено.", deleted_me="Вы удалили данное сообщение.",
        deleted_admin="Это сообщение удалено администратором Alex.", missed="Пропущенный аудиозвонок",
        call=f"Аудиозвонок, {M}12 мин", failed="Звонок не удался", edited="<Сообщение изменено>",
        contact="карточка контакта отсутствует", pinned="Alex закрепил(а) сообщение.",
        contact_notice="Kim — ваш контакт.", media_android="<Без медиафайлов>", missed_android="Пропущенный видеозвонок",
    ),
    "ar": dict(
        enc="الرسائل والمكالمات مشفرة تمامًا بين الطرفين. لا أحد خارج هذه الدردشة، ولا حتى واتساب، يمكنه قراءتها "
        "أو الاستماع إليها.",
        created="Alex أنشأ المجموعة “رحلة البحيرة”", added="Alex أضاف Sam", image="تم استبعاد الصورة",
        deleted="تم حذف هذه الرسالة", deleted_me="لقد حذفت هذه الرسالة",
        deleted_admin="تم حذف هذه الرسالة بواسطة المشرف Alex", missed="مكالمة صوتية فائتة",
        call=f"مكالمة صوتية، {M}12 د", failed="فشلت المكالمة", edited="<تم تعديل هذه الرسالة>",
        contact="تم استبعاد بطاقة جهة الاتصال", pinned="Alex ثبّت رسالة", contact_notice="Kim جهة اتصال.",
        media_android="<تم استبعاد الوسائط>", missed_android="مكالمة فيديو فائتة",
    ),
    "hi": dict(
        enc="मैसेज और कॉल एंड-टू-एंड एन्क्रिप्टेड हैं. इस चैट के बाहर कोई भी, यहां तक कि WhatsApp भी, उन्हें पढ़ या सुन "
        "नहीं सकता.",
        created="Alex ने ग्रुप “झील यात्रा” बनाया", added="Alex ने Sam को जोड़ा", image="इमेज शामिल नहीं है",
        deleted="यह मैसेज हटा दिया गया था", deleted_me="आपने यह मैसेज हटा दिया",
        deleted_admin="यह मैसेज एडमिन Alex ने हटा दिया", missed="मिस्ड वॉइस कॉल", call=f"वॉइस कॉल, {M}12 मिनट",
        failed="कॉल नहीं हो सका", edited="<यह मैसेज एडिट किया गया था>", contact="संपर्क कार्ड शामिल नहीं है",
        pinned="Alex ने मैसेज पिन किया", contact_notice="Kim एक संपर्क है.", media_android="<मीडिया के बिना>",
        missed_android="मिस्ड वीडियो कॉल",
    ),
}
UNKNOWN_NOTICE = "Alex amemwongeza Sam"  # a notice in a language we have no words for (Swahili)


def ios_story(ui: dict[str, str]) -> list[tuple[str, str, str, str, bool]]:
    """(who wrote the line, sender expected, kind, text expected, edited) in file order."""
    return [
        ("Lake trip", "", "system", ui["enc"], False),
        ("Lake trip", "", "system", ui["created"], False),
        ("Sam", "", "system", ui["added"], False),
        ("Alex", "Alex", "text", "hello all", False),
        ("Sam", "Sam", "media", ui["image"], False),
        ("Alex", "Alex", "deleted", ui["deleted"], False),
        ("Sam", "Sam", "deleted", ui["deleted_me"], False),
        ("Alex", "Alex", "deleted", ui["deleted_admin"], False),
        ("Sam", "Sam", "call", ui["missed"], False),
        ("Alex", "Alex", "call", ui["call"], False),
        ("Sam", "Sam", "call", ui["failed"], False),
        ("Sam", "Sam", "text", "see you at 8", True),
        ("Alex", "Alex", "other", ui["contact"], False),
        ("Alex", "", "system", ui["pinned"], False),
        ("Kim", "", "system", ui["contact_notice"], False),
        ("Alex", "Alex", "text", "Null", False),
        ("Sam", "Sam", "text", "video call", False),
        ("Sam", "", "system", UNKNOWN_NOTICE, False),
    ]


def android_story(ui: dict[str, str]) -> list[tuple[str, str, str, str, bool]]:
    return [
        ("", "", "system", ui["enc"], False),
        ("", "", "system", ui["created"], False),
        ("Alex", "Alex", "text", "hello all", False),
        ("Sam", "Sam", "media", ui["media_android"], False),
        ("Alex", "Alex", "deleted", ui["deleted"], False),
        ("Sam", "Sam", "deleted", ui["deleted_me"], False),
        ("Alex", "Alex", "call", ui["missed_android"], False),
        ("Sam", "Sam", "text", "see you at 8", True),
        ("Alex", "Alex", "media", "null", False),
        ("Sam", "Sam", "text", "Null", False),
        ("Alex", "Alex", "text", "video call", False),
        ("", "", "system", ui["added"], False),  # written late by the app: out of time order
        ("Sam", "Sam", "text", "bye", False),
    ]


def times(n: int, *, late_at: int | None = None) -> list[datetime]:
    out = [datetime(2024, 3, 14 + i // 6, 18, 5 + i, 30) for i in range(n)]
    if late_at is not None:
        out[late_at] = datetime(2024, 3, 20, 9, 0, 30)
    return out


def render(lang: str, phone: str) -> str:
    ui = UI[lang]
    if phone == "ios":
        story = ios_story(ui)
        lines = []
        for (who, _, kind, text, edited), t in zip(story, times(len(story)), strict=True):
            stamp = f"[{t:%d.%m.%y}, {t:%H:%M:%S}]"
            typed = kind == "text"
            body = f"{text} {M}{ui['edited']}" if edited else text if typed else M + text
            lines.append(f"{M if not typed else ''}{stamp} {who}: {body}")
        return "\r\n".join(lines) + "\r\n"
    story = android_story(ui)
    lines = []
    for (who, _, _, text, edited), t in zip(story, times(len(story), late_at=11), strict=True):
        body = f"{text} {ui['edited']}" if edited else text
        lines.append(f"{t:%d/%m/%Y}, {t:%H:%M} - " + (f"{who}: " if who else "") + body)
    return "\n".join(lines) + "\n"


CASES = [(lang, phone) for lang in UI for phone in ("ios", "android")]


@pytest.mark.parametrize(("lang", "phone"), CASES)
def test_fixture_is_current(lang: str, phone: str) -> None:
    path = LANG_DIR / f"{phone}_{lang}.txt"
    assert path.read_bytes().decode("utf-8") == render(lang, phone), "run python tests/test_whatsapp_languages.py"


@pytest.mark.parametrize(("lang", "phone"), CASES)
def test_every_class_is_read_in_every_language(lang: str, phone: str) -> None:
    path = LANG_DIR / f"{phone}_{lang}.txt"
    parsed = IMPORTER.read(path)
    story = (ios_story if phone == "ios" else android_story)(UI[lang])
    stamps = times(len(story), late_at=None if phone == "ios" else 11)
    got = [(r["timestamp"], r["sender"], r["kind"], r["text"], r["edited"]) for r in parsed.messages.iter_rows(named=True)]
    want = [
        (t if phone == "ios" else t.replace(second=0), sender, kind, text, edited)
        for (_, sender, kind, text, edited), t in zip(story, stamps, strict=True)
    ]
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g == w
    # senders are people: the group's name and Kim (only in notices) never are
    assert parsed.report.participants == ("Alex", "Sam")
    assert parsed.report.me == "Sam"  # 'You deleted this message' is the exporter's own line
    assert parsed.report.date_order_decided


if __name__ == "__main__":
    LANG_DIR.mkdir(parents=True, exist_ok=True)
    for lang, phone in CASES:
        (LANG_DIR / f"{phone}_{lang}.txt").write_bytes(render(lang, phone).encode("utf-8"))
    sys.exit(0)
