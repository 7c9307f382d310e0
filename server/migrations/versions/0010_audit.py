"""audit: the keyed timeline chain, its head counter and the disclosure's checkpoint

Adds complaint_event.chain (1 = the legacy unkeyed SHA-256 chain, every existing event; 2 = HMAC with
AUDIT_KEY) and complaint_event.state (the complaint's audited fields after the event, keyed events only),
complaint.audit_seq (the keyed chain's head counter; 0 until the timeline is on the keyed chain) and
disclosure.audit_checkpoint_name / audit_checkpoint_sha256. Existing timelines stay legacy until the
operator runs `smart315 audit reseal`.

Revision ID: 0010_audit
Revises: 0009_abuse
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_audit"
down_revision = "0009_abuse"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE … ADD COLUMN, never batch mode (see 0002_appeals: on SQLite batch mode copies
    # `complaint` and, with foreign keys on, cascades away every timeline event and message).
    op.add_column("complaint_event", sa.Column("chain", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("complaint_event", sa.Column("state", sa.JSON(), nullable=True))
    op.add_column("complaint", sa.Column("audit_seq", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("disclosure", sa.Column("audit_checkpoint_name", sa.String(length=128), nullable=True))
    op.add_column("disclosure", sa.Column("audit_checkpoint_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+), not batch mode, for the same reason.
    op.drop_column("disclosure", "audit_checkpoint_sha256")
    op.drop_column("disclosure", "audit_checkpoint_name")
    op.drop_column("complaint", "audit_seq")
    op.drop_column("complaint_event", "state")
    op.drop_column("complaint_event", "chain")
