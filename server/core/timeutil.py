"""Business time: the platform works on Asia/Shanghai dates and the official working-day calendar."""
from __future__ import annotations

import functools
import json
import logging
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
log = logging.getLogger(__name__)
_warned_years: set[int] = set()
# From WORKING_DAY_CALENDAR (use_calendar_file): the State Council's schedule for years the installed
# chinesecalendar does not know yet (it is published each November; a library release follows later).
_extra_holidays: frozenset[date] = frozenset()
_extra_workdays: frozenset[date] = frozenset()
_extra_years: frozenset[int] = frozenset()


class CalendarFileError(ValueError):
    pass


def use_calendar_file(path: str | None) -> None:
    """Load {"holidays": ["YYYY-MM-DD", ...], "workdays": [...]} (workdays: the weekend days worked in
    exchange, 调休). Its dates take precedence over chinesecalendar; in a year the file names and the
    library does not know, other dates count Monday to Friday (without the warning). None: none."""
    global _extra_holidays, _extra_workdays, _extra_years
    holidays: set[date] = set()
    workdays: set[date] = set()
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
            if not isinstance(doc, dict) or set(doc) - {"holidays", "workdays"}:
                raise ValueError('expected an object with "holidays" and "workdays" lists')
            holidays = {date.fromisoformat(d) for d in doc.get("holidays", [])}
            workdays = {date.fromisoformat(d) for d in doc.get("workdays", [])}
        except (OSError, ValueError, TypeError) as exc:
            raise CalendarFileError(f"WORKING_DAY_CALENDAR {path}: {exc}") from exc
        if holidays & workdays:
            raise CalendarFileError(f"WORKING_DAY_CALENDAR {path}: both a holiday and a working day: "
                                    f"{', '.join(sorted(d.isoformat() for d in holidays & workdays))}")
    _extra_holidays, _extra_workdays = frozenset(holidays), frozenset(workdays)
    _extra_years = frozenset(d.year for d in holidays | workdays)
    is_workday.cache_clear()


@functools.lru_cache(maxsize=4096)
def is_workday(day: date) -> bool:
    """Official calendar with adjusted working days; beyond the library's years, Monday to Friday.

    Memoized: the answer for a date never changes while the process runs, and chinese_calendar scans
    its whole holiday table (min/max of the keys) on every call, about 20 µs, ten calls per deadline.
    """
    if day in _extra_holidays:
        return False
    if day in _extra_workdays:
        return True
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned_years and day.year not in _extra_years:
            _warned_years.add(day.year)
            log.warning("no official calendar for %s yet: counting Monday-Friday; upgrade chinesecalendar or "
                        "list that year's holidays in WORKING_DAY_CALENDAR", day.year)
        return day.weekday() < 5


def official_years() -> frozenset[int]:
    """Years whose official calendar (holidays and adjusted working days) is known: chinesecalendar's
    tables plus the years named in WORKING_DAY_CALENDAR."""
    from chinese_calendar import constants

    return frozenset(d.year for d in constants.holidays) | _extra_years


def calendar_status(today: date) -> dict:
    """What /readyz, the metrics and the admin page say about the working-day calendar.

    `covered_through` is the last day of the last year known without a gap from this year on; `ok` is
    false when this year is unknown, and from 1 October of the last known year while the next year is
    not known (the State Council publishes the next year's schedule in the autumn; deadlines that run
    into an unknown year count Monday to Friday and may be wrong)."""
    years = official_years()
    last = today.year if today.year in years else None
    while last is not None and last + 1 in years:
        last += 1
    if last is None:
        known = sorted(y for y in years if y < today.year)
        return {"covered_through": f"{known[-1]}-12-31" if known else None, "ok": False,
                "missing_year": today.year}
    ok = not (last == today.year and today >= date(today.year, 10, 1))
    out = {"covered_through": f"{last}-12-31", "ok": ok}
    if not ok:
        out["missing_year"] = last + 1
    return out


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
