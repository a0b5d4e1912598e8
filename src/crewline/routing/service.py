"""Give a worker their next task: eligible projects, ranked, gold at the project's rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from random import Random
from typing import Any

from sqlalchemy import Integer, Select, bindparam, select
from sqlalchemy.orm import Session

from crewline.annotation import describe
from crewline.db import begin_write
from crewline.people import embedding
from crewline.people.models import Person
from crewline.projects import service as projects
from crewline.projects.models import GuidelineVersion, Project, SchemaVersion
from crewline.routing import ranking
from crewline.routing.eligibility import (
    Eligibility,
    EligibilityCache,
    Offer,
    may_work_now,
    member_projects,
)
from crewline.routing.schemas import WorkGuidelines, WorkItem, WorkProject, WorkTask
from crewline.tasks import service as tasks
from crewline.tasks.models import Assignment, Task
from crewline.tasks.schemas import AssignmentRead
from crewline.webhooks import service as webhooks
from crewline.webhooks.models import EventType

#: Why a worker on probation gets nothing: only gold counts there, and they have seen it all.
PROBATION_DRY = (
    "no tasks are waiting for you right now; where you are on probation only gold tasks "
    "count and none is left for you: tell your program manager"
)


@dataclass(frozen=True, slots=True)
class NextTask:
    """The outcome of asking for work: an assignment, or the reason there is none."""

    assignment: Assignment | None
    reason: str | None


def _candidate(project: Project) -> ranking.Candidate:
    vector = (
        embedding.from_bytes([project.profile_embedding])[0]
        if project.profile_embedding is not None
        else None
    )
    return ranking.Candidate(project.id, project.priority, project.sla_hours, vector)


def eligibility_of(*, session: Session, person_id: int) -> Eligibility:
    """The worker's eligible live projects, best-ranked first, or why there are none."""
    person = session.get(Person, person_id)
    if person is None:
        return Eligibility((), "your account has no person record")
    verdicts = member_projects(session=session, person=person)
    if not verdicts:
        return Eligibility((), "you are not on any live project")
    eligible = {v.project.id: v.project for v in verdicts if v.eligible}
    probation = {v.project.id for v in verdicts if v.eligible and v.probation}
    if not eligible:
        reasons = "; ".join(f"{v.project.name}: {v.reason}" for v in verdicts)
        return Eligibility((), f"you do not meet the requirements ({reasons})")
    worker_vector = (
        embedding.from_bytes([person.profile_embedding])[0]
        if person.profile_embedding is not None
        else None
    )
    ranked = ranking.rank([_candidate(p) for p in eligible.values()], worker_vector)
    offers = tuple(
        Offer(i, eligible[i].gold_rate, eligible[i].lease_minutes, i in probation) for i in ranked
    )
    return Eligibility(offers, None)


def _lease(
    session: Session,
    person_id: int,
    eligibility: Eligibility,
    rng: Random,
    default_lease: timedelta,
    now: datetime,
) -> Assignment | None:
    """Try the offers in order; within one, gold first with the project's gold rate (only
    gold for a member on probation)."""
    begin_write(session)
    for offer in eligibility.offers:
        lease = timedelta(minutes=offer.lease_minutes) if offer.lease_minutes else default_lease
        if offer.gold_only:
            order = [True]
        else:
            order = [True, False] if rng.random() < offer.gold_rate else [False]
        for gold in order:
            assignment = tasks.claim(
                session=session,
                project_id=offer.project_id,
                person_id=person_id,
                gold=gold,
                lease=lease,
                now=now,
                only_if=may_work_now,
            )
            if assignment is not None:
                session.commit()
                return assignment
    session.rollback()
    return None


def next_task(
    *,
    session: Session,
    person_id: int,
    rng: Random,
    default_lease: timedelta,
    now: datetime,
    cache: EligibilityCache | None = None,
) -> NextTask:
    """Lease exactly one task the worker is eligible for, or say why there is none.

    Projects are tried best-ranked first; within one, a gold task is offered with the
    project's gold rate (falling back to regular work when the worker has seen all the gold).
    With a ``cache``, eligibility comes from memory when fresh; if the remembered projects
    yield nothing it is worked out again, so a stale memory costs one retry, never a wrong
    "no work".
    """
    remembered = cache.get(person_id) if cache is not None else None
    if remembered is not None:
        leased = _lease(session, person_id, remembered, rng, default_lease, now)
        if leased is not None:
            return NextTask(leased, None)
    eligibility = eligibility_of(session=session, person_id=person_id)
    if cache is not None:
        cache.put(person_id, eligibility)
    if eligibility.reason is not None:
        session.rollback()
        return NextTask(None, eligibility.reason)
    leased = _lease(session, person_id, eligibility, rng, default_lease, now)
    if leased is None:
        if any(offer.gold_only for offer in eligibility.offers):
            return NextTask(None, PROBATION_DRY)
        return NextTask(None, "no tasks are waiting for you right now")
    return NextTask(leased, None)


@cache
def _work_item_statement() -> Select[Any]:
    """Built once: it runs on every task a worker opens."""
    return (
        select(
            Project.name,
            Project.annotation_type,
            Task.data,
            SchemaVersion.spec,
            GuidelineVersion.body,
        )
        .select_from(Task)
        .join(Project, Project.id == Task.project_id)
        .join(
            SchemaVersion,
            (SchemaVersion.project_id == Task.project_id)
            & (SchemaVersion.version == bindparam("b_schema_version", type_=Integer)),
        )
        .outerjoin(
            GuidelineVersion,
            (GuidelineVersion.project_id == Task.project_id)
            & (GuidelineVersion.version == bindparam("b_guideline_version", type_=Integer)),
        )
        .where(Task.id == bindparam("b_task_id", type_=Integer))
    )


def work_item(*, session: Session, assignment: Assignment) -> WorkItem:
    """An assignment with its task data, widget and guidelines: one query.

    The schema and guideline are the versions the task was leased under, not the current ones.
    """
    row = session.execute(
        _work_item_statement(),
        {
            "b_task_id": assignment.task_id,
            "b_schema_version": assignment.schema_version,
            "b_guideline_version": assignment.guideline_version,
        },
    ).one()
    return WorkItem(
        assignment=AssignmentRead.model_validate(assignment),
        task=WorkTask(id=assignment.task_id, data=row.data),
        project=WorkProject(
            id=assignment.project_id, name=row.name, annotation_type=row.annotation_type
        ),
        widget=describe(projects.parsed_schema(row.annotation_type, row.spec)),
        guidelines=WorkGuidelines(version=assignment.guideline_version, body=row.body)
        if row.body is not None
        else None,
    )


def worker_id(*, session: Session, user_id: int) -> int | None:
    """The person id behind a worker account: one indexed read, for the routes that need no more."""
    person_id: int | None = session.scalar(_worker_id_statement(), {"b_user_id": user_id})
    return person_id


@cache
def _worker_id_statement() -> Select[int]:
    return select(Person.id).where(Person.user_id == bindparam("b_user_id", type_=Integer))


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
