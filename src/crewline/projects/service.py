"""Projects and membership: the only writer of ``projects`` and ``project_members``."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crewline.annotation import AnnotationType, LabelSchema, SchemaError, parse_schema
from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.db import conflict_on_duplicate, utcnow
from crewline.errors import Conflict, InvalidInput, NotFound
from crewline.orgs import service as orgs
from crewline.orgs.models import OrgKind
from crewline.people import embedding
from crewline.people import service as people
from crewline.people.embedding import Embedder
from crewline.projects.models import (
    GuidelineVersion,
    MemberRole,
    Project,
    ProjectMember,
    ProjectStatus,
    SchemaVersion,
)
from crewline.projects.schemas import (
    MemberCreate,
    MemberEnd,
    ProjectCreate,
    ProjectUpdate,
    SchemaSpec,
)


def get_or_404(*, session: Session, project_id: int) -> Project:
    """The project, or NotFound."""
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"project {project_id} not found")
    return project


def list_projects(*, session: Session, client_id: int | None = None) -> list[Project]:
    """Projects by name, optionally of one client."""
    query = select(Project).order_by(Project.name)
    if client_id is not None:
        query = query.where(Project.client_id == client_id)
    return list(session.scalars(query))


SETTINGS = (
    "name", "status", "overlap", "gold_rate", "priority", "sla_hours", "lease_minutes",
    "min_tier", "languages", "required_skills", "skill_profile", "pay_scheme",
    "probation_tasks", "probation_pass",
)  # fmt: skip


def _settings(project: Project) -> dict[str, Any]:
    return {key: getattr(project, key) for key in SETTINGS}


def _embed_profile(project: Project, embedder: Embedder | None) -> None:
    """Embed the skill profile for routing's project ranking (no embedder: no ranking boost)."""
    if embedder is None or not project.skill_profile.strip():
        project.profile_embedding = None
        return
    project.profile_embedding = embedding.to_bytes(embedder.embed([project.skill_profile])[0])


def do_create_project(
    *,
    session: Session,
    actor: Actor,
    data: ProjectCreate,
    embedder: Embedder | None = None,
    commit: bool = True,
) -> Project:
    """Create a project for a client, with its first schema and guideline versions if given.

    A client cannot have two projects with one name; a project goes live only with a schema
    and guidelines.
    """
    orgs.get_or_404(session=session, org_id=data.client_id, kind=OrgKind.client)
    taken = session.scalar(
        select(Project.id).where(Project.client_id == data.client_id, Project.name == data.name)
    )
    if taken is not None:
        raise Conflict(f"this client already has a project named '{data.name}'", field="name")
    fields = data.model_dump(exclude={"label_schema", "guidelines"})
    project = Project(**fields)
    _embed_profile(project, embedder)
    if data.status is ProjectStatus.live and (data.label_schema is None or data.guidelines is None):
        raise InvalidInput("status", "a project goes live only with a label schema and guidelines")
    audit.insert_created(
        session=session,
        actor=actor,
        created=[(project, fields)],
        action="project.create",
        entity_type="project",
        duplicate=f"this client already has a project named '{data.name}'",
        field="name",
        commit=False,
    )
    if data.label_schema is not None:
        _add_schema(session, actor, project, data.label_schema, "label_schema")
    if data.guidelines is not None:
        _add_guidelines(session, actor, project, data.guidelines, "first version")
    if commit:
        session.commit()
    return project


def do_update_project(
    *,
    session: Session,
    actor: Actor,
    project_id: int,
    data: ProjectUpdate,
    embedder: Embedder | None = None,
) -> Project:
    """Change a project's settings or status; only the fields given change."""
    project = get_or_404(session=session, project_id=project_id)
    before = _settings(project)
    changes = data.model_dump(exclude_unset=True)
    nullable = {"sla_hours", "lease_minutes", "min_tier", "pay_scheme"}
    for key, value in changes.items():
        if value is None and key not in nullable:
            raise InvalidInput(key, "cannot be null")
        setattr(project, key, value)
    if project.status is ProjectStatus.live and (
        project.schema_version == 0 or project.guideline_version == 0
    ):
        raise InvalidInput("status", "a project goes live only with a label schema and guidelines")
    if "skill_profile" in changes:
        _embed_profile(project, embedder)
    old, new = audit.changed(before, _settings(project))
    if new:
        audit.record(
            session=session,
            actor=actor,
            action="project.update",
            entity_type="project",
            entity_id=project.id,
            before=old,
            after=new,
        )
    with conflict_on_duplicate(
        session, "this client already has a project with that name", field="name"
    ):
        session.commit()
    return project


def _add_schema(
    session: Session, actor: Actor, project: Project, spec: SchemaSpec, field: str
) -> SchemaVersion:
    try:
        schema = parse_schema(project.annotation_type, spec)
    except SchemaError as exc:
        raise exc.prefixed(field) from exc
    project.schema_version += 1
    version = SchemaVersion(
        project_id=project.id,
        version=project.schema_version,
        annotation_type=project.annotation_type,
        spec=schema.to_dict(),
        created_by=actor.label,
    )
    session.add(version)
    audit.record(
        session=session,
        actor=actor,
        action="project.schema",
        entity_type="project",
        entity_id=project.id,
        after={"version": version.version, "spec": version.spec},
    )
    return version


def _add_guidelines(
    session: Session, actor: Actor, project: Project, body: str, note: str
) -> GuidelineVersion:
    project.guideline_version += 1
    version = GuidelineVersion(
        project_id=project.id,
        version=project.guideline_version,
        body=body,
        note=note,
        created_by=actor.label,
    )
    session.add(version)
    audit.record(
        session=session,
        actor=actor,
        action="project.guidelines",
        entity_type="project",
        entity_id=project.id,
        after={"version": version.version, "note": note},
    )
    return version


def do_add_schema_version(
    *, session: Session, actor: Actor, project_id: int, spec: SchemaSpec
) -> SchemaVersion:
    """Add a label-schema version; annotations made from now on record the new number."""
    project = get_or_404(session=session, project_id=project_id)
    version = _add_schema(session, actor, project, spec, "spec")
    with conflict_on_duplicate(session, "another schema version was added at the same time"):
        session.commit()
    return version


def do_add_guideline_version(
    *, session: Session, actor: Actor, project_id: int, body: str, note: str = ""
) -> GuidelineVersion:
    """Add a guideline version (from an edit or an answered guideline question)."""
    project = get_or_404(session=session, project_id=project_id)
    version = _add_guidelines(session, actor, project, body, note)
    with conflict_on_duplicate(session, "another guideline version was added at the same time"):
        session.commit()
    return version


def mark_completed(*, session: Session, project_id: int, now: datetime) -> bool:
    """Record that every task of the project is done; False if it already was (no event twice).

    Joins the caller's transaction (the submission that finished the last task).
    """
    done = session.execute(
        update(Project)
        .where(Project.id == project_id, Project.completed_at.is_(None))
        .values(completed_at=now)
        .returning(Project.id)
    ).first()
    return done is not None


def schema_versions(*, session: Session, project_id: int) -> list[SchemaVersion]:
    """Every schema version, newest first."""
    return list(
        session.scalars(
            select(SchemaVersion)
            .where(SchemaVersion.project_id == project_id)
            .order_by(SchemaVersion.version.desc())
        )
    )


def guideline_versions(*, session: Session, project_id: int) -> list[GuidelineVersion]:
    """Every guideline version, newest first."""
    return list(
        session.scalars(
            select(GuidelineVersion)
            .where(GuidelineVersion.project_id == project_id)
            .order_by(GuidelineVersion.version.desc())
        )
    )


def guideline(*, session: Session, project_id: int, version: int) -> GuidelineVersion | None:
    """One guideline version (what a worker read when they labelled)."""
    return session.scalar(
        select(GuidelineVersion).where(
            GuidelineVersion.project_id == project_id, GuidelineVersion.version == version
        )
    )


def label_schema(*, session: Session, project: Project, version: int | None = None) -> LabelSchema:
    """The parsed label schema of a version (default: the current one)."""
    number = version if version is not None else project.schema_version
    if number == 0:
        raise InvalidInput("schema", f"project {project.id} has no label schema yet")
    spec = session.scalar(
        select(SchemaVersion.spec).where(
            SchemaVersion.project_id == project.id, SchemaVersion.version == number
        )
    )
    if spec is None:
        raise NotFound(f"schema version {number} of project {project.id} not found")
    return parsed_schema(project.annotation_type, spec)


def parsed_schema(annotation_type: AnnotationType, spec: dict[str, Any]) -> LabelSchema:
    """A stored schema spec, parsed (each distinct spec once per process)."""
    return _parsed(annotation_type.value, json.dumps(spec, sort_keys=True))


@lru_cache(maxsize=256)
def _parsed(annotation_type: str, spec: str) -> LabelSchema:
    # Keyed by content, not by id: stored specs never change, and a key by content stays
    # right across databases and rolled-back test transactions.
    return parse_schema(annotation_type, json.loads(spec))


def do_add_member(
    *, session: Session, actor: Actor, project_id: int, data: MemberCreate, commit: bool = True
) -> ProjectMember:
    """Put a person on a project; they cannot be on it twice at once.

    A new annotator on a project with probation starts on it: their first
    ``probation_tasks`` tasks are gold, and they are confirmed (or held) on the result.
    """
    project = get_or_404(session=session, project_id=project_id)
    people.get_or_404(session=session, person_id=data.person_id)
    current = session.scalar(
        select(ProjectMember.id).where(
            ProjectMember.project_id == project_id,
            ProjectMember.person_id == data.person_id,
            ProjectMember.left_at.is_(None),
        )
    )
    if current is not None:
        raise Conflict(f"person {data.person_id} is already on project {project_id}")
    joined = data.joined_at or utcnow()
    if joined > utcnow():
        raise InvalidInput("joined_at", "cannot be in the future")
    on_probation = project.probation_tasks > 0 and data.role is MemberRole.annotator
    member = ProjectMember(
        project_id=project_id,
        person_id=data.person_id,
        role=data.role,
        joined_at=joined,
        probation_left=project.probation_tasks if on_probation else None,
    )
    session.add(member)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="project.add_member",
        entity_type="person",
        entity_id=data.person_id,
        after={"project_id": project_id, "role": data.role},
    )
    if commit:
        session.commit()
    return member


def do_end_membership(
    *,
    session: Session,
    actor: Actor,
    project_id: int,
    member_id: int,
    data: MemberEnd,
    commit: bool = True,
) -> ProjectMember:
    """Take a person off a project, keeping the period in their history."""
    member = session.get(ProjectMember, member_id)
    if member is None or member.project_id != project_id:
        raise NotFound(f"membership {member_id} not found on project {project_id}")
    if member.left_at is not None:
        raise Conflict(f"membership {member_id} already ended")
    left = data.left_at or utcnow()
    if left < member.joined_at:
        raise InvalidInput("left_at", "cannot be before the person joined")
    member.left_at, member.left_reason = left, data.reason
    audit.record(
        session=session,
        actor=actor,
        action="project.end_member",
        entity_type="person",
        entity_id=member.person_id,
        after={"project_id": member.project_id, "reason": data.reason},
    )
    if commit:
        session.commit()
    return member


def current_member(*, session: Session, project_id: int, person_id: int) -> ProjectMember | None:
    """The person's current membership of the project, if they are on it."""
    return session.scalar(
        select(ProjectMember).where(
            ProjectMember.project_id == project_id,
            ProjectMember.person_id == person_id,
            ProjectMember.left_at.is_(None),
        )
    )


def do_set_hold(
    *,
    session: Session,
    actor: Actor,
    project_id: int,
    person_id: int,
    reason: str | None,
    now: datetime,
    commit: bool = True,
) -> ProjectMember | None:
    """Hold a member back from the project's tasks with a reason, or (``None``) let them resume.

    Quality holds a worker below the project's bar or caught by a rule or a confirmed flag;
    a human lifts the hold. Routing reads the reason in the claim itself, so it acts at once.
    Returns the membership, or None when the person is not on the project (nothing to hold).
    """
    member = current_member(session=session, project_id=project_id, person_id=person_id)
    if member is None or member.hold_reason == reason:
        return member
    before = member.hold_reason
    member.hold_reason, member.held_at = reason, (now if reason else None)
    audit.record(
        session=session,
        actor=actor,
        action="project.hold_member" if reason else "project.release_member",
        entity_type="person",
        entity_id=person_id,
        before={"project_id": project_id, "hold_reason": before},
        after={"project_id": project_id, "hold_reason": reason},
    )
    session.flush()
    if commit:
        session.commit()
    return member


def history(*, session: Session, person_id: int) -> list[ProjectMember]:
    """A person's project periods, most recent first."""
    return list(
        session.scalars(
            select(ProjectMember)
            .where(ProjectMember.person_id == person_id)
            .order_by(ProjectMember.joined_at.desc())
        )
    )


def members(*, session: Session, project_id: int) -> list[ProjectMember]:
    """Everyone who is or was on a project."""
    return list(
        session.scalars(
            select(ProjectMember)
            .where(ProjectMember.project_id == project_id)
            .order_by(ProjectMember.joined_at)
        )
    )
