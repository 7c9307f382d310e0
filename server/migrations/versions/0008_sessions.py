"""sessions: sign-in sessions that end at once, counted sign-in failures, captcha challenges

Adds auth_session (every access token and web cookie names one; ending it refuses them at once),
auth_attempt (failed passwords per account and per address, SMS sends per address) and
captcha_challenge (hashed, expiring, single-use image captcha codes). New tables only.

Revision ID: 0008_sessions
Revises: 0007_hardening
"""
import sqlalchemy as sa
from alembic import op

import server.core.models.base

revision = "0008_sessions"
down_revision = "0007_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("created_at", server.core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", server.core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_auth_session_user_id", "auth_session", ["user_id"], unique=False)
    op.create_table(
        "auth_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("created_at", server.core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_auth_attempt_kind_key_created", "auth_attempt", ["kind", "key", "created_at"], unique=False)
    op.create_table(
        "captcha_challenge",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("ip_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", server.core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", server.core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", server.core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_captcha_challenge_ip_created", "captcha_challenge", ["ip_hash", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_captcha_challenge_ip_created", table_name="captcha_challenge")
    op.drop_table("captcha_challenge")
    op.drop_index("ix_auth_attempt_kind_key_created", table_name="auth_attempt")
    op.drop_table("auth_attempt")
    op.drop_index("ix_auth_session_user_id", table_name="auth_session")
    op.drop_table("auth_session")
