"""JSON routes for the review queue, decisions, promotion to gold and guideline questions."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from crewline.auth.deps import Principal, SessionDep, require
from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.projects.access import visible_project
from crewline.quality import review
from crewline.quality.models import ReviewReason, ReviewStatus
from crewline.quality.schemas import (
    Decision,
    QuestionAnswer,
    QuestionAnswered,
    QuestionRead,
    ReviewItemRead,
    ReviewLabelRead,
    ReviewPage,
)
from crewline.validation import Id
from crewline.web.tables import PageRequest

router = APIRouter(tags=["review"])
Reviewer = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager, Role.reviewer))]
#: Staff reviewers, and workers who are a project's subject-matter experts (checked per project).
Adjudicator = Annotated[
    Principal, Depends(require(Role.admin, Role.ops_manager, Role.reviewer, Role.worker))
]
#: As above, and client viewers, who read their own projects' queues with pseudonymous workers.
Reader = Annotated[
    Principal,
    Depends(require(Role.admin, Role.ops_manager, Role.reviewer, Role.worker, Role.client_viewer)),
]


def item_read(view: review.ItemView, *, names: bool = True) -> ReviewItemRead:
    """A review item as the API shows it; without ``names`` (client viewers, experts) the
    deciding user is not named either, since an expert is a worker."""
    item, consensus = view.item, view.consensus
    return ReviewItemRead(
        id=item.id,
        task_id=item.task_id,
        external_id=view.task.external_id,
        project_id=item.project_id,
        reason=item.reason,
        detail=item.detail,
        status=item.status,
        answer=item.answer,
        note=item.note,
        promoted_to_gold=item.promoted_to_gold,
        created_at=item.created_at,
        decided_by=item.decided_by if names or item.decided_by is None else "a reviewer",
        decided_at=item.decided_at,
        data=view.task.data,
        labels=[ReviewLabelRead(**asdict(label)) for label in view.labels],
        consensus=consensus.answer if consensus else None,
        consensus_confidence=consensus.confidence if consensus else None,
    )


@router.get("/projects/{project_id:int}/review", response_model=ReviewPage)
def read_queue(
    request: Request,
    project_id: Id,
    session: SessionDep,
    caller: Reader,
    status: ReviewStatus | None = None,
    reason: ReviewReason | None = None,
    sort: Literal["created", "id", "reason"] = "created",
    direction: Literal["asc", "desc"] = "asc",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> object:
    """Open and escalated items, oldest first (``status`` for decided ones), with their labels;
    a project's experts (workers) see the escalated ones, its client's viewers read it with
    pseudonymous worker ids."""
    project = visible_project(session=session, principal=caller, project_id=project_id)
    review.may_read(session=session, principal=caller, project=project)
    if caller.role is Role.worker:
        status = ReviewStatus.escalated
    page = PageRequest(page=offset // limit + 1, per_page=limit, sort=sort, direction=direction)
    result = review.queue(
        session=session, project_id=project_id, page=page, status=status, reason=reason
    )
    items = review.views(session=session, items=list(result.items))
    names = review.sees_names(caller)
    if not names:
        items = review.pseudonymous(items, secret_key=request.app.state.secret_key)
    return ReviewPage(total=result.total, items=[item_read(v, names=names) for v in items])


@router.post("/review/{item_id:int}/decide", response_model=ReviewItemRead)
def decide(
    request: Request, item_id: Id, data: Decision, session: SessionDep, caller: Adjudicator
) -> object:
    """Accept the consensus, correct it (``answer`` in the project's value format) or escalate
    with a ``note``; the decided answer becomes the task's final answer at once."""
    item = review.do_decide(
        session=session,
        principal=caller,
        item_id=item_id,
        action=data.action,
        answer=data.answer,
        note=data.note,
        now=utcnow(),
    )
    found = review.views(session=session, items=[item])
    names = review.sees_names(caller)
    if not names:
        found = review.pseudonymous(found, secret_key=request.app.state.secret_key)
    return item_read(found[0], names=names)


@router.post("/review/{item_id:int}/promote", response_model=ReviewItemRead)
def promote(item_id: Id, session: SessionDep, caller: Reviewer) -> object:
    """Make the decided task gold with its adjudicated answer as the key."""
    item = review.do_promote_to_gold(
        session=session, actor=caller.actor, item_id=item_id, now=utcnow()
    )
    return item_read(review.views(session=session, items=[item])[0])


@router.get("/projects/{project_id:int}/questions", response_model=list[QuestionRead])
def read_questions(project_id: Id, session: SessionDep, caller: Reviewer) -> object:
    """Open guideline questions from workers, oldest first."""
    visible_project(session=session, principal=caller, project_id=project_id)
    return review.questions(session=session, project_id=project_id)


@router.post("/questions/{flag_id:int}/answer", response_model=QuestionAnswered)
def answer_question(
    flag_id: Id, data: QuestionAnswer, session: SessionDep, caller: Reviewer
) -> object:
    """Answer a question; ``guidelines`` publishes a new guideline version in the same step."""
    flag, version = review.do_answer_question(
        session=session,
        actor=caller.actor,
        flag_id=flag_id,
        answer=data.answer,
        guidelines=data.guidelines,
        now=utcnow(),
    )
    return QuestionAnswered(question=QuestionRead.model_validate(flag), guideline_version=version)
