"""Data commands: parse, import, conversations, forget."""

from __future__ import annotations

from ebbtide.cli.app import app  # noqa: F401
