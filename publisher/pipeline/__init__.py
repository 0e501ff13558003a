"""Orchestrate the steps (sources → ingest → tags/links → feeds → digests → delivery) for CLI, web and scheduler.

Callers (cli, web, scheduler) use `from publisher import pipeline` and call `pipeline.<name>`; each submodule holds
one area and every function takes an optional Store (opened and disposed per call when omitted).
"""

from __future__ import annotations

from publisher.pipeline._scope import store_scope  # noqa: F401
from publisher.pipeline.content import (  # noqa: F401
    IngestSummary,
    check_config,
    configured_sources,
    export_jsonl,
    list_projects,
    list_releases,
    retag,
    run_ingest,
)
from publisher.pipeline.digests import (  # noqa: F401
    build_editions,
    deliver,
    digest_archive_page,
    list_editions,
    preview_digest,
)
from publisher.pipeline.feeds import (  # noqa: F401
    build_feeds,
    list_feeds,
)
from publisher.pipeline.jobs import (  # noqa: F401
    ONCE_JOB,
    CycleSummary,
    JobInfo,
    JobRunResult,
    _stored_next_runs,
    count_active_subscribers,
    describe_ingest,
    describe_trigger,
    job_history,
    list_jobs,
    output_locations,
    process_owner,
    recover_interrupted_runs,
    run_cycle,
    run_job,
    run_once,
    schedule_fingerprint,
    schedule_trigger,
    set_job_paused,
)
from publisher.pipeline.subscribers import (  # noqa: F401
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
