"""collective: collective complaints (集体投诉)

Adds complaint.collective_id: the lead complaint a member joined (POST /complaints/{id}/join), null for
every other complaint. No foreign key (complaints are never deleted, erasure anonymises them), like
publication_decided_by_id; indexed, since the lead's members are read by it.

Revision ID: 0017_collective
Revises: 0016_contact
"""
import sqlalchemy as sa
from alembic import op

revision = "0017_collective"
down_revision = "0016_contact"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, never batch mode: on SQLite batch mode recreates `complaint` and, with foreign keys
    # on, cascades away its timeline and messages (see 0002_appeals).
    op.add_column("complaint", sa.Column("collective_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_complaint_collective_id"), "complaint", ["collective_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_complaint_collective_id"), table_name="complaint")
    op.drop_column("complaint", "collective_id")
