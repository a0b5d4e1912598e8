"""Give a worker their next task: eligible projects, ranked, gold at the project's rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random

from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.db import begin_write
from crewline.people import embedding
from crewline.people.models import Person
from crewline.projects import service as projects
from crewline.projects.models import Project
from crewline.routing import ranking
from crewline.routing.eligibility import member_projects
from crewline.tasks import service as tasks
from crewline.tasks.models import Assignment
from crewline.webhooks import service as webhooks
from crewline.webhooks.models import EventType


@dataclass(frozen=True, slots=True)
class NextTask:
    """The outcome of asking for work: an assignment, or the reason there is none."""

    assignment: Assignment | None
    project: Project | None
    reason: str | None


def _candidate(project: Project) -> ranking.Candidate:
    vector = (
        embedding.from_bytes([project.profile_embedding])[0]
        if project.profile_embedding is not None
        else None
    )
    return ranking.Candidate(project.id, project.priority, project.sla_hours, vector)


def next_task(
    *,
    session: Session,
    person: Person,
    rng: Random,
    default_lease: timedelta,
    now: datetime,
) -> NextTask:
    """Lease exactly one task the worker is eligible for, or say why there is none.

    Projects are tried best-ranked first; within one, a gold task is offered with the
    project's gold rate (falling back to regular work when the worker has seen all the gold).
    """
    verdicts = member_projects(session=session, person=person)
    if not verdicts:
        return NextTask(None, None, "you are not on any live project")
    eligible = [v.project for v in verdicts if v.eligible]
    if not eligible:
        reasons = "; ".join(f"{v.project.name}: {v.reason}" for v in verdicts)
        return NextTask(None, None, f"you do not meet the requirements ({reasons})")
    worker_vector = (
        embedding.from_bytes([person.profile_embedding])[0]
        if person.profile_embedding is not None
        else None
    )
    by_id = {p.id: p for p in eligible}
    begin_write(session)
    for project_id in ranking.rank([_candidate(p) for p in eligible], worker_vector):
        project = by_id[project_id]
        lease = lease_length(project, default_lease)
        order = [True, False] if rng.random() < project.gold_rate else [False]
        for gold in order:
            assignment = tasks.claim(
                session=session,
                project=project,
                person_id=person.id,
                gold=gold,
                lease=lease,
                now=now,
            )
            if assignment is not None:
                session.commit()
                return NextTask(assignment, project, None)
    session.rollback()
    return NextTask(None, None, "no tasks are waiting for you right now")


def worker_id(*, session: Session, user_id: int) -> int | None:
    """The person id behind a worker account: one indexed read, for the routes that need no more."""
    return session.scalar(select(Person.id).where(Person.user_id == user_id))


def lease_length(project: Project, default: timedelta) -> timedelta:
    """How long one lease (or one extension) of this project's tasks lasts."""
    return timedelta(minutes=project.lease_minutes) if project.lease_minutes else default


def after_submit(*, session: Session, completion: tasks.Completion | None, now: datetime) -> None:
    """Events that follow a submission, queued in the submitting transaction.

    A task that reached its labels sends ``task.completed``; the last such task of a project
    marks the project complete and sends ``project.completed``. Nothing is queued if the
    submission rolls back.
    """
    if completion is None:
        return
    webhooks.emit(
        session=session,
        project_id=completion.project_id,
        event_type=EventType.task_completed,
        payload={
            "task_id": completion.task_id,
            "external_id": completion.external_id,
            "labels": completion.labels,
            "completed_at": now.isoformat(),
        },
    )
    if tasks.project_incomplete(session=session, project_id=completion.project_id):
        return
    if projects.mark_completed(session=session, project_id=completion.project_id, now=now):
        webhooks.emit(
            session=session,
            project_id=completion.project_id,
            event_type=EventType.project_completed,
            payload={"completed_at": now.isoformat()},
        )
