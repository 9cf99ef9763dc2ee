"""Android SMS/MMS from "SMS Backup & Restore" (SyncTech) XML: ``<smses><sms …/><mms …>…</mms></smses>``.

Why it looks like this:
- backups with pictures are huge (base64 ``data=`` attributes, often 1 GB+), so the file is streamed
  through :class:`_CleanReader`, which drops ``data="…"`` blobs before the parser sees them and
  rewrites surrogate-pair character references (``&#55357;&#56832;``, written by some Android
  versions and by Signal/Silence exports of this format) into real code points — strict XML parsers
  reject those references;
- parsing uses expat's callbacks straight into column lists (no element tree), then Polars;
- a backup holds every conversation on the phone. We read one: the contact named in ``EBBTIDE_CHAT``
  (name or phone number), or the only one there is; with several, we stop and list the busiest.

Time: ``date`` is UTC epoch milliseconds, so ``timestamp`` is the UTC wall clock, ``utc_offset_min`` 0.
Me: ``type`` 2 (sent) / ``msg_box`` 2; the format has no name for the phone's owner, we call them "Me".
Drafts (type 3) and failed sends (type 5) never reached the other person and are skipped (counted).
iPhone reactions arriving as SMS text (``Loved “…”``) are typed ``other``.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.parsers import expat

import polars as pl

from ebbtide.counts import counted
from ebbtide.errors import NotAChatExport, UnreadableInput
from ebbtide.importers._build import first_bad, plain_reason, several_chats, utc_ms_columns
from ebbtide.importers._columns import build_frame, chosen_chat
from ebbtide.importers.base import Importer
from ebbtide.importers.sms_stream import _CleanReader
from ebbtide.model import DateOrder, MessageKind, ParsedExport, Platform

ME = "Me"
_SNIFF_BYTES = 4096
_NOT_A_BACKUP = "This does not look like an SMS Backup & Restore file; make a new backup and try again."

_TAPBACK = re.compile(
    r"^(?:Loved|Liked|Disliked|Laughed at|Emphasized|Questioned|Removed an? \w+ from) “.*”\s*$", re.DOTALL
)
TEXT, MEDIA, OTHER = MessageKind.TEXT.value, MessageKind.MEDIA.value, MessageKind.OTHER.value


@dataclass(slots=True)
class _Cols:
    ts: list[int] = field(default_factory=list)
    who: list[str] = field(default_factory=list)  # the other party's address (conversation key source)
    mine: list[bool] = field(default_factory=list)
    name: list[str] = field(default_factory=list)  # contact_name as written
    frm: list[str] = field(default_factory=list)  # who sent it (MMS addr type 137; the address for SMS)
    text: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    line: list[int] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    roots: list[str] = field(default_factory=list)
    fast: list[pl.DataFrame] = field(default_factory=list)  # bulk-read <sms/> lines (see _sms_lines)


_SKIP_TYPES = {"3": "drafts", "5": "failed sends"}


def _text_kind(body: str) -> str:
    return OTHER if body.startswith(("Loved", "Liked", "Disliked", "Laughed", "Emphasized", "Questioned",
                                     "Removed")) and _TAPBACK.match(body) else TEXT


# One complete, well-formed ``<sms …/>`` element on its own line: how SMS Backup & Restore writes
# them. Such lines are read by Polars in bulk; everything else (MMS, other layouts) goes to expat,
# with those lines blanked so expat's line numbers stay right.
_SMS_LINE = r'^\s*<sms(?:\s+[\w:.-]+\s*=\s*"[^"<]*")*\s*/>\s*$'
_XML_REF = re.compile(r"&(#\d+|#[xX][0-9a-fA-F]+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_FAST_CHUNK = 4 << 20


def _ref(m: re.Match[str]) -> str:
    name = m.group(1)
    if name in _NAMED:
        return _NAMED[name]
    try:
        return chr(int(name[2:], 16) if name[1] in "xX" else int(name[1:]))
    except (ValueError, OverflowError):
        return "\ufffd"


def _unescape(values: pl.Series) -> pl.Series:
    """XML attribute unescaping: vectorised for the usual entities, on the rows that hold a '&' only;
    rows with other numeric references (rare once the surrogate pairs are repaired) are done in Python."""
    where = values.str.contains("&", literal=True).fill_null(False).arg_true()
    if where.len() == 0:
        return values
    todo = values.gather(where)
    for ref, char in (("&#10;", "\n"), ("&#13;", "\r"), ("&#9;", "\t")):
        todo = todo.str.replace_all(ref, char, literal=True)
    odd = todo.str.contains("&#", literal=True).fill_null(False)
    simple = todo
    for ref, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&")):
        simple = simple.str.replace_all(ref, char, literal=True)
    if odd.any():
        rows = odd.arg_true()
        fixed = [_XML_REF.sub(_ref, v) for v in todo.gather(rows).to_list()]
        simple = simple.scatter(rows, pl.Series(fixed, dtype=pl.String))
    return values.clone().scatter(where, simple)


def _attr(name: str) -> pl.Expr:
    return pl.col("l").str.extract(rf'[ \t\r\n]{name}[ \t]*=[ \t]*"([^"]*)"', 1)


def _utf8_lines(chunk: bytes) -> pl.Series | None:
    """The chunk's lines as a Polars string column (Rust checks the UTF-8: no Python ``str`` is made),
    or None when the bytes are not valid UTF-8 (expat then reports where)."""
    try:
        return pl.Series("l", [chunk], dtype=pl.Binary).cast(pl.String).str.split("\n").explode()
    except pl.exceptions.ComputeError:
        return None


def _sms_lines(lines: pl.Series, chunk: bytes, first_line: int) -> tuple[pl.DataFrame | None, bytes]:
    """(rows of the full-line <sms/> elements among ``lines``, ``chunk`` with those lines blanked)."""
    # cheap structural test first; the full attribute-syntax regex only on the candidates
    mask = (lines.str.strip_chars_start(" \t\r").str.starts_with("<sms ") & lines.str.ends_with("/>")
            & (lines.str.count_matches("<", literal=True) == 1))
    if mask.any():  # the full attribute-syntax check only where a quote could hide a '/>'
        odd = mask & (lines.str.count_matches('"', literal=True) % 2 == 1)
        if odd.any():
            mask = mask & lines.str.contains(_SMS_LINE)
    if not mask.any():
        return None, chunk
    found = pl.DataFrame({"l": lines, "line": pl.int_range(first_line, first_line + len(lines), eager=True)}).filter(mask)
    rows = found.select(
        _attr("date").alias("date"), _attr("type").fill_null("1").alias("type"),
        _attr("address").fill_null("").alias("who"), _attr("contact_name").fill_null("").alias("name"),
        _attr("body").fill_null("").alias("body"), pl.col("line").cast(pl.Int64),
    )
    rows = rows.with_columns(*(_unescape(rows.get_column(c)).alias(c) for c in ("body", "who", "name")))
    blanked = pl.select(pl.when(mask).then(pl.lit("")).otherwise(lines)).to_series().str.join("\n")
    return rows, blanked.cast(pl.Binary).item()


def _finish_fast(parts: list[pl.DataFrame], cols: _Cols, where: str) -> pl.DataFrame | None:
    """The bulk-read SMS rows as frame columns (the expat rows are added by the caller)."""
    if not parts:
        return None
    rows = pl.concat(parts)
    ts = rows.get_column("date").cast(pl.Int64, strict=False)
    if (i := first_bad(ts.is_null())) is not None:
        raise UnreadableInput(f"a message has no readable 'date' ({rows.item(i, 'date')!r})",
                              where=f"{where}, line {rows.item(i, 'line')}", fix=_NOT_A_BACKUP)
    rows = rows.with_columns(ts=ts)
    for code, label in _SKIP_TYPES.items():
        n = int((rows.get_column("type") == code).sum())
        if n:
            cols.skipped[label] += n
    rows = rows.filter(~pl.col("type").is_in(list(_SKIP_TYPES)))
    body = pl.when(pl.col("body") == "null").then(pl.lit("")).otherwise(pl.col("body"))
    return rows.select(
        pl.col("ts"), pl.col("who"), pl.col("who").alias("frm"), (pl.col("type") != "1").alias("mine"),
        pl.col("name"), body.alias("text"),
        pl.when(body == "").then(pl.lit(OTHER)).when(body.str.contains("(?s)" + _TAPBACK.pattern))
        .then(pl.lit(OTHER)).otherwise(pl.lit(TEXT)).alias("kind"),
        pl.col("line"),
    )


def _parse(stream: _CleanReader, where: str) -> _Cols:
    cols = _Cols()
    parser = expat.ParserCreate()
    parser.buffer_text = True
    mms: dict[str, object] = {}
    ts_a, who_a, mine_a, name_a = cols.ts.append, cols.who.append, cols.mine.append, cols.name.append
    text_a, kind_a, line_a, frm_a = cols.text.append, cols.kind.append, cols.line.append, cols.frm.append

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "sms":
            kind_type = attrs.get("type", "1")
            if kind_type in _SKIP_TYPES:
                cols.skipped[_SKIP_TYPES[kind_type]] += 1
                return
            body = attrs.get("body", "")
            if body == "null":
                body = ""
            ts_a(int(attrs["date"]))
            who_a(attrs.get("address", ""))
            frm_a(attrs.get("address", ""))
            mine_a(kind_type != "1")
            name_a(attrs.get("contact_name", ""))
            text_a(body)
            kind_a(_text_kind(body) if body else OTHER)
            line_a(parser.CurrentLineNumber)
        elif tag == "mms":
            mms.clear()
            mms.update(attrs=attrs, line=parser.CurrentLineNumber, texts=[], media=0, sender="")
        elif tag == "part" and mms:
            ct = attrs.get("ct", "")
            if ct == "text/plain":
                t = attrs.get("text", "")
                if t and t != "null":
                    mms["texts"].append(t)  # type: ignore[attr-defined]
            elif ct != "application/smil":
                mms["media"] = int(mms["media"]) + 1  # type: ignore[call-overload]
        elif tag == "addr" and mms and attrs.get("type") == "137":
            mms["sender"] = attrs.get("address", "")
        elif not cols.roots:
            cols.roots.append(tag)

    def end(tag: str) -> None:
        if tag != "mms" or not mms:
            return
        attrs: dict[str, str] = mms["attrs"]  # type: ignore[assignment]
        box = attrs.get("msg_box", "1")
        if box in ("3", "5"):
            cols.skipped["drafts" if box == "3" else "failed sends"] += 1
            mms.clear()
            return
        body = "\n".join(mms["texts"])  # type: ignore[arg-type]
        ts_a(int(attrs["date"]))
        who_a(attrs.get("address", ""))
        frm_a(str(mms["sender"]) or attrs.get("address", ""))
        mine_a(box != "1")
        name_a(attrs.get("contact_name", ""))
        text_a(body)
        kind_a(_text_kind(body) if body else (MEDIA if mms["media"] else OTHER))
        line_a(int(mms["line"]))  # type: ignore[call-overload]
        mms.clear()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    line_no = 1
    try:
        while chunk := stream.read(_FAST_CHUNK):
            lines = _utf8_lines(chunk)
            if lines is None:
                parser.Parse(chunk, False)  # expat reports the bad bytes with their line
                line_no += chunk.count(b"\n")
                continue
            found, rest = _sms_lines(lines, chunk, line_no)
            line_no += chunk.count(b"\n")
            if found is not None:
                cols.fast.append(found)
            parser.Parse(rest, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise UnreadableInput(
            "the XML is broken here (cut short, or holding characters XML does not allow)",
            where=f"{where}, line {exc.lineno}",
            fix="The backup may be cut short; make a new backup with SMS Backup & Restore and try again.",
        ) from exc
    except (KeyError, ValueError) as exc:
        raise UnreadableInput(
            "a message has no readable 'date'",
            where=f"{where}, line {parser.CurrentLineNumber}",
            fix=_NOT_A_BACKUP,
        ) from exc
    return cols


def _key_expr(col: str) -> pl.Expr:
    """Phone numbers compared by their last 10 digits (+1 555…, 555-…, 0555… are one person);
    group MMS addresses (``a~b``) become the sorted set of their members."""
    parts = pl.col(col).str.split("~").list.eval(
        pl.when(pl.element().str.replace_all(r"\D", "").str.len_chars() >= 5)
        .then(pl.element().str.replace_all(r"\D", "").str.slice(-10))
        .otherwise(pl.element().str.to_lowercase().str.strip_chars())
    )
    return parts.list.sort().list.join("~")


def _pick(frame: pl.DataFrame, where: str) -> str:
    """The conversation key to read (see module docstring)."""
    convs = (
        frame.group_by("key")
        .agg(pl.len().alias("n"), pl.col("name").filter(pl.col("name").is_in(["", "null", "(Unknown)"]).not_())
             .mode().first().alias("contact"), pl.col("who").first())
        .sort(["n", "key"], descending=[True, False])
    )
    wanted = chosen_chat()
    if wanted:
        digits = re.sub(r"\D", "", wanted)
        hit = convs.filter(
            (pl.col("contact").str.to_lowercase() == wanted.casefold())
            | ((pl.lit(len(digits) >= 5)) & (pl.col("key") == digits[-10:]))
        )
        if hit.height >= 1:
            return str(hit.item(0, "key"))
    elif convs.height == 1:
        return str(convs.item(0, "key"))
    rows = list(convs.iter_rows(named=True))
    chats = [(r["contact"] or r["who"], f"{r['contact'] or '(no name)'} ({r['who']}): {counted(r['n'], 'message')}") for r in rows]
    raise several_chats("SMS", where, chats, wanted, "conversation")


def _open(path: Path) -> tuple[IO[bytes], str]:
    """The raw XML stream (a plain file, or the one .xml inside a zip) and its display name."""
    if zipfile.is_zipfile(path):
        zf = zipfile.ZipFile(path)
        members = [n for n in zf.namelist() if n.lower().endswith(".xml") and not n.startswith("__MACOSX")]
        if len(members) != 1:
            raise NotAChatExport(f"this zip holds {len(members)} XML files", where=str(path),
                                 fix="Unzip it and point at the sms-….xml backup file.")
        return zf.open(members[0]), f"{path}:{members[0]}"
    return path.open("rb"), str(path)


def _head(path: Path) -> bytes:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            members = [n for n in zf.namelist() if n.lower().endswith(".xml") and not n.startswith("__MACOSX")]
            if len(members) != 1:
                return b""
            with zf.open(members[0]) as fh:
                return fh.read(_SNIFF_BYTES)
    with path.open("rb") as fh:
        return fh.read(_SNIFF_BYTES)


class SmsImporter(Importer):
    platform = Platform.SMS
    description = "Android SMS/MMS backup from 'SMS Backup & Restore' (sms-….xml)"

    def looks_like(self, path: Path) -> bool:
        return path.is_file() and re.search(rb"<smses[\s>]", _head(path)) is not None

    def parse(self, path: Path, date_order: DateOrder | None) -> ParsedExport:
        try:
            raw, name = _open(path)
        except (OSError, zipfile.BadZipFile, RuntimeError) as exc:
            raise UnreadableInput(plain_reason(exc), where=str(path),
                                  fix="Check the file is complete and readable.") from exc
        try:
            with raw:
                cols = _parse(_CleanReader(raw), name)
        except (OSError, zipfile.BadZipFile, EOFError, RuntimeError) as exc:
            raise UnreadableInput(plain_reason(exc), where=name,
                                  fix="Check the file is complete and readable.") from exc
        if cols.roots and cols.roots[0] != "smses":
            raise NotAChatExport(f"this XML is a <{cols.roots[0]}> file, not an SMS backup", where=name,
                                 fix="Point at the sms-….xml file (calls-….xml holds only the call log).")
        slow = pl.DataFrame({
            "ts": pl.Series(cols.ts, dtype=pl.Int64), "who": pl.Series(cols.who, dtype=pl.String),
            "frm": pl.Series(cols.frm, dtype=pl.String), "mine": pl.Series(cols.mine, dtype=pl.Boolean),
            "name": pl.Series(cols.name, dtype=pl.String), "text": pl.Series(cols.text, dtype=pl.String),
            "kind": pl.Series(cols.kind, dtype=pl.String), "line": pl.Series(cols.line, dtype=pl.Int64),
        })
        fast = _finish_fast(cols.fast, cols, name)
        frame = pl.concat([fast, slow]).sort("line", maintain_order=True) if fast is not None else slow
        if frame.height == 0:
            raise NotAChatExport("this SMS backup holds no messages", where=name,
                                 fix="Back up messages (not only calls) with SMS Backup & Restore and try again.")
        # few distinct addresses: compute each one's key once, then map (a list.eval per message is slow)
        who = frame.select(pl.col("who").unique()).with_columns(key=_key_expr("who"))
        frame = frame.join(who, on="who", how="left", maintain_order="left")
        key = _pick(frame, name)
        chat = frame.filter(pl.col("key") == key).sort("ts", maintain_order=True)
        names = chat.filter(~pl.col("mine") & ~pl.col("name").is_in(["", "null", "(Unknown)"]))
        contact = str(names.get_column("name").mode().sort().first()) if names.height else ""
        is_group = "~" in key
        partner = contact if contact and not is_group else str(chat.item(0, "who"))
        sender = (pl.when(pl.col("mine")).then(pl.lit(ME))
                  .otherwise(pl.col("frm") if is_group else pl.lit(partner)).alias("sender"))
        chat = chat.with_columns(sender)
        out = build_frame(**utc_ms_columns(chat), platform=self.platform, conversation_id=f"sms:{key}", source_file=name)
        warnings = [f"{n} {what} were skipped (never delivered)." for what, n in sorted(cols.skipped.items())]
        if is_group:
            warnings.append("This is a group MMS thread: received messages are named by the sender's phone "
                            "number (the backup holds no names for group members).")
        people = tuple(chat.get_column("sender").unique(maintain_order=True).to_list())
        return self.result(out, source_file=name, dialect="SMS Backup & Restore XML" + (", group MMS" if is_group else ""),
                           warnings=warnings, participants=people, me=ME)


IMPORTER = SmsImporter()
