"""The test infrastructure's own shortcuts stay honest: what they share is what would have been built anew."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect


def test_shared_url_builders_are_the_ones_werkzeug_compiles(app):
    """tests/conftest.py compiles each rule's URL builder once per process: for every rule of this app the
    shared function has the same code as a fresh compilation, and url_for answers the same paths."""
    from werkzeug.routing.rules import Rule

    original = Rule._compile_builder._smart315_original
    for rule in app.url_map.iter_rules():
        for append_unknown in (False, True):
            shared = Rule._compile_builder(rule, append_unknown)
            fresh = original(rule, append_unknown)
            assert shared.__code__.co_code == fresh.__code__.co_code, rule.rule
            assert shared.__code__.co_consts == fresh.__code__.co_consts, rule.rule
    with app.test_request_context():
        from flask import url_for

        assert url_for("complaints.detail", complaint_id=7) == "/api/v1/complaints/7"
        assert url_for("complaints.detail", complaint_id=7, page=2) == "/api/v1/complaints/7?page=2"


def test_each_sqlite_test_gets_its_own_migrated_copy(database_url, migrated_database, db):
    if database_url.startswith("sqlite"):
        assert database_url != migrated_database
        assert Path(database_url.split("///", 1)[1]).exists()
    else:  # PostgreSQL runs share the run's database, emptied by the app fixture
        assert database_url == migrated_database
    # The copy is the migrated schema with its reference data, not an empty file.
    assert {"complaint", "user_account", "alembic_version"} <= set(inspect(db.engine).get_table_names())
    with db.session() as s:
        from sqlalchemy import func, select

        from server.core.models import Region

        assert s.execute(select(func.count()).select_from(Region)).scalar_one() > 0


def test_the_fast_lane_starts_no_browser(pytestconfig):
    """`make test-fast` deselects `-m browser`: every collected test that drives Chromium, marked by hand or
    not, carries the marker (tests/conftest.py adds it from the `browser` fixture)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          "-m", "not browser and not slow", "tests/web/test_journey_browser.py",
                          "tests/web/test_lifecycle_browser.py", "tests/web/test_consoles_browser.py"],
                         capture_output=True, text=True, cwd=pytestconfig.rootpath)
    assert "::" not in out.stdout, out.stdout  # nothing selected from files whose tests all drive Chromium
    full = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "tests/web/test_journey_browser.py"], capture_output=True, text=True,
                          cwd=pytestconfig.rootpath)
    assert "::" in full.stdout  # and without the filter they are there
