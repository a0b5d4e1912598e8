"""Demo step: client projects and the project history of pool members.

Each project asks for some skill tags; its members are drawn from pool members who have one of
them, joined on a date in the past, and some left again with a reason, so person pages show a
real history (closed projects, people moved between projects, quality exits).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from sqlalchemy.orm import Session

from crewline.annotation import AnnotationType
from crewline.audit.schemas import Actor
from crewline.db import utcnow
from crewline.orgs.models import Organization
from crewline.people.models import Person, Tier, WorkerStatus
from crewline.projects import service as projects
from crewline.projects.models import MemberRole, ProjectMember, ProjectStatus
from crewline.projects.schemas import MemberCreate, MemberEnd, ProjectCreate


@dataclass(frozen=True, slots=True)
class ProjectSpec:
    """A demo project: its client (vocab key), status, the skills it draws on and its size."""

    client: str
    name: str
    status: ProjectStatus
    skills: frozenset[str]
    members: int
    age_days: int
    annotation_type: AnnotationType
    label_schema: dict[str, object]


T = AnnotationType
PROJECTS: tuple[ProjectSpec, ...] = (
    ProjectSpec("meridian", "Coding assistant preference ranking", ProjectStatus.live,
                frozenset({"rlhf-preference", "python", "code-review"}), 60, 120,
                T.PAIRWISE, {"allow_tie": True, "reason_required": True}),
    ProjectSpec("meridian", "Safety red-teaming, multilingual", ProjectStatus.live,
                frozenset({"red-teaming", "safety-policy", "content-moderation"}), 40, 90,
                T.MULTI_LABEL, {"labels": ["violence", "self-harm", "hate", "sexual", "none"]}),
    ProjectSpec("lumen", "Radiology report triage", ProjectStatus.live,
                frozenset({"radiology", "medical", "clinical-notes"}), 25, 200,
                T.SINGLE_LABEL, {"labels": ["urgent", "routine", "normal"]}),
    ProjectSpec("lumen", "Math olympiad solutions review", ProjectStatus.paused,
                frozenset({"math", "olympiad", "latex"}), 20, 150,
                T.LIKERT, {"min": 1, "max": 5, "question": "How correct is the solution?"}),
    ProjectSpec("kestrel", "Call-centre speech transcription", ProjectStatus.live,
                frozenset({"transcription", "speaker-diarization", "audio"}), 50, 240,
                T.FREE_TEXT, {"max_length": 5000}),
    ProjectSpec("kestrel", "Contract clause extraction", ProjectStatus.closed,
                frozenset({"contract-review", "legal", "ner"}), 20, 330,
                T.SPANS, {"labels": ["PARTY", "DATE", "AMOUNT", "OBLIGATION"]}),
    ProjectSpec("halcyon", "Street scene boxes and tracking", ProjectStatus.live,
                frozenset({"bounding-boxes", "video-tracking", "autonomous-driving"}), 45, 180,
                T.BOXES, {"labels": ["car", "pedestrian", "cyclist", "traffic-light"]}),
    ProjectSpec("halcyon", "Product review sentiment, EU languages", ProjectStatus.closed,
                frozenset({"sentiment", "translation-review", "text-classification"}), 30, 400,
                T.SINGLE_LABEL, {"labels": ["positive", "neutral", "negative"]}),
)  # fmt: skip


def _guidelines(spec: ProjectSpec) -> str:
    return (
        f"# {spec.name}\n\nRead the whole item before you answer. When the item does not fit "
        "any option cleanly, flag it as an edge case rather than guess.\n"
    )


#: Why a live project's member left it (closed projects end with "Project delivered").
EXIT_REASONS = (
    "Moved to a higher-priority project",
    "Left the program",
    "Gold accuracy below the project's bar",
    "Availability dropped below the project's minimum",
)
EXIT_SHARE = 0.15


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
) -> tuple[int, int]:
    """Create the projects and their membership periods; returns (projects, periods)."""
    now = utcnow()
    periods = 0
    for spec in PROJECTS:
        project = projects.do_create_project(
            session=session,
            actor=actor,
            data=ProjectCreate(
                client_id=clients[spec.client].id,
                name=spec.name,
                status=spec.status,
                annotation_type=spec.annotation_type,
                label_schema=spec.label_schema,
                guidelines=_guidelines(spec),
            ),
            commit=False,
        )
        skilled = [
            p for p in pool
            if p.worker is not None
            and p.worker.status is not WorkerStatus.offboarded
            and (now - p.worker.joined_at).days > 2
            and spec.skills.intersection(s.tag for s in p.skills)
        ]  # fmt: skip
        count = min(spec.members, len(skilled))
        chosen = sorted(int(i) for i in rng.choice(len(skilled), size=count, replace=False))
        for index in chosen:
            person = skilled[index]
            assert person.worker is not None
            tenure = (now - person.worker.joined_at).days
            days = int(rng.integers(1, min(spec.age_days, tenure)))
            member = projects.do_add_member(
                session=session,
                actor=actor,
                project_id=project.id,
                data=MemberCreate(
                    person_id=person.id, role=_role(person), joined_at=now - timedelta(days=days)
                ),
                commit=False,
            )
            _maybe_end(session, actor, rng, spec, member, days)
            periods += 1
    session.commit()
    return len(PROJECTS), periods


def _maybe_end(
    session: Session,
    actor: Actor,
    rng: np.random.Generator,
    spec: ProjectSpec,
    member: ProjectMember,
    days: int,
) -> None:
    closed = spec.status is ProjectStatus.closed
    if not closed and rng.random() >= EXIT_SHARE:
        return
    stayed = max(1, int(rng.integers(1, days + 1)))
    reason = "Project delivered" if closed else EXIT_REASONS[int(rng.integers(len(EXIT_REASONS)))]
    projects.do_end_membership(
        session=session,
        actor=actor,
        project_id=member.project_id,
        member_id=member.id,
        data=MemberEnd(reason=reason, left_at=member.joined_at + timedelta(days=stayed - 1)),
        commit=False,
    )
