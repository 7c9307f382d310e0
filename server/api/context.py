"""What a request holds: its database session (one per request, closed at teardown) and the settings."""
from __future__ import annotations

from typing import Any

from flask import current_app, g
from sqlalchemy.orm import Session


def db_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["smart315.db"].Session()
    return g.db_session


def settings() -> dict[str, Any]:
    return current_app.config["SMART315"]
