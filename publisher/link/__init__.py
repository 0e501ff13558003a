"""Link releases to the projects they are about, with evidence for machines and reasons for readers."""

from publisher.link.forms import name_forms
from publisher.link.linker import Linker
from publisher.link.names import MentionIndex
from publisher.link.profiles import (
    Candidate,
    Evidence,
    EvidenceKind,
    LinkResult,
    ProjectProfile,
    ReleaseProfile,
    build_project_profile,
    build_release_profile,
    core_topics,
    project_text,
    release_profile,
)
from publisher.link.setup import linker_for

__all__ = [
    "Candidate",
    "Evidence",
    "EvidenceKind",
    "LinkResult",
    "Linker",
    "MentionIndex",
    "ProjectProfile",
    "ReleaseProfile",
    "build_project_profile",
    "build_release_profile",
    "core_topics",
    "linker_for",
    "name_forms",
    "project_text",
    "release_profile",
]
