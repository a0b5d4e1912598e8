"""Tasks in: validate a batch from an ML pipeline and store the new ones in one transaction.

Re-sending a task (same ``external_id``) is a no-op reported as ``existing``; a row that does
not fit the project's schema is refused with the field and the reason and never blocks the
others.

Storing is the expensive part, so it is done per database in the fastest way that keeps the
guarantees (one transaction with the audit event; ``ON CONFLICT (project_id, external_id) DO
NOTHING``, so a retry or a racing call never stores a task twice). On PostgreSQL a batch of
``COPY_FROM`` rows or more is ``COPY``-ed into a temporary table and moved into ``tasks`` by
one ``INSERT ... SELECT``; smaller batches, and every batch on SQLite, are executemany
parameters of one compiled ``INSERT`` (:func:`crewline.db.insert_ignoring_conflicts`), so
SQLAlchemy's column types still convert them (SQLite keeps ``UTCDateTime``'s own format).
Building a multi-row ``VALUES`` statement per chunk instead spent most of the time compiling
SQL (docs/benchmarks.md, "7. Ingestion"); validation costs ~7 µs a row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

import psycopg
from pydantic import ValidationError
from sqlalchemy import bindparam, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from crewline.annotation import AnnotationError, LabelSchema, validate_task_data
from crewline.annotation import validate_value as check_value
from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.db import UTCDateTime, insert_ignoring_conflicts
from crewline.errors import InvalidInput
from crewline.projects.models import Project
from crewline.tasks.models import Task
from crewline.tasks.schemas import MAX_BATCH, IngestReport, Refused, TaskIn

#: Batches of at least this many valid rows go through ``COPY`` on PostgreSQL. Smaller ones
#: take the executemany ``INSERT``: it needs no temporary table, whose DDL costs ~1 ms a call
#: and leaves dead rows in the system catalogs, and it is as fast up to ~100 rows (and 5 to
#: 6 times slower at 1,000).
COPY_FROM = 100


class _Checked(NamedTuple):
    """A valid row, normalised: what differs from one task of the batch to the next."""

    external_id: str
    data: dict[str, Any]
    gold_answer: Any  # the answer key in its normal form; None for a regular task
    tags: list[str]
    priority: int
    required_labels: int
    due_at: datetime | None


def _refusal(index: int, raw: object, field: str, reason: str) -> Refused:
    external_id = raw.get("external_id") if isinstance(raw, dict) else None
    return Refused(
        index=index,
        external_id=str(external_id)[:200] if external_id is not None else None,
        field=field,
        reason=reason,
    )


def _check(
    schema: LabelSchema, task: TaskIn, default_due: datetime | None, overlap: int
) -> _Checked:
    validate_task_data(schema, task.data)
    gold = None
    if task.gold_answer is not None:
        try:
            gold = check_value(schema, task.gold_answer, task.data)
        except AnnotationError as exc:
            # The checker names the value "value..."; here it is the gold_answer field.
            field = "gold_answer" + exc.field.removeprefix("value")
            raise type(exc)(field, exc.reason) from exc
    # Positional: this runs once per row, and keyword construction of a tuple costs more.
    return _Checked(
        task.external_id,
        task.data,
        gold,
        task.tags,
        task.priority,
        task.required_labels or overlap,
        default_due if task.due_at is None else task.due_at,
    )


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
    ``created`` and ``existing`` keep the order of ``rows``.
    """
    if len(rows) > MAX_BATCH:
        raise InvalidInput("body", f"at most {MAX_BATCH} tasks per call, got {len(rows)}")
    # Read once, not per row: these are ORM attributes.
    overlap = project.overlap
    default_due = None if project.sla_hours is None else now + timedelta(hours=project.sla_hours)
    refused: list[Refused] = []
    valid: list[_Checked] = []
    seen: set[str] = set()
    for index, raw in enumerate(rows):
        try:
            task = TaskIn.model_validate(raw)
            if task.external_id in seen:
                raise InvalidInput("external_id", "appears twice in this batch")
            valid.append(_check(schema, task, default_due, overlap))
            seen.add(task.external_id)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"]) or "row"
            message = "unknown field" if error["type"] == "extra_forbidden" else error["msg"]
            refused.append(_refusal(index, raw, field, message))
        except InvalidInput as exc:
            refused.append(_refusal(index, raw, exc.field, exc.reason))
    made = set(_insert_new(session, project.id, valid, now))
    created = [task.external_id for task in valid if task.external_id in made]
    existing = [task.external_id for task in valid if task.external_id not in made]
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


def _insert_new(
    session: Session, project_id: int, tasks: list[_Checked], now: datetime
) -> list[str]:
    """Insert the tasks whose ``external_id`` the project does not have yet; their ids.

    ``ON CONFLICT DO NOTHING`` makes a retry, or a concurrent call with the same ids, a
    no-op rather than an error: the loser of a race waits for the winner's commit and then
    skips the row, so the report says ``existing`` and nothing is stored twice.
    """
    if not tasks:
        return []
    if session.get_bind().dialect.name == "postgresql" and len(tasks) >= COPY_FROM:
        return _copy_new(session, project_id, tasks, now)
    rows = [
        {
            "project_id": project_id,
            "external_id": task.external_id,
            "data": task.data,
            "is_gold": task.gold_answer is not None,
            "gold_answer": task.gold_answer,
            "tags": task.tags,
            "priority": task.priority,
            "required_labels": task.required_labels,
            "leased_count": 0,
            "submitted_count": 0,
            "open": True,
            "due_at": task.due_at,
            "created_at": now,
        }
        for task in tasks
    ]
    return insert_ignoring_conflicts(
        session, Task, rows, conflict_on=("project_id", "external_id"), returning="external_id"
    )


# Dropped at commit (and with a rollback, since PostgreSQL's DDL is transactional), so it
# never outlives the call; ``_copy_new`` also drops it at once, for callers (the tests) that
# run several ingestions inside one outer transaction.
_STAGE = """
CREATE TEMPORARY TABLE crewline_ingest (
    ord integer NOT NULL,
    external_id text NOT NULL,
    data json NOT NULL,
    gold_answer json,
    tags json NOT NULL,
    priority integer NOT NULL,
    required_labels integer NOT NULL,
    due_at timestamptz
) ON COMMIT DROP
"""
_COPY = (
    "COPY crewline_ingest (ord, external_id, data, gold_answer, tags, priority, "
    "required_labels, due_at) FROM STDIN"
)
# A regular task's answer key is stored as JSON null, as SQLAlchemy's JSON type stores None
# (on SQLite too); both read back as None. ORDER BY keeps ids in the batch's order, which is
# the claim's last tie-break (first in, first served).
_MOVE = text("""
INSERT INTO tasks (project_id, external_id, data, is_gold, gold_answer, tags, priority,
                   required_labels, leased_count, submitted_count, open, due_at, created_at)
SELECT :project_id, external_id, data, gold_answer IS NOT NULL,
       COALESCE(gold_answer, 'null'::json), tags, priority, required_labels, 0, 0, true,
       due_at, :now
FROM crewline_ingest
ORDER BY ord
ON CONFLICT (project_id, external_id) DO NOTHING
RETURNING external_id
""").bindparams(bindparam("now", type_=UTCDateTime()))


def _copy_new(session: Session, project_id: int, tasks: list[_Checked], now: datetime) -> list[str]:
    """PostgreSQL: ``COPY`` the rows into a temporary table, then one ``INSERT ... SELECT``.

    ``COPY`` streams the rows with no SQL to build, compile or parse per row; ``INSERT ...
    SELECT`` then applies the conflict rule to all of them in one statement. Both run on the
    session's own connection, inside its transaction, so the batch and its audit event still
    commit or roll back together. JSON is dumped with ``json.dumps``, as SQLAlchemy's JSON
    type does, so the stored text is the same as the ORM would write.
    """
    session.execute(text(_STAGE))
    driver = cast(psycopg.Connection[Any], session.connection().connection.driver_connection)
    dumps = json.dumps
    try:
        with driver.cursor() as cursor, cursor.copy(_COPY) as copy:
            for ord_, task in enumerate(tasks):
                gold = task.gold_answer
                copy.write_row(
                    (
                        ord_,
                        task.external_id,
                        dumps(task.data),
                        None if gold is None else dumps(gold),
                        dumps(task.tags) if task.tags else "[]",
                        task.priority,
                        task.required_labels,
                        task.due_at,
                    )
                )
    except psycopg.Error as exc:
        # The driver raised it, not SQLAlchemy: wrap it as SQLAlchemy would, so callers see
        # the same exceptions on every path (a value PostgreSQL cannot store, such as a NUL
        # character or NaN in JSON, is a DataError, which the API answers with a 422).
        wrapped = DBAPIError.instance(
            _COPY, None, exc, psycopg.Error, dialect=session.get_bind().dialect
        )
        raise cast(DBAPIError, wrapped) from exc
    created = list(session.scalars(_MOVE, {"project_id": project_id, "now": now}).all())
    session.execute(text("DROP TABLE crewline_ingest"))
    return created
