"""A world to assess in: a live project with gold tasks, a requisition for it, a candidate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from crewline.auth.models import User
from crewline.auth.roles import Role
from crewline.hiring import service as hiring
from crewline.hiring.models import Application
from crewline.hiring.schemas import ApplicationCreate, RequisitionCreate
from crewline.people.models import Person
from crewline.projects.models import Project
from crewline.tasks.models import Task
from tests.factories import ACTOR, Factory
from tests.routing.support import ingest, live_project

LABELS = ("positive", "neutral", "negative")
PORTAL = "http://crewline.test/portal"


def gold_rows(count: int, start: int = 0) -> list[dict[str, Any]]:
    """Gold tasks whose key cycles through the labels; every third is tagged an edge case."""
    return [
        {
            "external_id": f"g{i}",
            "data": {"text": f"Gold review {i}"},
            "gold_answer": LABELS[i % 3],
            "tags": ["edge_case"] if i % 3 == 0 else ["guideline"],
        }
        for i in range(start, start + count)
    ]


@dataclass
class World:
    project: Project
    gold: list[Task]
    staff: TestClient
    candidate_user: User
    candidate: Person
    application: Application
    client: TestClient

    def key(self, task_id: int) -> Any:
        return next(t.gold_answer for t in self.gold if t.id == task_id)


def world(factory: Factory, gold: int = 12, **project: Any) -> World:
    built = live_project(factory, **project)
    report = ingest(factory.session, built, gold_rows(gold))
    assert len(report.created) == gold, report.refused
    tasks = list(factory.session.query(Task).filter(Task.project_id == built.id).order_by(Task.id))
    requisition = hiring.do_create_requisition(
        session=factory.session,
        actor=ACTOR,
        data=RequisitionCreate.model_validate(
            {
                "title": "Sentiment raters",
                "project_id": built.id,
                "role_type": "annotator",
                "headcount": 10,
                "regions": ["EU"],
            }
        ),
        embedder=None,
    )
    user = factory.user(Role.candidate)
    person = factory.person(user=user, worker=None)
    application = hiring.do_apply(
        session=factory.session,
        actor=ACTOR,
        data=ApplicationCreate(person_id=person.id, requisition_id=requisition.id),
        portal_url=PORTAL,
    )
    return World(
        project=built,
        gold=tasks,
        staff=factory.api(factory.user(Role.ops_manager)),
        candidate_user=user,
        candidate=person,
        application=application,
        client=factory.api(user),
    )


def build(w: World, **settings: Any) -> dict[str, Any]:
    body = {
        "name": "Sentiment qualification",
        "time_limit_minutes": 30,
        "items_per_attempt": 6,
        "pass_score": 0.8,
        "training_score": 0.6,
        **settings,
    }
    response = w.staff.post(f"/api/v1/projects/{w.project.id}/assessments", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def start(w: World, assessment_id: int) -> dict[str, Any]:
    response = w.client.post(f"/api/v1/assessments/{assessment_id}/attempts", json={})
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


def key_of(w: World, sitting: dict[str, Any], item: dict[str, Any]) -> Any:
    """The gold answer of a sitting item (found by its task text)."""
    text = item["data"]["text"]
    return next(t.gold_answer for t in w.gold if t.data["text"] == text)


def wrong(answer: str) -> str:
    return next(label for label in LABELS if label != answer)


def answer_all(w: World, sitting: dict[str, Any], right: int) -> None:
    """Answer the sitting's items: the first ``right`` correctly, the rest wrongly."""
    attempt_id = sitting["attempt"]["id"]
    for i, item in enumerate(sitting["items"]):
        key = key_of(w, sitting, item)
        response = w.client.put(
            f"/api/v1/attempts/{attempt_id}/items/{item['id']}",
            json={"answer": key if i < right else wrong(key), "seconds": 20},
        )
        assert response.status_code == 204, response.text


def finish(w: World, sitting: dict[str, Any]) -> dict[str, Any]:
    response = w.client.post(f"/api/v1/attempts/{sitting['attempt']['id']}/finish")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result
