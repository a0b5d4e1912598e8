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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Executable,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crewline.annotation import gold_matches
from crewline.annotation import validate_value as check_value
from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.db import UTCDateTime, begin_write
from crewline.errors import Conflict, InvalidInput, NotFound
from crewline.projects import service as projects
from crewline.projects.models import Project, SchemaVersion
from crewline.tasks.models import (
    Assignment,
    AssignmentState,
    FlagStatus,
    Task,
    TaskFlag,
)
from crewline.tasks.schemas import FlagIn, Review, Submission


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


#: However often a lease is extended, a worker holds one task at most this long.
MAX_HOLD = timedelta(hours=4)


@dataclass(frozen=True, slots=True)
class Completion:
    """A task that reached its label target with this submission: what its events need."""

    task_id: int
    project_id: int
    external_id: str
    labels: int


def _pick(project_id: Any, person_id: Any, gold: Any) -> Select[int]:
    """The best open task of a project this worker has never held: one index probe per row.

    Takes values or bound parameters (the claim builds its statements once, with parameters).
    """
    mine = exists().where(Assignment.task_id == Task.id, Assignment.person_id == person_id)
    return (
        select(Task.id)
        .where(Task.project_id == project_id, Task.open == true(), Task.is_gold == gold, ~mine)
        .order_by(Task.priority.desc(), Task.due_at, Task.id)
        .limit(1)
    )


#: A condition the claim checks in its own statement, built from the project and person ids.
Gate = Callable[[Any, Any], ColumnElement[bool]]

_PROJECT = bindparam("b_project_id", type_=Integer)
_PERSON = bindparam("b_person_id", type_=Integer)
_LEASE_COLUMNS = [
    "task_id",
    "project_id",
    "person_id",
    "state",
    "is_gold",
    "leased_at",
    "lease_expires_at",
    "schema_version",
    "guideline_version",
]


#: Multiplier of the arm hash: ``(id * 761 + seed) mod 1000`` visits every residue once per
#: thousand consecutive ids (761 is coprime to 1000), so arms split evenly and stably. The
#: product is computed as a 64-bit integer (PostgreSQL's ``integer`` would overflow).
ARM_HASH = 761


def _guideline_version(task_id: Any) -> ColumnElement[Any]:
    """The project's guideline version or, while an experiment runs, its arm A or B version
    by the hash of the worker's (or task's) id; computed in the claim, so it costs nothing."""
    unit = cast(case((Project.trial_unit == "task", task_id), else_=_PERSON), BigInteger)
    arm_b = ((unit * ARM_HASH + Project.trial_seed) % 1000) >= 500
    return case(
        (and_(Project.trial_version.is_not(None), arm_b), Project.trial_version),
        (Project.trial_version.is_not(None), Project.trial_version_a),
        else_=Project.guideline_version,
    )


def _lease_from(task_id: Any, is_gold: Any) -> Select[Any]:
    """The new lease's row, with the schema and guideline versions the project is at now."""
    return select(
        task_id,
        _PROJECT,
        _PERSON,
        literal(AssignmentState.leased, Assignment.__table__.c.state.type),
        is_gold,
        bindparam("b_leased_at", type_=UTCDateTime()),
        bindparam("b_expires_at", type_=UTCDateTime()),
        Project.schema_version,
        _guideline_version(task_id),
    )


@lru_cache(maxsize=16)
def _claim_statements(dialect: str, gate: Gate | None) -> tuple[Executable, ...]:
    """The claim's statements, built once per dialect and gate (building costs more CPU than
    PostgreSQL spends running them); every value is a bound parameter."""
    pick = _pick(_PROJECT, _PERSON, bindparam("gold", type_=Boolean))
    if gate is not None:
        pick = pick.where(gate(_PROJECT, _PERSON))
    take = {
        "leased_count": Task.leased_count + 1,
        "open": (Task.leased_count + 1 + Task.submitted_count) < Task.required_labels,
    }
    if dialect == "postgresql":
        locked = pick.with_for_update(skip_locked=True).cte("pick")
        taken = (
            update(Task)
            .where(Task.id == locked.c.id)
            .values(take)
            .returning(Task.id, Task.is_gold)
            .cte("taken")
        )
        source = _lease_from(taken.c.id, taken.c.is_gold).join_from(
            taken, Project, Project.id == _PROJECT
        )
        return (_as_assignments(source),)
    take_one = (
        update(Task)
        .where(Task.id == pick.scalar_subquery())
        .values(take)
        .returning(Task.id, Task.is_gold)
    )
    source = _lease_from(
        bindparam("b_task_id", type_=Integer), bindparam("b_is_gold", type_=Boolean)
    ).where(Project.id == _PROJECT)
    return take_one, _as_assignments(source)


def _as_assignments(source: Select[Any]) -> Executable:
    """``INSERT INTO assignments ... RETURNING``, read as Assignment objects."""
    return _returning(Assignment, insert(Assignment).from_select(_LEASE_COLUMNS, source))


def _returning(entity: type[Any], dml: Any) -> Executable:
    """A DML statement whose RETURNING rows are read as ``entity`` objects (refreshing any
    already in the session).

    Wrapped in ``from_statement`` so that execution parameters fill the statement's own
    placeholders: an ORM ``insert()``/``update()`` given parameters takes them as rows for a
    bulk operation instead.
    """
    return (
        select(entity)
        .from_statement(dml.returning(entity))
        .execution_options(populate_existing=True)
    )


def claim(
    *,
    session: Session,
    project_id: int,
    person_id: int,
    gold: bool,
    lease: timedelta,
    now: datetime,
    only_if: Gate | None = None,
) -> Assignment | None:
    """Lease the next task of a project to a worker, or None if there is none for them.

    Touches a constant number of rows however large the project: on PostgreSQL one statement
    (pick with ``FOR UPDATE SKIP LOCKED``, take the slot, insert the lease), on SQLite two
    inside the caller's write transaction. ``only_if`` builds a condition checked in the same
    statement (routing passes "the worker may work on this project right now"). The caller
    commits.
    """
    statements = _claim_statements(session.get_bind().dialect.name, only_if)
    params: dict[str, Any] = {
        "b_project_id": project_id,
        "b_person_id": person_id,
        "gold": gold,
        "b_leased_at": now,
        "b_expires_at": now + lease,
    }
    if len(statements) == 2:
        row = session.execute(statements[0], params, execution_options=_NO_SYNC).first()
        if row is None:
            return None
        params |= {"b_task_id": row.id, "b_is_gold": row.is_gold}
    return session.scalars(statements[-1], params).first()


#: The statements here say exactly which rows change and return them; nothing to evaluate.
_NO_SYNC = {"synchronize_session": False}


@cache
def _free_slot_statement() -> Executable:
    leased = Task.leased_count - bindparam("b_leases", type_=Integer)
    done = Task.submitted_count + bindparam("b_labels", type_=Integer)
    reached = Task.completed_at.is_(None) & (done >= Task.required_labels)
    now = bindparam("b_now", type_=UTCDateTime())
    return (
        update(Task)
        .where(Task.id == bindparam("b_task_id", type_=Integer))
        .values(
            leased_count=leased,
            submitted_count=done,
            open=(leased + done) < Task.required_labels,
            completed_at=case((reached, now), else_=Task.completed_at),
        )
        .returning(Task.project_id, Task.external_id, Task.submitted_count, Task.required_labels)
    )


def _free_slot(
    session: Session, task_id: int, now: datetime, *, leases: int, labels: int
) -> Completion | None:
    """``leases`` leases of a task end, ``labels`` of them with a label: one UPDATE.

    It also sets ``completed_at`` when the labels reach the target, and returns the
    completion if this call did that. Every writer keeps "``completed_at`` is set exactly
    when ``submitted_count >= required_labels``", so with a label added the task completed
    just now exactly when its count now equals its target.
    """
    params = {"b_task_id": task_id, "b_leases": leases, "b_labels": labels, "b_now": now}
    row = session.execute(_free_slot_statement(), params, execution_options=_NO_SYNC).one()
    if labels and row.submitted_count == row.required_labels:
        return Completion(task_id, row.project_id, row.external_id, row.submitted_count)
    return None


def _time_out(session: Session, due: Select[int] | list[int], now: datetime) -> int:
    """Time out these leases (those still leased) and free their slots; returns how many."""
    task_ids = session.scalars(
        update(Assignment)
        .where(Assignment.id.in_(due), Assignment.state == AssignmentState.leased)
        .values(state=AssignmentState.timed_out, finished_at=now)
        .returning(Assignment.task_id),
        execution_options=_NO_SYNC,
    ).all()
    for task_id, count in Counter(task_ids).items():
        _free_slot(session, task_id, now, leases=count, labels=0)
    return len(task_ids)


def _refuse_expired(session: Session, assignment: Assignment, now: datetime) -> None:
    """An expired lease is timed out here and now (its slot is someone else's) and refused.

    The sweeper would do the same within seconds; doing it at once means a late answer is
    never stored on a slot that may already be leased again.
    """
    if assignment.lease_expires_at > now:
        return
    _time_out(session, [assignment.id], now)
    session.commit()
    raise Conflict(
        f"the lease on assignment {assignment.id} expired at "
        f"{assignment.lease_expires_at.isoformat()}; ask for the next task"
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


def live_lease(*, session: Session, person_id: int, now: datetime) -> Assignment | None:
    """The worker's oldest unexpired lease, if they hold one (a retried request gets it back)."""
    held: Assignment | None = session.scalar(
        _live_lease_statement(), {"b_person_id": person_id, "b_now": now}
    )
    return held


@cache
def _live_lease_statement() -> Select[Assignment]:
    return (
        select(Assignment)
        .where(
            Assignment.person_id == bindparam("b_person_id", type_=Integer),
            Assignment.state == AssignmentState.leased,
            Assignment.lease_expires_at > bindparam("b_now", type_=UTCDateTime()),
        )
        .order_by(Assignment.id)
        .limit(1)
    )


@cache
def _submit_read() -> Executable:
    """The assignment with what checking an answer needs: task data, answer key, schema."""
    return (
        select(
            Assignment,
            Task.data,
            Task.is_gold,
            Task.gold_answer,
            Project.annotation_type,
            SchemaVersion.spec,
        )
        .join(Task, Task.id == Assignment.task_id)
        .join(Project, Project.id == Assignment.project_id)
        .join(
            SchemaVersion,
            (SchemaVersion.project_id == Assignment.project_id)
            & (SchemaVersion.version == Assignment.schema_version),
        )
        .where(Assignment.id == bindparam("b_assignment_id", type_=Integer))
    )


@cache
def _submit_update() -> Executable:
    """Store the answer if the lease is still held (a concurrent request may have won)."""
    columns = Assignment.__table__.c
    return _returning(
        Assignment,
        update(Assignment)
        .where(
            Assignment.id == bindparam("b_assignment_id", type_=Integer),
            Assignment.state == AssignmentState.leased,
        )
        .values(
            state=AssignmentState.submitted,
            value=bindparam("b_value", type_=columns.value.type),
            finished_at=bindparam("b_finished_at", type_=columns.finished_at.type),
            client_submission_id=bindparam(
                "b_submission_id", type_=columns.client_submission_id.type
            ),
            active_seconds=bindparam("b_active_seconds", type_=columns.active_seconds.type),
            gold_score=bindparam("b_gold_score", type_=columns.gold_score.type),
        ),
    )


def do_submit(
    *,
    session: Session,
    person_id: int,
    assignment_id: int,
    data: Submission,
    now: datetime,
) -> tuple[Assignment, Completion | None]:
    """Store a worker's answer; returns the assignment and the task's completion, if this was it.

    The value is checked against the schema version the task was leased under. Retrying with
    the same ``client_submission_id`` returns the stored answer and changes nothing. Four
    statements: the assignment with its task and schema, the answer, the task's counters.
    """
    begin_write(session)
    found = session.execute(_submit_read(), {"b_assignment_id": assignment_id}).first()
    if found is None or found[0].person_id != person_id:
        raise NotFound(f"assignment {assignment_id} not found")
    assignment, task_data, is_gold, gold_answer, annotation_type, spec = found
    if assignment.client_submission_id == data.client_submission_id:
        return assignment, None
    if assignment.state is not AssignmentState.leased:
        raise Conflict(
            f"assignment {assignment_id} is {assignment.state.value}; it cannot be submitted"
        )
    _refuse_expired(session, assignment, now)
    schema = projects.parsed_schema(annotation_type, spec)
    value = check_value(schema, data.value, task_data)  # fields read "value...."
    answer = {
        "b_assignment_id": assignment_id,
        "b_value": value,
        "b_finished_at": now,
        "b_submission_id": data.client_submission_id,
        "b_active_seconds": data.active_seconds,
        "b_gold_score": gold_matches(schema, value, gold_answer)
        if is_gold and gold_answer is not None
        else None,
    }
    try:
        stored = session.scalars(_submit_update(), answer).first()
    except IntegrityError:
        session.rollback()
        other = session.scalar(
            select(Assignment.id).where(
                Assignment.person_id == person_id,
                Assignment.client_submission_id == data.client_submission_id,
            )
        )
        raise Conflict(
            f"client_submission_id was already used for assignment {other}",
            field="client_submission_id",
        ) from None
    if stored is None:  # a concurrent request finished it between the read and the update
        current = session.get_one(Assignment, assignment_id, populate_existing=True)
        if current.client_submission_id == data.client_submission_id:
            return current, None
        raise Conflict(f"assignment {assignment_id} is {current.state.value}")
    return stored, _free_slot(session, stored.task_id, now, leases=1, labels=1)


def do_extend(
    *, session: Session, person_id: int, assignment_id: int, lease: timedelta, now: datetime
) -> Assignment:
    """Keep a live lease for another ``lease`` from now, up to ``MAX_HOLD`` after it began.

    The workspace calls this while the worker is active on a long task; an expired lease
    cannot be revived (its slot may be someone else's by now).
    """
    begin_write(session)
    assignment = own_assignment(
        session=session, person_id=person_id, assignment_id=assignment_id, lock=True
    )
    if assignment.state is not AssignmentState.leased:
        raise Conflict(f"assignment {assignment_id} is {assignment.state.value}, not leased")
    _refuse_expired(session, assignment, now)
    until = min(now + lease, assignment.leased_at + MAX_HOLD)
    if until > assignment.lease_expires_at:
        assignment.lease_expires_at = until
        session.flush()
    return assignment


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
    _refuse_expired(session, assignment, now)
    assignment.state = state
    assignment.skip_reason = reason
    assignment.finished_at = now
    session.flush()
    _free_slot(session, assignment.task_id, now, leases=1, labels=0)
    return assignment


def expire_leases(*, session: Session, now: datetime, limit: int = 1000) -> int:
    """Time out leases past their expiry and free their slots (the lease sweeper job)."""
    begin_write(session)
    due = (
        select(Assignment.id)
        .where(Assignment.state == AssignmentState.leased, Assignment.lease_expires_at <= now)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    expired = _time_out(session, due, now)
    session.commit()
    return expired


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
    *,
    session: Session,
    actor: Actor,
    task_id: int,
    required: int,
    now: datetime,
    commit: bool = True,
) -> Task:
    """Ask for more (or fewer) labels on one task; routing honours it at the next claim.

    Quality's dynamic overlap calls it with ``commit=False`` inside its own transaction.
    """
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
    if commit:
        session.commit()
    session.refresh(task)
    return task


def do_make_gold(*, session: Session, actor: Actor, task_id: int, answer: Any) -> Task:
    """Make a task gold with ``answer`` (a normal-form value) as its key; the caller commits.

    Review promotes adjudicated answers this way. Routing mixes the task into later work at
    the project's gold rate; labels it already has keep their state.
    """
    task = get_task(session=session, task_id=task_id)
    if task.is_gold:
        raise Conflict(f"task {task_id} is already gold")
    task.is_gold, task.gold_answer = True, answer
    audit.record(
        session=session,
        actor=actor,
        action="task.make_gold",
        entity_type="task",
        entity_id=task_id,
        after={"gold_answer": answer},
    )
    session.flush()
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


def _incomplete(project_id: Any) -> Select[int]:
    """A task of the project still short of labels: one entry of ``ix_tasks_incomplete``."""
    return (
        select(Task.id)
        .where(Task.project_id == project_id, Task.completed_at.is_(None))
        .order_by(Task.id)
        .limit(1)
    )


def project_incomplete(*, session: Session, project_id: int) -> bool:
    """Whether any task of the project still lacks labels (run after every completed task)."""
    return session.scalar(_incomplete_statement(), {"b_project_id": project_id}) is not None


@cache
def _incomplete_statement() -> Select[int]:
    return _incomplete(bindparam("b_project_id", type_=Integer))


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
