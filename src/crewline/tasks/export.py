"""A project's tasks and labels out, streamed: JSON Lines, CSV rows or Label Studio tasks.

Every export walks :func:`crewline.tasks.service.iter_tasks`, one batch of tasks (and their
finished assignments) at a time, and yields text as it goes, so a project of any size costs
one batch of memory. Reads only: nothing here writes or audits.

Workers appear only as pseudonyms: ``w_`` and the first 12 hex digits of
HMAC-SHA256(secret key, ``"<project_id>:<person_id>"``). The same worker keeps one pseudonym
within a project across exports (and across servers sharing ``CREWLINE_SECRET_KEY``), two
projects' pseudonyms of one person cannot be linked, and neither the id nor the name can be
read back from one without the key.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy.orm import Session

from crewline.annotation import AnnotationError, LabelSchema, to_label_studio
from crewline.annotation.labelstudio import result_type
from crewline.errors import InvalidInput
from crewline.projects import service as projects
from crewline.projects.models import Project
from crewline.tasks import service
from crewline.tasks.models import Assignment, AssignmentState, Task

PSEUDONYM_HEX = 12
#: Text is handed to the response in pieces of about this many characters.
CHUNK_CHARS = 64_000
CSV_HEADER = (
    "external_id",
    "task_id",
    "worker",
    "value",
    "state",
    "schema_version",
    "guideline_version",
    "active_seconds",
    "submitted_at",
)


class ExportFormat(enum.StrEnum):
    """What an export is written as."""

    jsonl = "jsonl"
    csv = "csv"
    label_studio = "label-studio"


@dataclass(frozen=True, slots=True)
class ExportFilter:
    """Which tasks an export holds: all, the completed ones, or those completed since a time."""

    completed_only: bool = False
    since: datetime | None = None

    def keeps(self, task: Task) -> bool:
        """Whether ``task`` belongs in the export."""
        if self.since is not None:
            return task.completed_at is not None and task.completed_at >= self.since
        return not self.completed_only or task.completed_at is not None


def pseudonym(*, secret_key: str, project_id: int, person_id: int) -> str:
    """A worker's stable pseudonym within one project (never their id or name)."""
    digest = hmac.new(
        secret_key.encode(), f"{project_id}:{person_id}".encode(), hashlib.sha256
    ).hexdigest()
    return "w_" + digest[:PSEUDONYM_HEX]


def iter_export(
    *, session: Session, project_id: int, filters: ExportFilter, batch: int = 1000
) -> Iterator[tuple[Task, list[Assignment]]]:
    """The project's tasks that pass ``filters``, with their finished assignments, by id."""
    for task, assignments in service.iter_tasks(
        session=session, project_id=project_id, batch=batch
    ):
        if filters.keeps(task):
            yield task, assignments


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, as the rest of the API writes times."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def compact_json(value: object) -> str:
    """JSON without spaces, non-ASCII text kept as it is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def chunked(pieces: Iterable[str], size: int = CHUNK_CHARS) -> Iterator[str]:
    """Join small pieces of text into chunks of about ``size`` characters."""
    buffer: list[str] = []
    length = 0
    for piece in pieces:
        buffer.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(buffer)
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer)


# --- JSON Lines -------------------------------------------------------------------------------


def jsonl_lines(
    *,
    session: Session,
    project: Project,
    secret_key: str,
    filters: ExportFilter,
    with_gold: bool,
    batch: int = 1000,
) -> Iterator[str]:
    """One JSON object and a newline per task; ``gold_answer`` only when ``with_gold``."""
    for task, assignments in iter_export(
        session=session, project_id=project.id, filters=filters, batch=batch
    ):
        line: dict[str, Any] = {
            "external_id": task.external_id,
            "task_id": task.id,
            "data": task.data,
            "is_gold": task.is_gold,
            "required_labels": task.required_labels,
            "completed_at": iso(task.completed_at),
        }
        if with_gold:
            line["gold_answer"] = task.gold_answer
        line["annotations"] = [
            {
                "worker": pseudonym(
                    secret_key=secret_key, project_id=project.id, person_id=a.person_id
                ),
                "value": a.value,
                "state": a.state.value,
                "schema_version": a.schema_version,
                "guideline_version": a.guideline_version,
                "active_seconds": a.active_seconds,
                "submitted_at": iso(a.finished_at),
            }
            for a in assignments
        ]
        yield compact_json(line) + "\n"


# --- CSV --------------------------------------------------------------------------------------


def csv_rows(
    *,
    session: Session,
    project: Project,
    secret_key: str,
    filters: ExportFilter,
    batch: int = 1000,
) -> Iterator[list[object]]:
    """One row per annotation, in ``CSV_HEADER`` order, the value as compact JSON.

    Cells are made formula-safe by ``web.tables.csv_response``, which writes them.
    """
    for task, assignments in iter_export(
        session=session, project_id=project.id, filters=filters, batch=batch
    ):
        for a in assignments:
            yield [
                task.external_id,
                task.id,
                pseudonym(secret_key=secret_key, project_id=project.id, person_id=a.person_id),
                compact_json(a.value),
                a.state.value,
                a.schema_version,
                a.guideline_version,
                "" if a.active_seconds is None else a.active_seconds,
                iso(a.finished_at) or "",
            ]


# --- Label Studio -----------------------------------------------------------------------------


def check_label_studio(schema: LabelSchema) -> None:
    """Refuse (field ``format``) a project whose annotation type Label Studio cannot hold."""
    try:
        result_type(schema)
    except AnnotationError as exc:
        raise InvalidInput("format", exc.reason) from exc


def label_studio_chunks(
    *,
    session: Session,
    project: Project,
    secret_key: str,
    filters: ExportFilter,
    batch: int = 1000,
) -> Iterator[str]:
    """A JSON array of Label Studio tasks, written piece by piece.

    Each task keeps its Crewline ``id`` (a Label Studio import assigns its own) and its
    ``external_id`` under ``meta``. Each annotation is drawn with the schema version it was
    made under and carries the worker's pseudonym as ``completed_by`` (Label Studio reads only
    numeric user ids there and otherwise credits the importing user), its time as
    ``created_at`` and its active seconds as ``lead_time``. Rejected annotations are left
    out: Label Studio has no way to mark one rejected, and it would read as a valid label.
    Call :func:`check_label_studio` first.
    """
    schemas: dict[int, LabelSchema] = {}

    def schema_of(version: int) -> LabelSchema:
        if version not in schemas:
            schemas[version] = projects.label_schema(
                session=session, project=project, version=version
            )
        return schemas[version]

    def items() -> Iterator[str]:
        for task, assignments in iter_export(
            session=session, project_id=project.id, filters=filters, batch=batch
        ):
            kept = [a for a in assignments if a.state is not AssignmentState.rejected]
            yield compact_json(_ls_task(task, kept, schema_of, secret_key))

    yield "["
    for number, item in enumerate(items()):
        yield item if number == 0 else "," + item
    yield "]"


def _ls_task(
    task: Task,
    assignments: list[Assignment],
    schema_of: Callable[[int], LabelSchema],
    secret_key: str,
) -> dict[str, object]:
    annotations: list[dict[str, Any]] = []
    for a in assignments:
        drawn = to_label_studio(schema_of(a.schema_version), task.data, [a.value])
        [annotation] = cast(list[dict[str, Any]], drawn["annotations"])
        annotation["completed_by"] = pseudonym(
            secret_key=secret_key, project_id=task.project_id, person_id=a.person_id
        )
        annotation["created_at"] = iso(a.finished_at)
        if a.active_seconds is not None:
            annotation["lead_time"] = a.active_seconds
        annotations.append(annotation)
    for i, annotation in enumerate(annotations):  # region ids unique within the task
        for j, region in enumerate(annotation["result"]):
            region["id"] = f"a{i}r{j}"
    return {
        "id": task.id,
        "data": task.data,
        "meta": {"external_id": task.external_id},
        "annotations": annotations,
    }
