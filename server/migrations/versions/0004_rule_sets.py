"""Rule sets: complaint.rule_set, the regulations each complaint is handled under.

Accepted complaints get theirs from the day of acceptance (Shanghai time): samr-121 from 2026-04-15
(SAMR Order 121), samr-2022 before. Complaints not yet accepted get theirs when they are.

Revision ID: 0004_rule_sets
Revises: 0003_consents
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_rule_sets"
down_revision = "0003_consents"
branch_labels = None
depends_on = None

ORDER_121_FROM_UTC = "2026-04-14 16:00:00"  # 2026-04-15 00:00 in Shanghai


def upgrade() -> None:
    # Plain ADD COLUMN (never batch mode on complaint: see 0002_appeals).
    op.add_column("complaint", sa.Column("rule_set", sa.String(length=16), nullable=True))
    op.execute(f"UPDATE complaint SET rule_set = CASE WHEN accepted_at >= '{ORDER_121_FROM_UTC}' THEN 'samr-121' "
               f"ELSE 'samr-2022' END WHERE accepted_at IS NOT NULL")


def downgrade() -> None:
    op.drop_column("complaint", "rule_set")
