"""One page of a list: the items of a statement plus page, per_page and total."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session


def paginate(session: Session, stmt, page: int, per_page: int, serialize: Callable[[Any], dict],
             prefetch: Callable[[list], None] | None = None) -> dict[str, Any]:
    """prefetch: called with the page's rows before serializing (to read what they need in one query)."""
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    rows = session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).scalars().all()
    if prefetch is not None and rows:
        prefetch(rows)
    return {"items": [serialize(r) for r in rows], "page": page, "per_page": per_page, "total": total}
