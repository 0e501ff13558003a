"""rate limits: fixed-window hit counters for the public forms, shared by every process

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 21:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_rate_counters")),
    )
    op.create_index(op.f("ix_rate_counters_window_start"), "rate_counters", ["window_start"])


def downgrade() -> None:
    op.drop_index(op.f("ix_rate_counters_window_start"), table_name="rate_counters")
    op.drop_table("rate_counters")
