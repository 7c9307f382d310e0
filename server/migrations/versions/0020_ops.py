"""ops: the staff WeChat binding keeps its QR content URL on its row

Without Redis the URL used to be kept in the web process that created the binding, so with several
gunicorn workers the QR image answered 404 from every other worker. Adds wechat_binding.qr_url.

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


def downgrade() -> None:
    with op.batch_alter_table("wechat_binding") as batch:
        batch.drop_column("qr_url")
