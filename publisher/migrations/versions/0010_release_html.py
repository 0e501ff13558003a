"""release html: the sanitised HTML of a feed-sourced body beside its text, and which of the two the source gave

`releases.body` stays the text every step reads (tagging, linking, summaries, plain-text digests, export).
`releases.body_format` says what the source gave: "text" (every release stored before, and every text source) or
"html"; for "html", `releases.body_html` holds the source's markup reduced to the safe subset, shown by feeds
and pages.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 00:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("releases") as t:
        t.add_column(sa.Column("body_format", sa.String(length=5), nullable=False, server_default=sa.text("'text'")))
        t.add_column(sa.Column("body_html", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("releases") as t:
        t.drop_column("body_html")
        t.drop_column("body_format")
