"""Races against real PostgreSQL: two requests that pass the duplicate check at once.

These use real, committed transactions (not the per-test rollback), so they clean up after
themselves. They run when the suite runs on PostgreSQL; SQLite serialises writers anyway.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select

from crewline.app import create_app
from crewline.audit.models import AuditEvent
from crewline.auth import service as auth
from crewline.auth.models import User
from crewline.auth.roles import Role, Scope
from crewline.auth.schemas import TokenCreate, UserCreate
from crewline.config import Settings
from crewline.db import make_sessionmaker
from crewline.people import service as people
from crewline.people.models import Person
from tests.factories import ACTOR, unique

pytestmark = pytest.mark.postgres


@pytest.fixture
def live(engine: Engine, settings: Settings, embedder) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (CI runs the suite there too)")
    sessions = make_sessionmaker(engine)
    app = create_app(settings, session_factory=sessions, embedder=embedder)
    email = unique("admin.race.") + "@example.org"
    with sessions() as session:
        admin = auth.do_create_user(
            session=session,
            actor=ACTOR,
            hasher=app.state.hasher,
            data=UserCreate(email=email, full_name="Race Admin", role=Role.admin),
        )
        _token, secret = auth.do_create_token(
            session=session,
            actor=ACTOR,
            user_id=admin.id,
            data=TokenCreate(name="race", scopes=[Scope.read, Scope.write]),
        )
    yield {"app": app, "secret": secret, "admin_id": admin.id}
    with engine.begin() as connection:
        connection.execute(delete(AuditEvent).where(AuditEvent.actor_user_id == admin.id))
        connection.execute(delete(User).where(User.id == admin.id))


def test_two_simultaneous_creates_with_one_email_give_one_201_and_one_409(
    live: dict[str, Any], factory, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    barrier = threading.Barrier(2, timeout=10)
    check = people._check_email_free

    def check_then_wait(*args: Any, **kwargs: Any) -> None:
        check(*args, **kwargs)
        barrier.wait()  # both requests have passed the check before either inserts

    monkeypatch.setattr(people, "_check_email_free", check_then_wait)
    body = factory.person_data(email=unique("race.") + "@example.org")

    def create() -> int:
        with TestClient(
            live["app"], headers={"Authorization": f"Bearer {live['secret']}"}
        ) as client:
            return client.post("/api/v1/people", json=body).status_code

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            statuses = sorted(pool.map(lambda _: create(), range(2)))
        assert statuses == [201, 409]
        with engine.connect() as connection:
            rows = connection.execute(select(Person.id).where(Person.email == body["email"])).all()
        assert len(rows) == 1
    finally:
        with engine.begin() as connection:
            connection.execute(delete(Person).where(Person.email == body["email"]))
