"""Tasks in, labels out: the only writer of ``tasks``, ``assignments`` and ``task_flags``.

The lease state machine lives here so its invariants hold whoever calls it:

* a task never has more live leases plus submitted labels than ``required_labels``;
* a worker never holds or labels one task twice (a unique key, not just a check);
* ``open`` is true exactly while a slot is free, so the claim reads only open tasks.

Counters change in single UPDATE statements that compute from the row's current values, and
the claim locks the row it picks (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has one
writer at a time and does the pick and the update in one statement).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, and_, case, exists, func, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crewline.annotation import AnnotationError, LabelSchema, gold_matches, validate_task_data
from crewline.annotation import validate_value as check_value
from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.db import begin_write
from crewline.errors import Conflict, InvalidInput, NotFound
from crewline.projects.models import Project
from crewline.tasks.models import (
    Assignment,
    AssignmentState,
    FlagStatus,
    Task,
    TaskFlag,
)
from crewline.tasks.schemas import (
    MAX_BATCH,
    FlagIn,
    IngestReport,
    Refused,
    Review,
    Submission,
    TaskIn,
)

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


def list_tasks(*, session: Session, project_id: int, after_id: int, limit: int) -> list[Task]:
    """A page of a project's tasks by id (keyset: constant cost however deep the page)."""
    return list(
        session.scalars(
            select(Task)
            .where(Task.project_id == project_id, Task.id > after_id)
            .order_by(Task.id)
            .limit(limit)
        )
    )


def get_task(*, session: Session, task_id: int) -> Task:
    """The task, or NotFound."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"task {task_id} not found")
    return task


def _pick(project_id: int, person_id: int, gold: bool) -> Select[int]:
    """The best open task of a project this worker has never held: one index probe per row."""
    mine = exists().where(Assignment.task_id == Task.id, Assignment.person_id == person_id)
    return (
        select(Task.id)
        .where(Task.project_id == project_id, Task.open == true(), Task.is_gold == gold, ~mine)
        .order_by(Task.priority.desc(), Task.due_at, Task.id)
        .limit(1)
    )


def claim(
    *,
    session: Session,
    project: Project,
    person_id: int,
    gold: bool,
    lease: timedelta,
    now: datetime,
) -> Assignment | None:
    """Lease the next task of ``project`` to a worker, or None if there is none for them.

    Leaves the transaction open: the caller commits (one commit per claim).
    """
    taken = {
        "leased_count": Task.leased_count + 1,
        "open": (Task.leased_count + 1 + Task.submitted_count) < Task.required_labels,
    }
    pick = _pick(project.id, person_id, gold)
    if session.get_bind().dialect.name == "postgresql":
        locked = pick.with_for_update(skip_locked=True).cte("pick")
        statement = update(Task).where(Task.id == locked.c.id)
    else:
        statement = update(Task).where(Task.id == pick.scalar_subquery())
    task_id = session.scalar(statement.values(**taken).returning(Task.id))
    if task_id is None:
        return None
    assignment = Assignment(
        task_id=task_id,
        project_id=project.id,
        person_id=person_id,
        state=AssignmentState.leased,
        is_gold=gold,
        leased_at=now,
        lease_expires_at=now + lease,
        schema_version=project.schema_version,
        guideline_version=project.guideline_version,
    )
    session.add(assignment)
    session.flush()
    return assignment


def _free_slot(session: Session, task_id: int, *, submitted: int = 0) -> None:
    """One lease ends, with (``submitted=1``) or without a label."""
    leased = Task.leased_count - 1
    done = Task.submitted_count + submitted
    session.execute(
        update(Task)
        .where(Task.id == task_id)
        .values(
            leased_count=leased, submitted_count=done, open=(leased + done) < Task.required_labels
        )
    )


def own_assignment(
    *, session: Session, person_id: int, assignment_id: int, lock: bool = False
) -> Assignment:
    """A worker's own assignment (another worker's is reported as not found)."""
    query = select(Assignment).where(Assignment.id == assignment_id)
    if lock:
        query = query.with_for_update()
    assignment = session.scalar(query)
    if assignment is None or assignment.person_id != person_id:
        raise NotFound(f"assignment {assignment_id} not found")
    return assignment


def do_submit(
    *,
    session: Session,
    person_id: int,
    assignment_id: int,
    data: Submission,
    schema: LabelSchema,
    now: datetime,
) -> tuple[Assignment, bool]:
    """Store a worker's answer; returns the assignment and whether the task just completed.

    Retrying with the same ``client_submission_id`` returns the stored answer and changes
    nothing. The value is checked against the schema version the task was leased under.
    """
    begin_write(session)
    replay = session.scalar(
        select(Assignment).where(
            Assignment.person_id == person_id,
            Assignment.client_submission_id == data.client_submission_id,
        )
    )
    if replay is not None:
        if replay.id != assignment_id:
            raise Conflict(
                f"client_submission_id was already used for assignment {replay.id}",
                field="client_submission_id",
            )
        return replay, False
    assignment = own_assignment(
        session=session, person_id=person_id, assignment_id=assignment_id, lock=True
    )
    if assignment.state is not AssignmentState.leased:
        raise Conflict(
            f"assignment {assignment_id} is {assignment.state.value}; it cannot be submitted"
        )
    task = get_task(session=session, task_id=assignment.task_id)
    value = check_value(schema, data.value, task.data)  # fields read "value...."
    assignment.state = AssignmentState.submitted
    assignment.value = value
    assignment.finished_at = now
    assignment.client_submission_id = data.client_submission_id
    assignment.active_seconds = data.active_seconds
    if task.is_gold and task.gold_answer is not None:
        assignment.gold_score = gold_matches(schema, value, task.gold_answer)
    _free_slot(session, task.id, submitted=1)
    completed = session.execute(
        update(Task)
        .where(
            Task.id == task.id,
            Task.completed_at.is_(None),
            Task.submitted_count >= Task.required_labels,
        )
        .values(completed_at=now)
        .returning(Task.id)
    ).first()
    return assignment, completed is not None


def do_release(
    *,
    session: Session,
    person_id: int,
    assignment_id: int,
    state: AssignmentState,
    reason: str | None,
    now: datetime,
) -> Assignment:
    """The worker gives a leased task back (``returned``) or skips it with a reason.

    Either frees the slot for someone else and never counts against the worker.
    """
    begin_write(session)
    if state not in (AssignmentState.returned, AssignmentState.skipped):
        raise InvalidInput("state", "a lease can only be returned or skipped")
    assignment = own_assignment(
        session=session, person_id=person_id, assignment_id=assignment_id, lock=True
    )
    if assignment.state is not AssignmentState.leased:
        raise Conflict(f"assignment {assignment_id} is {assignment.state.value}, not leased")
    assignment.state = state
    assignment.skip_reason = reason
    assignment.finished_at = now
    _free_slot(session, assignment.task_id)
    return assignment


def expire_leases(*, session: Session, now: datetime, limit: int = 1000) -> int:
    """Time out leases past their expiry and free their slots (the lease sweeper job)."""
    begin_write(session)
    due = (
        select(Assignment.id)
        .where(Assignment.state == AssignmentState.leased, Assignment.lease_expires_at < now)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    task_ids = session.scalars(
        update(Assignment)
        .where(Assignment.id.in_(due.scalar_subquery()), Assignment.state == AssignmentState.leased)
        .values(state=AssignmentState.timed_out, finished_at=now)
        .returning(Assignment.task_id)
    ).all()
    for task_id, count in Counter(task_ids).items():
        leased = Task.leased_count - count
        session.execute(
            update(Task)
            .where(Task.id == task_id)
            .values(
                leased_count=leased, open=(leased + Task.submitted_count) < Task.required_labels
            )
        )
    session.commit()
    return len(task_ids)


def do_review(
    *, session: Session, actor: Actor, assignment_id: int, data: Review, now: datetime
) -> Assignment:
    """Approve or reject a submitted annotation; a rejection frees its slot and keeps its reason."""
    begin_write(session)
    assignment = session.scalar(
        select(Assignment).where(Assignment.id == assignment_id).with_for_update()
    )
    if assignment is None:
        raise NotFound(f"assignment {assignment_id} not found")
    if assignment.state is not AssignmentState.submitted:
        raise Conflict(f"assignment {assignment_id} is {assignment.state.value}, not submitted")
    if not data.approve and not data.reason:
        raise InvalidInput("reason", "say why the annotation is rejected")
    assignment.state = AssignmentState.approved if data.approve else AssignmentState.rejected
    assignment.review_reason = data.reason
    assignment.reviewed_by = actor.label
    assignment.reviewed_at = now
    if not data.approve:
        session.execute(
            update(Task)
            .where(Task.id == assignment.task_id)
            .values(
                submitted_count=Task.submitted_count - 1,
                open=(Task.leased_count + Task.submitted_count - 1) < Task.required_labels,
                completed_at=case(
                    (Task.submitted_count - 1 >= Task.required_labels, Task.completed_at),
                    else_=None,
                ),
            )
        )
    audit.record(
        session=session,
        actor=actor,
        action="assignment.review",
        entity_type="assignment",
        entity_id=assignment.id,
        after={"state": assignment.state, "reason": data.reason},
    )
    session.commit()
    return assignment


def do_set_required_labels(
    *, session: Session, actor: Actor, task_id: int, required: int, now: datetime
) -> Task:
    """Ask for more (or fewer) labels on one task; routing honours it at the next claim."""
    begin_write(session)
    task = get_task(session=session, task_id=task_id)
    before = task.required_labels
    session.execute(
        update(Task)
        .where(Task.id == task_id)
        .values(
            required_labels=required,
            open=(Task.leased_count + Task.submitted_count) < required,
            completed_at=case(
                (Task.submitted_count >= required, func.coalesce(Task.completed_at, now)),
                else_=None,
            ),
        )
    )
    audit.record(
        session=session,
        actor=actor,
        action="task.required_labels",
        entity_type="task",
        entity_id=task_id,
        before={"required_labels": before},
        after={"required_labels": required},
    )
    session.commit()
    session.refresh(task)
    return task


def do_flag(*, session: Session, person_id: int, assignment_id: int, data: FlagIn) -> TaskFlag:
    """A worker raises an edge case or a guideline question on a task they hold or held."""
    assignment = own_assignment(session=session, person_id=person_id, assignment_id=assignment_id)
    flag = TaskFlag(
        task_id=assignment.task_id,
        project_id=assignment.project_id,
        person_id=person_id,
        kind=data.kind,
        body=data.body,
        guideline_version=assignment.guideline_version,
        status=FlagStatus.open,
    )
    session.add(flag)
    session.commit()
    return flag


def open_flags(*, session: Session, project_id: int) -> list[TaskFlag]:
    """The reviewers' queue of edge cases and questions for a project, oldest first."""
    return list(
        session.scalars(
            select(TaskFlag)
            .where(TaskFlag.project_id == project_id, TaskFlag.status == FlagStatus.open)
            .order_by(TaskFlag.id)
        )
    )


def project_incomplete(*, session: Session, project_id: int) -> bool:
    """Whether any task of the project still lacks labels."""
    return (
        session.scalar(
            select(Task.id)
            .where(Task.project_id == project_id, Task.completed_at.is_(None))
            # Ordering by the partial index's column makes the planner read that index; left
            # to itself it estimates a short sequential scan, which walks other projects' rows
            # (58 ms per submission at 1M tasks, docs/benchmarks.md).
            .order_by(Task.project_id)
            .limit(1)
        )
        is not None
    )


def progress(*, session: Session, project_id: int) -> dict[str, int]:
    """Task counts for a project page: total, completed, open and gold."""
    row = session.execute(
        select(
            func.count(),
            func.count(Task.completed_at),
            func.sum(case((Task.open.is_(True), 1), else_=0)),
            func.sum(case((Task.is_gold.is_(True), 1), else_=0)),
        ).where(Task.project_id == project_id)
    ).one()
    return {"tasks": row[0], "completed": row[1], "open": row[2] or 0, "gold": row[3] or 0}


def assignments_of(
    *, session: Session, person_id: int, states: Sequence[AssignmentState] | None = None
) -> list[Assignment]:
    """A worker's assignments, newest first."""
    query = (
        select(Assignment).where(Assignment.person_id == person_id).order_by(Assignment.id.desc())
    )
    if states:
        query = query.where(Assignment.state.in_(states))
    return list(session.scalars(query.limit(200)))


def iter_tasks(
    *, session: Session, project_id: int, batch: int = 1000
) -> Iterator[tuple[Task, list[Assignment]]]:
    """Every task of a project with its finished assignments, by id, in batches (export)."""
    last = 0
    while True:
        tasks = session.scalars(
            select(Task)
            .where(Task.project_id == project_id, Task.id > last)
            .order_by(Task.id)
            .limit(batch)
        ).all()
        if not tasks:
            return
        ids = [t.id for t in tasks]
        by_task: dict[int, list[Assignment]] = {i: [] for i in ids}
        for assignment in session.scalars(
            select(Assignment)
            .where(
                and_(
                    Assignment.task_id.in_(ids),
                    Assignment.state.in_(
                        [
                            AssignmentState.submitted,
                            AssignmentState.approved,
                            AssignmentState.rejected,
                        ]
                    ),
                )
            )
            .order_by(Assignment.id)
        ):
            by_task[assignment.task_id].append(assignment)
        for task in tasks:
            yield task, by_task[task.id]
        last = ids[-1]
