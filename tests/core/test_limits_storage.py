"""The database storage of the rate limits is a whole `limits` Storage: besides the moving window the app
uses, the counter API of fixed-window strategies works on the same table (SQLite and PostgreSQL)."""
from __future__ import annotations

from limits import parse
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
from sqlalchemy import create_engine

from server.api.limits import SqlStorage
from server.core.models import RateLimitHit


def _storage(db, tmp_path):
    if db.is_postgres:
        return SqlStorage(db.engine)
    engine = create_engine(f"sqlite:///{tmp_path / 'limits.sqlite3'}")
    RateLimitHit.__table__.create(engine, checkfirst=True)
    return SqlStorage(engine)


def test_fixed_and_moving_windows_count_on_the_table(db, tmp_path):
    storage = _storage(db, tmp_path)
    storage.reset()
    two = parse("2/minute")
    fixed = FixedWindowRateLimiter(storage)
    assert [fixed.hit(two, "fixed") for _ in range(3)] == [True, True, False]
    assert storage.get(two.key_for("fixed")) >= 2
    assert storage.get_expiry(two.key_for("fixed")) > 0
    moving = MovingWindowRateLimiter(storage)
    assert [moving.hit(two, "moving") for _ in range(3)] == [True, True, False]
    assert moving.get_window_stats(two, "moving").remaining == 0
    storage.clear(two.key_for("moving"))
    assert moving.hit(two, "moving")
