"""lifecycle: pausing the clock and reopening (API.md "The complete case")

Adds complaint.paused (false for existing rows), paused_reason, paused_at, paused_seconds (0) and
reopened_at, materials_due_at. A transfer changes complaint.region_code only and needs no column.

Revision ID: 0012_lifecycle
Revises: 0011_moderation
"""
import sqlalchemy as sa
from alembic import op

import server.core.models.base

revision = "0012_lifecycle"
down_revision = "0011_moderation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, never batch mode: on SQLite batch mode recreates `complaint` and, with foreign keys
    # on, cascades away its timeline and messages (see 0002_appeals).
    op.add_column("complaint", sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("complaint", sa.Column("paused_reason", sa.String(length=20), nullable=True))
    op.add_column("complaint", sa.Column("paused_at", server.core.models.base.UTCDateTime(timezone=True),
                                         nullable=True))
    op.add_column("complaint", sa.Column("paused_seconds", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("complaint", sa.Column("reopened_at", server.core.models.base.UTCDateTime(timezone=True),
                                         nullable=True))
    op.add_column("complaint", sa.Column("materials_due_at", server.core.models.base.UTCDateTime(timezone=True),
                                         nullable=True))


def downgrade() -> None:
    for column in ("materials_due_at", "reopened_at", "paused_seconds", "paused_at", "paused_reason", "paused"):
        op.drop_column("complaint", column)
