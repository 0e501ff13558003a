"""Digest editions: periods, which releases each subscriber gets, content variants and pure rendering."""

# Modules along the data flow (each imports only those before it):
#   periods → model → items (store reads) → personalise (slots) → templates → context → inline → render
#   → editions (building, per-subscriber choice) → lookup (stored editions read back, previews, list).
# Everything callers use is importable from here; the modules are the place to read and change it.

from publisher.digest.context import Group, groups_for, subject_for, template_context, why_line
from publisher.digest.editions import (
    BATCH,
    SWITCH_LOOKBACK_DAYS,
    EditionResult,
    EditionsSummary,
    ReleaseTags,
    build_edition,
    candidate_release_ids,
    carried_over,
    choose_items,
    late_since,
    matches,
    new_message_id,
    previous_edition,
    release_tags,
    sent_for,
    switch_gaps,
)
from publisher.digest.inline import inline_css, inline_template_source, inlined_template
from publisher.digest.items import country_name, item_from_release, items_for_ids, load_releases
from publisher.digest.lookup import (
    EditionInfo,
    archive_url,
    edition_period,
    find_edition,
    followed_release_ids,
    list_editions,
    preview_items,
    render_edition_variant,
    variant_follows,
    variant_release_ids,
)
from publisher.digest.model import NO_FOLLOWS, DigestItem, Follows, RelatedProject, RenderedDigest, variant_key
from publisher.digest.periods import Period, human_day, last_completed_period, parse_period, period_containing
from publisher.digest.personalise import PLACEHOLDER_RE, PLACEHOLDERS, greeting, personal_values, personalise
from publisher.digest.render import Inlining, render_digest
from publisher.digest.templates import MAIL_TEMPLATE, template_environment

__all__ = [
    "BATCH",
    "MAIL_TEMPLATE",
    "NO_FOLLOWS",
    "PLACEHOLDERS",
    "PLACEHOLDER_RE",
    "SWITCH_LOOKBACK_DAYS",
    "DigestItem",
    "EditionInfo",
    "EditionResult",
    "EditionsSummary",
    "Follows",
    "Group",
    "Inlining",
    "Period",
    "RelatedProject",
    "ReleaseTags",
    "RenderedDigest",
    "archive_url",
    "build_edition",
    "candidate_release_ids",
    "carried_over",
    "choose_items",
    "country_name",
    "edition_period",
    "find_edition",
    "followed_release_ids",
    "greeting",
    "groups_for",
    "human_day",
    "inline_css",
    "inline_template_source",
    "inlined_template",
    "item_from_release",
    "items_for_ids",
    "last_completed_period",
    "late_since",
    "list_editions",
    "load_releases",
    "matches",
    "new_message_id",
    "parse_period",
    "period_containing",
    "personal_values",
    "personalise",
    "preview_items",
    "previous_edition",
    "release_tags",
    "render_digest",
    "render_edition_variant",
    "sent_for",
    "subject_for",
    "switch_gaps",
    "template_context",
    "template_environment",
    "variant_follows",
    "variant_key",
    "variant_release_ids",
    "why_line",
]
