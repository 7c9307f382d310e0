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


def test_calendar_status_warns_from_october_while_next_year_is_unknown(monkeypatch):
    monkeypatch.setattr(timeutil, "official_years", lambda: frozenset({2025, 2026}))
    assert timeutil.calendar_status(date(2026, 9, 30)) == {"covered_through": "2026-12-31", "ok": True}
    assert timeutil.calendar_status(date(2026, 10, 1)) == {"covered_through": "2026-12-31", "ok": False,
                                                           "missing_year": 2027}
    assert timeutil.calendar_status(date(2027, 1, 4)) == {"covered_through": "2026-12-31", "ok": False,
                                                          "missing_year": 2027}
    monkeypatch.setattr(timeutil, "official_years", lambda: frozenset({2026, 2027}))
    assert timeutil.calendar_status(date(2026, 12, 2)) == {"covered_through": "2027-12-31", "ok": True}


def test_a_calendar_file_for_next_year_covers_it(tmp_path):
    timeutil.use_calendar_file(_file(tmp_path, {"holidays": WEEK_OFF, "workdays": [WORKED_SUNDAY]}))
    assert 2027 in timeutil.official_years()
    assert timeutil.calendar_status(date(2026, 12, 2))["covered_through"] == "2027-12-31"


def test_readyz_metrics_and_admin_page_say_when_the_calendar_runs_out(client, auth, monkeypatch):
    from tests.web.test_pages import web_login

    assert client.get("/readyz").get_json()["calendar"] == timeutil.calendar_status(
        timeutil.local_today(datetime.now(UTC)))
    monkeypatch.setattr(timeutil, "official_years", lambda: frozenset())
    body = client.get("/readyz")
    assert body.status_code == 200  # reported, not a reason to leave the load balancer
    assert body.get_json()["calendar"]["ok"] is False
    assert "smart315_calendar_ok 0.0" in client.get("/metrics").get_data(as_text=True)
    web_login(client, auth.admin())
    html = client.get("/admin").get_data(as_text=True)
    assert 'id="calendar-banner"' in html and "WORKING_DAY_CALENDAR" in html
    monkeypatch.setattr(timeutil, "official_years", lambda: frozenset(range(2000, 2100)))
    assert 'id="calendar-banner"' not in client.get("/admin").get_data(as_text=True)
