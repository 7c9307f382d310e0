"""Business time: the platform works on Asia/Shanghai dates and the official working-day calendar."""
from __future__ import annotations

import functools
import logging
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
log = logging.getLogger(__name__)
_warned_years: set[int] = set()


@functools.lru_cache(maxsize=4096)
def is_workday(day: date) -> bool:
    """Official calendar with adjusted working days; beyond the library's years, Monday to Friday.

    Memoized: the answer for a date never changes while the process runs, and chinese_calendar scans
    its whole holiday table (min/max of the keys) on every call, about 20 µs, ten calls per deadline.
    """
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning("no official calendar for %s yet: counting Monday-Friday; upgrade chinesecalendar", day.year)
        return day.weekday() < 5


def add_working_days(start: datetime, n: int) -> datetime:
    """The moment n working days after `start`: the same local time on the n-th following working day."""
    local = start.astimezone(SHANGHAI)
    day = local.date()
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if is_workday(day):
            counted += 1
    return datetime.combine(day, local.timetz()).astimezone(UTC)


def to_iso(value: datetime | None) -> str | None:
    """ISO 8601 with the +08:00 offset, as the API promises."""
    if value is None:
        return None
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds")


def parse_iso(value: str) -> datetime:
    """Parse an ISO time; a value without offset is taken as Asia/Shanghai local time."""
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=SHANGHAI)
    return dt.astimezone(UTC)


def local_today(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()
