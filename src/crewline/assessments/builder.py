"""Building assessments from a project's gold tasks, and changing their settings.

The pool is gold tasks only: an item without a key cannot be graded, so an assessment with no
gold is refused rather than created empty. Items carry what they measure (tags) and, for
consistency, which earlier item they repeat; a repeat must point at an original in the same
pool, never at another repeat, so a pair is always one original and its copies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crewline.assessments.grading import TAGS
from crewline.assessments.models import Assessment, AssessmentItem, AssessmentStatus
from crewline.assessments.schemas import AssessmentCreate, AssessmentUpdate, ItemSpec
from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.errors import InvalidInput
from crewline.lookup import one_or_404
from crewline.projects import service as projects
from crewline.tasks.models import Task


def get_or_404(*, session: Session, assessment_id: int) -> Assessment:
    """An assessment by id, or a 404 naming it."""
    return one_or_404(session, Assessment, assessment_id, "assessment")


def pool_sizes(*, session: Session, assessment_ids: Sequence[int]) -> dict[int, int]:
    """How many items each assessment's pool holds."""
    rows = session.execute(
        select(AssessmentItem.assessment_id, func.count())
        .where(AssessmentItem.assessment_id.in_(assessment_ids))
        .group_by(AssessmentItem.assessment_id)
    )
    return {assessment_id: count for assessment_id, count in rows}


def list_assessments(*, session: Session, project_id: int | None = None) -> list[Assessment]:
    """Assessments, newest first, of one project or all."""
    statement = select(Assessment).order_by(Assessment.id.desc())
    if project_id is not None:
        statement = statement.where(Assessment.project_id == project_id)
    return list(session.scalars(statement))


def items_of(*, session: Session, assessment_id: int) -> list[AssessmentItem]:
    """An assessment's pool, in the order it was built."""
    return list(
        session.scalars(
            select(AssessmentItem)
            .where(AssessmentItem.assessment_id == assessment_id)
            .order_by(AssessmentItem.id)
        )
    )


def _gold_tasks(session: Session, project_id: int) -> dict[int, Task]:
    return {
        task.id: task
        for task in session.scalars(
            select(Task).where(
                Task.project_id == project_id,
                Task.is_gold.is_(True),
                Task.gold_answer.is_not(None),
            )
        )
    }


def _specs(gold: dict[int, Task], given: list[ItemSpec] | None) -> list[ItemSpec]:
    """The pool as item specs: every gold task (tagged from its own tags) when none given."""
    if given is None:
        return [
            ItemSpec.model_validate(
                {"task_id": task.id, "tags": [tag for tag in task.tags if tag in TAGS]}
            )
            for task in gold.values()
        ]
    seen: set[int] = set()
    for i, spec in enumerate(given):
        field = f"items.{i}"
        if spec.task_id not in gold:
            raise InvalidInput(
                f"{field}.task_id", f"task {spec.task_id} is not a gold task of this project"
            )
        if spec.task_id in seen:
            raise InvalidInput(f"{field}.task_id", f"task {spec.task_id} is listed twice")
        seen.add(spec.task_id)
    originals = {spec.task_id for spec in given if spec.repeats_task_id is None}
    for i, spec in enumerate(given):
        if spec.repeats_task_id is not None and spec.repeats_task_id not in originals:
            raise InvalidInput(
                f"items.{i}.repeats_task_id",
                f"task {spec.repeats_task_id} must be an item of this pool that is not itself "
                "a repeat",
            )
    return given


def _check_pool(items_per_attempt: int, originals: int) -> None:
    if originals == 0:
        raise InvalidInput(
            "items",
            "the assessment has no gold items: add gold tasks with answers to the project first",
        )
    if items_per_attempt > originals:
        raise InvalidInput(
            "items_per_attempt",
            f"{items_per_attempt} items per attempt, but the pool holds only {originals} "
            "distinct items",
        )


def do_create(
    *, session: Session, actor: Actor, project_id: int, data: AssessmentCreate
) -> Assessment:
    """Create an assessment of a project from its gold tasks (all of them, or those listed)."""
    project = projects.get_or_404(session=session, project_id=project_id)
    specs = _specs(_gold_tasks(session, project.id), data.items)
    _check_pool(data.items_per_attempt, sum(spec.repeats_task_id is None for spec in specs))
    assessment = Assessment(
        project_id=project.id,
        created_by=actor.label,
        **data.model_dump(exclude={"items"}),
    )
    session.add(assessment)
    session.flush()
    rows = {
        spec.task_id: AssessmentItem(
            assessment_id=assessment.id, task_id=spec.task_id, tags=list(spec.tags)
        )
        for spec in specs
    }
    session.add_all(rows.values())
    session.flush()
    for spec in specs:
        if spec.repeats_task_id is not None:
            rows[spec.task_id].repeat_of_id = rows[spec.repeats_task_id].id
    audit.record(
        session=session,
        actor=actor,
        action="assessment.create",
        entity_type="project",
        entity_id=project.id,
        after={"assessment_id": assessment.id, "items": len(rows), **_settings(assessment)},
    )
    session.commit()
    return assessment


def _settings(assessment: Assessment) -> dict[str, Any]:
    return {
        name: getattr(assessment, name)
        for name in AssessmentUpdate.model_fields
        if hasattr(assessment, name)
    }


def do_update(
    *, session: Session, actor: Actor, assessment_id: int, data: AssessmentUpdate
) -> Assessment:
    """Change an assessment's settings or status (open to take it, closed to stop)."""
    assessment = get_or_404(session=session, assessment_id=assessment_id)
    before = _settings(assessment)
    changes = data.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name != "training_score":
            raise InvalidInput(name, "cannot be null")
        setattr(assessment, name, value)
    if assessment.training_score is not None and assessment.training_score >= assessment.pass_score:
        raise InvalidInput("training_score", "must be below pass_score")
    if assessment.status is AssessmentStatus.open:
        originals = session.scalar(
            select(func.count()).where(
                AssessmentItem.assessment_id == assessment.id,
                AssessmentItem.repeat_of_id.is_(None),
            )
        )
        _check_pool(assessment.items_per_attempt, originals or 0)
    audit.record(
        session=session,
        actor=actor,
        action="assessment.update",
        entity_type="assessment",
        entity_id=assessment.id,
        before=before,
        after=_settings(assessment),
    )
    session.commit()
    return assessment
