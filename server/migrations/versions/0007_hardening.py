"""hardening: remembered nonces of signed callbacks (WeChat), so a replayed callback is refused

Revision ID: 0007_hardening
Revises: 0006_authz
"""
import sqlalchemy as sa
from alembic import op

import server.core.models.base

revision = "0007_hardening"
down_revision = "0006_authz"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callback_nonce",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("expires_at", server.core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_callback_nonce")),
    )
    op.create_index(op.f("ix_callback_nonce_expires_at"), "callback_nonce", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_callback_nonce_expires_at"), table_name="callback_nonce")
    op.drop_table("callback_nonce")
