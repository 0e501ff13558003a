"""links: project aliases and acronyms, date precision, a release's source id, link evidence

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_EMPTY = sa.text("'[]'")
_DAY = sa.text("'day'")


def upgrade() -> None:
    with op.batch_alter_table("projects") as t:
        t.add_column(sa.Column("aliases", sa.JSON(), nullable=False, server_default=_EMPTY))
        t.add_column(sa.Column("acronyms", sa.JSON(), nullable=False, server_default=_EMPTY))
        t.add_column(sa.Column("start_precision", sa.String(length=5), nullable=False, server_default=_DAY))
        t.add_column(sa.Column("end_precision", sa.String(length=5), nullable=False, server_default=_DAY))
    with op.batch_alter_table("releases") as t:
        t.add_column(sa.Column("external_id", sa.String(length=400), nullable=False, server_default=""))
        t.add_column(sa.Column("published_precision", sa.String(length=5), nullable=False, server_default=_DAY))
    with op.batch_alter_table("release_projects") as t:
        t.add_column(sa.Column("evidence", sa.JSON(), nullable=False, server_default=_EMPTY))


def downgrade() -> None:
    with op.batch_alter_table("release_projects") as t:
        t.drop_column("evidence")
    with op.batch_alter_table("releases") as t:
        t.drop_column("published_precision")
        t.drop_column("external_id")
    with op.batch_alter_table("projects") as t:
        t.drop_column("end_precision")
        t.drop_column("start_precision")
        t.drop_column("acronyms")
        t.drop_column("aliases")
