"""Sitting an assessment: starting (within the retake policy), answering, finishing, rounds.

Every refusal the issue names is a clear error and records nothing: a start beyond the retake
policy (409), an answer to an item that is not in the attempt's current round (422), an
answer after the time limit (409; the attempt is closed and graded on what was answered in
time, so a late answer can never turn a fail into a pass). The clock is the server's:
``deadline_at`` is fixed when a round starts, and ``GRACE`` covers only the network.

A trial has two rounds: after round one the candidate sees item-level feedback, then starts
round two on items they have not seen (while the pool allows), which measures learning.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from random import Random

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crewline.annotation import ValueInvalid, describe, validate_value
from crewline.annotation.types import LabelSchema
from crewline.assessments import builder, outcomes
from crewline.assessments.models import (
    Assessment,
    AssessmentItem,
    AssessmentStatus,
    Attempt,
    AttemptItem,
    AttemptStatus,
    Kind,
    Outcome,
)
from crewline.assessments.outcomes import GRACE
from crewline.assessments.schemas import (
    Answer,
    AssessmentOut,
    AttemptOut,
    ItemResult,
    Sitting,
    SittingItem,
)
from crewline.errors import Conflict, InvalidInput, NotFound
from crewline.hiring import stages
from crewline.hiring.models import Application, Requisition
from crewline.projects import service as projects
from crewline.tasks.models import Task

#: How long a trial waits between its rounds before it is closed on round one alone.
FEEDBACK_WAIT = timedelta(days=7)
OPEN = (AttemptStatus.in_progress, AttemptStatus.feedback)


def rounds_of(assessment: Assessment) -> int:
    """Two rounds for a trial (feedback between them), one otherwise."""
    return 2 if assessment.kind is Kind.trial else 1


def _owned(session: Session, attempt_id: int, person_id: int | None, lock: bool) -> Attempt:
    statement = select(Attempt).where(Attempt.id == attempt_id)
    if lock:
        statement = statement.with_for_update()
    attempt = session.scalar(statement)
    if attempt is None or (person_id is not None and attempt.person_id != person_id):
        raise NotFound(f"attempt {attempt_id} not found")
    return attempt


def get_or_404(*, session: Session, attempt_id: int, person_id: int | None = None) -> Attempt:
    """An attempt by id; with ``person_id``, only that person's (others read as not found)."""
    return _owned(session, attempt_id, person_id, lock=False)


def attempts_of(*, session: Session, assessment_id: int, person_id: int) -> list[Attempt]:
    """One person's attempts at one assessment, first first."""
    return list(
        session.scalars(
            select(Attempt)
            .where(Attempt.assessment_id == assessment_id, Attempt.person_id == person_id)
            .order_by(Attempt.number)
        )
    )


def retake_refusal(
    assessment: Assessment, previous: Sequence[Attempt], now: datetime
) -> str | None:
    """Why the person may not start another attempt now, or None if they may."""
    if any(a.outcome is Outcome.passed for a in previous):
        return "you have already passed this assessment"
    if len(previous) >= assessment.max_attempts:
        allowed = assessment.max_attempts
        return (
            f"the retake policy allows {allowed} attempt{'s' if allowed > 1 else ''} and you "
            "have used every one"
        )
    finished = [a.finished_at for a in previous if a.finished_at is not None]
    if finished and assessment.retake_after_days:
        from_ = max(finished) + timedelta(days=assessment.retake_after_days)
        if now < from_:
            return f"you may retake this assessment from {from_:%Y-%m-%d %H:%M} UTC"
    return None


def _application(
    session: Session, assessment: Assessment, person_id: int, application_id: int | None
) -> Application | None:
    """The application an attempt counts towards: the one named (it must be the person's), or
    their newest open application for a requisition of the assessment's project."""
    if application_id is not None:
        application = session.get(Application, application_id)
        if application is None or application.person_id != person_id:
            raise InvalidInput("application_id", f"application {application_id} is not yours")
        return application
    return session.scalar(
        select(Application)
        .join(Requisition, Requisition.id == Application.requisition_id)
        .where(
            Application.person_id == person_id,
            Requisition.project_id == assessment.project_id,
            Application.stage.not_in(stages.CLOSED),
        )
        .order_by(Application.id.desc())
        .limit(1)
    )


def sample(
    pool: Sequence[AssessmentItem], n: int, rng: Random, seen: frozenset[int] = frozenset()
) -> list[AssessmentItem]:
    """``n`` items for one round: distinct originals (unseen ones first), each followed later
    in the round by one of its repeats while room allows, so consistency is measured."""
    originals = [item for item in pool if item.repeat_of_id is None]
    repeats: dict[int, list[AssessmentItem]] = defaultdict(list)
    for item in pool:
        if item.repeat_of_id is not None:
            repeats[item.repeat_of_id].append(item)
    rng.shuffle(originals)
    originals.sort(key=lambda item: item.id in seen)  # stable: unseen first, shuffled within
    chosen: list[AssessmentItem] = []
    for original in originals:
        if len(chosen) >= n:
            break
        chosen.append(original)
        if repeats[original.id] and len(chosen) < n:
            chosen.append(rng.choice(repeats[original.id]))
    rng.shuffle(chosen)
    place = {item.id: i for i, item in enumerate(chosen)}
    for item in list(chosen):  # a repeat must come after the item it repeats
        if item.repeat_of_id is not None and place[item.repeat_of_id] > place[item.id]:
            i, j = place[item.id], place[item.repeat_of_id]
            chosen[i], chosen[j] = chosen[j], chosen[i]
            place[item.id], place[item.repeat_of_id] = j, i
    return chosen


def _deal(session: Session, attempt: Attempt, items: Sequence[AssessmentItem]) -> None:
    session.add_all(
        AttemptItem(attempt_id=attempt.id, item_id=item.id, round=attempt.round, position=i)
        for i, item in enumerate(items, start=1)
    )


def do_start(
    *,
    session: Session,
    assessment_id: int,
    person_id: int,
    application_id: int | None,
    now: datetime,
    rng: Random,
) -> tuple[Attempt, bool]:
    """Start an attempt, or return the one already under way; (attempt, started)."""
    assessment = builder.get_or_404(session=session, assessment_id=assessment_id)
    if assessment.status is not AssessmentStatus.open:
        raise Conflict(f"assessment {assessment.id} is {assessment.status.value}, not open")
    previous = attempts_of(session=session, assessment_id=assessment.id, person_id=person_id)
    under_way = next((a for a in previous if a.status in OPEN), None)
    if under_way is not None:
        return under_way, False
    refusal = retake_refusal(assessment, previous, now)
    if refusal:
        raise Conflict(refusal)
    application = _application(session, assessment, person_id, application_id)
    attempt = Attempt(
        assessment_id=assessment.id,
        person_id=person_id,
        application_id=application.id if application else None,
        number=len(previous) + 1,
        round=1,
        started_at=now,
        deadline_at=now + timedelta(minutes=assessment.time_limit_minutes),
        paid=assessment.paid,
    )
    session.add(attempt)
    try:
        session.flush()
    except IntegrityError:  # the same person started in another tab a moment ago
        session.rollback()
        raise Conflict("an attempt was started at the same moment; reload to resume it") from None
    pool = builder.items_of(session=session, assessment_id=assessment.id)
    _deal(session, attempt, sample(pool, assessment.items_per_attempt, rng))
    session.commit()
    return attempt, True


def _round_items(session: Session, attempt: Attempt, round_: int) -> list[AttemptItem]:
    return list(
        session.scalars(
            select(AttemptItem)
            .where(AttemptItem.attempt_id == attempt.id, AttemptItem.round == round_)
            .order_by(AttemptItem.position)
        )
    )


def _schema(session: Session, assessment: Assessment) -> LabelSchema:
    project = projects.get_or_404(session=session, project_id=assessment.project_id)
    return projects.label_schema(session=session, project=project)


def out(assessment: Assessment, attempt: Attempt) -> AttemptOut:
    """The attempt as the API shows it."""
    return AttemptOut.model_validate(attempt).model_copy(update={"rounds": rounds_of(assessment)})


def view(*, session: Session, attempt: Attempt, now: datetime) -> Sitting:
    """What the candidate's page shows: the current round's items (answers so far), the time
    left, and, for a trial at its feedback step, round one's item-level feedback.

    Keys are never sent, and a finished attempt shows its outcome, not its items: the
    feedback of a trial's first round is the only place a candidate learns an answer.
    """
    assessment = builder.get_or_404(session=session, assessment_id=attempt.assessment_id)
    schema = _schema(session, assessment)
    items: list[SittingItem] = []
    if attempt.status is AttemptStatus.in_progress:
        rows = session.execute(
            select(AttemptItem, Task.data)
            .join(AssessmentItem, AssessmentItem.id == AttemptItem.item_id)
            .join(Task, Task.id == AssessmentItem.task_id)
            .where(AttemptItem.attempt_id == attempt.id, AttemptItem.round == attempt.round)
            .order_by(AttemptItem.position)
        )
        items = [
            SittingItem(
                id=row.id,
                position=row.position,
                data=data,
                answer=row.answer,
                answered=row.answered_at is not None,
            )
            for row, data in rows
        ]
    feedback = (
        results(session=session, attempt=attempt, round_=1)
        if attempt.status is AttemptStatus.feedback
        else []
    )
    left = (attempt.deadline_at - now).total_seconds() if attempt.status in OPEN else 0.0
    return Sitting(
        attempt=out(assessment, attempt),
        assessment=AssessmentOut.model_validate(assessment),
        widget=describe(schema),
        seconds_left=max(0.0, left),
        items=items,
        feedback=feedback,
    )


def results(*, session: Session, attempt: Attempt, round_: int | None = None) -> list[ItemResult]:
    """Graded items of an attempt (one round, or all), with tags and feedback."""
    statement = (
        select(AttemptItem, AssessmentItem.tags)
        .join(AssessmentItem, AssessmentItem.id == AttemptItem.item_id)
        .where(AttemptItem.attempt_id == attempt.id)
        .order_by(AttemptItem.round, AttemptItem.position)
    )
    if round_ is not None:
        statement = statement.where(AttemptItem.round == round_)
    return [
        ItemResult(
            id=row.id,
            round=row.round,
            position=row.position,
            score=row.score,
            correct=row.correct,
            feedback=row.feedback,
            tags=tags,
        )
        for row, tags in session.execute(statement)
    ]


def do_answer(
    *,
    session: Session,
    attempt_id: int,
    person_id: int,
    item_id: int,
    data: Answer,
    now: datetime,
    portal_url: str,
) -> AttemptItem:
    """Record (or change) the answer to one item of the attempt's current round."""
    attempt = _owned(session, attempt_id, person_id, lock=True)
    if attempt.status is not AttemptStatus.in_progress:
        raise Conflict(f"attempt {attempt.id} is {attempt.status.value.replace('_', ' ')}")
    if outcomes.is_late(attempt, now):
        outcomes.close(session=session, attempt=attempt, now=now, portal_url=portal_url)
        session.commit()
        raise Conflict(
            f"the time limit passed at {attempt.deadline_at:%H:%M:%S} UTC; this answer was not "
            "recorded and the attempt is closed, graded on the answers given in time"
        )
    row = session.execute(
        select(AttemptItem, Task)
        .join(AssessmentItem, AssessmentItem.id == AttemptItem.item_id)
        .join(Task, Task.id == AssessmentItem.task_id)
        .where(
            AttemptItem.id == item_id,
            AttemptItem.attempt_id == attempt.id,
            AttemptItem.round == attempt.round,
        )
    ).first()
    if row is None:
        raise InvalidInput("item_id", f"item {item_id} is not part of this attempt's current round")
    item, task = row
    assessment = builder.get_or_404(session=session, assessment_id=attempt.assessment_id)
    try:
        value = validate_value(_schema(session, assessment), data.answer, task.data)
    except ValueInvalid as error:
        raise InvalidInput("answer" + error.field.removeprefix("value"), error.reason) from None
    item.answer = value
    item.answered_at = now
    item.seconds = data.seconds
    session.commit()
    return item


def do_finish(
    *, session: Session, attempt_id: int, person_id: int | None, now: datetime, portal_url: str
) -> Attempt:
    """Hand in the current round: a trial's first round goes to feedback, anything else is
    graded and decided. Handing in twice returns the attempt as it is."""
    attempt = _owned(session, attempt_id, person_id, lock=True)
    if attempt.status is not AttemptStatus.in_progress:
        return attempt
    assessment = builder.get_or_404(session=session, assessment_id=attempt.assessment_id)
    if attempt.round < rounds_of(assessment) and not outcomes.is_late(attempt, now):
        outcomes.grade_round(session=session, attempt=attempt, schema=_schema(session, assessment))
        attempt.status = AttemptStatus.feedback
        attempt.deadline_at = now + FEEDBACK_WAIT
    else:
        outcomes.close(session=session, attempt=attempt, now=now, portal_url=portal_url)
    session.commit()
    return attempt


def do_next_round(
    *, session: Session, attempt_id: int, person_id: int, now: datetime, rng: Random
) -> Attempt:
    """Start a trial's second round, on items not seen in the first while the pool allows."""
    attempt = _owned(session, attempt_id, person_id, lock=True)
    if attempt.status is not AttemptStatus.feedback:
        raise Conflict(f"attempt {attempt.id} has no round waiting to start")
    assessment = builder.get_or_404(session=session, assessment_id=attempt.assessment_id)
    seen = frozenset(item.item_id for item in _round_items(session, attempt, 1))
    attempt.round = 2
    attempt.status = AttemptStatus.in_progress
    attempt.deadline_at = now + timedelta(minutes=assessment.time_limit_minutes)
    pool = builder.items_of(session=session, assessment_id=assessment.id)
    _deal(session, attempt, sample(pool, assessment.items_per_attempt, rng, seen))
    session.commit()
    return attempt


def expire_due(*, session: Session, now: datetime, portal_url: str, limit: int = 200) -> int:
    """Close attempts whose time ran out (abandoned tabs), graded on what was answered in time;
    a trial left waiting at its feedback step is closed on its first round."""
    due = list(
        session.scalars(
            select(Attempt)
            .where(Attempt.status.in_(OPEN), Attempt.deadline_at < now - GRACE)
            .order_by(Attempt.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for attempt in due:
        outcomes.close(session=session, attempt=attempt, now=now, portal_url=portal_url)
    session.commit()
    return len(due)


def job(portal_url: str) -> Callable[[Session, datetime], int]:
    """The ``assessments.expire`` job: close attempts whose time ran out."""

    def run(session: Session, now: datetime) -> int:
        return expire_due(session=session, now=now, portal_url=portal_url)

    return run
