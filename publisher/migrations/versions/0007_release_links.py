"""release links: drop the absolute URLs of a release's own page that ingest used to store

Until now a release without a link of its own stored `<base_url>news/<slug>.html`, built at ingest, so a new
site.base_url left every entry link, "original release" link and digest "Read more" on the old host. Now
`releases.url` holds only a source's own URL (or its url_template filled in) and "" for "the release's own page",
which outputs join to the base_url of the build. Rows whose URL is exactly such a page link become "".

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 21:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_releases = sa.table("releases", sa.column("id", sa.Integer), sa.column("slug", sa.String), sa.column("url", sa.String))


def _own_page(url: str, slug: str) -> bool:
    """`http(s)://host[:port][/prefix]/news/<slug>.html`, nothing after it: what ingest built from the default."""
    head, sep, tail = url.partition("://")
    return head in ("http", "https") and bool(sep) and tail.endswith(f"/news/{slug}.html") and "?" not in tail


def upgrade() -> None:
    conn = op.get_bind()
    # Only candidates are read (suffix match in SQL), then checked exactly: LIKE's '_' would match any character.
    rows = conn.execute(
        sa.select(_releases.c.id, _releases.c.slug, _releases.c.url).where(_releases.c.url.like("%/news/%.html"))
    ).all()
    ids = [rid for rid, slug, url in rows if _own_page(url, slug)]
    for start in range(0, len(ids), 500):
        conn.execute(sa.update(_releases).where(_releases.c.id.in_(ids[start : start + 500])).values(url=""))


def downgrade() -> None:
    # The old host is not recorded anywhere; "" still means "the release's own page" to every output.
    pass
