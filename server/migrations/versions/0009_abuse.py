"""abuse: rate-limit entries kept in the database, and flags on complaints for mediators

rate_limit_hit holds the moving windows of the rate limits when Redis is not configured (or is down) and the
database is PostgreSQL, so every process counts in one place; complaint_flag holds signals such as a
suspected professional claimant (疑似职业索赔) for a mediator to look at. Only new tables: nothing existing
is altered.

Revision ID: 0009_abuse
Revises: 0008_sessions
"""
import sqlalchemy as sa
from alembic import op

import server.core.models.base

revision = "0009_abuse"
down_revision = "0008_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_hit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=255), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_limit_hit")),
    )
    op.create_index("ix_rate_limit_hit_bucket_at", "rate_limit_hit", ["bucket", "at"], unique=False)
    op.create_index(op.f("ix_rate_limit_hit_expires_at"), "rate_limit_hit", ["expires_at"], unique=False)
    op.create_table(
        "complaint_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", server.core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaint.id"],
                                name=op.f("fk_complaint_flag_complaint_id_complaint"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_flag")),
    )
    op.create_index("ix_complaint_flag_kind_complaint", "complaint_flag", ["kind", "complaint_id"], unique=False)
    op.create_index(op.f("ix_complaint_flag_complaint_id"), "complaint_flag", ["complaint_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_complaint_flag_complaint_id"), table_name="complaint_flag")
    op.drop_index("ix_complaint_flag_kind_complaint", table_name="complaint_flag")
    op.drop_table("complaint_flag")
    op.drop_index(op.f("ix_rate_limit_hit_expires_at"), table_name="rate_limit_hit")
    op.drop_index("ix_rate_limit_hit_bucket_at", table_name="rate_limit_hit")
    op.drop_table("rate_limit_hit")
