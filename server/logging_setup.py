"""Logging: human-readable by default, JSON lines with LOG_FORMAT=json (production)."""
from __future__ import annotations

import logging
import os


def configure_logging() -> None:
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    root = logging.getLogger()
    if getattr(root, "_smart315_configured", False):
        return
    handler = logging.StreamHandler()
    if os.environ.get("LOG_FORMAT") == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    root._smart315_configured = True  # type: ignore[attr-defined]
