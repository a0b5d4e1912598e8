"""What a worker's client receives when it asks for work."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from crewline.annotation import AnnotationType
from crewline.tasks.schemas import AssignmentRead


class WorkTask(BaseModel):
    """The task as the worker sees it: its data, never whether it is gold."""

    id: int
    data: dict[str, Any]


class WorkProject(BaseModel):
    """The project the task belongs to."""

    id: int
    name: str
    annotation_type: AnnotationType


class WorkGuidelines(BaseModel):
    """The guideline version the worker labels under."""

    version: int
    body: str


class WorkItem(BaseModel):
    """An assignment with everything the workspace needs, or the reason there is none."""

    assignment: AssignmentRead | None = None
    task: WorkTask | None = None
    project: WorkProject | None = None
    widget: dict[str, Any] | None = None
    guidelines: WorkGuidelines | None = None
    reason: str | None = None
