"""Errors people see. Each says what was wrong, where, and what to do; the CLI prints them
without a traceback and exits with status 2. Imports nothing of ours (usable from any layer)."""

from __future__ import annotations


class EbbtideError(Exception):
    """Base class: a problem with the user's input or setup, explained in plain words."""

    exit_code = 2

    def __init__(self, what: str, *, where: str = "", fix: str = "") -> None:
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = [self.what if not self.where else f"{self.where}: {self.what}"]
        if self.fix:
            parts.append(self.fix)
        return shown("\n".join(parts))


def shown(text: object) -> str:
    """Text safe to print: bytes of a file name that are not UTF-8 (Python keeps them as lone
    surrogates) become ``\\xNN`` instead of an encoding error at print time."""
    value = str(text)
    if value.isascii():
        return value
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # other lone surrogates
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


class NotAChatExport(EbbtideError):
    """The file is not an export format we understand."""


class UnreadableInput(EbbtideError):
    """The file cannot be read at all (missing, a folder, wrong encoding, broken zip...)."""


class StoreError(EbbtideError):
    """The local store cannot be opened or changed."""


class UnknownParticipant(EbbtideError):
    """A name given with --me (or similar) is not in the conversation."""


class ChooseChat(EbbtideError):
    """An export holds several conversations and none (or no existing one) was chosen.

    ``chats``: (what to give with ``--chat``, a line describing it), busiest first where known. The CLI asks
    which one on a terminal and otherwise exits 2 with this list; every multi-chat format raises it.
    """

    LISTED = 30

    def __init__(self, what: str, *, where: str = "", chats: tuple[tuple[str, str], ...] = ()) -> None:
        self.chats = chats
        lines = [line for _, line in chats[: self.LISTED]]
        if len(chats) > self.LISTED:
            lines.append(f"… and {len(chats) - self.LISTED} more")
        fix = ("Run again with --chat NAME (or set EBBTIDE_CHAT=NAME) to read one of them, e.g. "
               f"--chat \"{chats[0][0]}\". Chats here:\n  " + "\n  ".join(lines)) if chats else ""
        super().__init__(what, where=where, fix=fix)
