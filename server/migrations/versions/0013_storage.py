"""storage: job_run, the last run and number of runs of each periodic job per clock (issue 23.2)

The scheduler decides from job_run whether a periodic job is due (once per interval whatever the number of
schedulers); `scheduler --once --now T` counts on the 'simulated' clock. job_lock stays (unused) for
rolling upgrades.

Revision ID: 0013_storage
Revises: 0012_lifecycle
"""
import sqlalchemy as sa
from alembic import op

import server.core.models.base

revision = "0013_storage"
down_revision = "0012_lifecycle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_run",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("clock", sa.String(length=10), nullable=False),
        sa.Column("last_run_at", server.core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("runs", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("name", "clock", name=op.f("pk_job_run")),
    )


def downgrade() -> None:
    op.drop_table("job_run")
