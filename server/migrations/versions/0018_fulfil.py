"""fulfil: the fulfilment check after a settlement (API.md "The complete case")

Adds complaint.fulfilment_expected (false for existing rows: no check is sent for resolutions made
before this release), fulfilment_checked_at, fulfilment (fulfilled | not_fulfilled) and
fulfilment_answered_at.

Revision ID: 0018_fulfil
Revises: 0015_evidence (rechained after main; written against 0014_casefile)
"""
import sqlalchemy as sa
from alembic import op

import server.core.models.base

revision = "0018_fulfil"
down_revision = "0015_evidence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, never batch mode: on SQLite batch mode recreates `complaint` and, with foreign keys
    # on, cascades away its timeline and messages (see 0002_appeals).
    op.add_column("complaint", sa.Column("fulfilment_expected", sa.Boolean(), nullable=False,
                                         server_default=sa.false()))
    op.add_column("complaint", sa.Column("fulfilment_checked_at",
                                         server.core.models.base.UTCDateTime(timezone=True), nullable=True))
    op.add_column("complaint", sa.Column("fulfilment", sa.String(length=16), nullable=True))
    op.add_column("complaint", sa.Column("fulfilment_answered_at",
                                         server.core.models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for column in ("fulfilment_answered_at", "fulfilment", "fulfilment_checked_at", "fulfilment_expected"):
        op.drop_column("complaint", column)
