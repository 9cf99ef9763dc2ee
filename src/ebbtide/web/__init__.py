"""The local web app: ``create_app(db, token=..., port=...)`` and ``ebbtide serve``.

Bound to 127.0.0.1 only, gated by a per-run token, strict CSP; see docs/web.md.
"""

from ebbtide.web.app import create_app

__all__ = ["create_app"]
