"""privacy: publication needs a person; uploads kept for a case in mediation after their owner's erasure

Adds complaint.publication_state ('pending' | 'approved' | 'refused'), publication_decided_at,
publication_decided_by_id and publication_note, and upload.erase_after_case. Consented complaints that
were already public (accepted) become 'approved' so what the public saw yesterday it sees today; every
other complaint is 'pending'.

Revision ID: 0005_privacy
Revises: 0004_rule_sets
"""
import sqlalchemy as sa
from alembic import op

import server.core.models.base

revision = "0005_privacy"
down_revision = "0004_rule_sets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE … ADD COLUMN, never batch mode (see 0002_appeals: on SQLite batch mode would cascade
    # away the complaint's timeline and messages).
    op.add_column("complaint", sa.Column("publication_state", sa.String(length=10), nullable=False,
                                         server_default="pending"))
    op.add_column("complaint", sa.Column("publication_decided_at",
                                         server.core.models.base.UTCDateTime(timezone=True), nullable=True))
    op.add_column("complaint", sa.Column("publication_decided_by_id", sa.Integer(), nullable=True))
    op.add_column("complaint", sa.Column("publication_note", sa.Text(), nullable=True))
    op.add_column("upload", sa.Column("erase_after_case", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE complaint SET publication_state = 'approved', publication_decided_at = accepted_at "
               "WHERE public_consent = true AND accepted_at IS NOT NULL")


def downgrade() -> None:
    op.drop_column("upload", "erase_after_case")
    op.drop_column("complaint", "publication_note")
    op.drop_column("complaint", "publication_decided_by_id")
    op.drop_column("complaint", "publication_decided_at")
    op.drop_column("complaint", "publication_state")
