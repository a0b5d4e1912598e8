"""Tasks in: validate a batch from an ML pipeline and store the new ones in one transaction.

Re-sending a task (same ``external_id``) is a no-op reported as ``existing``; a row that does
not fit the project's schema is refused with the field and the reason and never blocks the
others.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crewline.annotation import AnnotationError, LabelSchema, validate_task_data
from crewline.annotation import validate_value as check_value
from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.errors import InvalidInput
from crewline.projects.models import Project
from crewline.tasks.models import Task
from crewline.tasks.schemas import MAX_BATCH, IngestReport, Refused, TaskIn

INSERT_CHUNK = 2_000


def _refusal(index: int, raw: object, field: str, reason: str) -> Refused:
    external_id = raw.get("external_id") if isinstance(raw, dict) else None
    return Refused(
        index=index,
        external_id=str(external_id)[:200] if external_id is not None else None,
        field=field,
        reason=reason,
    )


def _row(project: Project, schema: LabelSchema, task: TaskIn, now: datetime) -> dict[str, Any]:
    validate_task_data(schema, task.data)
    gold = None
    if task.gold_answer is not None:
        try:
            gold = check_value(schema, task.gold_answer, task.data)
        except AnnotationError as exc:
            # The checker names the value "value..."; here it is the gold_answer field.
            field = "gold_answer" + exc.field.removeprefix("value")
            raise type(exc)(field, exc.reason) from exc
    due = task.due_at
    if due is None and project.sla_hours is not None:
        due = now + timedelta(hours=project.sla_hours)
    required = task.required_labels or project.overlap
    return {
        "project_id": project.id,
        "external_id": task.external_id,
        "data": task.data,
        "is_gold": gold is not None,
        "gold_answer": gold,
        "tags": task.tags,
        "priority": task.priority,
        "required_labels": required,
        "leased_count": 0,
        "submitted_count": 0,
        "open": True,
        "due_at": due,
        "created_at": now,
    }


def do_ingest(
    *,
    session: Session,
    actor: Actor,
    project: Project,
    schema: LabelSchema,
    rows: Sequence[object],
    now: datetime,
) -> IngestReport:
    """Store a batch of tasks: created, already there (same ``external_id``), or refused.

    Every valid row is written in one transaction, so a crash leaves all of them or none;
    refused rows are reported with the field and the reason and never block the others.
    """
    if len(rows) > MAX_BATCH:
        raise InvalidInput("body", f"at most {MAX_BATCH} tasks per call, got {len(rows)}")
    refused: list[Refused] = []
    valid: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, raw in enumerate(rows):
        try:
            task = TaskIn.model_validate(raw)
            if task.external_id in seen:
                raise InvalidInput("external_id", "appears twice in this batch")
            valid.append(_row(project, schema, task, now))
            seen.add(task.external_id)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"]) or "row"
            message = "unknown field" if error["type"] == "extra_forbidden" else error["msg"]
            refused.append(_refusal(index, raw, field, message))
        except InvalidInput as exc:
            refused.append(_refusal(index, raw, exc.field, exc.reason))
    created: list[str] = []
    for start in range(0, len(valid), INSERT_CHUNK):
        chunk = valid[start : start + INSERT_CHUNK]
        created += session.scalars(_insert_new(session, chunk)).all()
    made = set(created)
    existing = [row["external_id"] for row in valid if row["external_id"] not in made]
    if created and project.completed_at is not None:
        project.completed_at = None  # new work reopens a finished project
    audit.record(
        session=session,
        actor=actor,
        action="tasks.ingest",
        entity_type="project",
        entity_id=project.id,
        after={"created": len(created), "existing": len(existing), "refused": len(refused)},
    )
    session.commit()
    return IngestReport(created=created, existing=existing, refused=refused)


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING external_id: retries and races are no-ops."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(Task)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["project_id", "external_id"])
        .returning(Task.external_id)
    )
