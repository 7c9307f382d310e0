"""authz: staff invitations and the business event log

Adds business_invitation (an invitation to join a business's staff, addressed to a phone's keyed hash;
membership only after the invited person accepts) and business_event (registration and staff history:
verified, rejected with its note, reapplied, invited, accepted, declined, member removed). Business status
gains the value "rejected" (a string column: no schema change).

Revision ID: 0006_authz
Revises: 0005_privacy
"""
import sqlalchemy as sa
from alembic import op

import server.core.models.base

revision = "0006_authz"
down_revision = "0005_privacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Only new tables: nothing is copied in batch mode (which on SQLite would cascade away children).
    op.create_table(
        "business_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("phone_enc", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("invited_by", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", server.core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", server.core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", server.core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"],
                                name=op.f("fk_business_invitation_business_id_business"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["invited_by"], ["user_account.id"],
                                name=op.f("fk_business_invitation_invited_by_user_account"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["decided_by"], ["user_account.id"],
                                name=op.f("fk_business_invitation_decided_by_user_account"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_invitation")),
    )
    op.create_index(op.f("ix_business_invitation_business_id"), "business_invitation", ["business_id"], unique=False)
    op.create_index(op.f("ix_business_invitation_phone_hash"), "business_invitation", ["phone_hash"], unique=False)

    op.create_table(
        "business_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("subject_user_id", sa.Integer(), nullable=True),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", server.core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"],
                                name=op.f("fk_business_event_business_id_business"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["actor_id"], ["user_account.id"],
                                name=op.f("fk_business_event_actor_id_user_account"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["subject_user_id"], ["user_account.id"],
                                name=op.f("fk_business_event_subject_user_id_user_account"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["invitation_id"], ["business_invitation.id"],
                                name=op.f("fk_business_event_invitation_id_business_invitation"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_event")),
    )
    op.create_index(op.f("ix_business_event_business_id"), "business_event", ["business_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_business_event_business_id"), table_name="business_event")
    op.drop_table("business_event")
    op.drop_index(op.f("ix_business_invitation_phone_hash"), table_name="business_invitation")
    op.drop_index(op.f("ix_business_invitation_business_id"), table_name="business_invitation")
    op.drop_table("business_invitation")
