"""Which live projects a worker may take tasks from, and why not when they may not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from time import monotonic

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from crewline.people.models import Person, Tier, Worker, WorkerStatus
from crewline.projects.models import Project, ProjectMember, ProjectStatus
from crewline.validation import CEFR_LEVELS


@dataclass(frozen=True, slots=True)
class Verdict:
    """A project and whether this worker meets its requirements (with the reason if not)."""

    project: Project
    reason: str | None
    #: The member is on probation here: they are offered only the project's gold tasks.
    probation: bool = False

    @property
    def eligible(self) -> bool:
        """True when nothing stands in the way."""
        return self.reason is None


def unmet_requirement(person: Person, project: Project, tier: Tier | None = None) -> str | None:
    """The first requirement of the project the person does not meet, in plain words.

    ``tier`` is the person's tier on this project, where one was set (promotion rules or by
    hand); without it their pool-wide tier applies.
    """
    worker = person.worker
    if worker is None:
        return "not in the worker pool"
    if worker.status is not WorkerStatus.active:
        return f"your status is {worker.status.value}"
    tier = tier or worker.tier
    if project.min_tier is not None and tier.rank < project.min_tier.rank:
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
    rows = session.execute(
        select(Project, ProjectMember.hold_reason, ProjectMember.tier, ProjectMember.probation_left)
        .join(ProjectMember, ProjectMember.project_id == Project.id)
        .where(
            ProjectMember.person_id == person.id,
            ProjectMember.left_at.is_(None),
            Project.status == ProjectStatus.live,
        )
        .order_by(Project.id)
    ).all()
    return [
        Verdict(
            project,
            f"on hold: {hold}" if hold else unmet_requirement(person, project, tier),
            probation=probation is not None,
        )
        for project, hold, tier, probation in rows
    ]


def may_work_now(project_id: int, person_id: int) -> ColumnElement[bool]:
    """The project is live, the person is on it (not held) and active in the pool: three probes.

    The claim checks this in its own statement, so what ``EligibilityCache`` remembers can
    never let a paused worker, a removed member or a paused project take a task.
    """
    live = exists().where(Project.id == project_id, Project.status == ProjectStatus.live)
    member = exists().where(
        ProjectMember.person_id == person_id,
        ProjectMember.project_id == project_id,
        ProjectMember.left_at.is_(None),
        ProjectMember.hold_reason.is_(None),
    )
    active = exists().where(Worker.person_id == person_id, Worker.status == WorkerStatus.active)
    return live & member & active


@dataclass(frozen=True, slots=True)
class Offer:
    """A project a worker may take tasks from, with what leasing one of its tasks needs."""

    project_id: int
    gold_rate: float
    lease_minutes: int | None
    #: Probation: gold tasks only, never regular work.
    gold_only: bool = False


@dataclass(frozen=True, slots=True)
class Eligibility:
    """A worker's projects, best-ranked first, or the reason they have none."""

    offers: tuple[Offer, ...]
    reason: str | None


class EligibilityCache:
    """Each worker's ranked projects, remembered in this process for ``ttl`` seconds.

    Working out eligibility and ranking reads the person, their languages and skills and their
    projects: four queries that would otherwise run before every claim. What the memory may
    get wrong is bounded: the claim itself re-checks in SQL that the project is live, the
    person is still on it and their pool status is active, so a paused worker or a closed
    project stops at once; and a claim that finds nothing with remembered offers decides again
    from the database. Only changes to tier, languages, skills or the project's requirements
    and ranking wait up to ``ttl`` seconds.
    """

    def __init__(
        self, ttl: float, max_entries: int = 100_000, clock: Callable[[], float] = monotonic
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[int, tuple[float, Eligibility]] = {}

    def get(self, person_id: int) -> Eligibility | None:
        """The remembered eligibility, if still fresh."""
        entry = self._entries.get(person_id)
        if entry is None or entry[0] <= self._clock():
            return None
        return entry[1]

    def put(self, person_id: int, eligibility: Eligibility) -> None:
        """Remember a freshly worked-out eligibility (a no-op when ``ttl`` is 0)."""
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # crude but bounded; refilled at four queries a worker
        self._entries[person_id] = (self._clock() + self.ttl, eligibility)

    def forget(self, person_id: int) -> None:
        """Drop what is remembered about one worker."""
        self._entries.pop(person_id, None)
