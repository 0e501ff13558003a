"""private feeds: a per-subscriber feed_version, bumped by "reset private feed link" to kill the old URL

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The server default fills existing rows (SQLite accepts a NOT NULL column added with a default).
    op.add_column("subscribers", sa.Column("feed_version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("feed_version")
