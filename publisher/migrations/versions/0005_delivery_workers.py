"""delivery workers: who holds a delivery row, the senders' registry, the shared rate-limit bucket, pending index

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PENDING = "status IN ('queued', 'deferred')"


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("worker", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_deliveries_pending_order",
        "deliveries",
        ["edition_id", "variant", "id"],
        sqlite_where=sa.text(PENDING),
        postgresql_where=sa.text(PENDING),
    )
    op.create_table(
        "delivery_workers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_workers")),
    )
    op.create_table(
        "delivery_pacing",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_delivery_pacing")),
    )


def downgrade() -> None:
    op.drop_table("delivery_pacing")
    op.drop_table("delivery_workers")
    op.drop_index("ix_deliveries_pending_order", table_name="deliveries")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("worker")
