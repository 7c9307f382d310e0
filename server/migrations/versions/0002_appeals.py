"""appeals: business appeals against complaints, and what counts in the index

Adds complaint.person_seen_at (when a person first acted on the complaint: before that it does not count
in the index) and complaint.index_excluded (an upheld appeal), and the tables complaint_appeal and
complaint_appeal_attachment. Existing complaints get person_seen_at from their history: the first
timeline event by a mediator, an admin or the business's staff, or the first message by one of them.

Revision ID: 0002_appeals
Revises: 0001_initial
"""
import sqlalchemy as sa
from alembic import op

import server.core.models.base

revision = "0002_appeals"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

PEOPLE = "('mediator', 'admin', 'business_staff')"


def upgrade() -> None:
    # Plain ALTER TABLE … ADD COLUMN, not batch mode: on SQLite batch mode copies the table, drops the old one
    # and renames the copy, and with PRAGMA foreign_keys=ON (server/db.py) dropping `complaint` deletes every
    # row that references it with ON DELETE CASCADE (all timeline events and messages). SQLite adds a
    # nullable column, or a NOT NULL one with a default, in place.
    op.add_column("complaint", sa.Column("person_seen_at", server.core.models.base.UTCDateTime(timezone=True),
                                         nullable=True))
    op.add_column("complaint", sa.Column("index_excluded", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(f"UPDATE complaint SET person_seen_at = (SELECT MIN(e.created_at) FROM complaint_event e "
               f"WHERE e.complaint_id = complaint.id AND e.actor_role IN {PEOPLE})")
    first_message = (f"(SELECT MIN(m.created_at) FROM message m WHERE m.complaint_id = complaint.id "
                     f"AND m.author_role IN {PEOPLE})")
    op.execute(f"UPDATE complaint SET person_seen_at = {first_message} WHERE {first_message} IS NOT NULL "
               f"AND (person_seen_at IS NULL OR person_seen_at > {first_message})")

    op.create_table(
        "complaint_appeal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=True),
        sa.Column("filed_by_id", sa.Integer(), nullable=True),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", server.core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", server.core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_key.id"], name=op.f("fk_complaint_appeal_api_key_id_api_key"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"],
                                name=op.f("fk_complaint_appeal_business_id_business"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaint.id"],
                                name=op.f("fk_complaint_appeal_complaint_id_complaint"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user_account.id"],
                                name=op.f("fk_complaint_appeal_decided_by_id_user_account"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["filed_by_id"], ["user_account.id"],
                                name=op.f("fk_complaint_appeal_filed_by_id_user_account"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_appeal")),
    )
    with op.batch_alter_table("complaint_appeal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaint_appeal_complaint_id"), ["complaint_id"], unique=False)
        batch_op.create_index("ix_complaint_appeal_state_complaint", ["state", "complaint_id"], unique=False)

    op.create_table(
        "complaint_appeal_attachment",
        sa.Column("upload_id", sa.String(length=32), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["appeal_id"], ["complaint_appeal.id"],
                                name=op.f("fk_complaint_appeal_attachment_appeal_id_complaint_appeal"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["upload_id"], ["upload.id"],
                                name=op.f("fk_complaint_appeal_attachment_upload_id_upload"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("upload_id", name=op.f("pk_complaint_appeal_attachment")),
    )
    with op.batch_alter_table("complaint_appeal_attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaint_appeal_attachment_appeal_id"), ["appeal_id"], unique=False)


def downgrade() -> None:
    # Plain DROP INDEX / DROP TABLE / ALTER TABLE … DROP COLUMN (SQLite 3.35+), never batch mode: batch mode
    # would copy `complaint` and, with foreign keys on, cascade away its timeline and messages (see upgrade).
    op.drop_index(op.f("ix_complaint_appeal_attachment_appeal_id"), table_name="complaint_appeal_attachment")
    op.drop_table("complaint_appeal_attachment")
    op.drop_index("ix_complaint_appeal_state_complaint", table_name="complaint_appeal")
    op.drop_index(op.f("ix_complaint_appeal_complaint_id"), table_name="complaint_appeal")
    op.drop_table("complaint_appeal")
    op.drop_column("complaint", "index_excluded")
    op.drop_column("complaint", "person_seen_at")
