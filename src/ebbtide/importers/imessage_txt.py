"""iMessage conversations as text written by imessage-exporter (``--format txt``), one file a chat."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from ebbtide.errors import NotAChatExport
from ebbtide.importers._build import (
    build_frame,
    capabilities,
    read_lines_text,
    wrap_errors,
)
from ebbtide.importers.imessage import _FIX, _TXT_HEADER, IMPORTER, ME, _txt_is_export
from ebbtide.model import MessageKind, ParsedExport

_TXT_REACTION = re.compile(r"^(?:Loved|Liked|Disliked|Laughed at|Emphasized|Questioned|Reacted .+?) by |^Sticker from ")
_TXT_DROP = ("This message responded to an earlier message.",)
_TXT_DELETED = "This message was deleted from the conversation!"
_TXT_ATTACHMENT = re.compile(r"^(?:/|~/).+\.[A-Za-z0-9]{2,5}$|^Attachment missing!$")


def _txt_message(body: list[str]) -> tuple[str, str]:
    """(kind, text) of one imessage-exporter message body (reactions, notes and files removed)."""
    kept: list[str] = []
    in_reactions = has_file = False
    for line in body:
        stripped = line.strip()
        if stripped == "Reactions:":
            in_reactions = True
            continue
        if in_reactions and (line.startswith(" ") or _TXT_REACTION.match(stripped) or not stripped):
            continue
        in_reactions = False
        if stripped in _TXT_DROP or stripped.startswith("Sent with "):
            continue
        if _TXT_ATTACHMENT.match(stripped):
            has_file = True
            continue
        kept.append(line)
    text = "\n".join(kept).strip("\n")
    if text.strip() == _TXT_DELETED:
        return MessageKind.DELETED.value, ""
    if text.strip():
        return MessageKind.TEXT.value, text
    return (MessageKind.MEDIA.value if has_file else MessageKind.OTHER.value), ""


@wrap_errors("imessage-exporter text", _FIX)
def read_imessage_exporter_txt(path: Path | str) -> ParsedExport:
    """One chat file written by imessage-exporter's ``-f txt`` (local times, replies inline).

    Each message: a date line (``May 17, 2022  5:29:42 PM``, optionally ``(Read by ...)``), the
    sender (``Me`` or the contact), the body; a date line followed by text on the same line is an
    announcement (group renamed...). Replies are written indented inside the message they answer;
    they are read as messages of their own. Tapbacks under ``Reactions:`` are dropped.
    """
    path = Path(path)
    where = str(path)
    text = read_lines_text(path, where).lstrip("\ufeff")
    lines = text.replace("\r\n", "\n").split("\n")
    if not _txt_is_export(text[:4096]):
        raise NotAChatExport("this is not an imessage-exporter text file", where=f"{where}:1", fix=_FIX)
    starts = [i for i, ln in enumerate(lines) if _TXT_HEADER.match(ln)]
    times: list[datetime] = []
    senders: list[str] = []
    texts: list[str] = []
    kinds: list[str] = []
    line_nos: list[int] = []
    for n, start in enumerate(starts):
        m = _TXT_HEADER.match(lines[start])
        if m is None:  # cannot happen: starts are header lines
            continue
        indent, stamp, rest = len(m.group(1)), m.group(2), m.group(3) or ""
        when = datetime.strptime(re.sub(" +", " ", stamp), "%b %d, %Y %I:%M:%S %p")
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        block = [ln[indent:] if ln[:indent].isspace() else ln for ln in lines[start + 1 : end]]
        if rest and not rest.startswith("("):
            times.append(when)
            senders.append("")
            texts.append(rest)
            kinds.append(MessageKind.SYSTEM.value)
        elif block:
            kind, content = _txt_message(block[1:])
            times.append(when)
            senders.append(block[0].strip())
            texts.append(content)
            kinds.append(kind)
        else:
            continue
        line_nos.append(start + 1)
    if not times:
        raise NotAChatExport("no messages found", where=where, fix=_FIX)
    frame = build_frame(timestamp=times, sender=senders, text=texts, kind=kinds, source_line=line_nos,
                        platform=IMPORTER.platform, conversation_id=f"imessage:{path.stem}", source_file=where)
    return IMPORTER.result(frame, source_file=where, dialect="imessage-exporter text, local time without offset",
                           me=ME if ME in senders else None,
                           capabilities=capabilities(reactions=True, replies=True, read_times=True))
