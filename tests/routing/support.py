"""Build live projects with tasks and eligible workers through the services."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from crewline.auth.models import User
from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.orgs.models import OrgKind
from crewline.people.models import Person
from crewline.projects import service as projects
from crewline.projects.models import Project
from crewline.projects.schemas import MemberCreate, ProjectCreate
from crewline.tasks import ingest as task_ingest
from crewline.tasks.schemas import IngestReport
from tests.factories import ACTOR, Factory, unique

LABELS = {"labels": ["positive", "neutral", "negative"]}


def live_project(factory: Factory, **settings: Any) -> Project:
    client = factory.org(OrgKind.client)
    data = {
        "client_id": client.id,
        "name": unique("Project "),
        "status": "live",
        "annotation_type": "single_label",
        "label_schema": LABELS,
        "guidelines": "# Sentiment\nPick the feeling of the review.",
        **settings,
    }
    return projects.do_create_project(
        session=factory.session, actor=ACTOR, data=ProjectCreate(**data), embedder=factory.embedder
    )


def ingest(session: Session, project: Project, rows: list[dict[str, Any]]) -> IngestReport:
    schema = projects.label_schema(session=session, project=project)
    return task_ingest.do_ingest(
        session=session, actor=ACTOR, project=project, schema=schema, rows=rows, now=utcnow()
    )


def reviews(count: int, start: int = 0, **extra: Any) -> list[dict[str, Any]]:
    return [
        {"external_id": f"r{i}", "data": {"text": f"Review number {i}"}, **extra}
        for i in range(start, start + count)
    ]


def member(factory: Factory, project: Project, **person: Any) -> tuple[User, Person]:
    user, worker = factory.worker_user(**person)
    projects.do_add_member(
        session=factory.session,
        actor=ACTOR,
        project_id=project.id,
        data=MemberCreate(person_id=worker.id),
    )
    return user, worker


__all__ = ["LABELS", "Role", "ingest", "live_project", "member", "reviews"]
