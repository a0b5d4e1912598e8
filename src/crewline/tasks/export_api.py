"""JSON routes to take a project's labels out (streamed) and bring a Label Studio project in."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime
from starlette.concurrency import run_in_threadpool

from crewline.auth.deps import Principal, SessionDep, require
from crewline.auth.roles import STAFF, Role
from crewline.db import utcnow
from crewline.errors import InvalidInput
from crewline.people.deps import EmbedderDep
from crewline.projects import service as projects
from crewline.projects.access import visible_project
from crewline.tasks import export
from crewline.tasks.export import ExportFilter, ExportFormat
from crewline.tasks.imports import ImportReport, do_import_label_studio
from crewline.validation import Id
from crewline.web.tables import csv_response

router = APIRouter(tags=["tasks"])
Viewer = Annotated[Principal, Depends(require(*STAFF, Role.client_viewer))]
Manager = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager))]

_TEXT = {"schema": {"type": "string"}}
EXPORT_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The export, streamed: JSON Lines, CSV or a Label Studio JSON array",
        "content": {
            "application/x-ndjson": _TEXT,
            "text/csv": _TEXT,
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
        },
    }
}
MEDIA_TYPES = {
    ExportFormat.jsonl: "application/x-ndjson",
    ExportFormat.label_studio: "application/json",
}
SUFFIXES = {ExportFormat.jsonl: "jsonl", ExportFormat.csv: "csv", ExportFormat.label_studio: "json"}


@router.get(
    "/projects/{project_id:int}/export",
    response_class=StreamingResponse,
    responses=EXPORT_RESPONSES,
)
def export_project(
    project_id: Id,
    request: Request,
    session: SessionDep,
    caller: Viewer,
    format: Annotated[ExportFormat, Query(description="jsonl, csv or label-studio")] = (
        ExportFormat.jsonl
    ),
    completed_only: Annotated[bool, Query(description="Only tasks with all their labels")] = False,
    since: Annotated[
        AwareDatetime | None, Query(description="Only tasks completed at or after this time")
    ] = None,
) -> StreamingResponse:
    """Every task with its labels, streamed; workers appear only as per-project pseudonyms.

    Answer keys (``gold_answer``) are in the JSON Lines export for staff only.
    """
    project = visible_project(session=session, principal=caller, project_id=project_id)
    if format is ExportFormat.label_studio:
        export.check_label_studio(projects.label_schema(session=session, project=project))
    secret_key: str = request.app.state.secret_key
    filters = ExportFilter(completed_only=completed_only, since=since)
    filename = f"project-{project.id}.{SUFFIXES[format]}"
    # The generators read through the request's session, which stays open until the
    # response has been sent (as for the people CSV).
    if format is ExportFormat.csv:
        rows = export.csv_rows(
            session=session, project=project, secret_key=secret_key, filters=filters
        )
        return csv_response(filename, export.CSV_HEADER, rows)
    if format is ExportFormat.jsonl:
        pieces = export.jsonl_lines(
            session=session,
            project=project,
            secret_key=secret_key,
            filters=filters,
            with_gold=caller.role is not Role.client_viewer,
        )
    else:
        pieces = export.label_studio_chunks(
            session=session, project=project, secret_key=secret_key, filters=filters
        )
    return StreamingResponse(
        export.chunked(pieces),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def _ls_tasks(request: Request) -> list[object]:
    """The body: a Label Studio JSON export (an array of tasks)."""
    body = await request.body()
    try:
        parsed = json.loads(body)
    except UnicodeDecodeError as exc:
        raise InvalidInput("body", "must be UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise InvalidInput("body", f"malformed JSON at character {exc.pos}: {exc.msg}") from exc
    except ValueError as exc:  # e.g. an integer too long to read
        raise InvalidInput("body", f"malformed JSON: {exc}") from exc
    if not isinstance(parsed, list):
        raise InvalidInput("body", "must be a Label Studio JSON export: an array of tasks")
    return parsed


@router.post(
    "/projects/{project_id:int}/import/label-studio",
    response_model=ImportReport,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}}
            },
        }
    },
)
async def import_label_studio(
    project_id: Id,
    request: Request,
    session: SessionDep,
    embedder: EmbedderDep,
    caller: Manager,
) -> ImportReport:
    """Bring in a Label Studio export with its annotations (idempotent, task by task).

    Each task becomes ``ls-<id>``; each annotation a submitted label by a placeholder person
    per Label Studio user. Refused tasks are listed with the field and the reason.
    """
    ls_tasks = await _ls_tasks(request)
    project = visible_project(session=session, principal=caller, project_id=project_id)
    schema = projects.label_schema(session=session, project=project)
    # Thousands of rows of checks and inserts: off the event loop, like a sync route.
    return await run_in_threadpool(
        do_import_label_studio,
        session=session,
        actor=caller.actor,
        project=project,
        schema=schema,
        embedder=embedder,
        ls_tasks=ls_tasks,
        now=utcnow(),
    )
