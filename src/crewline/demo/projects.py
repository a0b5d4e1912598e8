"""Demo step: client projects and the project history of pool members.

Each project asks for some skill tags; its members are drawn from pool members who have one of
them, joined on a date in the past, and some left again with a reason, so person pages show a
real history (closed projects, people moved between projects, quality exits).

Projects are created live, since routing serves only live projects and the work step
(``demo.work``) simulates their history through it. Membership periods are planned here and
written as the simulated clock reaches them (``apply_periods``), so a worker is only ever routed
to a project they were on at the time; paused and closed projects get their status when the
clock reaches the day they stopped (``stop``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from crewline.annotation import AnnotationType
from crewline.audit.schemas import Actor
from crewline.orgs.models import Organization
from crewline.people.models import Person, Tier, WorkerStatus
from crewline.projects import service as projects
from crewline.projects.models import MemberRole, Project, ProjectStatus
from crewline.projects.schemas import MemberCreate, MemberEnd, ProjectCreate, ProjectUpdate


@dataclass(frozen=True, slots=True)
class ProjectSpec:
    """A demo project: its client (vocab key), status, the skills it draws on and its size.

    The work fields say what its history holds: ``content`` names the task vocabulary
    (``demo.content``), ``tasks`` how many at full scale, ``done_share`` the share of them
    finished by the end (closed projects finish everything), ``ended_days_ago`` when a paused or
    closed project stopped and ``work_days`` how long the simulated work before that lasted.
    """

    client: str
    name: str
    status: ProjectStatus
    skills: frozenset[str]
    members: int
    age_days: int
    annotation_type: AnnotationType
    label_schema: dict[str, object]
    content: str = ""
    tasks: int = 300
    overlap: int = 3
    gold_rate: float = 0.1
    gold_share: float = 0.1
    done_share: float = 0.7
    ended_days_ago: int = 0
    work_days: int = 30


T = AnnotationType
S = ProjectStatus
PROJECTS: tuple[ProjectSpec, ...] = (
    ProjectSpec("meridian", "Coding assistant preference ranking", S.live,
                frozenset({"rlhf-preference", "python", "code-review"}), 60, 120,
                T.PAIRWISE, {"allow_tie": True, "reason_required": True},
                content="code", tasks=160, done_share=0.72, gold_share=0.08),
    ProjectSpec("meridian", "Safety red-teaming, multilingual", S.live,
                frozenset({"red-teaming", "safety-policy", "content-moderation"}), 40, 90,
                T.MULTI_LABEL, {"labels": ["violence", "self-harm", "hate", "sexual", "none"]},
                content="safety", tasks=220, done_share=0.68),
    ProjectSpec("lumen", "Radiology report triage", S.live,
                frozenset({"radiology", "medical", "clinical-notes"}), 25, 200,
                T.SINGLE_LABEL, {"labels": ["urgent", "routine", "normal"]},
                content="radiology", tasks=240, done_share=0.78, gold_share=0.12),
    ProjectSpec("lumen", "Math olympiad solutions review", S.paused,
                frozenset({"math", "olympiad", "latex"}), 20, 150,
                T.LIKERT, {"min": 1, "max": 5, "question": "How correct is the solution?"},
                content="math", tasks=150, done_share=0.55, ended_days_ago=6, work_days=24),
    ProjectSpec("kestrel", "Call-centre speech transcription", S.live,
                frozenset({"transcription", "speaker-diarization", "audio"}), 50, 240,
                T.FREE_TEXT, {"max_length": 5000},
                content="calls", tasks=140, done_share=0.65, gold_share=0.06),
    ProjectSpec("kestrel", "Contract clause extraction", S.closed,
                frozenset({"contract-review", "legal", "ner"}), 20, 330,
                T.SPANS, {"labels": ["PARTY", "DATE", "AMOUNT", "OBLIGATION"]},
                content="contracts", tasks=150, ended_days_ago=4, work_days=26),
    ProjectSpec("halcyon", "Street scene boxes and tracking", S.live,
                frozenset({"bounding-boxes", "video-tracking", "autonomous-driving"}), 45, 180,
                T.BOXES, {"labels": ["car", "pedestrian", "cyclist", "traffic-light"]},
                content="street", tasks=170, done_share=0.7),
    ProjectSpec("halcyon", "Product review sentiment, EU languages", S.closed,
                frozenset({"sentiment", "translation-review", "text-classification"}), 30, 400,
                T.SINGLE_LABEL, {"labels": ["positive", "neutral", "negative"]},
                content="reviews", tasks=240, gold_share=0.14, ended_days_ago=12, work_days=20),
)  # fmt: skip


def _guidelines(spec: ProjectSpec) -> str:
    return (
        f"# {spec.name}\n\nRead the whole item before you answer. When the item does not fit "
        "any option cleanly, flag it as an edge case rather than guess.\n"
    )


#: Why a member left before the end (the rest of a closed project leave with "Project delivered").
EXIT_REASONS = (
    "Moved to a higher-priority project",
    "Left the program",
    "Gold accuracy below the project's bar",
    "Availability dropped below the project's minimum",
)
EXIT_SHARE = 0.15
DELIVERED = "Project delivered"


@dataclass(slots=True)
class Period:
    """A planned membership period, written once the simulated clock reaches it."""

    person: Person
    role: MemberRole
    joined_at: datetime
    left_at: datetime | None = None
    reason: str | None = None
    member_id: int | None = None
    ended: bool = False

    def covers(self, start: datetime, end: datetime) -> bool:
        """Whether the person was on the project for the whole of ``start``..``end``."""
        return self.joined_at <= start and (self.left_at is None or self.left_at >= end)


@dataclass(slots=True)
class DemoProject:
    """A created project, its spec and its planned membership periods."""

    spec: ProjectSpec
    project: Project
    periods: list[Period]
    #: When a paused or closed project stopped; None for one that is still live.
    stops_at: datetime | None
    stopped: bool = False


def _role(person: Person) -> MemberRole:
    tier = person.worker.tier if person.worker else Tier.trainee
    if tier is Tier.expert:
        return MemberRole.expert
    return MemberRole.reviewer if tier is Tier.reviewer else MemberRole.annotator


def create_projects(
    *,
    session: Session,
    actor: Actor,
    rng: np.random.Generator,
    clients: dict[str, Organization],
    pool: list[Person],
    now: datetime,
) -> list[DemoProject]:
    """Create the projects (live: they are worked on first) and plan their membership periods."""
    created = []
    for spec in PROJECTS:
        stops = None if spec.status is ProjectStatus.live else now - timedelta(spec.ended_days_ago)
        periods = _plan_periods(rng, spec, pool, stops or now)
        project = projects.do_create_project(
            session=session,
            actor=actor,
            data=ProjectCreate(
                client_id=clients[spec.client].id,
                name=spec.name,
                status=ProjectStatus.live if stops else spec.status,
                annotation_type=spec.annotation_type,
                label_schema=spec.label_schema,
                guidelines=_guidelines(spec),
                overlap=spec.overlap,
                gold_rate=spec.gold_rate,
            ),
            commit=False,
        )
        created.append(DemoProject(spec, project, periods, stops))
    session.commit()
    return created


def _plan_periods(
    rng: np.random.Generator, spec: ProjectSpec, pool: list[Person], until: datetime
) -> list[Period]:
    """Members drawn from skilled pool members, each joined some days before ``until`` (when the
    project stopped, or now); some left early, and a closed project's others left at its end."""
    skilled = [
        p for p in pool
        if p.worker is not None
        and p.worker.status is not WorkerStatus.offboarded
        and (until - p.worker.joined_at).days > 2
        and spec.skills.intersection(s.tag for s in p.skills)
    ]  # fmt: skip
    count = min(spec.members, len(skilled))
    chosen = sorted(int(i) for i in rng.choice(len(skilled), size=count, replace=False))
    periods = []
    for index in chosen:
        person = skilled[index]
        assert person.worker is not None
        tenure = (until - person.worker.joined_at).days
        days = int(rng.integers(1, min(spec.age_days, tenure)))
        period = Period(person, _role(person), until - timedelta(days=days))
        if rng.random() < EXIT_SHARE:
            stayed = max(1, int(rng.integers(1, days + 1)))
            period.left_at = period.joined_at + timedelta(days=stayed - 1)
            period.reason = EXIT_REASONS[int(rng.integers(len(EXIT_REASONS)))]
        elif spec.status is ProjectStatus.closed:
            period.left_at, period.reason = until, DELIVERED
        periods.append(period)
    return periods


def apply_periods(*, session: Session, actor: Actor, demo: DemoProject, until: datetime) -> None:
    """Write the membership starts and ends that happened by ``until`` and are not written yet."""
    for period in demo.periods:
        if period.member_id is None and period.joined_at <= until:
            member = projects.do_add_member(
                session=session,
                actor=actor,
                project_id=demo.project.id,
                data=MemberCreate(
                    person_id=period.person.id, role=period.role, joined_at=period.joined_at
                ),
                commit=False,
            )
            period.member_id = member.id
        if (
            period.member_id is not None
            and not period.ended
            and period.left_at is not None
            and period.left_at <= until
        ):
            projects.do_end_membership(
                session=session,
                actor=actor,
                project_id=demo.project.id,
                member_id=period.member_id,
                data=MemberEnd(reason=period.reason or DELIVERED, left_at=period.left_at),
                commit=False,
            )
            period.ended = True
    session.commit()


def stop(*, session: Session, actor: Actor, demo: DemoProject) -> None:
    """Give a paused or closed project its status (once its work is done)."""
    if demo.stops_at is None or demo.stopped:
        return
    projects.do_update_project(
        session=session,
        actor=actor,
        project_id=demo.project.id,
        data=ProjectUpdate(status=demo.spec.status),
    )
    demo.stopped = True
