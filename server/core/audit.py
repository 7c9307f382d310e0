"""Verification of the tamper-evident timeline (see server/core/auditchain.py for the keyed chain)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from server.core.auditchain import verify_all as _verify_all


def verify_all(session: Session, settings: Mapping[str, Any], batch: int = 5000,
               checkpoint: Mapping[str, Any] | None = None, allow_legacy: bool = False) -> dict[str, Any]:
    """The caller hands in the settings (AUDIT_KEY): core never reads the environment itself."""
    return _verify_all(session, settings, batch=batch, checkpoint=checkpoint, allow_legacy=allow_legacy)
