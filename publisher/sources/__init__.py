"""Source kinds: importing this package registers every built-in kind."""

from publisher.sources import release_text  # noqa: F401
from publisher.sources import structured  # noqa: F401

try:  # the project-page parser lands separately; keep the rest usable meanwhile
    from publisher.sources import project_pages  # noqa: F401
except ImportError:  # pragma: no cover
    pass
