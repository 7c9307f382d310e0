"""moderation: held complaints, checked images, replayed WeChat pushes

Adds complaint.moderation ('pass' | 'review' | 'rejected'; existing rows 'pass'), upload.moderation
('pass' | 'pending' | 'risky') with upload.moderation_trace_id (the WeChat media_check_async trace id
its push answers), and the table wechat_push_nonce (nonces of accepted message pushes, to refuse replays).

Revision ID: 0011_moderation
Revises: 0010_audit
"""
import sqlalchemy as sa
from alembic import op

import server.core.models.base

revision = "0011_moderation"
down_revision = "0010_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, never batch mode: on SQLite batch mode recreates `complaint` and, with foreign keys
    # on, cascades away its timeline and messages (see 0002_appeals).
    op.add_column("complaint", sa.Column("moderation", sa.String(length=10), nullable=False, server_default="pass"))
    op.add_column("upload", sa.Column("moderation", sa.String(length=10), nullable=False, server_default="pass"))
    op.add_column("upload", sa.Column("moderation_trace_id", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_upload_moderation_trace_id"), "upload", ["moderation_trace_id"], unique=False)
    op.create_table(
        "wechat_push_nonce",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("seen_at", server.core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_wechat_push_nonce")),
    )
    op.create_index(op.f("ix_wechat_push_nonce_seen_at"), "wechat_push_nonce", ["seen_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_wechat_push_nonce_seen_at"), table_name="wechat_push_nonce")
    op.drop_table("wechat_push_nonce")
    op.drop_index(op.f("ix_upload_moderation_trace_id"), table_name="upload")
    op.drop_column("upload", "moderation_trace_id")
    op.drop_column("upload", "moderation")
    op.drop_column("complaint", "moderation")
