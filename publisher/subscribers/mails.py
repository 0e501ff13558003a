"""The mails a subscribe request triggers (confirm link or already-subscribed note) and their per-address limit."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from publisher.config import Config
from publisher.errors import SubscriberError
from publisher.models import Subscriber, utcnow
from publisher.subscribers.service import RequestAction
from publisher.subscribers.tokens import confirm_link, subscriber_links


def _jinja_env(cfg: Config) -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in cfg.template_dirs]),
        # Plain-text mail must not be HTML-escaped; anything .html is.
        autoescape=jinja2.select_autoescape(["html", "htm", "xml"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def build_subscription_mail(
    cfg: Config, subscriber: Subscriber, action: RequestAction, now: dt.datetime | None = None
) -> EmailMessage:
    """The plain-text mail answering a subscribe request: the confirm link, or (already active) the manage link."""
    now = now or utcnow()
    env = _jinja_env(cfg)
    context: dict[str, Any] = {
        "site": cfg.site,
        "subscriber": subscriber,
        "cfg": cfg,
        "max_age_days": cfg.digest.token_max_age_days,
        "subscribe_url": cfg.site.url("subscribe"),
    }
    if action is RequestAction.CONFIRM:
        context["confirm_url"] = confirm_link(cfg, subscriber)
        template, subject = "web/mail/confirm.txt", f"Please confirm your subscription to {cfg.site.title}"
    else:
        context.update(subscriber_links(cfg, subscriber))
        template, subject = "web/mail/already_subscribed.txt", f"You are already subscribed to {cfg.site.title}"
    try:
        body = env.get_template(template).render(context)
    except Exception as exc:  # jinja2 errors: a broken operator template must say which file
        raise SubscriberError(f"cannot render {template}: {type(exc).__name__}: {exc}") from None
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = formataddr((cfg.digest.from_name, cfg.digest.from_address))
    msg["To"] = formataddr((subscriber.name, subscriber.email))
    if cfg.digest.reply_to:
        msg["Reply-To"] = cfg.digest.reply_to
    msg["Date"] = now
    msg["Message-ID"] = make_msgid("subscribe", domain=cfg.site.authority)
    # RFC 3834: tells autoresponders not to answer; this mail was triggered by a web form.
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body)
    return msg
