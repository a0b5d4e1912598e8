"""JSON routes for assessments: building them, sitting them, outcomes, validity and tiers.

Staff build and read; recruiters and ops override outcomes; a candidate or worker sits only
their own attempts (anyone else's read as not found). A person may start an assessment when
they have an open application for a requisition of its project, or are in the worker pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import SystemRandom
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.assessments import attempts, builder, outcomes, reports, tiers
from crewline.assessments.models import Assessment, Attempt
from crewline.assessments.schemas import (
    Answer,
    AssessmentCreate,
    AssessmentOut,
    AssessmentUpdate,
    AttemptOut,
    AttemptStart,
    ItemResult,
    OutcomeOverride,
    Sitting,
    TierChangeOut,
    TierRules,
    TierSet,
)
from crewline.auth.deps import Principal, SessionDep, require
from crewline.auth.roles import STAFF, Role
from crewline.db import utcnow
from crewline.errors import NotFound, PermissionDenied
from crewline.hiring.api import portal_url
from crewline.hiring.models import Application, Requisition
from crewline.hiring.stages import CLOSED
from crewline.people import service as people
from crewline.people.models import Worker
from crewline.projects import service as projects
from crewline.validation import Id

router = APIRouter(tags=["assessments"])
Reader = Annotated[Principal, Depends(require(*STAFF))]
Builder = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager, Role.recruiter))]
Ops = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager))]
Taker = Annotated[Principal, Depends(require(Role.candidate, Role.worker))]
_RNG = SystemRandom()


def person_of(session: Session, caller: Principal) -> int:
    """The person behind a candidate or worker login."""
    person = people.get_by_user(session=session, user_id=caller.user.id)
    if person is None:
        raise NotFound("no person record is linked to this login")
    return person.id


@dataclass(frozen=True, slots=True)
class Standing:
    """What entitles a person to sit assessments: the projects they have an open application
    for, a place in the worker pool, and the assessments they already sat (a second try must
    hear the retake policy, not "you may not")."""

    applied: frozenset[int]
    in_pool: bool
    sat: frozenset[int]

    def allows(self, assessment: Assessment) -> bool:
        """Whether the person may start (or resume) ``assessment``."""
        return self.in_pool or assessment.project_id in self.applied or assessment.id in self.sat


def standing_of(session: Session, person_id: int) -> Standing:
    """The person's standing, in three queries whatever the number of assessments."""
    applied = session.scalars(
        select(Requisition.project_id)
        .join(Application, Application.requisition_id == Requisition.id)
        .where(
            Application.person_id == person_id,
            Requisition.project_id.is_not(None),
            Application.stage.not_in(CLOSED),
        )
    )
    sat = session.scalars(select(Attempt.assessment_id).where(Attempt.person_id == person_id))
    return Standing(
        applied=frozenset(p for p in applied if p is not None),
        in_pool=session.get(Worker, person_id) is not None,
        sat=frozenset(sat),
    )


def may_take(session: Session, assessment: Assessment, person_id: int) -> bool:
    """An open application for a requisition of the project, a place in the worker pool, or
    an earlier attempt at it."""
    return standing_of(session, person_id).allows(assessment)


def _out(session: Session, assessment: Assessment) -> AssessmentOut:
    pool = builder.pool_sizes(session=session, assessment_ids=[assessment.id])
    return AssessmentOut.model_validate(assessment).model_copy(
        update={"pool": pool.get(assessment.id, 0)}
    )


# --- building ----------------------------------------------------------------------------------


@router.get("/projects/{project_id:int}/assessments", response_model=list[AssessmentOut])
def list_for_project(project_id: Id, session: SessionDep, caller: Reader) -> object:
    """A project's assessments, newest first, with their pool sizes."""
    projects.get_or_404(session=session, project_id=project_id)
    found = builder.list_assessments(session=session, project_id=project_id)
    pools = builder.pool_sizes(session=session, assessment_ids=[a.id for a in found])
    return [
        AssessmentOut.model_validate(a).model_copy(update={"pool": pools.get(a.id, 0)})
        for a in found
    ]


@router.post(
    "/projects/{project_id:int}/assessments", response_model=AssessmentOut, status_code=201
)
def create(project_id: Id, data: AssessmentCreate, session: SessionDep, caller: Builder) -> object:
    """Build an assessment from the project's gold tasks (all, or those listed with tags)."""
    created = builder.do_create(
        session=session, actor=caller.actor, project_id=project_id, data=data
    )
    return _out(session, created)


@router.get("/assessments/{assessment_id:int}", response_model=AssessmentOut)
def read(assessment_id: Id, session: SessionDep, caller: Reader) -> object:
    """One assessment's settings and pool size."""
    return _out(session, builder.get_or_404(session=session, assessment_id=assessment_id))


@router.patch("/assessments/{assessment_id:int}", response_model=AssessmentOut)
def update(
    assessment_id: Id, data: AssessmentUpdate, session: SessionDep, caller: Builder
) -> object:
    """Change settings, open or close; opening checks the pool can fill an attempt."""
    changed = builder.do_update(
        session=session, actor=caller.actor, assessment_id=assessment_id, data=data
    )
    return _out(session, changed)


@router.get("/assessments/{assessment_id:int}/attempts", response_model=list[AttemptOut])
def list_attempts(assessment_id: Id, session: SessionDep, caller: Reader) -> object:
    """Every attempt at the assessment, newest first, with dimension scores and outcomes."""
    assessment = builder.get_or_404(session=session, assessment_id=assessment_id)
    found = session.scalars(
        select(Attempt).where(Attempt.assessment_id == assessment.id).order_by(Attempt.id.desc())
    )
    return [attempts.out(assessment, a) for a in found]


@router.get("/assessments/{assessment_id:int}/validity")
def read_validity(
    assessment_id: Id,
    session: SessionDep,
    caller: Reader,
    min_tasks: Annotated[int, Query(ge=1, le=100_000)] = 20,
    required_yield: Annotated[float | None, Query(gt=0, le=1)] = None,
) -> object:
    """Do scores predict live work? Spearman with CI against live gold accuracy and
    reliability, calibration by score band, and the pass mark that would have done best."""
    assessment = builder.get_or_404(session=session, assessment_id=assessment_id)
    return reports.predictive_validity(
        session=session, assessment=assessment, min_tasks=min_tasks, required_yield=required_yield
    )


# --- sitting -----------------------------------------------------------------------------------


@router.post("/assessments/{assessment_id:int}/attempts", response_model=Sitting)
def start(
    assessment_id: Id,
    data: AttemptStart,
    request: Request,
    response: Response,
    session: SessionDep,
    caller: Taker,
) -> object:
    """Start your attempt (201), or resume the one under way (200)."""
    person_id = person_of(session, caller)
    assessment = builder.get_or_404(session=session, assessment_id=assessment_id)
    if not may_take(session, assessment, person_id):
        raise PermissionDenied(
            "you need an open application for this project (or a place in the worker pool)"
        )
    now = utcnow()
    attempt, started = attempts.do_start(
        session=session,
        assessment_id=assessment_id,
        person_id=person_id,
        application_id=data.application_id,
        now=now,
        rng=_RNG,
    )
    response.status_code = 201 if started else 200
    return attempts.view(session=session, attempt=attempt, now=now)


@router.get("/attempts/{attempt_id:int}", response_model=Sitting)
def sitting(attempt_id: Id, session: SessionDep, caller: Taker) -> object:
    """Your attempt: items of the current round, time left, feedback between trial rounds."""
    attempt = attempts.get_or_404(
        session=session, attempt_id=attempt_id, person_id=person_of(session, caller)
    )
    return attempts.view(session=session, attempt=attempt, now=utcnow())


@router.put("/attempts/{attempt_id:int}/items/{item_id:int}", status_code=204)
def answer(
    attempt_id: Id,
    item_id: Id,
    data: Answer,
    request: Request,
    session: SessionDep,
    caller: Taker,
) -> None:
    """Answer (or change your answer to) one item of the current round, before time is up."""
    attempts.do_answer(
        session=session,
        attempt_id=attempt_id,
        person_id=person_of(session, caller),
        item_id=item_id,
        data=data,
        now=utcnow(),
        portal_url=portal_url(request),
    )


@router.post("/attempts/{attempt_id:int}/finish", response_model=Sitting)
def finish(attempt_id: Id, request: Request, session: SessionDep, caller: Taker) -> object:
    """Hand in the round: a trial's first round shows feedback; otherwise you get your result."""
    now = utcnow()
    attempt = attempts.do_finish(
        session=session,
        attempt_id=attempt_id,
        person_id=person_of(session, caller),
        now=now,
        portal_url=portal_url(request),
    )
    return attempts.view(session=session, attempt=attempt, now=now)


@router.post("/attempts/{attempt_id:int}/next-round", response_model=Sitting)
def next_round(attempt_id: Id, session: SessionDep, caller: Taker) -> object:
    """Start a trial's second round after reading the feedback on the first."""
    now = utcnow()
    attempt = attempts.do_next_round(
        session=session,
        attempt_id=attempt_id,
        person_id=person_of(session, caller),
        now=now,
        rng=_RNG,
    )
    return attempts.view(session=session, attempt=attempt, now=now)


# --- outcomes ----------------------------------------------------------------------------------


@router.get("/attempts/{attempt_id:int}/results", response_model=list[ItemResult])
def results(attempt_id: Id, session: SessionDep, caller: Reader) -> object:
    """Every graded item of an attempt (staff): score, correctness, feedback, tags."""
    attempt = attempts.get_or_404(session=session, attempt_id=attempt_id)
    return attempts.results(session=session, attempt=attempt)


@router.post("/attempts/{attempt_id:int}/outcome", response_model=AttemptOut)
def override(
    attempt_id: Id,
    data: OutcomeOverride,
    request: Request,
    session: SessionDep,
    caller: Builder,
) -> object:
    """Replace the engine's outcome (the reason is kept and the candidate told)."""
    attempt = outcomes.do_override(
        session=session,
        actor=caller.actor,
        attempt_id=attempt_id,
        outcome=data.outcome,
        reason=data.reason,
        now=utcnow(),
        portal_url=portal_url(request),
    )
    assessment = builder.get_or_404(session=session, assessment_id=attempt.assessment_id)
    return attempts.out(assessment, attempt)


# --- tiers -------------------------------------------------------------------------------------


@router.get("/projects/{project_id:int}/tier-rules", response_model=TierRules)
def read_tier_rules(project_id: Id, session: SessionDep, caller: Reader) -> object:
    """The project's promotion ladder and demotion margin (empty: tiers change by hand)."""
    projects.get_or_404(session=session, project_id=project_id)
    return tiers.rules_of(session=session, project_id=project_id)


@router.put("/projects/{project_id:int}/tier-rules", response_model=TierRules)
def set_tier_rules(project_id: Id, data: TierRules, session: SessionDep, caller: Ops) -> object:
    """Replace the project's ladder; it applies at the next tier review."""
    return tiers.do_set_rules(session=session, actor=caller.actor, project_id=project_id, data=data)


@router.post("/projects/{project_id:int}/tier-review", response_model=list[TierChangeOut])
def review_tiers(project_id: Id, session: SessionDep, caller: Ops) -> object:
    """Apply the ladder to every member now, from their latest quality figures."""
    projects.get_or_404(session=session, project_id=project_id)
    return tiers.review_project(session=session, project_id=project_id, now=utcnow())


@router.put("/projects/{project_id:int}/members/{person_id:int}/tier", response_model=TierChangeOut)
def set_tier(
    project_id: Id, person_id: Id, data: TierSet, session: SessionDep, caller: Ops
) -> object:
    """Set a member's tier by hand, with the reason (kept in the history)."""
    return tiers.do_set_tier(
        session=session,
        actor=caller.actor,
        project_id=project_id,
        person_id=person_id,
        data=data,
        now=utcnow(),
    )


@router.get("/projects/{project_id:int}/tier-changes", response_model=list[TierChangeOut])
def tier_history(
    project_id: Id,
    session: SessionDep,
    caller: Reader,
    person_id: Annotated[int | None, Query(ge=1)] = None,
) -> object:
    """Tier changes on the project, newest first (one person's, with ``person_id``)."""
    projects.get_or_404(session=session, project_id=project_id)
    return tiers.history(session=session, project_id=project_id, person_id=person_id)
