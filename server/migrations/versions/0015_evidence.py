"""evidence: attachments on messages (issue 18.3)

Adds the table message_attachment (the uploads sent with a message, in order). The upload is bound to the
message's complaint as well (upload.complaint_id, an existing column), which decides who may read it.

Revision ID: 0015_evidence
Revises: 0017_collective
"""
import sqlalchemy as sa
from alembic import op

revision = "0015_evidence"
down_revision = "0017_collective"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table only: nothing here touches message or upload (no batch mode).
    op.create_table(
        "message_attachment",
        sa.Column("upload_id", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["message.id"], name=op.f("fk_message_attachment_message_id_message"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["upload_id"], ["upload.id"], name=op.f("fk_message_attachment_upload_id_upload"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("upload_id", name=op.f("pk_message_attachment")),
    )
    op.create_index(op.f("ix_message_attachment_message_id"), "message_attachment", ["message_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_message_attachment_message_id"), table_name="message_attachment")
    op.drop_table("message_attachment")
