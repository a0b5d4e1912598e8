"""Pipelines push tasks in: idempotent by external_id, refusals per row, nothing half-written."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from crewline.auth.roles import Role
from crewline.orgs.models import OrgKind
from crewline.tasks import service
from crewline.tasks.models import Task
from tests.routing.support import live_project, reviews


def _count(session, project_id: int) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(
        select(func.count()).select_from(Task).where(Task.project_id == project_id)
    )


def test_a_batch_reports_created_existing_and_refused(factory, session) -> None:
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


def test_resending_the_same_batch_creates_nothing(factory, session) -> None:
    project = live_project(factory)
    api = factory.api(factory.user(Role.admin))
    url = f"/api/v1/projects/{project.id}/tasks"
    api.post(url, json=reviews(50))
    again = api.post(url, json=reviews(50)).json()
    assert again["created"] == [] and len(again["existing"]) == 50
    assert _count(session, project.id) == 50


def test_json_lines_are_accepted_and_a_bad_line_is_named(factory, session) -> None:
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


def test_malformed_or_wrong_shaped_bodies_are_422(factory) -> None:
    project = live_project(factory)
    api = factory.api(factory.user(Role.admin))
    url = f"/api/v1/projects/{project.id}/tasks"
    bad_json = api.post(url, content=b"[{", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 422 and bad_json.json()["detail"][0]["field"] == "body"
    assert api.post(url, json={"external_id": "x"}).status_code == 422


def test_gold_tasks_carry_a_checked_answer_key_and_tags(factory, session) -> None:
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
    assert task.is_gold and task.gold_answer == "positive" and task.tags == ["edge-case"]


def test_a_client_pushes_to_its_own_projects_only(factory) -> None:
    project = live_project(factory)
    own = factory.user(Role.client_viewer, organization_id=project.client_id)
    other = factory.user(Role.client_viewer, organization_id=factory.org(OrgKind.client).id)
    url = f"/api/v1/projects/{project.id}/tasks"
    assert factory.api(own).post(url, json=reviews(1)).status_code == 200
    assert factory.api(other).post(url, json=reviews(1)).status_code == 404
    assert factory.api(factory.user(Role.worker)).post(url, json=reviews(1)).status_code == 403


def test_a_project_without_a_schema_cannot_take_tasks(factory) -> None:
    client = factory.org(OrgKind.client)
    api = factory.api(factory.user(Role.admin))
    project = api.post("/api/v1/projects", json={"client_id": client.id, "name": "Draft"}).json()
    response = api.post(f"/api/v1/projects/{project['id']}/tasks", json=reviews(1))
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "schema"


def test_more_than_the_batch_limit_is_refused_whole(factory, session, monkeypatch) -> None:

    monkeypatch.setattr(service, "MAX_BATCH", 3)
    project = live_project(factory)
    api = factory.api(factory.user(Role.admin))
    response = api.post(f"/api/v1/projects/{project.id}/tasks", json=reviews(4))
    assert response.status_code == 422 and "at most 3" in response.json()["detail"][0]["message"]
    assert _count(session, project.id) == 0
