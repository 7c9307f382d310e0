"""Periodic index and disclosure jobs, registered with the scheduler (each runs under a lease).

* ``index.recompute`` (hourly): full set-based recompute with the stored snapshot of industry
  means; rolls the 365-day window forward for businesses without recent changes and keeps the
  current month's IndexHistory row at the latest value (so it holds the month-end value once
  the month is over). Past months' rows are never rewritten, so a change of the method (a new
  FORMULA_VERSION, e.g. 2026.2's "only what a person has looked at") applies from the current month
  on, and published disclosures keep their stored bytes.
* ``index.refresh_means`` (daily): retakes the industry-means snapshot and recomputes every
  business from it in the same transaction.
* ``disclosure.monthly`` (hourly check): publishes the previous month's disclosure once.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from server.core.models import Disclosure
from server.core.scoring.actions import recompute_all
from server.core.scoring.disclosure import previous_period, publish_disclosure
from server.db import Database
from server.tasks.scheduler import periodic

log = logging.getLogger("smart315.scoring.jobs")


@periodic("index.recompute", 3600)
def index_recompute(db: Database, settings: dict[str, Any], now: datetime) -> dict[str, Any]:
    with db.session() as s:
        summary = recompute_all(s, settings, now)
        s.commit()
    log.info("index recompute: %s", summary)
    return summary


@periodic("index.refresh_means", 86400)
def index_refresh_means(db: Database, settings: dict[str, Any], now: datetime) -> dict[str, Any]:
    with db.session() as s:
        summary = recompute_all(s, settings, now, refresh_means=True)
        s.commit()
    log.info("industry means refreshed: %s", summary)
    return summary


@periodic("disclosure.monthly", 3600)
def disclosure_monthly(db: Database, settings: dict[str, Any], now: datetime) -> str | None:
    period = previous_period(now)
    with db.session() as s:
        if s.get(Disclosure, period) is not None:
            return None
        d = publish_disclosure(s, settings, period, now)
        s.commit()
        log.info("published disclosure %s (%s)", period, d.sha256)
        return period
