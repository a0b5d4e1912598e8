"""Delivery: signed POSTs, 2xx accepted, retries on the Standard Webhooks schedule, replays."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from crewline.auth.roles import Role
from crewline.config import Settings
from crewline.db import utcnow
from crewline.webhooks import delivery, service, signing
from crewline.webhooks.delivery import deliver_due
from crewline.webhooks.models import DeliveryStatus, EventType, Webhook, WebhookDelivery
from tests.factories import ACTOR, Factory
from tests.webhooks.support import (
    Inbox,
    failing_client,
    http_receiver,
    mock_client,
    project,
    webhook,
)

TASK = EventType.task_completed
#: The spec's schedule after the first (immediate) attempt.
DELAYS = [
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
]


def _queued(
    session: Session, hook: Webhook, payload: dict[str, object] | None = None
) -> WebhookDelivery:
    """One committed pending delivery to ``hook``."""
    service.emit(
        session=session, project_id=hook.project_id, event_type=TASK, payload=payload or {}
    )
    session.commit()
    [queued] = service.list_deliveries(session=session, webhook_id=hook.id, limit=1)
    return queued


def test_a_real_receiver_gets_a_signed_standard_webhooks_request(
    factory: Factory, session: Session
) -> None:
    p = project(factory)
    inbox = Inbox()
    with http_receiver(inbox) as url:
        hook = webhook(session, p.id, inbox, url=url)
        queued = _queued(session, hook, {"task_id": 12, "external_id": "img-0042"})
        sent = delivery.job(allow_private=True)(
            session, utcnow()
        )  # the registered job: a real httpx.Client

    assert sent == 1
    assert inbox.rejected == []
    [received] = inbox.received  # verified with standardwebhooks.Webhook(secret).verify
    assert received.msg_id == queued.msg_id
    assert received.headers["content-type"] == "application/json"
    assert received.headers["webhook-signature"].startswith("v1,")
    assert abs(int(received.headers["webhook-timestamp"]) - utcnow().timestamp()) < 60
    assert received.event["type"] == "task.completed"
    assert received.event["data"] == {"task_id": 12, "external_id": "img-0042", "project_id": p.id}
    assert datetime.fromisoformat(received.event["timestamp"]) == queued.created_at
    assert queued.status is DeliveryStatus.delivered
    assert queued.last_status_code == 200


def test_a_request_signed_with_another_secret_is_rejected_by_the_receiver(
    factory: Factory, session: Session
) -> None:
    """The receiver really verifies: the same request under a wrong secret is refused."""
    p = project(factory)
    inbox = Inbox()
    with http_receiver(inbox) as url:
        hook = webhook(session, p.id, inbox, url=url)
        inbox.secret = signing.new_secret()
        queued = _queued(session, hook)
        delivery.job(allow_private=True)(session, utcnow())
    assert len(inbox.rejected) == 1
    assert queued.status is DeliveryStatus.pending
    assert queued.last_status_code == 400


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_any_2xx_marks_the_delivery_delivered(
    status: int, factory: Factory, session: Session
) -> None:
    inbox = Inbox(statuses=[status])
    hook = webhook(session, project(factory).id, inbox)
    queued = _queued(session, hook)
    now = utcnow()

    assert deliver_due(session=session, now=now, client=mock_client(inbox)) == 1

    assert queued.status is DeliveryStatus.delivered
    assert (queued.attempts, queued.last_status_code, queued.last_error) == (1, status, None)
    assert queued.delivered_at == now
    assert queued.next_attempt_at is None
    assert deliver_due(session=session, now=now + timedelta(days=2), client=mock_client(inbox)) == 0


@pytest.mark.parametrize("status", [301, 302, 400, 404, 410, 500, 503])
def test_anything_but_2xx_is_retried_after_5_seconds(
    status: int, factory: Factory, session: Session
) -> None:
    inbox = Inbox(statuses=[status])
    hook = webhook(session, project(factory).id, inbox)
    queued = _queued(session, hook)
    now = utcnow()

    deliver_due(session=session, now=now, client=mock_client(inbox))

    assert queued.status is DeliveryStatus.pending
    assert (queued.attempts, queued.last_status_code) == (1, status)
    assert queued.last_error == f"HTTP {status}"
    assert queued.next_attempt_at == now + timedelta(seconds=5)


def test_retries_follow_the_schedule_then_the_delivery_fails(
    factory: Factory, session: Session
) -> None:
    inbox = Inbox(statuses=[500] * 8)
    hook = webhook(session, project(factory).id, inbox)
    queued = _queued(session, hook)
    client = mock_client(inbox)
    now = utcnow()

    for attempt, delay in enumerate(DELAYS, start=1):
        assert deliver_due(session=session, now=now, client=client) == 1
        assert queued.attempts == attempt
        assert queued.status is DeliveryStatus.pending
        assert queued.next_attempt_at == now + delay
        early = now + delay - timedelta(milliseconds=1)
        assert deliver_due(session=session, now=early, client=client) == 0
        now += delay

    assert deliver_due(session=session, now=now, client=client) == 1  # the eighth and last
    assert queued.status is DeliveryStatus.failed
    assert (queued.attempts, queued.next_attempt_at) == (8, None)
    assert deliver_due(session=session, now=now + timedelta(days=30), client=client) == 0
    assert inbox.msg_ids == [queued.msg_id] * 8  # one message id across every retry


def test_a_delivery_that_succeeds_on_a_retry_is_delivered(
    factory: Factory, session: Session
) -> None:
    inbox = Inbox(statuses=[503, 503, 200])
    hook = webhook(session, project(factory).id, inbox)
    queued = _queued(session, hook)
    now = utcnow()
    for delay in (timedelta(0), *DELAYS[:2]):
        now += delay
        deliver_due(session=session, now=now, client=mock_client(inbox))
    assert queued.status is DeliveryStatus.delivered
    assert (queued.attempts, queued.last_status_code, queued.last_error) == (3, 200, None)


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_network_error_is_recorded_and_retried(
    error: Exception, factory: Factory, session: Session
) -> None:
    hook = webhook(session, project(factory).id)
    queued = _queued(session, hook)
    now = utcnow()

    assert deliver_due(session=session, now=now, client=failing_client(error)) == 1

    assert queued.status is DeliveryStatus.pending
    assert queued.last_status_code is None
    assert queued.last_error == f"{type(error).__name__}: {error}"
    assert queued.next_attempt_at == now + timedelta(seconds=5)


def test_an_unreachable_receiver_is_a_failed_attempt_not_a_crash(
    factory: Factory, session: Session
) -> None:
    with http_receiver(Inbox()) as url:
        pass  # the server is gone: its port now refuses connections
    hook = webhook(session, project(factory).id, url=url)
    queued = _queued(session, hook)
    assert delivery.job(allow_private=True)(session, utcnow()) == 1
    assert queued.attempts == 1
    assert queued.last_error is not None and queued.last_error.startswith("ConnectError")
    assert hook.secret not in queued.last_error


def test_one_run_sends_at_most_limit_oldest_first(factory: Factory, session: Session) -> None:
    inbox = Inbox()
    hook = webhook(session, project(factory).id, inbox)
    for task_id in range(5):
        service.emit(
            session=session, project_id=hook.project_id, event_type=TASK, payload={"n": task_id}
        )
    session.commit()
    now = utcnow()
    assert deliver_due(session=session, now=now, client=mock_client(inbox), limit=3) == 3
    assert deliver_due(session=session, now=now, client=mock_client(inbox), limit=3) == 2
    assert [r.event["data"]["n"] for r in inbox.received] == [0, 1, 2, 3, 4]


def test_a_delivery_is_not_sent_before_it_is_due(factory: Factory, session: Session) -> None:
    inbox = Inbox()
    hook = webhook(session, project(factory).id, inbox)
    queued = _queued(session, hook)
    before = queued.created_at - timedelta(seconds=1)
    assert deliver_due(session=session, now=before, client=mock_client(inbox)) == 0
    assert inbox.received == []


def test_disabling_a_webhook_fails_its_pending_deliveries_unsent(
    factory: Factory, session: Session
) -> None:
    inbox = Inbox()
    hook = webhook(session, project(factory).id, inbox)
    queued = _queued(session, hook)

    service.do_disable(session=session, actor=ACTOR, webhook_id=hook.id)

    assert deliver_due(session=session, now=utcnow(), client=mock_client(inbox)) == 0
    assert inbox.received == []
    assert queued.status is DeliveryStatus.failed
    assert queued.last_error == service.DISABLED
    assert (
        service.emit(session=session, project_id=hook.project_id, event_type=TASK, payload={}) == 0
    )


def test_a_delivery_queued_as_its_webhook_was_disabled_is_not_sent(
    factory: Factory, session: Session
) -> None:
    """The emitting transaction may commit after the disabling one: the job still holds back."""
    inbox = Inbox()
    hook = webhook(session, project(factory).id, inbox)
    queued = _queued(session, hook)
    hook.active = False  # as if disabled after the delivery was queued
    session.commit()

    assert deliver_due(session=session, now=utcnow(), client=mock_client(inbox)) == 1
    assert inbox.received == []
    assert (queued.status, queued.attempts) == (DeliveryStatus.failed, 0)


def test_a_replayed_delivery_is_sent_again_with_the_same_message_id(
    factory: Factory, session: Session
) -> None:
    inbox = Inbox(statuses=[200, 200])
    hook = webhook(session, project(factory).id, inbox)
    queued = _queued(session, hook, {"task_id": 3})
    deliver_due(session=session, now=utcnow(), client=mock_client(inbox))
    assert queued.status is DeliveryStatus.delivered

    replayed = service.do_replay(session=session, actor=ACTOR, delivery_id=queued.id)
    assert (replayed.status, replayed.attempts, replayed.delivered_at) == (
        DeliveryStatus.pending,
        0,
        None,
    )
    assert deliver_due(session=session, now=utcnow(), client=mock_client(inbox)) == 1

    assert inbox.msg_ids == [queued.msg_id, queued.msg_id]
    assert inbox.received[0].event == inbox.received[1].event
    assert queued.status is DeliveryStatus.delivered


def test_a_failed_delivery_replayed_gets_the_whole_schedule_again(
    factory: Factory, session: Session
) -> None:
    inbox = Inbox(statuses=[500] * 9)
    hook = webhook(session, project(factory).id, inbox)
    queued = _queued(session, hook)
    queued.status, queued.attempts, queued.next_attempt_at = DeliveryStatus.failed, 8, None
    session.commit()

    now = utcnow()
    service.do_replay(session=session, actor=ACTOR, delivery_id=queued.id, now=now)
    deliver_due(session=session, now=now, client=mock_client(inbox))

    assert queued.status is DeliveryStatus.pending
    assert queued.attempts == 1
    assert queued.next_attempt_at == now + timedelta(seconds=5)


def test_the_delivery_job_is_registered_every_5_seconds(app: FastAPI) -> None:
    [job] = [j for j in app.state.jobs.jobs if j.name == "webhooks.deliver"]
    assert job.every_seconds == 5


def test_the_job_runs_from_the_registry(factory: Factory, session: Session, app: FastAPI) -> None:
    inbox = Inbox()
    with http_receiver(inbox) as url:
        hook = webhook(session, project(factory).id, inbox, url=url)
        _queued(session, hook)
        done = app.state.jobs.run_once(app.state.sessionmaker)
    assert done["webhooks.deliver"] == 1
    assert len(inbox.received) == 1 and inbox.rejected == []


def test_the_api_shows_a_given_up_delivery_with_its_last_error(
    factory: Factory, session: Session
) -> None:
    hook = webhook(session, project(factory).id)
    queued = _queued(session, hook)
    client = failing_client(httpx.ConnectError("[Errno 111] Connection refused"))
    now = utcnow()
    for delay in (timedelta(0), *DELAYS):
        now += delay
        deliver_due(session=session, now=now, client=client)

    api = factory.api(factory.user(Role.ops_manager))
    [item] = api.get(f"/api/v1/webhooks/{hook.id}/deliveries").json()["items"]
    assert item["id"] == queued.id
    assert item["status"] == "failed"
    assert item["attempts"] == 8
    assert item["last_status_code"] is None
    assert item["last_error"] == "ConnectError: [Errno 111] Connection refused"
    assert item["next_attempt_at"] is None


def test_production_refuses_receivers_on_private_addresses(
    factory: Factory, session: Session
) -> None:
    inbox = Inbox()
    with http_receiver(inbox) as url:
        hook = webhook(session, project(factory).id, inbox, url=url)
        queued = _queued(session, hook)
        assert delivery.job(allow_private=False)(session, utcnow()) == 1
    session.refresh(queued)
    assert inbox.received == []
    assert queued.last_error is not None and "non-public address (127.0.0.1)" in queued.last_error


def test_private_addresses_are_refused_by_default_only_in_production() -> None:
    assert Settings(env="production", secret_key="x" * 40).webhooks_may_reach_private is False  # type: ignore[arg-type]
    assert Settings().webhooks_may_reach_private is True
    assert delivery.private_address("127.0.0.1") == "127.0.0.1"
    assert delivery.private_address("10.1.2.3") == "10.1.2.3"
    assert delivery.private_address("8.8.8.8") is None
