"""Review and adjudication: the only writer of review items, and of adjudicated final answers.

The refresh opens items (low consensus confidence once overlap is spent, gold most workers
missed, edge cases workers flagged); a reviewer accepts the consensus, corrects it, or
escalates to a subject-matter expert. A decided answer becomes the task's final answer at once
(``task_consensus``, source ``adjudicated``) and in every later refresh, and can be promoted to
gold. Guideline questions from the workspace are answered here too, optionally with a new
guideline version.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crewline.annotation import AnnotationError, validate_value
from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.auth.deps import Principal
from crewline.auth.roles import STAFF, Role
from crewline.db import begin_write
from crewline.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from crewline.people.models import Person
from crewline.projects import service as projects
from crewline.projects.models import MemberRole, Project, ProjectMember
from crewline.quality.models import ReviewItem, ReviewReason, ReviewStatus, TaskConsensus
from crewline.tasks import service as tasks
from crewline.tasks.export import pseudonym
from crewline.tasks.models import COUNTED, Assignment, FlagKind, FlagStatus, Task, TaskFlag
from crewline.web.tables import PageRequest, PageResult, paginate

#: Roles that may decide any item, escalated ones included (as may the project's experts).
EXPERT_ROLES = frozenset({Role.admin, Role.ops_manager})
#: Staff roles that review: everything except escalated items, unless also expert.
STAFF_REVIEWERS = frozenset({Role.admin, Role.ops_manager, Role.reviewer})
OPEN = (ReviewStatus.open, ReviewStatus.escalated)


class Action(enum.StrEnum):
    """What a reviewer does with an item."""

    accept = "accept"
    correct = "correct"
    escalate = "escalate"


@dataclass(frozen=True, slots=True)
class Label:
    """One worker's label on the task under review (``person_id`` None when pseudonymous)."""

    person_id: int | None
    worker: str
    value: Any
    state: str


@dataclass(frozen=True, slots=True)
class ItemView:
    """A review item with what a reviewer needs to decide it."""

    item: ReviewItem
    task: Task
    labels: list[Label]
    consensus: TaskConsensus | None


SORTS = {"created": ReviewItem.created_at, "id": ReviewItem.id, "reason": ReviewItem.reason}


def queue(
    *,
    session: Session,
    project_id: int,
    page: PageRequest,
    status: ReviewStatus | None = None,
    reason: ReviewReason | None = None,
) -> PageResult[ReviewItem]:
    """One page of a project's review items (open and escalated ones unless ``status`` says)."""
    query = select(ReviewItem).where(ReviewItem.project_id == project_id)
    query = query.where(
        ReviewItem.status == status if status is not None else ReviewItem.status.in_(OPEN)
    )
    if reason is not None:
        query = query.where(ReviewItem.reason == reason)
    tiebreak = ReviewItem.id.desc() if page.direction == "desc" else ReviewItem.id.asc()
    return paginate(session, query, page, SORTS, tiebreak)


def views(*, session: Session, items: list[ReviewItem]) -> list[ItemView]:
    """Each item with its task, workers' labels and current consensus (three queries)."""
    task_ids = [i.task_id for i in items]
    found = {t.id: t for t in session.scalars(select(Task).where(Task.id.in_(task_ids)))}
    agreed = {
        c.task_id: c
        for c in session.scalars(select(TaskConsensus).where(TaskConsensus.task_id.in_(task_ids)))
    }
    labels: dict[int, list[Label]] = {}
    rows = session.execute(
        select(
            Assignment.task_id,
            Assignment.person_id,
            Person.full_name,
            Assignment.value,
            Assignment.state,
        )
        .join(Person, Person.id == Assignment.person_id)
        .where(Assignment.task_id.in_(task_ids), Assignment.state.in_(COUNTED))
        .order_by(Assignment.id)
    ).all()
    for task_id, person_id, name, value, state in rows:
        labels.setdefault(task_id, []).append(Label(person_id, name, value, state.value))
    return [
        ItemView(i, found[i.task_id], labels.get(i.task_id, []), agreed.get(i.task_id))
        for i in items
    ]


def sees_names(principal: Principal) -> bool:
    """Staff see workers' names; client viewers and experts (workers) see pseudonyms."""
    return principal.role in STAFF


def pseudonymous(found: list[ItemView], *, secret_key: str) -> list[ItemView]:
    """The views with each worker's name replaced by their pseudonym in the project."""
    return [
        replace(
            view,
            labels=[
                replace(
                    label,
                    person_id=None,
                    worker=pseudonym(
                        secret_key=secret_key,
                        project_id=view.item.project_id,
                        person_id=label.person_id,
                    )
                    if label.person_id is not None
                    else label.worker,
                )
                for label in view.labels
            ],
        )
        for view in found
    ]


def may_read(*, session: Session, principal: Principal, project: Project) -> None:
    """Who may read a project's queue: its reviewers and experts (``may_review``), and its
    client's viewers (the caller has already passed ``visible_project``)."""
    if principal.role is not Role.client_viewer:
        may_review(session=session, principal=principal, project_id=project.id)


def open_counts(*, session: Session) -> dict[int, tuple[int, int, int]]:
    """Per project with any: open items, escalated items and open guideline questions."""
    counts: dict[int, list[int]] = {}
    for project_id, status, n in session.execute(
        select(ReviewItem.project_id, ReviewItem.status, func.count())
        .where(ReviewItem.status.in_(OPEN))
        .group_by(ReviewItem.project_id, ReviewItem.status)
    ):
        counts.setdefault(project_id, [0, 0, 0])[0 if status is ReviewStatus.open else 1] = n
    for project_id, n in session.execute(
        select(TaskFlag.project_id, func.count())
        .where(TaskFlag.kind == FlagKind.question, TaskFlag.status == FlagStatus.open)
        .group_by(TaskFlag.project_id)
    ):
        counts.setdefault(project_id, [0, 0, 0])[2] = n
    return {project_id: (a, b, c) for project_id, (a, b, c) in counts.items()}


def get_or_404(*, session: Session, item_id: int, lock: bool = False) -> ReviewItem:
    """A review item, or NotFound; ``lock`` holds its row until commit (PostgreSQL), so two
    reviewers deciding at once are serialised and the second sees the first's decision."""
    item = session.get(ReviewItem, item_id, with_for_update=lock, populate_existing=lock)
    if item is None:
        raise NotFound(f"review item {item_id} not found")
    return item


def may_review(*, session: Session, principal: Principal, project_id: int) -> None:
    """Staff reviewers review any project; a worker only as one of its subject-matter experts
    (and then only escalated items); everyone else is refused."""
    if principal.role in STAFF_REVIEWERS:
        return
    if principal.role is Role.worker and is_expert(
        session=session, principal=principal, project_id=project_id
    ):
        return
    raise PermissionDenied("only reviewers and the project's experts review its tasks")


def is_expert(*, session: Session, principal: Principal, project_id: int) -> bool:
    """Admins, operations managers and the project's subject-matter experts (project members
    with the ``expert`` role, whose login is tied to their person record)."""
    if principal.role in EXPERT_ROLES:
        return True
    return (
        session.scalar(
            select(ProjectMember.id)
            .join(Person, Person.id == ProjectMember.person_id)
            .where(
                Person.user_id == principal.user.id,
                ProjectMember.project_id == project_id,
                ProjectMember.role == MemberRole.expert,
                ProjectMember.left_at.is_(None),
            )
        )
        is not None
    )


def do_decide(
    *,
    session: Session,
    principal: Principal,
    item_id: int,
    action: Action,
    answer: Any = None,
    note: str | None = None,
    now: datetime,
) -> ReviewItem:
    """Accept the consensus, correct it with a valid value, or escalate with a note."""
    begin_write(session)
    item = get_or_404(session=session, item_id=item_id, lock=True)
    may_review(session=session, principal=principal, project_id=item.project_id)
    if item.status not in OPEN:
        raise Conflict(f"review item {item_id} is already {item.status.value}")
    if principal.role not in STAFF_REVIEWERS and item.status is not ReviewStatus.escalated:
        raise PermissionDenied("experts decide the items escalated to them")
    if item.status is ReviewStatus.escalated and not is_expert(
        session=session, principal=principal, project_id=item.project_id
    ):
        raise PermissionDenied("an escalated item is decided by a subject-matter expert or ops")
    task = tasks.get_task(session=session, task_id=item.task_id)
    before = item.status
    match action:
        case Action.escalate:
            if item.status is ReviewStatus.escalated:
                raise Conflict(f"review item {item_id} is already escalated")
            if not note:
                raise InvalidInput("note", "say what the expert should look at")
            item.status = ReviewStatus.escalated
        case Action.accept:
            current = session.get(TaskConsensus, item.task_id)
            if current is None:
                raise Conflict(f"task {item.task_id} has no consensus to accept; correct it")
            item.answer, item.status = current.answer, ReviewStatus.accepted
        case Action.correct:
            project = projects.get_or_404(session=session, project_id=item.project_id)
            schema = projects.label_schema(session=session, project=project)
            try:
                item.answer = validate_value(schema, answer, task.data)
            except AnnotationError as error:
                raise InvalidInput(f"answer{_suffix(error.field)}", error.reason) from None
            item.status = ReviewStatus.corrected
    item.note = note or item.note
    if item.status is not ReviewStatus.escalated:
        item.decided_by, item.decided_at = principal.actor.label, now
        _adjudicate(session, item, now)
        _close_edge_cases(session, item, principal.actor, now)
    audit.record(
        session=session,
        actor=principal.actor,
        action=f"review.{action.value}",
        entity_type="review_item",
        entity_id=item.id,
        before={"status": before},
        after={"status": item.status, "answer": item.answer, "note": item.note},
    )
    session.commit()
    return item


def _suffix(field: str) -> str:
    """``value.label`` from validation becomes ``answer.label``; plain ``value`` is ``answer``."""
    return field[len("value") :] if field.startswith("value") else f".{field}"


def _adjudicate(session: Session, item: ReviewItem, now: datetime) -> None:
    """Make the decided answer the task's final answer now (the next refresh keeps it)."""
    current = session.get(TaskConsensus, item.task_id)
    if current is None:
        session.add(
            TaskConsensus(
                task_id=item.task_id,
                project_id=item.project_id,
                answer=item.answer,
                confidence=1.0,
                n_labels=0,
                source="adjudicated",
                computed_at=now,
            )
        )
        return
    current.answer, current.confidence, current.source = item.answer, 1.0, "adjudicated"


def _close_edge_cases(session: Session, item: ReviewItem, actor: Actor, now: datetime) -> None:
    """Edge-case flags on the task are answered by the decision."""
    for flag in session.scalars(
        select(TaskFlag).where(
            TaskFlag.task_id == item.task_id,
            TaskFlag.kind == FlagKind.edge_case,
            TaskFlag.status == FlagStatus.open,
        )
    ):
        flag.status, flag.answer = FlagStatus.answered, item.note or f"decided: {item.answer}"
        flag.answered_by, flag.answered_at = actor.label, now


def do_promote_to_gold(
    *, session: Session, actor: Actor, item_id: int, now: datetime
) -> ReviewItem:
    """Make a decided task gold, its adjudicated answer the key (mixed into future work)."""
    begin_write(session)
    item = get_or_404(session=session, item_id=item_id, lock=True)
    if item.status not in (ReviewStatus.accepted, ReviewStatus.corrected):
        raise Conflict(f"review item {item_id} is {item.status.value}: decide it first")
    if item.promoted_to_gold:
        raise Conflict(f"review item {item_id} is already gold")
    tasks.do_make_gold(session=session, actor=actor, task_id=item.task_id, answer=item.answer)
    item.promoted_to_gold = True
    audit.record(
        session=session,
        actor=actor,
        action="review.promote_to_gold",
        entity_type="review_item",
        entity_id=item.id,
        after={"task_id": item.task_id, "answer": item.answer},
    )
    session.commit()
    return item


def questions(*, session: Session, project_id: int) -> list[TaskFlag]:
    """Open guideline questions from the workspace, oldest first."""
    return list(
        session.scalars(
            select(TaskFlag)
            .where(
                TaskFlag.project_id == project_id,
                TaskFlag.kind == FlagKind.question,
                TaskFlag.status == FlagStatus.open,
            )
            .order_by(TaskFlag.id)
        )
    )


def open_question(*, session: Session, flag_id: int, lock: bool = False) -> TaskFlag:
    """An open guideline question, or NotFound / Conflict (``lock``: as ``get_or_404``)."""
    flag = session.get(TaskFlag, flag_id, with_for_update=lock, populate_existing=lock)
    if flag is None or flag.kind is not FlagKind.question:
        raise NotFound(f"question {flag_id} not found")
    if flag.status is not FlagStatus.open:
        raise Conflict(f"question {flag_id} is already {flag.status.value}")
    return flag


def do_answer_question(
    *,
    session: Session,
    actor: Actor,
    flag_id: int,
    answer: str,
    guidelines: str | None,
    now: datetime,
) -> tuple[TaskFlag, int | None]:
    """Answer a guideline question; with ``guidelines``, publish them as a new version.

    Returns the flag and the new guideline version number, if one was made.
    """
    begin_write(session)
    flag = open_question(session=session, flag_id=flag_id, lock=True)
    if not answer.strip():
        raise InvalidInput("answer", "cannot be empty")
    flag.status, flag.answer = FlagStatus.answered, answer.strip()
    flag.answered_by, flag.answered_at = actor.label, now
    audit.record(
        session=session,
        actor=actor,
        action="review.answer_question",
        entity_type="task_flag",
        entity_id=flag.id,
        after={"answer": flag.answer, "new_guidelines": guidelines is not None},
    )
    if guidelines is None:
        session.commit()
        return flag, None
    version = projects.do_add_guideline_version(
        session=session,
        actor=actor,
        project_id=flag.project_id,
        body=guidelines,
        note=f"answers question {flag.id}",
    )
    return flag, version.version


def project_of(*, session: Session, item: ReviewItem) -> Project:
    """The item's project."""
    return projects.get_or_404(session=session, project_id=item.project_id)
