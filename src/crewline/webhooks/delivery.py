"""Sending due deliveries: signed POSTs, retried on the Standard Webhooks schedule.

Each delivery is claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite has a
single writer and ignores the clause), sent, recorded and committed before the next is
claimed, so several job workers never send one delivery at once and a crash loses at most
the attempt in flight, which is then retried. The row stays locked while its request is in
flight (at most the client's timeout). A receiver answers 2xx to accept; anything else, or
no answer, schedules the next try after the delay for the attempts made so far, and after
the last try the delivery is ``failed``. Redirects are not followed and response bodies are
never read.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Select, literal, select
from sqlalchemy.orm import Session

from crewline.retry import next_attempt
from crewline.webhooks import signing
from crewline.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery
from crewline.webhooks.service import DISABLED

TIMEOUT_SECONDS = 10
USER_AGENT = "Crewline-Webhooks/1"
#: Delay before each try: the first goes at once, the eighth 10 hours after the seventh.
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_SCHEDULE)
MAX_ERROR_LENGTH = 500


def retry_at(*, attempts: int, now: datetime) -> datetime | None:
    """When to try again after ``attempts`` failed tries, or None when it is time to give up."""
    return next_attempt(RETRY_SCHEDULE, attempts=attempts, now=now)


def body(delivery: WebhookDelivery) -> bytes:
    """The JSON body: ``{"type": ..., "timestamp": <event time>, "data": {...}}``."""
    envelope = {
        "type": delivery.event_type.value,
        "timestamp": delivery.created_at.isoformat().replace("+00:00", "Z"),
        "data": delivery.payload,
    }
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def due(now: datetime) -> Select[WebhookDelivery]:
    """The next pending delivery due at ``now``, locked, skipping rows other workers hold.

    It reads the partial index ``ix_webhook_deliveries_due`` (pending rows only). The status is
    rendered as a literal so that even a generic plan of a prepared statement can use it.
    """
    pending = literal(DeliveryStatus.pending.value, literal_execute=True)
    return (
        select(WebhookDelivery)
        .where(
            WebhookDelivery.status == pending,
            WebhookDelivery.next_attempt_at <= now,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )


def private_address(host: str) -> str | None:
    """The first non-public address ``host`` resolves to, or None if all are public.

    Receivers are chosen by clients; without this check a webhook could probe the network
    the server sits in (SSRF). Checked at each attempt, so a DNS change is caught too.
    """
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return None  # unresolvable: the send itself fails with a clear error
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address.is_global:
            return str(address)
    return None


def _send(
    client: httpx.Client, webhook: Webhook, delivery: WebhookDelivery, *, allow_private: bool
) -> tuple[int | None, str | None]:
    """POST the signed message; (status code or None, error or None)."""
    if not allow_private:
        address = private_address(httpx.URL(webhook.url).host)
        if address is not None:
            return None, f"refused: the receiver resolves to a non-public address ({address})"
    content = body(delivery)
    headers = signing.headers(
        secret=webhook.secret, msg_id=delivery.msg_id, timestamp=int(time.time()), body=content
    )
    headers["user-agent"] = USER_AGENT
    try:
        with client.stream("POST", webhook.url, content=content, headers=headers) as response:
            code = response.status_code
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
    if 200 <= code < 300:
        return code, None
    return code, f"HTTP {code}"


def _record(delivery: WebhookDelivery, code: int | None, error: str | None, now: datetime) -> None:
    delivery.attempts += 1
    delivery.last_status_code = code
    delivery.last_error = error
    if error is None:
        delivery.status = DeliveryStatus.delivered
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        return
    delivery.next_attempt_at = retry_at(attempts=delivery.attempts, now=now)
    if delivery.next_attempt_at is None:
        delivery.status = DeliveryStatus.failed


def deliver_due(
    *,
    session: Session,
    now: datetime,
    client: httpx.Client,
    limit: int = 100,
    allow_private: bool = True,
) -> int:
    """Send up to ``limit`` deliveries due at ``now``, committing each; returns how many.

    ``now`` drives the schedule (what is due, when to retry); the ``webhook-timestamp``
    header is the wall-clock time of sending, which is what receivers check.
    """
    handled = 0
    while handled < limit:
        delivery = session.scalar(due(now))
        if delivery is None:
            break
        # Re-read: the webhook may have been disabled since this session last loaded it.
        webhook = session.get(Webhook, delivery.webhook_id, populate_existing=True)
        if webhook is None or not webhook.active:
            delivery.status = DeliveryStatus.failed
            delivery.next_attempt_at = None
            delivery.last_error = DISABLED
        else:
            code, error = _send(client, webhook, delivery, allow_private=allow_private)
            _record(delivery, code, error, now)
        session.commit()
        handled += 1
    return handled


def job(*, allow_private: bool) -> Callable[[Session, datetime], int]:
    """The ``webhooks.deliver`` job: one batch of due deliveries over a fresh HTTP client.

    ``allow_private`` lets receivers on private or loopback addresses be reached (development
    and tests); production refuses them unless CREWLINE_WEBHOOKS_ALLOW_PRIVATE says otherwise.
    """

    def run(session: Session, now: datetime) -> int:
        with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
            return deliver_due(session=session, now=now, client=client, allow_private=allow_private)

    return run
