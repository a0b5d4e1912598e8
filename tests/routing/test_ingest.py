"""Pipelines push tasks in: idempotent by external_id, refusals per row, nothing half-written."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, String, cast, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from crewline.audit import service as audit
from crewline.audit.models import AuditEvent
from crewline.auth.roles import Role
from crewline.db import make_sessionmaker, utcnow
from crewline.orgs import service as orgs
from crewline.orgs.models import Organization, OrgKind
from crewline.orgs.schemas import OrgCreate
from crewline.people.embedding import WordLlamaEmbedder
from crewline.projects import service as projects
from crewline.projects.models import Project
from crewline.projects.schemas import ProjectCreate
from crewline.tasks import ingest as task_ingest
from crewline.tasks.models import Task
from crewline.tasks.schemas import IngestReport
from tests.factories import ACTOR, Factory, unique
from tests.routing.support import LABELS, ingest, live_project, reviews


def _count(session: Session, project_id: int) -> int:
    return (
        session.scalar(select(func.count()).select_from(Task).where(Task.project_id == project_id))
        or 0
    )


def _tasks(session: Session, project_id: int) -> list[Task]:
    """The project's tasks as the ORM reads them back, in id (insertion) order."""
    session.expire_all()
    return list(
        session.scalars(select(Task).where(Task.project_id == project_id).order_by(Task.id))
    )


@pytest.fixture(params=["executemany", "copy"])
def insert_path(
    request: pytest.FixtureRequest, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Run a test through each way ``do_ingest`` can store rows, whatever the batch size.

    PostgreSQL ``COPY``-es batches of ``COPY_FROM`` rows or more and inserts smaller ones with
    executemany; SQLite always uses executemany, so the ``copy`` case is PostgreSQL's alone.
    """
    path = str(request.param)
    if path == "copy" and engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's insert path")
    monkeypatch.setattr(task_ingest, "COPY_FROM", 1 if path == "copy" else 10**9)
    return path


def test_a_batch_reports_created_existing_and_refused(factory: Factory, session: Session) -> None:
    project = live_project(factory)
    api = factory.api(factory.user(Role.ops_manager))
    url = f"/api/v1/projects/{project.id}/tasks"
    first = api.post(url, json=reviews(3))
    assert first.status_code == 200
    assert first.json() == {"created": ["r0", "r1", "r2"], "existing": [], "refused": []}
    rows = [
        *reviews(2, start=2),
        {"external_id": "bad-data", "data": {"image_url": 5}},
        {"external_id": "bad-gold", "data": {"text": "x"}, "gold_answer": "ecstatic"},
        {"external_id": "", "data": {"text": "x"}},
        {"data": {"text": "no id"}},
        {"external_id": "extra", "data": {"text": "x"}, "colour": "red"},
        {"external_id": "r3", "data": {"text": "twice in one batch"}},
        "not an object",
    ]
    second = api.post(url, json=rows).json()
    assert second["created"] == ["r3"]
    assert second["existing"] == ["r2"]
    refused = {r["index"]: (r["field"], r["reason"]) for r in second["refused"]}
    assert refused[3][0] == "gold_answer" and "ecstatic" in refused[3][1]
    assert refused[4][0] == "external_id"
    assert refused[5][0] == "external_id"
    assert refused[6] == ("colour", "unknown field")
    assert refused[7] == ("external_id", "appears twice in this batch")
    assert 8 in refused
    assert _count(session, project.id) == 4


def test_resending_the_same_batch_creates_nothing(factory: Factory, session: Session) -> None:
    project = live_project(factory)
    api = factory.api(factory.user(Role.admin))
    url = f"/api/v1/projects/{project.id}/tasks"
    api.post(url, json=reviews(50))
    again = api.post(url, json=reviews(50)).json()
    assert again["created"] == [] and len(again["existing"]) == 50
    assert _count(session, project.id) == 50


def test_json_lines_are_accepted_and_a_bad_line_is_named(
    factory: Factory, session: Session
) -> None:
    project = live_project(factory)
    api = factory.api(factory.user(Role.admin))
    url = f"/api/v1/projects/{project.id}/tasks"
    body = "\n".join(json.dumps(r) for r in reviews(4)) + "\n"
    ok = api.post(url, content=body, headers={"Content-Type": "application/x-ndjson"})
    assert ok.status_code == 200 and len(ok.json()["created"]) == 4
    broken = api.post(
        url,
        content='{"external_id": "a"}\n{oops\n',
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert broken.status_code == 422 and broken.json()["detail"][0]["field"] == "line 2"
    assert _count(session, project.id) == 4


def test_malformed_or_wrong_shaped_bodies_are_422(factory: Factory) -> None:
    project = live_project(factory)
    api = factory.api(factory.user(Role.admin))
    url = f"/api/v1/projects/{project.id}/tasks"
    bad_json = api.post(url, content=b"[{", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 422 and bad_json.json()["detail"][0]["field"] == "body"
    assert api.post(url, json={"external_id": "x"}).status_code == 422


def test_gold_tasks_carry_a_checked_answer_key_and_tags(factory: Factory, session: Session) -> None:
    project = live_project(factory)
    api = factory.api(factory.user(Role.admin))
    rows = [
        {
            "external_id": "g1",
            "data": {"text": "Great!"},
            "gold_answer": "positive",
            "tags": ["edge-case"],
        }
    ]
    assert api.post(f"/api/v1/projects/{project.id}/tasks", json=rows).json()["created"] == ["g1"]
    task = session.scalar(select(Task).where(Task.project_id == project.id))
    assert task is not None
    assert task.is_gold and task.gold_answer == "positive" and task.tags == ["edge-case"]


def test_a_client_pushes_to_its_own_projects_only(factory: Factory) -> None:
    project = live_project(factory)
    own = factory.user(Role.client_viewer, organization_id=project.client_id)
    other = factory.user(Role.client_viewer, organization_id=factory.org(OrgKind.client).id)
    url = f"/api/v1/projects/{project.id}/tasks"
    assert factory.api(own).post(url, json=reviews(1)).status_code == 200
    assert factory.api(other).post(url, json=reviews(1)).status_code == 404
    assert factory.api(factory.user(Role.worker)).post(url, json=reviews(1)).status_code == 403


def test_a_project_without_a_schema_cannot_take_tasks(factory: Factory) -> None:
    client = factory.org(OrgKind.client)
    api = factory.api(factory.user(Role.admin))
    project = api.post("/api/v1/projects", json={"client_id": client.id, "name": "Draft"}).json()
    response = api.post(f"/api/v1/projects/{project['id']}/tasks", json=reviews(1))
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "schema"


def test_more_than_the_batch_limit_is_refused_whole(
    factory: Factory, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(task_ingest, "MAX_BATCH", 3)
    project = live_project(factory)
    api = factory.api(factory.user(Role.admin))
    response = api.post(f"/api/v1/projects/{project.id}/tasks", json=reviews(4))
    assert response.status_code == 422 and "at most 3" in response.json()["detail"][0]["message"]
    assert _count(session, project.id) == 0


# --- what is stored, on every insert path ------------------------------------------------------

#: Data a pipeline may send: unicode beyond the BMP, escapes, characters that need quoting in
#: SQL or in COPY's text format, nesting, and every JSON scalar.
ODD_DATA: dict[str, Any] = {
    "text": "Ça va? 日本語 🙂 \u2028 tab\there, newline\nthere, back\\slash, \"quoted\", 'single'",
    "image_url": "https://example.org/a b.png?x=1&y=\\N",
    "nested": {
        "list": [1, -2, 3.5, 1e-9, 10**15, True, False, None, "", [], {}],
        "deep": {"a": [{"b": None}]},
    },
    "empty": "",
    "null": None,
    "\\N": "COPY's NULL marker as a key",
    "zero": 0,
}


def test_json_values_timestamps_and_nulls_read_back_as_sent(
    factory: Factory, session: Session, insert_path: str
) -> None:
    project = live_project(factory, sla_hours=48)
    now = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
    due = datetime(2026, 3, 5, 9, 0, 0, 654321, tzinfo=timezone(timedelta(hours=-5)))
    rows: list[dict[str, Any]] = [
        {"external_id": "odd\tid \\N 🙂", "data": ODD_DATA, "tags": ["naïve", "a\\b", "x\ty"]},
        {"external_id": "gold", "data": {"text": "Love it"}, "gold_answer": "positive"},
        {
            "external_id": "plain",
            "data": {"text": "ok"},
            "gold_answer": None,
            "due_at": due.isoformat(),
        },
        {"external_id": "more", "data": {}, "priority": -7, "required_labels": 3},
    ]
    schema = projects.label_schema(session=session, project=project)
    report = task_ingest.do_ingest(
        session=session, actor=ACTOR, project=project, schema=schema, rows=rows, now=now
    )
    assert report.created == ["odd\tid \\N 🙂", "gold", "plain", "more"]
    odd, gold, plain, more = _tasks(session, project.id)
    assert odd.external_id == "odd\tid \\N 🙂"
    assert odd.data == ODD_DATA and odd.tags == ["naïve", "a\\b", "x\ty"]
    assert odd.gold_answer is None and not odd.is_gold
    assert gold.is_gold and gold.gold_answer == "positive" and gold.tags == []
    assert plain.gold_answer is None and not plain.is_gold
    assert plain.due_at == due and plain.due_at.tzinfo == UTC
    assert more.data == {} and more.priority == -7 and more.required_labels == 3
    for task in (odd, gold, plain, more):
        assert task.created_at == now and task.created_at.tzinfo == UTC
        assert task.open and task.leased_count == 0 and task.submitted_count == 0
        assert task.completed_at is None and task.project_id == project.id
    assert odd.due_at == gold.due_at == more.due_at == now + timedelta(hours=48)
    assert odd.required_labels == gold.required_labels == project.overlap


def test_a_regular_task_stores_the_same_answer_key_on_every_path(
    factory: Factory, session: Session, insert_path: str
) -> None:
    """No answer key is JSON null (what SQLAlchemy's JSON type writes for None), never a gap."""
    project = live_project(factory)
    ingest(session, project, reviews(2))
    stored = session.scalars(
        select(func.coalesce(cast(Task.gold_answer, String), "SQL NULL")).where(
            Task.project_id == project.id
        )
    ).all()
    assert stored == ["null", "null"]


def test_a_batch_mixing_new_and_existing_ids_keeps_the_input_order(
    factory: Factory, session: Session, insert_path: str
) -> None:
    project = live_project(factory)
    first = ingest(session, project, [reviews(1, start=i)[0] for i in (1, 3, 5)])
    assert first.created == ["r1", "r3", "r5"]
    resent = [
        {"external_id": f"r{i}", "data": {"text": f"sent again as {i}"}}
        for i in (6, 5, 4, 3, 2, 1, 0)
    ]
    resent.insert(2, {"external_id": "bad", "data": {"text": 7}})
    report = ingest(session, project, resent)
    assert report.created == ["r6", "r4", "r2", "r0"]
    assert report.existing == ["r5", "r3", "r1"]
    assert [(r.index, r.external_id, r.field) for r in report.refused] == [(2, "bad", "data.text")]
    tasks = _tasks(session, project.id)
    # Ids follow the order tasks arrived in (the claim's last tie-break), and an id sent
    # again keeps the data it was first stored with.
    assert [t.external_id for t in tasks] == ["r1", "r3", "r5", "r6", "r4", "r2", "r0"]
    assert {t.external_id: t.data["text"] for t in tasks}["r3"] == "Review number 3"
    again = ingest(session, project, resent)
    assert again.created == [] and len(again.existing) == 7


def test_new_tasks_reopen_a_finished_project_and_resent_ones_do_not(
    factory: Factory, session: Session, insert_path: str
) -> None:
    project = live_project(factory)
    ingest(session, project, reviews(2))
    finished = utcnow()
    project.completed_at = finished
    session.commit()
    ingest(session, project, reviews(2))
    session.refresh(project)
    assert project.completed_at == finished
    ingest(session, project, reviews(3))
    session.refresh(project)
    assert project.completed_at is None


def test_a_crash_before_commit_leaves_nothing_and_a_retry_stores_everything(
    factory: Factory,
    session: Session,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    insert_path: str,
) -> None:
    """The audit event is written last, in the same transaction: if it fails, no task stays."""
    project = live_project(factory)
    ingest(session, project, reviews(2))
    finished = utcnow()
    project.completed_at = finished
    session.commit()
    events = select(func.count()).where(
        AuditEvent.action == "tasks.ingest", AuditEvent.entity_id == str(project.id)
    )
    audited = session.scalar(events)

    def fail(**_: Any) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(audit, "record", fail)
    with session_factory() as request_session, pytest.raises(RuntimeError):
        ingest(request_session, request_session.get_one(Project, project.id), reviews(500))
    monkeypatch.undo()
    session.expire_all()
    assert _count(session, project.id) == 2
    assert session.get_one(Project, project.id).completed_at == finished
    assert session.scalar(events) == audited

    with session_factory() as request_session:
        retry = ingest(request_session, request_session.get_one(Project, project.id), reviews(500))
    assert len(retry.created) == 498 and retry.existing == ["r0", "r1"]
    session.expire_all()
    assert _count(session, project.id) == 500
    assert session.get_one(Project, project.id).completed_at is None


def test_a_value_the_database_cannot_store_refuses_the_whole_batch(
    factory: Factory, session: Session, engine: Engine, insert_path: str
) -> None:
    """PostgreSQL text cannot hold NUL: a 422 for the batch, as on every other write."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite stores NUL characters")
    project = live_project(factory)
    api = factory.api(factory.user(Role.admin))
    rows = [*reviews(3), {"external_id": "nul\x00here", "data": {"text": "x"}}]
    response = api.post(f"/api/v1/projects/{project.id}/tasks", json=rows)
    assert response.status_code == 422, response.text
    assert "NUL" in response.json()["detail"][0]["message"]
    assert _count(session, project.id) == 0


# --- racing calls (real, committed transactions) -------------------------------------------------


@pytest.fixture
def committed_project(engine: Engine, embedder: WordLlamaEmbedder) -> Iterator[Project]:
    """A live project committed for real (other connections see it), removed afterwards."""
    if engine.dialect.name != "postgresql":
        pytest.skip("races are tested on PostgreSQL (SQLite serialises writers)")
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        client = orgs.do_create_org(
            session=session,
            actor=ACTOR,
            data=OrgCreate(
                kind=OrgKind.client, name=unique("Race client "), country="US", currency="USD"
            ),
        )
        project = projects.do_create_project(
            session=session,
            actor=ACTOR,
            data=ProjectCreate(
                client_id=client.id,
                name=unique("Race "),
                status="live",
                annotation_type="single_label",
                label_schema=LABELS,
                guidelines="# Sentiment",
            ),
            embedder=embedder,
        )
    yield project
    with engine.begin() as connection:
        connection.execute(delete(Project).where(Project.id == project.id))  # tasks cascade
        connection.execute(delete(Organization).where(Organization.id == project.client_id))
        connection.execute(
            delete(AuditEvent).where(
                AuditEvent.entity_type.in_(["project", "organization"]),
                AuditEvent.entity_id.in_([str(project.id), str(project.client_id)]),
            )
        )


@pytest.mark.postgres
def test_two_calls_racing_with_the_same_ids_store_each_task_once(
    engine: Engine,
    committed_project: Project,
    monkeypatch: pytest.MonkeyPatch,
    insert_path: str,
) -> None:
    """The second call waits for the first's commit, then reports the rows as existing."""
    sessions = make_sessionmaker(engine)
    barrier = threading.Barrier(2, timeout=10)
    record = audit.record

    def slow_record(**kwargs: Any) -> Any:
        time.sleep(0.2)  # hold the inserted rows uncommitted while the other call inserts
        return record(**kwargs)

    monkeypatch.setattr(audit, "record", slow_record)

    def push(_: int) -> IngestReport:
        with sessions() as session:
            project = session.get_one(Project, committed_project.id)
            schema = projects.label_schema(session=session, project=project)
            rows = reviews(300)
            barrier.wait()
            return task_ingest.do_ingest(
                session=session,
                actor=ACTOR,
                project=project,
                schema=schema,
                rows=rows,
                now=utcnow(),
            )

    with ThreadPoolExecutor(max_workers=2) as pool:
        one, two = pool.map(push, range(2))
    everything = [f"r{i}" for i in range(300)]
    assert sorted(one.created + two.created) == sorted(everything)  # each id created once
    for report in (one, two):
        assert sorted(report.created + report.existing) == sorted(everything)
        assert report.created == [i for i in everything if i in set(report.created)]
    with sessions() as session:
        assert _count(session, committed_project.id) == 300
