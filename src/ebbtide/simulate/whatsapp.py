"""Write a canonical frame as a WhatsApp "Export chat" text file (for the demo and importer tests).

The output copies what real exports look like (formats.md §1): one header per message, continuation
lines without a header, placeholders for media and deleted messages, the encryption notice first.
Android exports have minute precision, so seconds are dropped there, as the phone would.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ebbtide.model import MessageKind

ENCRYPTION_NOTICE = (
    "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, "
    "can read or listen to them. Tap to learn more."
)

# dialect -> how headers, placeholders and line ends are written (``{stamp}``: strftime of ``stamp``)
DIALECTS: dict[str, dict[str, str]] = {
    "android_en_gb": {
        "stamp": "%d/%m/%Y, %H:%M",
        "person": "{stamp} - {sender}: ",
        "system": "{stamp} - ",
        "media": "<Media omitted>",
        "deleted": "This message was deleted",
        "my_deleted": "You deleted this message",
        "edited": " <This message was edited>",
        "newline": "\n",
    },
    "android_en_us": {
        "stamp": "%-m/%-d/%y, %-I:%M\u202f%p",
        "person": "{stamp} - {sender}: ",
        "system": "{stamp} - ",
        "media": "<Media omitted>",
        "deleted": "This message was deleted",
        "my_deleted": "You deleted this message",
        "edited": " <This message was edited>",
        "newline": "\n",
    },
    "ios_en_gb": {
        "stamp": "%d/%m/%Y, %H:%M:%S",
        "person": "[{stamp}] {sender}: ",
        "system": "[{stamp}] ",
        "media": "\u200eimage omitted",
        "deleted": "\u200eThis message was deleted.",
        "my_deleted": "\u200eYou deleted this message.",
        "edited": " \u200e<This message was edited>",
        "newline": "\r\n",
    },
}


def format_whatsapp(messages: pl.DataFrame, *, dialect: str = "android_en_gb", me: str | None = None) -> str:
    """The export text for ``messages`` (canonical frame, any platform), vectorised with Polars.

    ``me``: the exporting user's name; their deleted messages read "You deleted this message".
    An encryption notice is written first, as in real exports.
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown WhatsApp dialect '{dialect}'; choose one of {sorted(DIALECTS)}")
    d = DIALECTS[dialect]
    if messages.height == 0:
        return ""
    frame = messages.sort("timestamp", maintain_order=True)
    stamp = pl.col("timestamp").dt.strftime(d["stamp"])
    person_head = pl.format(
        d["person"].replace("{stamp}", "{}").replace("{sender}", "{}"), stamp, pl.col("sender")
    )
    system_head = pl.format(d["system"].replace("{stamp}", "{}"), stamp)
    kind = pl.col("kind")
    mine = pl.lit(me is not None) & (pl.col("sender") == pl.lit(me or ""))
    body = (
        pl.when(kind == MessageKind.MEDIA.value)
        .then(pl.lit(d["media"]))
        .when((kind == MessageKind.DELETED.value) & mine)
        .then(pl.lit(d["my_deleted"]))
        .when(kind == MessageKind.DELETED.value)
        .then(pl.lit(d["deleted"]))
        .otherwise(pl.col("text"))
    )
    body = pl.when(pl.col("edited")).then(body + pl.lit(d["edited"])).otherwise(body)
    head = (
        pl.when((pl.col("sender") == "") | (kind == MessageKind.SYSTEM.value))
        .then(system_head)
        .otherwise(person_head)
    )
    nl = d["newline"]
    lines = frame.select((head + body.str.replace_all("\n", nl, literal=True)).alias("line"))["line"]
    first = frame["timestamp"][0]
    notice_stamp = pl.Series([first]).dt.strftime(d["stamp"])[0]
    if dialect.startswith("ios"):
        other = next((s for s in frame["sender"].unique(maintain_order=True) if s and s != me), "")
        notice = d["person"].format(stamp=notice_stamp, sender=other) + "\u200e" + ENCRYPTION_NOTICE
    else:
        notice = d["system"].format(stamp=notice_stamp) + ENCRYPTION_NOTICE
    return nl.join([notice, *lines.to_list()]) + nl


def write_whatsapp_export(
    messages: pl.DataFrame, path: str | Path, *, dialect: str = "android_en_gb", me: str | None = None
) -> Path:
    """Write ``messages`` as a WhatsApp export file at ``path`` (UTF-8, no BOM); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(format_whatsapp(messages, dialect=dialect, me=me))
    return path
