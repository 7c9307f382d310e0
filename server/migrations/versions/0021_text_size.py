"""text_size: the text size a user chose (issue 22.1: per user as well as per device)

Adds user_account.text_size (normal | large | xlarge | elder, or NULL when never chosen).

Revision ID: 0021_text_size
Revises: 0018_fulfil
"""
import sqlalchemy as sa
from alembic import op

revision = "0021_text_size"
down_revision = "0018_fulfil"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("user_account", sa.Column("text_size", sa.String(length=10), nullable=True))


def downgrade() -> None:
    op.drop_column("user_account", "text_size")  # plain DROP COLUMN (SQLite 3.35+), never a table rebuild
