"""Consents: each user's agreement to a version of the privacy policy or the user agreement.

Revision ID: 0003_consents
Revises: 0002_appeals
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import server.core.models.base

revision = "0003_consents"
down_revision = "0002_appeals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.String(length=10), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("agreed_at", server.core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_user_consent_user_id_user_account"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_consent")),
    )
    op.create_index("ix_user_consent_user_document", "user_consent", ["user_id", "document"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_user_consent_user_document", table_name="user_consent")
    op.drop_table("user_consent")
