"""contact: the business's details on a complaint, the consumer's contact preference, business name keys

Adds complaint.business_address, business_phone, business_credit_code (indexed) and contact_preference
("message" for existing rows), and business.name_key (indexed; filled here for existing businesses with
server.core.models.business.business_name_key) so that a complaint naming a platform business exactly is
linked to it.

Revision ID: 0016_contact
Revises: 0020_ops
"""
import sqlalchemy as sa
from alembic import op

revision = "0016_contact"
down_revision = "0020_ops"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, never batch mode: on SQLite batch mode recreates `complaint` and, with foreign keys
    # on, cascades away its timeline and messages (see 0002_appeals).
    op.add_column("complaint", sa.Column("business_address", sa.String(length=200), nullable=True))
    op.add_column("complaint", sa.Column("business_phone", sa.String(length=32), nullable=True))
    op.add_column("complaint", sa.Column("business_credit_code", sa.String(length=18), nullable=True))
    op.add_column("complaint", sa.Column("contact_preference", sa.String(length=10), nullable=False,
                                         server_default="message"))
    op.create_index(op.f("ix_complaint_business_credit_code"), "complaint", ["business_credit_code"], unique=False)
    op.add_column("business", sa.Column("name_key", sa.String(length=128), nullable=True))
    op.create_index(op.f("ix_business_name_key"), "business", ["name_key"], unique=False)

    from server.core.models.business import business_name_key

    bind = op.get_bind()
    business = sa.table("business", sa.column("id", sa.Integer()), sa.column("name", sa.String()),
                        sa.column("name_key", sa.String()))
    rows = bind.execute(sa.select(business.c.id, business.c.name)).all()
    for row_id, name in rows:
        bind.execute(business.update().where(business.c.id == row_id).values(name_key=business_name_key(name)))


def downgrade() -> None:
    op.drop_index(op.f("ix_business_name_key"), table_name="business")
    op.drop_column("business", "name_key")
    op.drop_index(op.f("ix_complaint_business_credit_code"), table_name="complaint")
    for column in ("contact_preference", "business_credit_code", "business_phone", "business_address"):
        op.drop_column("complaint", column)
