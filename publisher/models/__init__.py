"""The store's schema: every SQLAlchemy model, importable from one place."""

from publisher.models import jobs, limits, mail  # noqa: F401  (registers their tables on Base.metadata)
from publisher.models.base import Base, UTCDateTime, pid_alive, this_process, utcnow
from publisher.models.content import (
    BodyFormat,
    Country,
    DatePrecision,
    IngestRun,
    Project,
    Region,
    Release,
    ReleaseCountry,
    ReleaseProject,
    ReleaseRegion,
    ReleaseTopic,
    RunStatus,
    Topic,
)
from publisher.models.jobs import *  # noqa: F403
from publisher.models.limits import *  # noqa: F403
from publisher.models.mail import *  # noqa: F403

__all__ = [
    "Base",
    "BodyFormat",
    "Country",
    "DatePrecision",
    "IngestRun",
    "Project",
    "Region",
    "Release",
    "ReleaseCountry",
    "ReleaseProject",
    "ReleaseRegion",
    "ReleaseTopic",
    "RunStatus",
    "Topic",
    "UTCDateTime",
    "pid_alive",
    "this_process",
    "utcnow",
]
