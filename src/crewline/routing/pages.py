"""The annotator workspace: the next task, its widget and guidelines, and the worker's recent work.

The page is server-rendered once; ``static/workspace.js`` then drives the worker JSON API
(``/api/v1/work/...``) for every task, so labelling never reloads the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from crewline.auth.deps import Principal, SessionDep, require
from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.people import service as people
from crewline.projects import service as projects
from crewline.tasks import service as tasks
from crewline.tasks.models import Assignment, AssignmentState
from crewline.web.navigation import Navigation
from crewline.web.templating import render

router = APIRouter()
Worker = Annotated[Principal, Depends(require(Role.worker))]

#: How many of the worker's assignments "My work" lists (newest first).
RECENT = 25


@dataclass(frozen=True, slots=True)
class RecentWork:
    """One row of "My work": an assignment with its project's name."""

    assignment: Assignment
    project_name: str

    @property
    def when(self) -> datetime:
        """When it last changed: finished, else leased."""
        return self.assignment.finished_at or self.assignment.leased_at

    @property
    def active_time(self) -> str:
        """Focused time on the task, ``m:ss`` or ``h:mm:ss`` (as the workspace script shows it)."""
        seconds = self.assignment.active_seconds
        if seconds is None:
            return "—"
        hours, rest = divmod(int(seconds), 3600)
        minutes, secs = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def register_navigation(nav: Navigation) -> None:
    """Workers get the workspace link."""
    nav.add("Workspace", "/work", {Role.worker}, order=10)


def _recent(assignments: list[Assignment], names: dict[int, str]) -> list[RecentWork]:
    return [
        RecentWork(a, names.get(a.project_id, f"project {a.project_id}"))
        for a in assignments[:RECENT]
    ]


@router.get("/work")
def workspace(request: Request, session: SessionDep, caller: Worker) -> Response:
    """The workspace: label the next task, skip, give back, flag; and "My work"."""
    person = people.get_by_user(session=session, user_id=caller.user.id)
    recent: list[RecentWork] = []
    held: Assignment | None = None
    if person is not None:
        mine = tasks.assignments_of(session=session, person_id=person.id)
        now = utcnow()
        held = next(
            (a for a in mine if a.state is AssignmentState.leased and a.lease_expires_at > now),
            None,
        )
        # One query for every project name (there are tens), not one per assignment.
        names = {p.id: p.name for p in projects.list_projects(session=session)}
        recent = _recent(mine, names)
    return render(
        request,
        "routing/workspace.html",
        {
            "person": person,
            "recent": recent,
            "held": held,
            "page_data": {"idle-seconds": request.app.state.settings.idle_seconds},
        },
        principal=caller,
    )
