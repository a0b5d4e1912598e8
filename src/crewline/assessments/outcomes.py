"""Grading an attempt, deciding its outcome, and moving the candidate's application.

The engine decides from the thresholds alone and says why in words the candidate can read
("scored 74%: below the pass mark of 80%, at or above 70%, which admits to training"). The
outcome moves the linked application: passed the project assessment to *qualified*, passed a
trial or simulation to *assessed*, training to *trial & training*, failed with no attempt left
to *rejected*; a failure with a retake left, or a move the pipeline does not allow (the
application is already further on), leaves the application where it is and writes to the
candidate instead. A human may override any outcome with a reason; the engine's own outcome is
kept beside it, and an override may reopen a rejection the engine made.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.annotation.types import LabelSchema
from crewline.assessments import grading
from crewline.assessments.models import (
    Assessment,
    AssessmentItem,
    Attempt,
    AttemptItem,
    AttemptStatus,
    Kind,
    Outcome,
)
from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.errors import Conflict, NotFound
from crewline.hiring import service as hiring
from crewline.hiring import stages
from crewline.hiring.models import Application, Requisition
from crewline.projects import service as projects
from crewline.tasks.models import Task

ENGINE = "assessment engine"
#: Network slack on the time limit: an answer sent as the clock ran out still counts.
GRACE = timedelta(seconds=10)
#: Scores are means of item scores; compare with this slack so 8/10 meets a 0.8 pass mark.
SLACK = 1e-9


def is_late(attempt: Attempt, now: datetime) -> bool:
    """The attempt's time (with the network's grace) ran out before ``now``."""
    return now > attempt.deadline_at + GRACE


def _percent(share: float) -> str:
    return f"{share:.0%}"


def decide(assessment: Assessment, score: float) -> tuple[Outcome, str]:
    """The outcome of ``score`` against the assessment's thresholds, with the reason."""
    passing, training = assessment.pass_score, assessment.training_score
    scored = f"scored {_percent(score)}"
    if score >= passing - SLACK:
        return Outcome.passed, f"{scored}; the pass mark is {_percent(passing)}"
    if training is not None and score >= training - SLACK:
        return Outcome.training, (
            f"{scored}: below the pass mark of {_percent(passing)}, at or above "
            f"{_percent(training)}, which admits to training"
        )
    mark = (
        f"the training mark of {_percent(training)}"
        if training is not None
        else (f"the pass mark of {_percent(passing)}")
    )
    return Outcome.failed, f"{scored}: below {mark}"


def target_stage(kind: Kind, outcome: Outcome, retake_left: bool) -> str | None:
    """Where an outcome moves the application (None: it stays, the candidate is written to)."""
    if outcome is Outcome.passed:
        return stages.QUALIFIED if kind is Kind.project else "assessed"
    if outcome is Outcome.training:
        return "trial_training"
    return None if retake_left else stages.REJECTED


def grade_round(*, session: Session, attempt: Attempt, schema: LabelSchema) -> None:
    """Grade every item of the attempt's current round against its key; unanswered is 0."""
    rows = session.execute(
        select(AttemptItem, Task.gold_answer)
        .join(AssessmentItem, AssessmentItem.id == AttemptItem.item_id)
        .join(Task, Task.id == AssessmentItem.task_id)
        .where(AttemptItem.attempt_id == attempt.id, AttemptItem.round == attempt.round)
    )
    for item, key in rows:
        if item.answer is None:
            item.score, item.correct, item.measures = 0.0, False, {}
            item.feedback = "Not answered."
            continue
        grade = grading.grade(schema, item.answer, key)
        item.score, item.correct = grade.score, grade.correct
        item.measures, item.feedback = grade.measures, grade.feedback[:1000]


def _graded_items(session: Session, attempt: Attempt, round_: int) -> list[grading.GradedItem]:
    rows = list(
        session.execute(
            select(AttemptItem, AssessmentItem)
            .join(AssessmentItem, AssessmentItem.id == AttemptItem.item_id)
            .where(AttemptItem.attempt_id == attempt.id, AttemptItem.round == round_)
        )
    )
    answered = {pool.id for item, pool in rows if item.answer is not None}
    return [
        grading.GradedItem(
            item_id=pool.id,
            tags=frozenset(pool.tags),
            # consistency compares two answers; with either missing there is nothing to compare
            repeat_of=pool.repeat_of_id
            if pool.id in answered and pool.repeat_of_id in answered
            else None,
            grade=grading.ItemGrade(
                item.score or 0.0, bool(item.correct), dict(item.measures or {}), ""
            ),
            answer=item.answer,
            seconds=item.seconds,
        )
        for item, pool in rows
    ]


def close(*, session: Session, attempt: Attempt, now: datetime, portal_url: str) -> None:
    """Finish an attempt: grade what is ungraded, score it, decide, move the application.

    Late (past the deadline and its grace) closes as ``expired``: answers given in time count,
    the rest score 0. A trial closed at its feedback step is scored on round one alone.
    """
    assessment = session.get_one(Assessment, attempt.assessment_id)
    project = projects.get_or_404(session=session, project_id=assessment.project_id)
    schema = projects.label_schema(session=session, project=project)
    if attempt.status is AttemptStatus.in_progress:
        grade_round(session=session, attempt=attempt, schema=schema)
        scored_round = attempt.round
    else:  # a trial at its feedback step: round one is graded
        scored_round = 1
    items = _graded_items(session, attempt, scored_round)
    dimensions = grading.dimensions(schema, items)
    score = grading.overall(dimensions)
    attempt.score = score
    attempt.dimensions = asdict(dimensions)
    if assessment.kind is Kind.trial and scored_round == 2:
        first = [i.grade.score for i in _graded_items(session, attempt, 1)]
        attempt.learning = asdict(grading.learning(first, [i.grade.score for i in items]))
    late = is_late(attempt, now)
    attempt.status = AttemptStatus.expired if late else AttemptStatus.finished
    attempt.finished_at = now
    outcome, reason = decide(assessment, score)
    if late:
        reason += " (time ran out; answers given in time were graded)"
    attempt.engine_outcome = outcome
    apply(
        session=session,
        attempt=attempt,
        assessment=assessment,
        outcome=outcome,
        reason=reason,
        actor=ENGINE,
        now=now,
        portal_url=portal_url,
    )


def apply(
    *,
    session: Session,
    attempt: Attempt,
    assessment: Assessment,
    outcome: Outcome,
    reason: str,
    actor: str,
    now: datetime,
    portal_url: str,
    reopen: bool = False,
) -> None:
    """Record the outcome on the attempt and act on the linked application, if any."""
    attempt.outcome, attempt.outcome_reason = outcome, reason[:500]
    attempt.outcome_by, attempt.outcome_at = actor, now
    if attempt.application_id is None:
        return
    application = session.scalar(
        select(Application).where(Application.id == attempt.application_id).with_for_update()
    )
    if application is None:
        return
    retake = outcome is Outcome.failed and attempt.number < assessment.max_attempts
    target = target_stage(assessment.kind, outcome, retake)
    said = f"Assessment “{assessment.name}”: you {reason}"
    if retake:
        said += "; you may take it again"
        if assessment.retake_after_days:
            said += f" after {assessment.retake_after_days} days"
    refusal = None
    if target is not None and not _already_there(session, application, target):
        refusal = hiring.move_within(
            session,
            application,
            target,
            actor=actor,
            reason=said[:500],
            now=now,
            portal_url=portal_url,
            reopen=reopen,
        )
        if refusal is None:
            return
        attempt.outcome_reason = f"{reason} (application not moved: {refusal})"[:500]
    hiring.tell(session, application, subject=f"Your result: {assessment.name}", said=said, now=now)


def _already_there(session: Session, application: Application, target: str) -> bool:
    """The application is at ``target`` or further along its main path already."""
    path = session.get_one(Requisition, application.requisition_id).stages
    if application.stage not in path or target not in path:
        return False
    return path.index(application.stage) >= path.index(target)


def do_override(
    *,
    session: Session,
    actor: Actor,
    attempt_id: int,
    outcome: Outcome,
    reason: str,
    now: datetime,
    portal_url: str,
) -> Attempt:
    """A human replaces the outcome of a finished attempt, with a reason the candidate sees."""
    attempt = session.scalar(select(Attempt).where(Attempt.id == attempt_id).with_for_update())
    if attempt is None:
        raise NotFound(f"attempt {attempt_id} not found")
    if attempt.status not in (AttemptStatus.finished, AttemptStatus.expired):
        raise Conflict(f"attempt {attempt.id} is still under way; override it once finished")
    if attempt.outcome is outcome:
        raise Conflict(f"the attempt's outcome is already {outcome.value}")
    before = {"outcome": attempt.outcome, "reason": attempt.outcome_reason}
    assessment = session.get_one(Assessment, attempt.assessment_id)
    apply(
        session=session,
        attempt=attempt,
        assessment=assessment,
        outcome=outcome,
        reason=f"were given the outcome “{outcome.value}” by a reviewer: {reason}",
        actor=actor.label,
        now=now,
        portal_url=portal_url,
        reopen=True,
    )
    audit.record(
        session=session,
        actor=actor,
        action="attempt.override",
        entity_type="attempt",
        entity_id=attempt.id,
        before=before,
        after={"outcome": outcome, "reason": reason},
    )
    session.commit()
    return attempt
