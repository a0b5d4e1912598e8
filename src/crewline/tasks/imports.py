"""Tasks in from files: Label Studio exports with their history, and task files for the CLI.

Each Label Studio task becomes the task ``ls-<id>``; each of its annotations (cancelled ones
aside) becomes a ``submitted`` assignment under the project's current schema and guideline
versions, dated when it was made. Assignments need a person, so every distinct Label Studio
user (``completed_by``) gets one placeholder person per project: email
``ls-<project_id>-<user>@import.example`` (``.invalid`` would say it better, but email
validation refuses that special-use name), country and pay currency of the project's client,
region ``OTHER``, time zone ``UTC``, contractor, not in the worker pool and with no login, so
they are never routed work and a file's history stays apart from real workers' records (an
untrusted file cannot credit labels to, or blame them on, someone who works here).

Counters keep the invariants of ``tasks.service``: the new labels are added in UPDATE
statements computed from each row's current values; a task's ``required_labels`` grows to
hold its history when that is larger than the project's overlap (so leases plus labels never
exceed it), ``open`` is true exactly while a slot is free, and a task that now has all its
labels is completed at the import time.

Importing is idempotent: a task already there is not created again and an annotation already
imported (same task, same user) is left as it is, so re-running a file, or one that failed
half-way, adds only what is missing. A task is stored whole or refused whole, naming the field.

:func:`file_batches` reads a task file (a JSON array, JSON Lines or a Label Studio export) in
batches for ``crewline tasks import``; JSON Lines is streamed line by line.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from pydantic import Field
from sqlalchemy import case, literal, select, update
from sqlalchemy.orm import Session

from crewline.annotation import AnnotationValue, LabelSchema, from_label_studio
from crewline.annotation.labelstudio import result_type
from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.db import UTCDateTime, begin_write, insert_ignoring_conflicts
from crewline.errors import InvalidInput
from crewline.orgs import service as orgs
from crewline.people import service as people
from crewline.people.embedding import Embedder
from crewline.people.models import Classification, PersonOrigin, Region
from crewline.people.schemas import PersonCreate
from crewline.projects.models import Project
from crewline.tasks import ingest
from crewline.tasks.models import Assignment, AssignmentState, Task
from crewline.tasks.schemas import MAX_BATCH, IngestReport, Refused

EXTERNAL_PREFIX = "ls-"
PLACEHOLDER_DOMAIN = "import.example"
#: Most annotations one task may bring (the most labels a task may ask for).
MAX_ANNOTATIONS = 50
MAX_LEAD_SECONDS = 24 * 3600
LOOKUP_CHUNK = 1_000
_KEY = re.compile(r"^[A-Za-z0-9_-]{1,40}$")  # fits an email's local part
_TASK_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")


class ImportReport(IngestReport):
    """What a Label Studio import did: the ingestion report, plus the history it stored."""

    annotations: int = Field(description="Annotations stored by this call (new labels)")
    annotators: int = Field(description="Placeholder people made by this call")


@dataclass(frozen=True, slots=True)
class LsAnnotation:
    """One Label Studio annotation, ready to store."""

    annotator: str
    value: AnnotationValue
    made_at: datetime
    active_seconds: float | None


@dataclass(frozen=True, slots=True)
class LsTask:
    """One Label Studio task, checked: its external id, data and annotations."""

    external_id: str
    data: dict[str, object]
    annotations: list[LsAnnotation]


def placeholder_email(project_id: int, annotator: str) -> str:
    """The placeholder person's email for a Label Studio user on a project."""
    return f"ls-{project_id}-{annotator.lower()}@{PLACEHOLDER_DOMAIN}"


def read_task(schema: LabelSchema, raw: object, now: datetime) -> LsTask:
    """Check one Label Studio task; refuse it with the field and the reason."""
    if not isinstance(raw, Mapping):
        raise InvalidInput("task", "must be a Label Studio task (a JSON object)")
    external_id = EXTERNAL_PREFIX + _task_id(raw.get("id"))
    data, values = from_label_studio(schema, raw)
    key = "annotations" if "annotations" in raw or "completions" not in raw else "completions"
    kept = [
        (i, a)
        for i, a in enumerate(raw.get(key) or [])
        if not (isinstance(a, Mapping) and a.get("was_cancelled") is True)
    ]
    if len(kept) > MAX_ANNOTATIONS:
        raise InvalidInput(key, f"at most {MAX_ANNOTATIONS} annotations per task, got {len(kept)}")
    annotations: list[LsAnnotation] = []
    seen: set[str] = set()
    for (i, item), value in zip(kept, values, strict=True):
        annotation = cast(Mapping[str, object], item)  # from_label_studio checked the shape
        field = f"{key}.{i}"
        annotator = _annotator(annotation.get("completed_by"), f"{field}.completed_by")
        if annotator in seen:
            raise InvalidInput(
                f"{field}.completed_by",
                "this user already annotated the task; Crewline keeps one label per worker",
            )
        seen.add(annotator)
        made = _made_at(annotation, field, now)
        annotations.append(LsAnnotation(annotator, value, made, _lead(annotation)))
    return LsTask(external_id, data, annotations)


def _task_id(raw: object) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw < 10**18:
        return str(raw)
    if isinstance(raw, str) and _TASK_ID.match(raw):
        return raw
    raise InvalidInput(
        "id", "is required: the Label Studio task id (a whole number) names the task"
    )


def _annotator(raw: object, field: str) -> str:
    """The Label Studio user: ``completed_by`` as an id, ``{"id": ...}`` or a pseudonym."""
    if isinstance(raw, Mapping):
        raw = raw.get("id")
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw < 10**18:
        return str(raw)
    if isinstance(raw, str) and _KEY.match(raw):
        return raw.lower()
    raise InvalidInput(
        field,
        "is required: the Label Studio user id (or letters, digits, _ and -, at most 40)",
    )


def _made_at(annotation: Mapping[str, object], field: str, now: datetime) -> datetime:
    """When the stored value was given: ``updated_at``, else ``created_at``, else now."""
    for name in ("updated_at", "created_at"):
        raw = annotation.get(name)
        if raw is None:
            continue
        if not isinstance(raw, str):
            raise InvalidInput(f"{field}.{name}", "must be an ISO 8601 date-time")
        try:
            moment = datetime.fromisoformat(raw)
            moment = (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).astimezone(
                UTC
            )
        except (ValueError, OverflowError) as exc:
            raise InvalidInput(f"{field}.{name}", "must be an ISO 8601 date-time") from exc
        return min(moment, now)  # another server's clock may run a little ahead
    return now


def _lead(annotation: Mapping[str, object]) -> float | None:
    """Label Studio's ``lead_time`` as active seconds, when it is a plausible number."""
    raw = annotation.get("lead_time")
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    seconds = float(raw)
    return seconds if math.isfinite(seconds) and 0 <= seconds <= MAX_LEAD_SECONDS else None


def do_import_label_studio(
    *,
    session: Session,
    actor: Actor,
    project: Project,
    schema: LabelSchema,
    embedder: Embedder,
    ls_tasks: Sequence[object],
    now: datetime,
) -> ImportReport:
    """Store a Label Studio export: tasks through ``do_ingest``, annotations as history.

    Two transactions: the tasks (``do_ingest``), then the placeholder people, assignments and
    counters together. If the second fails the tasks stay without their history, and running
    the same file again adds it.
    """
    if len(ls_tasks) > MAX_BATCH:
        raise InvalidInput("body", f"at most {MAX_BATCH} tasks per call, got {len(ls_tasks)}")
    result_type(schema)  # a type Label Studio cannot hold is refused whole
    refused: list[Refused] = []
    checked: list[tuple[int, LsTask]] = []
    seen: set[str] = set()
    for index, raw in enumerate(ls_tasks):
        try:
            task = read_task(schema, raw, now)
            if task.external_id in seen:
                raise InvalidInput("id", "appears twice in this file")
        except InvalidInput as exc:
            refused.append(_refusal(index, raw, exc.field, exc.reason))
            continue
        seen.add(task.external_id)
        checked.append((index, task))
    rows = [
        {
            "external_id": task.external_id,
            "data": task.data,
            "required_labels": max(project.overlap, len(task.annotations), 1),
        }
        for _, task in checked
    ]
    report = ingest.do_ingest(
        session=session, actor=actor, project=project, schema=schema, rows=rows, now=now
    )
    for refusal in report.refused:  # rows were renumbered; give the file's index back
        refused.append(refusal.model_copy(update={"index": checked[refusal.index][0]}))
    stored = set(report.created) | set(report.existing)
    tasks = [task for _, task in checked if task.external_id in stored and task.annotations]
    annotations, annotators, differing = _store_history(
        session=session, actor=actor, project=project, embedder=embedder, tasks=tasks, now=now
    )
    indexes = {task.external_id: index for index, task in checked}
    refused += [
        Refused(
            index=indexes[external_id],
            external_id=external_id,
            field="data",
            reason="differs from the task already stored under this id; "
            "its annotations were not imported",
        )
        for external_id in differing
    ]
    return ImportReport(
        created=report.created,
        existing=report.existing,
        refused=sorted(refused, key=lambda r: r.index),
        annotations=annotations,
        annotators=annotators,
    )


def _refusal(index: int, raw: object, field: str, reason: str) -> Refused:
    task_id = raw.get("id") if isinstance(raw, Mapping) else None
    external_id = EXTERNAL_PREFIX + str(task_id)[:190] if task_id is not None else None
    return Refused(index=index, external_id=external_id, field=field, reason=reason)


def _store_history(
    *,
    session: Session,
    actor: Actor,
    project: Project,
    embedder: Embedder,
    tasks: list[LsTask],
    now: datetime,
) -> tuple[int, int, list[str]]:
    """Placeholders, assignments and counters in one transaction.

    Returns the labels added, the people made, and the tasks left alone because the one
    already stored under their id holds other data (the annotations were made on that data).
    """
    if not tasks:
        return 0, 0, []
    begin_write(session)
    ids = _task_ids(session, project.id, [task.external_id for task in tasks])
    differing = [
        t.external_id for t in tasks if t.external_id in ids and ids[t.external_id][2] != t.data
    ]
    tasks = [t for t in tasks if t.external_id in ids and ids[t.external_id][2] == t.data]
    if not tasks:
        session.commit()
        return 0, 0, differing
    persons, made = _placeholders(
        session=session,
        actor=actor,
        project=project,
        embedder=embedder,
        annotators={a.annotator for task in tasks for a in task.annotations},
    )
    rows = [
        {
            "task_id": ids[task.external_id][0],
            "project_id": project.id,
            "person_id": persons[a.annotator],
            "state": AssignmentState.submitted,
            "is_gold": ids[task.external_id][1],
            "leased_at": a.made_at,
            "lease_expires_at": a.made_at,
            "finished_at": a.made_at,
            "value": a.value,
            "active_seconds": a.active_seconds,
            "schema_version": project.schema_version,
            "guideline_version": project.guideline_version,
        }
        for task in tasks
        for a in task.annotations
    ]
    # A (task, person) pair already there is skipped, never labelled twice; the task id of
    # each assignment inserted counts one new label.
    added: Counter[int] = Counter(
        insert_ignoring_conflicts(
            session, Assignment, rows, conflict_on=("task_id", "person_id"), returning="task_id"
        )
    )
    _count_labels(session, added, now)
    total = sum(added.values())
    audit.record(
        session=session,
        actor=actor,
        action="tasks.import_label_studio",
        entity_type="project",
        entity_id=project.id,
        after={"tasks": len(tasks), "annotations": total, "annotators": made},
    )
    session.commit()
    return total, made, differing


def _task_ids(session: Session, project_id: int, external_ids: list[str]) -> dict[str, Any]:
    """``external_id`` -> (task id, is gold, data) for the project's tasks."""
    found: dict[str, Any] = {}
    for start in range(0, len(external_ids), LOOKUP_CHUNK):
        chunk = external_ids[start : start + LOOKUP_CHUNK]
        for external_id, task_id, is_gold, data in session.execute(
            select(Task.external_id, Task.id, Task.is_gold, Task.data).where(
                Task.project_id == project_id, Task.external_id.in_(chunk)
            )
        ):
            found[external_id] = (task_id, is_gold, data)
    return found


def _placeholders(
    *,
    session: Session,
    actor: Actor,
    project: Project,
    embedder: Embedder,
    annotators: set[str],
) -> tuple[dict[str, int], int]:
    """The person id of each annotator's placeholder, making those missing; and how many.

    Placeholders are made with origin ``label_studio_import``: people lists, similarity search
    and pool counts then leave them out, and they can never join the pool or log in.
    """
    wanted = {placeholder_email(project.id, key): key for key in annotators}
    filters = people.PersonFilter(q=f"ls-{project.id}-", origin=PersonOrigin.label_studio_import)
    persons = {
        wanted[p.email]: p.id
        for p in people.iter_people(session=session, filters=filters)
        if p.email in wanted
    }
    client = orgs.get_or_404(session=session, org_id=project.client_id)
    missing = sorted(annotators - persons.keys())
    for key in missing:
        person = people.do_create_person(
            session=session,
            actor=actor,
            embedder=embedder,
            data=PersonCreate(
                full_name=f"Label Studio user {key} (project {project.id})",
                email=placeholder_email(project.id, key),
                country=client.country,
                region=Region.OTHER,
                time_zone="UTC",
                classification=Classification.contractor,
                pay_currency=client.currency,
                profile=(
                    f"Placeholder for Label Studio user {key}, whose annotations were imported "
                    f"into project {project.id}. Not a worker: not in the pool, no login."
                ),
            ),
            origin=PersonOrigin.label_studio_import,
            commit=False,
        )
        persons[key] = person.id
    return persons, len(missing)


def _count_labels(session: Session, added: Counter[int], now: datetime) -> None:
    """Add the new labels to each task: one UPDATE per distinct count, from current values."""
    by_count: defaultdict[int, list[int]] = defaultdict(list)
    for task_id, count in added.items():
        by_count[count].append(task_id)
    for count, task_ids in by_count.items():
        held = Task.leased_count + Task.submitted_count + count
        required = case((held > Task.required_labels, held), else_=Task.required_labels)
        for start in range(0, len(task_ids), LOOKUP_CHUNK):
            session.execute(
                update(Task)
                .where(Task.id.in_(task_ids[start : start + LOOKUP_CHUNK]))
                .values(
                    submitted_count=Task.submitted_count + count,
                    required_labels=required,
                    open=held < required,
                    completed_at=case(
                        (
                            (Task.submitted_count + count >= required)
                            & Task.completed_at.is_(None),
                            literal(now, UTCDateTime()),
                        ),
                        else_=Task.completed_at,
                    ),
                )
            )


# --- task files (the CLI) ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileBatch:
    """Rows read from a task file, where each came from, and lines that were not JSON.

    ``places`` and the numbers in ``malformed`` are line numbers (from 1) in JSON Lines and
    item indexes (from 0) in a JSON array; ``progress`` is what the batch read, in the units
    of :func:`file_batches`' total.
    """

    rows: list[object]
    places: list[int]
    malformed: list[tuple[int, str]]
    progress: int


def file_batches(path: Path, *, lines: bool, size: int) -> tuple[int, Iterator[FileBatch]]:
    """The progress total and the batches of a task file.

    JSON Lines (``lines``) is read one line at a time, the total counted in bytes; a JSON array
    is read whole, the total counted in items. Refuses (field ``file``) a JSON file that does
    not parse or is not an array.
    """
    if lines:
        return path.stat().st_size, _line_batches(path, size)
    try:
        with path.open("rb") as stream:
            items = json.load(stream)
    except UnicodeDecodeError as exc:
        raise InvalidInput("file", "must be UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            "file", f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    except ValueError as exc:
        raise InvalidInput("file", f"malformed JSON: {exc}") from exc
    if not isinstance(items, list):
        raise InvalidInput("file", "must be a JSON array of tasks (or JSON Lines: --format jsonl)")
    return len(items), _item_batches(items, size)


def _item_batches(items: list[object], size: int) -> Iterator[FileBatch]:
    for start in range(0, len(items), size):
        chunk = items[start : start + size]
        yield FileBatch(chunk, list(range(start, start + len(chunk))), [], len(chunk))


def _line_batches(path: Path, size: int) -> Iterator[FileBatch]:
    rows: list[object] = []
    places: list[int] = []
    malformed: list[tuple[int, str]] = []
    done = 0
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            done += len(raw)
            try:
                text = raw.decode("utf-8")
                if text.strip():
                    rows.append(json.loads(text))
                    places.append(number)
            except UnicodeDecodeError:
                malformed.append((number, "is not UTF-8"))
            except ValueError as exc:
                malformed.append((number, f"malformed JSON: {exc}"))
            if len(rows) >= size:
                yield FileBatch(rows, places, malformed, done)
                rows, places, malformed, done = [], [], [], 0
    if rows or malformed or done:
        yield FileBatch(rows, places, malformed, done)
