"""JSON routes for workers: get the next task, submit, skip, give back, flag."""

from __future__ import annotations

from datetime import timedelta
from random import SystemRandom
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from sqlalchemy.orm import Session

from crewline.assessments import probation
from crewline.auth.deps import Principal, SessionDep, SettingsDep, require
from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.errors import NotFound
from crewline.projects import service as projects
from crewline.routing import service
from crewline.routing.eligibility import EligibilityCache
from crewline.routing.schemas import WorkItem
from crewline.tasks import service as tasks
from crewline.tasks.models import AssignmentState
from crewline.tasks.schemas import AssignmentRead, FlagIn, FlagRead, Skip, Submission
from crewline.validation import Id

router = APIRouter(tags=["work"])
Worker = Annotated[Principal, Depends(require(Role.worker))]


def worker_id(session: Session, principal: Principal) -> int:
    """The caller's person id, for routes that act on one of their own assignments."""
    person_id = service.worker_id(session=session, user_id=principal.user.id)
    if person_id is None:
        raise NotFound("your account has no person record")
    return person_id


def routing_rng(request: Request) -> SystemRandom:
    """Randomness for gold injection (tests replace it with a seeded one)."""
    rng: SystemRandom = getattr(request.app.state, "routing_rng", None) or SystemRandom()
    return rng


def eligibility_cache(request: Request) -> EligibilityCache:
    """The application's memory of each worker's ranked projects."""
    cache: EligibilityCache = request.app.state.eligibility_cache
    return cache


@router.post("/work/next", response_model=WorkItem)
def next_task(
    request: Request, session: SessionDep, settings: SettingsDep, caller: Worker
) -> WorkItem:
    """Lease the next task you are eligible for; ``assignment`` is null with a ``reason`` if none.

    A task you already hold is returned first, so a retried call never leases two.
    """
    person_id = worker_id(session, caller)
    now = utcnow()
    held = tasks.live_lease(session=session, person_id=person_id, now=now)
    if held is not None:
        return service.work_item(session=session, assignment=held)
    outcome = service.next_task(
        session=session,
        person_id=person_id,
        rng=routing_rng(request),
        default_lease=timedelta(minutes=settings.lease_minutes),
        now=now,
        cache=eligibility_cache(request),
    )
    if outcome.assignment is None:
        return WorkItem(reason=outcome.reason)
    return service.work_item(session=session, assignment=outcome.assignment)


@router.get("/work/{assignment_id:int}", response_model=WorkItem)
def read_work(assignment_id: Id, session: SessionDep, caller: Worker) -> WorkItem:
    """One of your assignments, with its task and guidelines."""
    person_id = worker_id(session, caller)
    assignment = tasks.own_assignment(
        session=session, person_id=person_id, assignment_id=assignment_id
    )
    return service.work_item(session=session, assignment=assignment)


@router.post("/work/{assignment_id:int}/submit", response_model=AssignmentRead)
def submit(assignment_id: Id, data: Submission, session: SessionDep, caller: Worker) -> object:
    """Submit your answer; retrying with the same ``client_submission_id`` is safe."""
    person_id = worker_id(session, caller)
    now = utcnow()
    stored, completion = tasks.do_submit(
        session=session, person_id=person_id, assignment_id=assignment_id, data=data, now=now
    )
    service.after_submit(session=session, completion=completion, now=now)
    probation.after_submit(session=session, assignment=stored, now=now)
    session.commit()
    return stored


@router.post("/work/{assignment_id:int}/extend", response_model=AssignmentRead)
def extend(assignment_id: Id, session: SessionDep, settings: SettingsDep, caller: Worker) -> object:
    """Keep working on a long task: the lease runs for another full lease length from now.

    Allowed while the lease is live, up to four hours after it began; the workspace calls it
    while you are active. An expired lease is refused (409): its task may be someone else's.
    """
    person_id = worker_id(session, caller)
    held = tasks.own_assignment(session=session, person_id=person_id, assignment_id=assignment_id)
    project = projects.get_or_404(session=session, project_id=held.project_id)
    extended = tasks.do_extend(
        session=session,
        person_id=person_id,
        assignment_id=assignment_id,
        lease=service.lease_length(project, timedelta(minutes=settings.lease_minutes)),
        now=utcnow(),
    )
    session.commit()
    return extended


@router.post("/work/{assignment_id:int}/skip", response_model=AssignmentRead)
def skip(assignment_id: Id, data: Skip, session: SessionDep, caller: Worker) -> object:
    """Skip a task with a reason; it goes to someone else and never counts against you."""
    person_id = worker_id(session, caller)
    released = tasks.do_release(
        session=session,
        person_id=person_id,
        assignment_id=assignment_id,
        state=AssignmentState.skipped,
        reason=data.reason,
        now=utcnow(),
    )
    session.commit()
    return released


@router.post("/work/{assignment_id:int}/return", response_model=AssignmentRead)
def give_back(assignment_id: Id, session: SessionDep, caller: Worker) -> object:
    """Give a task back (no reason needed); it goes to someone else."""
    person_id = worker_id(session, caller)
    released = tasks.do_release(
        session=session,
        person_id=person_id,
        assignment_id=assignment_id,
        state=AssignmentState.returned,
        reason=None,
        now=utcnow(),
    )
    session.commit()
    return released


@router.post(
    "/work/{assignment_id:int}/flag", response_model=FlagRead, status_code=status.HTTP_201_CREATED
)
def flag(assignment_id: Id, data: FlagIn, session: SessionDep, caller: Worker) -> object:
    """Flag an edge case or ask a guideline question; it lands in the reviewers' queue."""
    person_id = worker_id(session, caller)
    return tasks.do_flag(
        session=session, person_id=person_id, assignment_id=assignment_id, data=data
    )
