"""casefile: reports (举报) and the business's public reply

Adds the tables report (a tip about a violation, routed to the region's mediators, never in an index),
report_attachment (its evidence uploads) and complaint_public_reply (the business's one current public
reply beside a published complaint).

Revision ID: 0014_casefile
Revises: 0013_storage
"""
import sqlalchemy as sa
from alembic import op

import server.core.models.base

revision = "0014_casefile"
down_revision = "0013_storage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # New tables only: nothing here touches complaint, user_account or business (no batch mode).
    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("business_id", sa.Integer(), nullable=True),
        sa.Column("business_name", sa.String(length=128), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("moderation", sa.String(length=10), nullable=False, server_default="pass"),
        sa.Column("created_at", server.core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"], name=op.f("fk_report_business_id_business"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["reporter_id"], ["user_account.id"],
                                name=op.f("fk_report_reporter_id_user_account"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report")),
    )
    op.create_index(op.f("ix_report_reporter_id"), "report", ["reporter_id"], unique=False)
    op.create_index(op.f("ix_report_business_id"), "report", ["business_id"], unique=False)
    op.create_index("ix_report_region_created", "report", ["region_code", "created_at"], unique=False)
    op.create_table(
        "report_attachment",
        sa.Column("upload_id", sa.String(length=32), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], name=op.f("fk_report_attachment_report_id_report"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["upload_id"], ["upload.id"], name=op.f("fk_report_attachment_upload_id_upload"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("upload_id", name=op.f("pk_report_attachment")),
    )
    op.create_index(op.f("ix_report_attachment_report_id"), "report_attachment", ["report_id"], unique=False)
    op.create_table(
        "complaint_public_reply",
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("replied_at", server.core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("replied_by_id", sa.Integer(), nullable=True),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_key.id"],
                                name=op.f("fk_complaint_public_reply_api_key_id_api_key"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaint.id"],
                                name=op.f("fk_complaint_public_reply_complaint_id_complaint"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["replied_by_id"], ["user_account.id"],
                                name=op.f("fk_complaint_public_reply_replied_by_id_user_account"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("complaint_id", name=op.f("pk_complaint_public_reply")),
    )


def downgrade() -> None:
    op.drop_table("complaint_public_reply")
    op.drop_index(op.f("ix_report_attachment_report_id"), table_name="report_attachment")
    op.drop_table("report_attachment")
    op.drop_index("ix_report_region_created", table_name="report")
    op.drop_index(op.f("ix_report_business_id"), table_name="report")
    op.drop_index(op.f("ix_report_reporter_id"), table_name="report")
    op.drop_table("report")
