"""Orchestrate the steps (sources → ingest → tags/links → feeds → digests → delivery) for CLI, web and scheduler.

Callers (cli, web, scheduler) use `from publisher import pipeline` and call `pipeline.<name>`; each submodule holds
one area and every function takes an optional Store (opened and disposed per call when omitted).
"""

from __future__ import annotations

from publisher.pipeline._scope import store_scope
from publisher.pipeline.content import (
    IngestSummary,
    SourceCheck,
    check_config,
    check_sources_online,
    configured_sources,
    export_jsonl,
    ingest_history,
    list_projects,
    list_releases,
    retag,
    run_ingest,
)
from publisher.pipeline.cycle import (
    CycleSummary,
    count_active_subscribers,
    describe_ingest,
    output_locations,
    run_cycle,
)
from publisher.pipeline.digests import (
    build_editions,
    deliver,
    digest_archive_page,
    list_editions,
    preview_digest,
    send_test_digest,
)
from publisher.pipeline.evaluate import (
    evaluate_files,
    format_report,
)
from publisher.pipeline.feeds import (
    build_feeds,
    list_feeds,
)
from publisher.pipeline.jobs import (
    JobInfo,
    job_history,
    list_jobs,
    schedule_drift,
    set_job_paused,
    stored_next_runs,
)
from publisher.pipeline.links import Explanation, discovered_projects, explain_release
from publisher.pipeline.mail import MailSummary, process_mail
from publisher.pipeline.private_feeds import private_feed, private_feed_links, reset_private_feed
from publisher.pipeline.runs import (
    ONCE_JOB,
    JobRunResult,
    recover_interrupted_runs,
    run_job,
    run_once,
)
from publisher.pipeline.runs_interrupted import Interrupted, mark_interrupted_runs
from publisher.pipeline.subscribers import (
    SubscriberChange,
    add_subscriber,
    check_subscriber_form,
    confirm_subscription,
    import_subscribers,
    list_subscribers,
    remove_subscriber,
    request_subscription,
    resend_confirmation,
    save_preferences,
    send_subscription_mail,
    subscriber_for_token,
    subscriber_links_for,
    unsubscribe_by_token,
)
from publisher.pipeline.triggers import (
    describe_trigger,
    process_owner,
    schedule_fingerprint,
    schedule_trigger,
)

__all__ = [
    "ONCE_JOB",
    "CycleSummary",
    "Explanation",
    "IngestSummary",
    "Interrupted",
    "JobInfo",
    "JobRunResult",
    "MailSummary",
    "SourceCheck",
    "SubscriberChange",
    "add_subscriber",
    "build_editions",
    "build_feeds",
    "check_config",
    "check_sources_online",
    "check_subscriber_form",
    "configured_sources",
    "confirm_subscription",
    "count_active_subscribers",
    "deliver",
    "describe_ingest",
    "describe_trigger",
    "digest_archive_page",
    "discovered_projects",
    "evaluate_files",
    "explain_release",
    "export_jsonl",
    "format_report",
    "import_subscribers",
    "ingest_history",
    "job_history",
    "list_editions",
    "list_feeds",
    "list_jobs",
    "list_projects",
    "list_releases",
    "list_subscribers",
    "mark_interrupted_runs",
    "output_locations",
    "preview_digest",
    "private_feed",
    "private_feed_links",
    "process_mail",
    "process_owner",
    "recover_interrupted_runs",
    "remove_subscriber",
    "request_subscription",
    "resend_confirmation",
    "reset_private_feed",
    "retag",
    "run_cycle",
    "run_ingest",
    "run_job",
    "run_once",
    "save_preferences",
    "schedule_drift",
    "schedule_fingerprint",
    "schedule_trigger",
    "send_subscription_mail",
    "send_test_digest",
    "set_job_paused",
    "store_scope",
    "stored_next_runs",
    "subscriber_for_token",
    "subscriber_links_for",
    "unsubscribe_by_token",
]
