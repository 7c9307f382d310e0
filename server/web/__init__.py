"""Server-rendered pages (Simplified Chinese): public site, consumer pages, consoles."""
from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    from server.web.docs import bp as docs_bp

    app.register_blueprint(docs_bp)
