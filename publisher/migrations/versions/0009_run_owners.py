"""run owners: ingest_runs records which process runs each run

A process killed mid-ingest left its run `running` for ever. Each run now records its process
("proc:<host>:<pid>"), so the next command that records runs can mark it interrupted once that process is
surely gone. Rows from before this revision have no owner ("") and are left as they are.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 00:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_runs") as t:
        t.add_column(sa.Column("owner", sa.String(length=200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("ingest_runs") as t:
        t.drop_column("owner")
