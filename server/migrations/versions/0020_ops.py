"""ops: state every process shares without Redis (issue 23.1)

Without Redis the binding QR's content URL used to be kept in the web process that created the binding
(with several gunicorn workers the QR image answered 404 from every other one), and each process fetched
its own WeChat access token, retiring the others'. Adds wechat_binding.qr_url and the table shared_value
(the tokens: server/core/shared_values.py).

Revision ID: 0020_ops
Revises: 0014_casefile
"""
import sqlalchemy as sa
from alembic import op

revision = "0020_ops"
down_revision = "0014_casefile"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wechat_binding") as batch:
        batch.add_column(sa.Column("qr_url", sa.String(length=512), nullable=True))
    op.create_table(
        "shared_value",
        sa.Column("key", sa.String(length=191), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_shared_value")),
    )
    op.create_index(op.f("ix_shared_value_expires_at"), "shared_value", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_shared_value_expires_at"), table_name="shared_value")
    op.drop_table("shared_value")
    with op.batch_alter_table("wechat_binding") as batch:
        batch.drop_column("qr_url")
