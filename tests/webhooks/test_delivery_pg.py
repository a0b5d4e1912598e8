"""Delivery workers against real PostgreSQL: no delivery is sent twice, the due index is used.

These use real, committed transactions (not the per-test rollback), so they clean up after
themselves. They run when the suite runs on PostgreSQL; on SQLite there is one writer at a
time and the row locks they test do not exist.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, delete, event, select
from sqlalchemy.orm import Session, sessionmaker

from crewline.audit.models import AuditEvent
from crewline.audit.schemas import Actor
from crewline.db import make_sessionmaker, utcnow
from crewline.orgs import service as orgs
from crewline.orgs.models import Organization, OrgKind
from crewline.orgs.schemas import OrgCreate
from crewline.projects import service as projects
from crewline.projects.models import Project
from crewline.projects.schemas import ProjectCreate
from crewline.webhooks import service
from crewline.webhooks.delivery import deliver_due, due
from crewline.webhooks.models import DeliveryStatus, EventType, WebhookDelivery
from crewline.webhooks.schemas import WebhookCreate
from tests.factories import unique
from tests.webhooks.support import Inbox

pytestmark = pytest.mark.postgres

DELIVERIES = 40


@dataclass(frozen=True)
class Live:
    sessions: sessionmaker[Session]
    project_id: int
    webhook_id: int
    secret: str


@pytest.fixture
def live(engine: Engine) -> Iterator[Live]:
    """A committed client, project and webhook; removed afterwards with all they caused."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks and query plans are tested on PostgreSQL (CI runs the suite there)")
    sessions = make_sessionmaker(engine)
    actor = Actor.system(unique("webhook-race-"))
    with sessions() as session:
        client = orgs.do_create_org(
            session=session,
            actor=actor,
            data=OrgCreate(
                kind=OrgKind.client, name=unique("Race client "), country="US", currency="USD"
            ),
        )
        project = projects.do_create_project(
            session=session, actor=actor, data=ProjectCreate(client_id=client.id, name="Race")
        )
        hook, secret = service.do_register(
            session=session,
            actor=actor,
            project_id=project.id,
            data=WebhookCreate(url="https://race.example.com/", events=[EventType.task_completed]),
        )
        ids = (client.id, project.id, hook.id)
    try:
        yield Live(sessions, project_id=ids[1], webhook_id=ids[2], secret=secret)
    finally:
        with engine.begin() as connection:
            connection.execute(delete(Project).where(Project.id == ids[1]))  # cascades
            connection.execute(delete(Organization).where(Organization.id == ids[0]))
            connection.execute(delete(AuditEvent).where(AuditEvent.actor_label == actor.label))


def _emit_many(live: Live, count: int) -> None:
    with live.sessions() as session:
        for n in range(count):
            service.emit(
                session=session,
                project_id=live.project_id,
                event_type=EventType.task_completed,
                payload={"task_id": n},
            )
        session.commit()


def test_two_workers_never_send_one_delivery_twice(live: Live) -> None:
    _emit_many(live, DELIVERIES)
    inbox = Inbox(secret=live.secret)

    def slow_receiver(request: httpx.Request) -> httpx.Response:
        status = inbox.accept(request.read(), dict(request.headers))
        time.sleep(0.01)  # a real receiver takes a while: the workers overlap
        return httpx.Response(status)

    barrier = threading.Barrier(2, timeout=10)
    now = utcnow()

    def worker() -> int:
        with (
            live.sessions() as session,
            httpx.Client(transport=httpx.MockTransport(slow_receiver)) as client,
        ):
            barrier.wait()  # both start claiming at once
            return deliver_due(session=session, now=now, client=client)

    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = list(pool.map(lambda _: worker(), range(2)))

    assert sum(counts) == DELIVERIES
    assert min(counts) > 0, f"the workers did not overlap: {counts}"
    assert len(inbox.msg_ids) == DELIVERIES
    assert len(set(inbox.msg_ids)) == DELIVERIES  # no message twice
    with live.sessions() as session:
        statuses = session.scalars(
            select(WebhookDelivery.status).where(WebhookDelivery.webhook_id == live.webhook_id)
        ).all()
    assert statuses == [DeliveryStatus.delivered] * DELIVERIES


def test_the_due_query_reads_the_partial_index(live: Live, engine: Engine) -> None:
    _emit_many(live, 3)
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "FOR UPDATE SKIP LOCKED" in statement:
            statements.append((statement, params))

    with engine.connect() as connection:
        event.listen(connection, "before_cursor_execute", capture)
        with Session(bind=connection) as session:
            session.execute(due(utcnow())).all()
        [(statement, params)] = statements
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = "\n".join(
            row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, params)
        )
        connection.rollback()
    assert "ix_webhook_deliveries_due" in plan, plan
    assert "'pending'" in statement  # a literal, so a generic plan can use the partial index
