"""Source kinds: importing this package registers every built-in kind."""

from publisher.sources import project_pages, release_text, structured  # noqa: F401
