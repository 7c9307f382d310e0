"""Index maintenance entry points called from the complaint actions (incremental) and the scheduler (full)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from sqlalchemy.orm import Session

from server.core.models import Complaint


def on_complaint_changed(session: Session, settings: Mapping[str, Any], complaint: Complaint, now: datetime) -> None:
    """Called in the transaction of every complaint change; the index issue fills in the recompute."""
    return None
