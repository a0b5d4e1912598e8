"""Task test helpers: projects with a schema, ingested tasks, labels by claim and submit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.annotation import LabelSchema
from crewline.db import utcnow
from crewline.orgs.models import OrgKind
from crewline.projects import service as projects
from crewline.projects.models import Project
from crewline.projects.schemas import ProjectCreate
from crewline.tasks import ingest as task_ingest
from crewline.tasks import service
from crewline.tasks.models import Assignment, Task
from crewline.tasks.schemas import IngestReport, Submission
from tests.factories import ACTOR, Factory, unique

SENTIMENT = ["positive", "negative", "neutral"]
SPEC: dict[str, dict[str, Any]] = {
    "single_label": {"labels": SENTIMENT},
    "multi_label": {"labels": ["a", "b", "c"]},
    "spans": {"labels": ["PER", "ORG"]},
    "boxes": {"labels": ["cat", "dog"]},
    "pairwise": {},
}


def make_project(
    factory: Factory,
    annotation_type: str = "single_label",
    *,
    client_id: int | None = None,
    overlap: int = 1,
    spec: dict[str, Any] | None = None,
) -> Project:
    """A project of a new client (or of ``client_id``) with a label schema and guidelines."""
    if client_id is None:
        client_id = factory.org(OrgKind.client).id
    return projects.do_create_project(
        session=factory.session,
        actor=ACTOR,
        data=ProjectCreate(
            client_id=client_id,
            name=unique("Project "),
            annotation_type=annotation_type,  # type: ignore[arg-type]
            overlap=overlap,
            label_schema=spec if spec is not None else SPEC[annotation_type],
            guidelines="# Guidelines\n\nLabel what you see.",
        ),
    )


def schema_of(session: Session, project: Project) -> LabelSchema:
    return projects.label_schema(session=session, project=project)


def ingest(session: Session, project: Project, rows: list[dict[str, Any]]) -> IngestReport:
    report = task_ingest.do_ingest(
        session=session,
        actor=ACTOR,
        project=project,
        schema=schema_of(session, project),
        rows=rows,
        now=utcnow(),
    )
    assert report.refused == [], report.refused
    return report


def label(
    session: Session,
    project: Project,
    person_id: int,
    value: Any,
    *,
    gold: bool = False,
    active_seconds: float | None = 12.5,
    now: datetime | None = None,
) -> Assignment:
    """The worker claims the next task (lowest id first) and submits ``value``."""
    now = now or utcnow()
    leased = service.claim(
        session=session,
        project_id=project.id,
        person_id=person_id,
        gold=gold,
        lease=timedelta(minutes=30),
        now=now,
    )
    assert leased is not None, "no task left to claim"
    stored, _completed = service.do_submit(
        session=session,
        person_id=person_id,
        assignment_id=leased.id,
        data=Submission(
            client_submission_id=unique("sub-"), value=value, active_seconds=active_seconds
        ),
        now=now,
    )
    session.commit()
    return stored


def task_by_external_id(session: Session, project_id: int, external_id: str) -> Task:
    task = session.scalar(
        select(Task).where(Task.project_id == project_id, Task.external_id == external_id)
    )
    assert task is not None, external_id
    session.refresh(task)
    return task


def assignments_of(session: Session, task_id: int) -> list[Assignment]:
    return list(
        session.scalars(
            select(Assignment).where(Assignment.task_id == task_id).order_by(Assignment.id)
        )
    )


def refused_field(response: Any) -> str:
    """The one field a 422 answer names."""
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    return str(error["field"])
