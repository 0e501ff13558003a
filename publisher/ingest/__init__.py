"""Store source records idempotently (one transaction per source), tagging and linking what changed."""

from publisher.ingest.common import BATCH, TITLE_COLUMN, IngestResult, batched, clean_record
from publisher.ingest.projects import ingest_projects, relink_all
from publisher.ingest.releases import ingest_releases, release_key
from publisher.ingest.runs import RETAG_RUN, ingest_source, retag
from publisher.ingest.tagging import TAG_LOADS, Tagger, TagSet, page_key, project_profile, write_tags
from publisher.ingest.taxonomy import sync_taxonomy

__all__ = [
    "BATCH",
    "RETAG_RUN",
    "TAG_LOADS",
    "TITLE_COLUMN",
    "IngestResult",
    "TagSet",
    "Tagger",
    "batched",
    "clean_record",
    "ingest_projects",
    "ingest_releases",
    "ingest_source",
    "page_key",
    "project_profile",
    "release_key",
    "relink_all",
    "retag",
    "sync_taxonomy",
    "write_tags",
]
