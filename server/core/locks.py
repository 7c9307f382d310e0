"""Transaction-scoped PostgreSQL advisory locks, one namespace (the first key of the two-key form) per use.

Each lock is held until the transaction commits or rolls back. On SQLite these are no-ops: a
transaction that may write takes SQLite's single write lock at BEGIN (server/db.py), so writers
already run one at a time.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

INDEX = 3150001  # the complaint processing index: key 0 for every business, else one business (scoring)
SMS_SEND = 3150002  # sending a login code to one phone (identity.sms_codes)


def on_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def lock_text(session: Session, namespace: int, key: str) -> None:
    """Wait for, then hold, the lock (namespace, hash of key). Distinct keys may share a hash: they
    then queue behind each other, which costs time, never correctness."""
    if on_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:ns, hashtext(:key))"), {"ns": namespace, "key": key})
