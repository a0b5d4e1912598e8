"""JSON routes for pipelines and staff: push tasks in, inspect them, review, dynamic overlap."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from crewline.auth.deps import Principal, SessionDep, require
from crewline.auth.roles import STAFF, Role
from crewline.db import utcnow
from crewline.errors import InvalidInput
from crewline.projects import service as projects
from crewline.projects.access import visible_project
from crewline.tasks import ingest as task_ingest
from crewline.tasks import service
from crewline.tasks.models import Task
from crewline.tasks.schemas import (
    AssignmentRead,
    FlagRead,
    IngestReport,
    LabelTarget,
    Review,
    TaskRead,
)
from crewline.validation import MAX_ID, Id

router = APIRouter(tags=["tasks"])
#: Pipelines push tasks as staff or as the client's own account (their projects only).
Pusher = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager, Role.client_viewer))]
Viewer = Annotated[Principal, Depends(require(*STAFF, Role.client_viewer))]
Reviewer = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager, Role.reviewer))]
JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")


async def _rows(request: Request) -> list[object]:
    """A JSON array, or JSON Lines (one task per line) when the content type says so."""
    body = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    try:
        if content_type in JSONL_TYPES:
            rows: list[object] = []
            for number, line in enumerate(body.decode("utf-8").splitlines(), start=1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise InvalidInput(f"line {number}", f"malformed JSON: {exc.msg}") from exc
            return rows
        parsed = json.loads(body)
    except UnicodeDecodeError as exc:
        raise InvalidInput("body", "must be UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise InvalidInput("body", f"malformed JSON at character {exc.pos}: {exc.msg}") from exc
    if not isinstance(parsed, list):
        raise InvalidInput("body", "must be a JSON array of tasks (or JSON Lines)")
    return parsed


@router.post(
    "/projects/{project_id:int}/tasks",
    response_model=IngestReport,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
)
async def ingest(
    project_id: Id, request: Request, session: SessionDep, caller: Pusher
) -> IngestReport:
    """Push up to 100,000 tasks: each is created, already there (same external_id) or refused.

    Idempotent: re-sending a batch creates nothing twice. Every valid row is stored in one
    transaction; refused rows are listed with the field and the reason.
    """
    rows = await _rows(request)

    def store() -> IngestReport:
        project = visible_project(session=session, principal=caller, project_id=project_id)
        schema = projects.label_schema(session=session, project=project)
        return task_ingest.do_ingest(
            session=session,
            actor=caller.actor,
            project=project,
            schema=schema,
            rows=rows,
            now=utcnow(),
        )

    # Validating and writing 100,000 rows takes seconds: keep it off the event loop.
    return await run_in_threadpool(store)


@router.get("/projects/{project_id:int}/tasks", response_model=list[TaskRead])
def list_tasks(
    project_id: Id,
    session: SessionDep,
    caller: Viewer,
    after_id: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> object:
    """Tasks by id, keyset-paginated: pass the last id you saw as ``after_id``."""
    visible_project(session=session, principal=caller, project_id=project_id)
    return service.list_tasks(
        session=session, project_id=project_id, after_id=after_id, limit=limit
    )


@router.get("/projects/{project_id:int}/progress")
def progress(project_id: Id, session: SessionDep, caller: Viewer) -> dict[str, int]:
    """Task counts: total, completed, open (a label slot free) and gold."""
    visible_project(session=session, principal=caller, project_id=project_id)
    return service.progress(session=session, project_id=project_id)


@router.get("/tasks/{task_id:int}", response_model=TaskRead)
def read_task(task_id: Id, session: SessionDep, caller: Viewer) -> Task:
    """One task with its counters."""
    task = service.get_task(session=session, task_id=task_id)
    visible_project(session=session, principal=caller, project_id=task.project_id)
    return task


@router.put("/tasks/{task_id:int}/required-labels", response_model=TaskRead)
def set_required_labels(
    task_id: Id, data: LabelTarget, session: SessionDep, caller: Reviewer
) -> Task:
    """Ask for more labels on an uncertain task (dynamic overlap); routing honours it at once."""
    return service.do_set_required_labels(
        session=session,
        actor=caller.actor,
        task_id=task_id,
        required=data.required_labels,
        now=utcnow(),
    )


@router.post("/assignments/{assignment_id:int}/review", response_model=AssignmentRead)
def review(assignment_id: Id, data: Review, session: SessionDep, caller: Reviewer) -> object:
    """Approve or reject a submitted annotation (a rejection needs a reason)."""
    return service.do_review(
        session=session, actor=caller.actor, assignment_id=assignment_id, data=data, now=utcnow()
    )


@router.get("/projects/{project_id:int}/flags", response_model=list[FlagRead])
def flags(project_id: Id, session: SessionDep, caller: Reviewer) -> object:
    """Open edge cases and guideline questions raised by workers, oldest first."""
    projects.get_or_404(session=session, project_id=project_id)
    return service.open_flags(session=session, project_id=project_id)
