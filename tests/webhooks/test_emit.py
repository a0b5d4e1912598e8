"""emit() queues deliveries inside the caller's transaction: no commit, no send of its own."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.audit.models import AuditEvent
from crewline.db import utcnow
from crewline.webhooks import service
from crewline.webhooks.delivery import deliver_due
from crewline.webhooks.models import DeliveryStatus, EventType, WebhookDelivery
from tests.factories import ACTOR, Factory
from tests.webhooks.support import Inbox, mock_client, project, webhook

TASK = EventType.task_completed


def _deliveries(session: Session) -> list[WebhookDelivery]:
    return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_emit_queues_one_pending_delivery_per_active_subscribed_webhook(
    factory: Factory, session: Session
) -> None:
    p = project(factory)
    both = webhook(session, p.id, url="https://a.example.com/hooks")
    webhook(session, p.id, url="https://b.example.com/", events=(EventType.project_completed,))
    disabled = webhook(session, p.id, url="https://c.example.com/")
    service.do_disable(session=session, actor=ACTOR, webhook_id=disabled.id)

    queued = service.emit(session=session, project_id=p.id, event_type=TASK, payload={"task_id": 7})

    assert queued == 1
    [delivery] = _deliveries(session)
    assert delivery.webhook_id == both.id
    assert delivery.event_type is TASK
    assert delivery.status is DeliveryStatus.pending
    assert delivery.attempts == 0
    assert delivery.payload == {"task_id": 7, "project_id": p.id}
    assert delivery.msg_id.startswith("msg_")
    assert isinstance(delivery.next_attempt_at, datetime)
    assert delivery.next_attempt_at <= utcnow()


def test_each_webhook_gets_its_own_message_id(factory: Factory, session: Session) -> None:
    p = project(factory)
    webhook(session, p.id, url="https://a.example.com/")
    webhook(session, p.id, url="https://b.example.com/")
    assert service.emit(session=session, project_id=p.id, event_type=TASK, payload={}) == 2
    assert len({d.msg_id for d in _deliveries(session)}) == 2


def test_a_rolled_back_change_sends_nothing(factory: Factory, session: Session) -> None:
    p = project(factory)
    inbox = Inbox()
    webhook(session, p.id, inbox)

    service.emit(session=session, project_id=p.id, event_type=TASK, payload={"task_id": 1})
    session.rollback()  # the change that caused the event failed

    assert _deliveries(session) == []
    assert deliver_due(session=session, now=utcnow(), client=mock_client(inbox)) == 0
    assert inbox.received == []


def test_an_event_is_sent_once_the_callers_transaction_commits(
    factory: Factory, session: Session
) -> None:
    p = project(factory)
    inbox = Inbox()
    webhook(session, p.id, inbox)

    service.emit(session=session, project_id=p.id, event_type=TASK, payload={"task_id": 1})
    assert session.in_transaction()  # emit left the transaction to its caller
    session.commit()

    assert deliver_due(session=session, now=utcnow(), client=mock_client(inbox)) == 1
    assert [r.event["data"] for r in inbox.received] == [{"task_id": 1, "project_id": p.id}]


def test_emit_writes_no_audit_event(factory: Factory, session: Session) -> None:
    p = project(factory)
    webhook(session, p.id)
    before = len(list(session.scalars(select(AuditEvent.id))))
    service.emit(session=session, project_id=p.id, event_type=TASK, payload={})
    assert len(list(session.scalars(select(AuditEvent.id)))) == before


def test_a_project_without_webhooks_queues_nothing(factory: Factory, session: Session) -> None:
    p = project(factory)
    other = project(factory)
    webhook(session, other.id)
    assert service.emit(session=session, project_id=p.id, event_type=TASK, payload={}) == 0
    assert _deliveries(session) == []


def test_a_payload_that_is_not_json_is_refused_at_emit(factory: Factory, session: Session) -> None:
    p = project(factory)
    webhook(session, p.id)
    with pytest.raises(TypeError, match="JSON serializable"):
        service.emit(session=session, project_id=p.id, event_type=TASK, payload={"at": utcnow()})


def test_an_unknown_event_type_is_refused(factory: Factory, session: Session) -> None:
    p = project(factory)
    with pytest.raises(ValueError, match=r"task\.started"):
        service.emit(
            session=session,
            project_id=p.id,
            event_type="task.started",  # type: ignore[arg-type]
            payload={},
        )
