"""WORKING_DAY_CALENDAR: next year's holidays, listed by the operator before chinesecalendar knows them.

The installed chinesecalendar covers up to 2026. The 2027 dates below are made up for the test (a
Spring-Festival-like week off with one weekend day worked in exchange), not the official schedule."""
from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime

import pytest

from server.config import load_config
from server.core import timeutil
from server.core.timeutil import CalendarFileError, add_working_days, is_workday

WEEK_OFF = [f"2027-02-{d:02d}" for d in range(6, 13)]  # Sat 6 .. Fri 12
WORKED_SUNDAY = "2027-02-14"
FRIDAY_MORNING = datetime(2027, 2, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, Friday 5 February


@pytest.fixture(autouse=True)
def no_file_after():
    yield
    timeutil.use_calendar_file(None)


def _file(tmp_path, doc) -> str:
    path = tmp_path / "calendar.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def test_without_a_file_an_unknown_year_counts_monday_to_friday_and_says_so(caplog):
    timeutil._warned_years.discard(2027)
    with caplog.at_level(logging.WARNING, logger="server.core.timeutil"):
        assert add_working_days(FRIDAY_MORNING, 3) == datetime(2027, 2, 10, 2, 0, tzinfo=UTC)
    assert "2027" in caplog.text and "WORKING_DAY_CALENDAR" in caplog.text


def test_the_file_s_holidays_and_worked_weekend_days_are_counted(tmp_path, caplog):
    settings = load_config({"WORKING_DAY_CALENDAR": _file(tmp_path, {"holidays": WEEK_OFF, "workdays": [WORKED_SUNDAY]})})
    assert settings["WORKING_DAY_CALENDAR"]
    timeutil._warned_years.discard(2027)
    with caplog.at_level(logging.WARNING, logger="server.core.timeutil"):
        # Friday 5th, then the week off, then Sunday 14th (worked), Monday 15th, Tuesday 16th.
        assert add_working_days(FRIDAY_MORNING, 1) == datetime(2027, 2, 14, 2, 0, tzinfo=UTC)
        assert add_working_days(FRIDAY_MORNING, 3) == datetime(2027, 2, 16, 2, 0, tzinfo=UTC)
        assert is_workday(date(2027, 3, 1)) and not is_workday(date(2027, 3, 6))  # other dates: Monday-Friday
    assert "no official calendar" not in caplog.text  # the operator's file covers 2027
    # The file also takes precedence in years the library knows (a correction).
    load_config({"WORKING_DAY_CALENDAR": _file(tmp_path, {"holidays": ["2026-12-31"]})})
    assert not is_workday(date(2026, 12, 31))
    load_config({})
    assert is_workday(date(2026, 12, 31))


@pytest.mark.parametrize("doc", [
    {"holidays": ["2027-02-30"]},
    {"holidays": ["2027-02-08"], "workdays": ["2027-02-08"]},
    {"holiday": ["2027-02-08"]},
    ["2027-02-08"],
])
def test_a_broken_file_stops_the_process_at_start(tmp_path, doc):
    with pytest.raises(CalendarFileError):
        load_config({"WORKING_DAY_CALENDAR": _file(tmp_path, doc)})
    with pytest.raises(CalendarFileError):
        load_config({"WORKING_DAY_CALENDAR": str(tmp_path / "missing.json")})
