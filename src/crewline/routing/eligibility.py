"""Which live projects a worker may take tasks from, and why not when they may not."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.people.models import Person, WorkerStatus
from crewline.projects.models import Project, ProjectMember, ProjectStatus
from crewline.validation import CEFR_LEVELS


@dataclass(frozen=True, slots=True)
class Verdict:
    """A project and whether this worker meets its requirements (with the reason if not)."""

    project: Project
    reason: str | None

    @property
    def eligible(self) -> bool:
        """True when nothing stands in the way."""
        return self.reason is None


def unmet_requirement(person: Person, project: Project) -> str | None:
    """The first requirement of the project the person does not meet, in plain words."""
    worker = person.worker
    if worker is None:
        return "not in the worker pool"
    if worker.status is not WorkerStatus.active:
        return f"your status is {worker.status.value}"
    if project.min_tier is not None and worker.tier.rank < project.min_tier.rank:
        return f"the project needs tier {project.min_tier.value} or above"
    levels = {lang.language: lang.level for lang in person.languages}
    for need in project.languages:
        level = levels.get(need["language"])
        if level is None or CEFR_LEVELS.index(level) < CEFR_LEVELS.index(need["min_level"]):
            return f"the project needs {need['language']} at {need['min_level']} or above"
    skills = {s.tag for s in person.skills}
    missing = [tag for tag in project.required_skills if tag not in skills]
    if missing:
        return f"the project needs the skills {', '.join(missing)}"
    return None


def member_projects(*, session: Session, person: Person) -> list[Verdict]:
    """Every live project the person is currently a member of, with an eligibility verdict."""
    projects = session.scalars(
        select(Project)
        .join(ProjectMember, ProjectMember.project_id == Project.id)
        .where(
            ProjectMember.person_id == person.id,
            ProjectMember.left_at.is_(None),
            Project.status == ProjectStatus.live,
        )
        .order_by(Project.id)
    ).all()
    return [Verdict(project, unmet_requirement(person, project)) for project in projects]
