"""Hiring operations: the only writer of requisitions, channels, cohorts and applications.

Stage changes all go through ``_change_stage``: it checks the move, records the event (who,
when, why), updates the application and queues the candidate's message in the caller's
transaction. A bulk move checks every application first and writes nothing unless all can
move, or ``partial`` was asked for; either way the report names each refusal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.db import utcnow
from crewline.errors import Conflict, InvalidInput, NotFound
from crewline.hiring import messages, stages
from crewline.hiring.models import (
    Application,
    Channel,
    Cohort,
    CohortSession,
    Message,
    MessageStatus,
    MessageTemplate,
    Requisition,
    RequisitionStatus,
    RetentionRule,
    StageEvent,
)
from crewline.hiring.schemas import (
    ApplicationCreate,
    ChannelCreate,
    ChannelUpdate,
    CohortAssign,
    CohortCreate,
    MoveReport,
    MoveRequest,
    Refusal,
    RequisitionCreate,
    RequisitionUpdate,
    ScreeningOverride,
    SessionCreate,
    TemplateSet,
)
from crewline.hiring.screening import Candidate, Rules, screen
from crewline.lookup import one_or_404
from crewline.orgs import service as orgs
from crewline.orgs.models import OrgKind
from crewline.people import embedding
from crewline.people import service as people
from crewline.people.embedding import Embedder
from crewline.people.models import Person
from crewline.projects import service as projects

#: Requisitions that take new applications.
ACCEPTING = frozenset({RequisitionStatus.planned, RequisitionStatus.open})
DEFAULT_RETENTION_DAYS = 180


# --- requisitions ------------------------------------------------------------------------------


def get_requisition_or_404(*, session: Session, requisition_id: int) -> Requisition:
    """A requisition by id."""
    return one_or_404(session, Requisition, requisition_id, "requisition")


def list_requisitions(*, session: Session) -> list[Requisition]:
    """Every requisition, open ones first, then by needed-by date."""
    return list(
        session.scalars(
            select(Requisition).order_by(
                Requisition.status, Requisition.needed_by.is_(None), Requisition.needed_by
            )
        )
    )


def _embed_requisition(requisition: Requisition, embedder: Embedder | None) -> None:
    text = " ".join([requisition.title, requisition.profile, *requisition.skills]).strip()
    if embedder is not None and text:
        requisition.profile_embedding = embedding.to_bytes(embedder.embed([text])[0])


def _requisition_fields(requisition: Requisition) -> dict[str, Any]:
    return {
        "title": requisition.title,
        "status": requisition.status,
        "headcount": requisition.headcount,
        "project_id": requisition.project_id,
        "needed_by": requisition.needed_by,
    }


def do_create_requisition(
    *, session: Session, actor: Actor, data: RequisitionCreate, embedder: Embedder | None
) -> Requisition:
    """Open a role (before its project exists, if need be)."""
    if data.client_id is not None:
        orgs.get_or_404(session=session, org_id=data.client_id, kind=OrgKind.client)
    if data.project_id is not None:
        projects.get_or_404(session=session, project_id=data.project_id)
    requisition = Requisition(
        title=data.title,
        client_id=data.client_id,
        project_id=data.project_id,
        planned_project=data.planned_project,
        role_type=data.role_type,
        headcount=data.headcount,
        regions=[r.value for r in data.regions],
        languages=[n.model_dump() for n in data.languages],
        skills=sorted(set(data.skills)),
        pay_min=data.pay_min,
        pay_max=data.pay_max,
        pay_currency=data.pay_currency,
        pay_unit=data.pay_unit,
        needed_by=data.needed_by,
        status=RequisitionStatus(data.status),
        stages=data.stages,
        screening=data.screening.model_dump(),
        profile=data.profile,
        created_by=actor.label,
    )
    _embed_requisition(requisition, embedder)
    session.add(requisition)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="requisition.create",
        entity_type="requisition",
        entity_id=requisition.id,
        after=_requisition_fields(requisition),
    )
    session.commit()
    return requisition


def do_update_requisition(
    *,
    session: Session,
    actor: Actor,
    requisition_id: int,
    data: RequisitionUpdate,
    embedder: Embedder | None,
) -> Requisition:
    """Change a requisition; a new profile is embedded again."""
    requisition = get_requisition_or_404(session=session, requisition_id=requisition_id)
    before = _requisition_fields(requisition)
    changes = data.model_dump(exclude_unset=True)
    for key in ("title", "headcount", "status"):
        if changes.get(key) is None:
            changes.pop(key, None)
    if changes.get("project_id") is not None:
        projects.get_or_404(session=session, project_id=changes["project_id"])
    if "screening" in changes:
        changes["screening"] = Rules.model_validate(changes["screening"] or {}).model_dump()
    for key, value in changes.items():
        setattr(requisition, key, value)
    if "profile" in changes:
        _embed_requisition(requisition, embedder)
    audit.record(
        session=session,
        actor=actor,
        action="requisition.update",
        entity_type="requisition",
        entity_id=requisition.id,
        before=before,
        after=_requisition_fields(requisition),
    )
    session.commit()
    return requisition


# --- channels and cohorts ----------------------------------------------------------------------


def list_channels(*, session: Session) -> list[Channel]:
    """Every sourcing channel by name."""
    return list(session.scalars(select(Channel).order_by(Channel.name)))


def get_channel_or_404(*, session: Session, channel_id: int) -> Channel:
    """A channel by id."""
    return one_or_404(session, Channel, channel_id, "channel")


def do_create_channel(*, session: Session, actor: Actor, data: ChannelCreate) -> Channel:
    """Add a sourcing channel; names are unique."""
    if session.scalar(select(Channel.id).where(Channel.name == data.name)) is not None:
        raise Conflict(f"a channel named {data.name!r} exists", field="name")
    if data.vendor_id is not None:
        orgs.get_or_404(session=session, org_id=data.vendor_id, kind=OrgKind.vendor)
    channel = Channel(**data.model_dump())
    session.add(channel)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="channel.create",
        entity_type="channel",
        entity_id=channel.id,
        after=data.model_dump(),
    )
    session.commit()
    return channel


def do_update_channel(
    *, session: Session, actor: Actor, channel_id: int, data: ChannelUpdate
) -> Channel:
    """Record a channel's spend so far."""
    channel = get_channel_or_404(session=session, channel_id=channel_id)
    before = {"cost": channel.cost}
    channel.cost = data.cost
    audit.record(
        session=session,
        actor=actor,
        action="channel.update",
        entity_type="channel",
        entity_id=channel.id,
        before=before,
        after={"cost": channel.cost},
    )
    session.commit()
    return channel


def list_cohorts(*, session: Session) -> list[Cohort]:
    """Every cohort, soonest start first."""
    return list(session.scalars(select(Cohort).order_by(Cohort.start_date, Cohort.name)))


def get_cohort_or_404(*, session: Session, cohort_id: int) -> Cohort:
    """A cohort by id."""
    return one_or_404(session, Cohort, cohort_id, "cohort")


def do_create_cohort(*, session: Session, actor: Actor, data: CohortCreate) -> Cohort:
    """Add a cohort; names are unique."""
    if session.scalar(select(Cohort.id).where(Cohort.name == data.name)) is not None:
        raise Conflict(f"a cohort named {data.name!r} exists", field="name")
    if data.requisition_id is not None:
        get_requisition_or_404(session=session, requisition_id=data.requisition_id)
    cohort = Cohort(**{**data.model_dump(), "region": data.region.value})
    session.add(cohort)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="cohort.create",
        entity_type="cohort",
        entity_id=cohort.id,
        after={"name": cohort.name, "region": cohort.region, "start_date": cohort.start_date},
    )
    session.commit()
    return cohort


def do_add_session(
    *, session: Session, actor: Actor, cohort_id: int, data: SessionCreate
) -> CohortSession:
    """Schedule an onboarding session at a wall-clock time in the cohort's time zone.

    A local time that does not exist (skipped by a daylight-saving change) is refused; one
    that happens twice takes the first.
    """
    cohort = get_cohort_or_404(session=session, cohort_id=cohort_id)
    zone = ZoneInfo(cohort.time_zone)
    local = data.local_start.replace(tzinfo=zone)
    round_trip = local.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None)
    if round_trip != data.local_start:
        raise InvalidInput(
            "local_start", f"{data.local_start:%Y-%m-%d %H:%M} does not exist in {cohort.time_zone}"
        )
    row = CohortSession(
        cohort_id=cohort.id,
        title=data.title,
        starts_at=local.astimezone(ZoneInfo("UTC")),
        minutes=data.minutes,
        location=data.location,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="cohort.session",
        entity_type="cohort",
        entity_id=cohort.id,
        after={"title": row.title, "starts_at": row.starts_at},
    )
    session.commit()
    return row


def cohort_sessions(*, session: Session, cohort_id: int) -> list[CohortSession]:
    """A cohort's sessions in time order."""
    return list(
        session.scalars(
            select(CohortSession)
            .where(CohortSession.cohort_id == cohort_id)
            .order_by(CohortSession.starts_at)
        )
    )


# --- applications ------------------------------------------------------------------------------


def get_application_or_404(*, session: Session, application_id: int) -> Application:
    """An application by id."""
    return one_or_404(session, Application, application_id, "application")


def applications_of(*, session: Session, person_id: int) -> list[Application]:
    """A person's applications, newest first."""
    return list(
        session.scalars(
            select(Application)
            .where(Application.person_id == person_id)
            .order_by(Application.created_at.desc(), Application.id.desc())
        )
    )


def events_of(*, session: Session, application_ids: Sequence[int]) -> list[StageEvent]:
    """The stage events of some applications, oldest first."""
    return list(
        session.scalars(
            select(StageEvent)
            .where(StageEvent.application_id.in_(list(application_ids)))
            .order_by(StageEvent.at, StageEvent.id)
        )
    )


def messages_of(*, session: Session, person_id: int) -> list[Message]:
    """Every message sent (or waiting) to a person, newest first."""
    return list(
        session.scalars(
            select(Message)
            .where(Message.person_id == person_id)
            .order_by(Message.created_at.desc(), Message.id.desc())
        )
    )


def _similarity(person: Person, requisition: Requisition) -> float | None:
    if person.profile_embedding is None or requisition.profile_embedding is None:
        return None
    vectors = embedding.from_bytes([person.profile_embedding, requisition.profile_embedding])
    return float(np.dot(vectors[0], vectors[1]))


def _screen(application: Application, person: Person, requisition: Requisition) -> None:
    """Apply the requisition's rules (a recruiter's override stands until they lift it)."""
    application.skills_match = _similarity(person, requisition)
    if application.screening_override_by:
        return
    verdict = screen(
        Rules.model_validate(requisition.screening),
        Candidate(
            country=person.country,
            region=person.region.value,
            languages={lang.language: lang.level for lang in person.languages},
            availability_hours=application.availability_hours,
            skills_match=application.skills_match,
        ),
        regions=requisition.regions,
        languages=requisition.languages,
    )
    application.screening = verdict.outcome
    application.screening_reasons = verdict.reasons


def _variables(
    session: Session, application: Application, person: Person, reason: str, portal_url: str
) -> dict[str, str]:
    requisition = session.get_one(Requisition, application.requisition_id)
    cohort = session.get(Cohort, application.cohort_id) if application.cohort_id else None
    return {
        "first_name": _first_name(person),
        "full_name": person.full_name,
        "stage": stages.label(application.stage),
        "role": requisition.title,
        "cohort": cohort.name if cohort else "",
        "cohort_start": cohort.start_date.isoformat() if cohort else "",
        "reason": reason,
        "portal_url": portal_url,
    }


def _language(person: Person) -> str:
    """The language messages go out in: the person's strongest working language."""
    if not person.languages:
        return "en"
    best = max(person.languages, key=lambda lang: (lang.level, lang.language == "en"))
    return best.language


def _change_stage(
    session: Session,
    application: Application,
    person: Person,
    target: str,
    *,
    actor: str,
    reason: str,
    now: datetime,
    portal_url: str,
    skipped: Sequence[str] = (),
    templates: messages.Templates | None = None,
) -> None:
    previous = application.stage
    if target == stages.ON_HOLD:
        application.held_from = previous
    elif previous == stages.ON_HOLD:
        application.held_from = None
    application.stage = target
    application.stage_changed_at = now
    why = reason
    if skipped:
        note = f"skipped {', '.join(stages.label(s).lower() for s in skipped)}"
        why = f"{reason} ({note})" if reason else note
    session.add(
        StageEvent(
            application_id=application.id,
            from_stage=previous,
            to_stage=target,
            actor=actor,
            reason=why[:500],
            at=now,
        )
    )
    _notify(session, application, person, reason, now, portal_url, templates)


def _notify(
    session: Session,
    application: Application,
    person: Person,
    reason: str,
    now: datetime,
    portal_url: str,
    templates: messages.Templates | None = None,
) -> None:
    filled = messages.compose(
        session,
        application.stage,
        _language(person),
        _variables(session, application, person, reason, portal_url),
        templates,
    )
    messages.queue(
        session,
        person_id=person.id,
        application=application,
        to_email=person.email,
        subject=filled[0],
        body=filled[1],
        kind=messages.STAGE_UPDATE,
        now=now,
    )


def new_application(
    session: Session,
    *,
    person: Person,
    requisition: Requisition,
    actor: str,
    now: datetime,
    portal_url: str,
    channel_id: int | None = None,
    referred_by_id: int | None = None,
    cohort_id: int | None = None,
    availability_hours: int | None = None,
    templates: messages.Templates | None = None,
) -> Application:
    """An application at the pipeline's first stage: screened, evented and messaged.

    Part of the caller's transaction; the caller checks the references and uniqueness.
    """
    application = Application(
        person_id=person.id,
        requisition_id=requisition.id,
        channel_id=channel_id,
        referred_by_id=referred_by_id,
        cohort_id=cohort_id,
        stage=requisition.stages[0],
        stage_changed_at=now,
        availability_hours=availability_hours,
        created_at=now,
    )
    _screen(application, person, requisition)
    session.add(application)
    # Linked by relationship, not id: a bulk import flushes thousands of these at once.
    session.add(
        StageEvent(
            application=application,
            from_stage=None,
            to_stage=application.stage,
            actor=actor,
            reason="applied",
            at=now,
        )
    )
    _notify(session, application, person, "", now, portal_url, templates)
    return application


def do_apply(
    *, session: Session, actor: Actor, data: ApplicationCreate, portal_url: str
) -> Application:
    """Put a person forward for a requisition that is taking applications."""
    person = people.get_or_404(session=session, person_id=data.person_id)
    requisition = get_requisition_or_404(session=session, requisition_id=data.requisition_id)
    if requisition.status not in ACCEPTING:
        raise Conflict(
            f"requisition {requisition.id} is {requisition.status.value}; it takes no applications",
            field="requisition_id",
        )
    if data.channel_id is not None:
        get_channel_or_404(session=session, channel_id=data.channel_id)
    if data.cohort_id is not None:
        get_cohort_or_404(session=session, cohort_id=data.cohort_id)
    if data.referred_by_id is not None:
        if data.referred_by_id == data.person_id:
            raise InvalidInput("referred_by_id", "a person cannot refer themselves")
        people.get_or_404(session=session, person_id=data.referred_by_id)
    taken = session.scalar(
        select(Application.id).where(
            Application.person_id == person.id, Application.requisition_id == requisition.id
        )
    )
    if taken is not None:
        raise Conflict(
            f"person {person.id} already applied to requisition {requisition.id}",
            field="person_id",
        )
    application = new_application(
        session,
        person=person,
        requisition=requisition,
        actor=actor.label,
        now=utcnow(),
        portal_url=portal_url,
        channel_id=data.channel_id,
        referred_by_id=data.referred_by_id,
        cohort_id=data.cohort_id,
        availability_hours=data.availability_hours,
    )
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="application.create",
        entity_type="application",
        entity_id=application.id,
        after={"person_id": person.id, "requisition_id": requisition.id},
    )
    session.commit()
    return application


def do_move(
    *,
    session: Session,
    actor: Actor,
    data: MoveRequest,
    portal_url: str,
    now: datetime | None = None,
    templates: messages.Templates | None = None,
) -> MoveReport:
    """Move applications to a stage, each with an event and a message to the candidate.

    Every application is checked first (under a row lock, so two recruiters moving the same
    people cannot both apply); if any cannot move and ``partial`` is false nothing is written
    and ``Conflict`` lists each refusal. ``now`` dates the events (the demo's history);
    ``templates`` carries template lookups across many moves.
    """
    if data.to_stage in (stages.REJECTED, stages.ON_HOLD) and not data.reason:
        raise InvalidInput(
            "reason", f"say why when moving to {stages.label(data.to_stage).lower()}"
        )
    ids = list(dict.fromkeys(data.application_ids))
    found = {
        a.id: a
        for a in session.scalars(
            # Locked in id order, so two bulk moves over the same people cannot deadlock.
            select(Application)
            .where(Application.id.in_(ids))
            .order_by(Application.id)
            .with_for_update()
        )
    }
    paths = {
        r.id: r.stages
        for r in session.scalars(
            select(Requisition).where(
                Requisition.id.in_({a.requisition_id for a in found.values()})
            )
        )
    }
    refused: list[Refusal] = []
    plan: list[tuple[Application, stages.Move]] = []
    for application_id in ids:
        application = found.get(application_id)
        if application is None:
            refused.append(Refusal(application_id=application_id, reason="no such application"))
            continue
        move = stages.check_move(
            paths[application.requisition_id],
            application.stage,
            application.held_from,
            data.to_stage,
        )
        if move.refused:
            refused.append(Refusal(application_id=application_id, reason=move.refused))
        else:
            plan.append((application, move))
    if refused and not data.partial:
        session.rollback()
        raise Conflict(
            f"{len(refused)} of {len(ids)} applications cannot move to "
            f"{stages.label(data.to_stage).lower()}; nothing was moved "
            "(send partial: true to move the others)",
            details=[
                {"field": f"application_ids.{ids.index(r.application_id)}", "message": r.reason}
                for r in refused
            ],
        )
    now = now or utcnow()
    persons = {
        p.id: p
        for p in session.scalars(
            select(Person).where(Person.id.in_({a.person_id for a, _ in plan}))
        )
    }
    templates = {} if templates is None else templates
    for application, move in plan:
        _change_stage(
            session,
            application,
            persons[application.person_id],
            move.to_stage,
            actor=actor.label,
            reason=data.reason,
            now=now,
            portal_url=portal_url,
            skipped=move.skipped,
            templates=templates,
        )
    moved_by_requisition: dict[int, list[int]] = {}
    for application, _ in plan:
        moved_by_requisition.setdefault(application.requisition_id, []).append(application.id)
    for requisition_id, moved in moved_by_requisition.items():
        audit.record(
            session=session,
            actor=actor,
            action="application.move",
            entity_type="requisition",
            entity_id=requisition_id,
            after={"to_stage": data.to_stage, "reason": data.reason, "applications": moved},
        )
    session.commit()
    return MoveReport(moved=[a.id for a, _ in plan], refused=refused)


def move_within(
    session: Session,
    application: Application,
    to_stage: str,
    *,
    actor: str,
    reason: str,
    now: datetime,
    portal_url: str,
    reopen: bool = False,
) -> str | None:
    """Move one application inside the caller's transaction; the refusal, or None if moved.

    For decisions made elsewhere that move a candidate (an assessment's outcome): the same
    checks, event and message as ``do_move``, but the caller holds the row and commits, so
    the decision and the move land together or not at all. ``reopen`` lets a human who
    overrides a rejection take a rejected application back to the stage it was rejected
    from, or forward from there; nothing else reopens a closed application.
    """
    requisition = session.get_one(Requisition, application.requisition_id)
    current = application.stage
    if reopen and current == stages.REJECTED:
        origin = session.scalar(
            select(StageEvent.from_stage)
            .where(
                StageEvent.application_id == application.id,
                StageEvent.to_stage == stages.REJECTED,
            )
            .order_by(StageEvent.id.desc())
            .limit(1)
        )
        if origin is None or origin not in requisition.stages:
            return "the application has no earlier stage to reopen at"
        current = origin
    move = (
        stages.Move(to_stage)
        if current != application.stage and current == to_stage
        else stages.check_move(requisition.stages, current, application.held_from, to_stage)
    )
    if move.refused:
        return move.refused
    person = session.get_one(Person, application.person_id)
    _change_stage(
        session,
        application,
        person,
        move.to_stage,
        actor=actor,
        reason=reason,
        now=now,
        portal_url=portal_url,
        skipped=move.skipped,
    )
    return None


def _first_name(person: Person) -> str:
    names = person.full_name.split()
    return names[0] if names else ""


def tell(
    session: Session, application: Application, *, subject: str, said: str, now: datetime
) -> None:
    """Write to a candidate about their application without moving it (a result, a retake):
    ``said`` is the message's one sentence, greeted and signed like every other."""
    person = session.get_one(Person, application.person_id)
    messages.queue(
        session,
        person_id=person.id,
        application=application,
        to_email=person.email,
        subject=subject,
        body=f"Hello {_first_name(person) or 'there'},\n\n{said}.\n\nThe Crewline team\n",
        kind=messages.APPLICATION_NOTE,
        now=now,
    )


def do_withdraw(
    *, session: Session, person_id: int, application_id: int, reason: str, portal_url: str
) -> Application:
    """The candidate opts out of their own application (another's is not found)."""
    application = session.scalar(
        select(Application).where(Application.id == application_id).with_for_update()
    )
    if application is None or application.person_id != person_id:
        raise NotFound(f"application {application_id} not found")
    requisition = session.get_one(Requisition, application.requisition_id)
    move = stages.check_move(
        requisition.stages, application.stage, application.held_from, stages.WITHDRAWN
    )
    if move.refused:
        raise Conflict(f"cannot withdraw: {move.refused}")
    person = people.get_or_404(session=session, person_id=person_id)
    _change_stage(
        session,
        application,
        person,
        stages.WITHDRAWN,
        actor="candidate",
        reason=reason or "withdrew from their page",
        now=utcnow(),
        portal_url=portal_url,
    )
    session.commit()
    return application


def do_assign_cohort(*, session: Session, actor: Actor, data: CohortAssign) -> list[int]:
    """Place applications in a cohort, or take them out; all or nothing."""
    if data.cohort_id is not None:
        get_cohort_or_404(session=session, cohort_id=data.cohort_id)
    ids = list(dict.fromkeys(data.application_ids))
    found = list(session.scalars(select(Application).where(Application.id.in_(ids))))
    missing = sorted(set(ids) - {a.id for a in found})
    if missing:
        raise InvalidInput(
            f"application_ids.{ids.index(missing[0])}", f"application {missing[0]} not found"
        )
    for application in found:
        application.cohort_id = data.cohort_id
    audit.record(
        session=session,
        actor=actor,
        action="application.cohort",
        entity_type="cohort",
        entity_id=data.cohort_id if data.cohort_id is not None else "none",
        after={"applications": len(found)},
    )
    session.commit()
    return [a.id for a in found]


def do_override_screening(
    *, session: Session, actor: Actor, application_id: int, data: ScreeningOverride
) -> Application:
    """A recruiter's verdict replaces the rules' (the rules' reasons are kept alongside)."""
    application = get_application_or_404(session=session, application_id=application_id)
    before = {"screening": application.screening}
    application.screening = data.outcome
    application.screening_override_by = actor.label
    application.screening_reasons = [
        f"overridden by {actor.label}: {data.reason}",
        *[r for r in application.screening_reasons if not r.startswith("overridden by ")],
    ]
    audit.record(
        session=session,
        actor=actor,
        action="application.screening",
        entity_type="application",
        entity_id=application.id,
        before=before,
        after={"screening": application.screening, "reason": data.reason},
    )
    session.commit()
    return application


# --- templates and retention -------------------------------------------------------------------


def do_set_template(
    *, session: Session, actor: Actor, stage: str, language: str, data: TemplateSet
) -> MessageTemplate:
    """Edit the message for a stage in a language (it must render)."""
    messages.check_template(data.subject, data.body)
    row = session.scalar(
        select(MessageTemplate).where(
            MessageTemplate.stage == stage, MessageTemplate.language == language
        )
    )
    if row is None:
        row = MessageTemplate(stage=stage, language=language)
        session.add(row)
    row.subject, row.body, row.updated_by = data.subject, data.body, actor.label
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="message_template.set",
        entity_type="message_template",
        entity_id=f"{stage}/{language}",
        after={"subject": data.subject},
    )
    session.commit()
    return row


def edited_templates(*, session: Session) -> list[MessageTemplate]:
    """Every edited template."""
    return list(
        session.scalars(
            select(MessageTemplate).order_by(MessageTemplate.stage, MessageTemplate.language)
        )
    )


def templates_in_use(*, session: Session) -> list[dict[str, Any]]:
    """Every edited template, and every stage's built-in English one not edited, by stage."""
    edited = edited_templates(session=session)
    rows: list[dict[str, Any]] = [
        {"stage": t.stage, "language": t.language, "subject": t.subject, "body": t.body,
         "edited": True, "by": t.updated_by}
        for t in edited
    ]  # fmt: skip
    done = {(t.stage, t.language) for t in edited}
    for stage in messages.BUILT_IN:
        if (stage, "en") not in done:
            subject, body = messages.template_for(session, stage, "en")
            rows.append(
                {"stage": stage, "language": "en", "subject": subject, "body": body,
                 "edited": False, "by": None}
            )  # fmt: skip
    return sorted(rows, key=lambda r: (r["stage"], r["language"]))


def retention_days(*, session: Session) -> dict[str, int]:
    """Days each region keeps rejected candidates' personal data (regions not set: default)."""
    return dict(session.execute(select(RetentionRule.region, RetentionRule.days)).all())


def do_set_retention(*, session: Session, actor: Actor, region: str, days: int) -> None:
    """Set a region's retention period."""
    row = session.get(RetentionRule, region)
    before = {"days": row.days if row else DEFAULT_RETENTION_DAYS}
    if row is None:
        session.add(RetentionRule(region=region, days=days, updated_by=actor.label))
    else:
        row.days, row.updated_by = days, actor.label
    audit.record(
        session=session,
        actor=actor,
        action="retention.set",
        entity_type="region",
        entity_id=region,
        before=before,
        after={"days": days},
    )
    session.commit()


def stage_counts(*, session: Session, requisition_id: int) -> dict[str, int]:
    """How many applications sit at each stage of a requisition."""
    return dict(
        session.execute(
            select(Application.stage, func.count())
            .where(Application.requisition_id == requisition_id)
            .group_by(Application.stage)
        ).all()
    )


@dataclass(frozen=True, slots=True)
class ApplicationFilter:
    """Which applications a list shows (None or empty: any)."""

    requisition_id: int | None = None
    stage: str | None = None
    cohort_id: int | None = None
    channel_id: int | None = None
    region: str | None = None
    screening: str | None = None
    query: str = ""


def search_applications(
    *,
    session: Session,
    filters: ApplicationFilter,
    sort: str = "stage_changed_at",
    descending: bool = True,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[tuple[Application, Person]], int]:
    """Applications with their people, filtered, sorted and paged; and the total count."""
    statement = select(Application, Person).join(Person, Person.id == Application.person_id)
    conditions = []
    if filters.requisition_id is not None:
        conditions.append(Application.requisition_id == filters.requisition_id)
    if filters.stage:
        conditions.append(Application.stage == filters.stage)
    if filters.cohort_id is not None:
        conditions.append(Application.cohort_id == filters.cohort_id)
    if filters.channel_id is not None:
        conditions.append(Application.channel_id == filters.channel_id)
    if filters.region:
        conditions.append(Person.region == filters.region)
    if filters.screening:
        conditions.append(Application.screening == filters.screening)
    if filters.query:
        pattern = f"%{people.like_escape(filters.query.lower())}%"
        conditions.append(
            func.lower(Person.full_name).like(pattern, escape="\\")
            | func.lower(Person.email).like(pattern, escape="\\")
        )
    statement = statement.where(*conditions)
    total = session.scalar(
        select(func.count())
        .select_from(Application)
        .join(Person, Person.id == Application.person_id)
        .where(*conditions)
    )
    column = {
        "stage_changed_at": Application.stage_changed_at,
        "created_at": Application.created_at,
        "name": Person.full_name,
        "stage": Application.stage,
        "skills_match": Application.skills_match,
    }[sort]
    order = column.desc() if descending else column.asc()
    rows = session.execute(statement.order_by(order, Application.id).limit(limit).offset(offset))
    return [(a, p) for a, p in rows], int(total or 0)


SORTS = ("stage_changed_at", "created_at", "name", "stage", "skills_match")


def list_messages(
    *,
    session: Session,
    status: MessageStatus | None = None,
    person_id: int | None = None,
    limit: int = 100,
) -> list[Message]:
    """Outbox messages, newest first, by status and/or person."""
    statement = select(Message).order_by(Message.created_at.desc(), Message.id.desc())
    if status is not None:
        statement = statement.where(Message.status == status)
    if person_id is not None:
        statement = statement.where(Message.person_id == person_id)
    return list(session.scalars(statement.limit(limit)))


def message_counts(*, session: Session) -> dict[str, int]:
    """How many messages are pending, sent and failed."""
    rows = session.execute(select(Message.status, func.count()).group_by(Message.status))
    return {status.value: count for status, count in rows}


def portal_view(*, session: Session, application: Application) -> dict[str, Any]:
    """What a candidate sees of one of their applications: where it is, what comes next,
    their cohort's sessions in the cohort's time zone, and the stages it went through."""
    requisition = session.get_one(Requisition, application.requisition_id)
    cohort = session.get(Cohort, application.cohort_id) if application.cohort_id else None
    sessions = []
    if cohort is not None:
        zone = ZoneInfo(cohort.time_zone)
        sessions = [
            {
                "title": s.title,
                "starts_at": s.starts_at.isoformat(),
                "local_start": s.starts_at.astimezone(zone).strftime("%a %d %b %Y, %H:%M %Z"),
                "minutes": s.minutes,
                "location": s.location,
            }
            for s in cohort_sessions(session=session, cohort_id=cohort.id)
        ]
    move = stages.check_move(
        requisition.stages, application.stage, application.held_from, stages.WITHDRAWN
    )
    return {
        "id": application.id,
        "role": requisition.title,
        "stage": application.stage,
        "stage_label": stages.label(application.stage),
        "since": application.stage_changed_at.isoformat(),
        "next_steps": stages.NEXT_STEPS.get(application.stage, ""),
        "path": [{"stage": s, "label": stages.label(s)} for s in requisition.stages],
        "can_withdraw": move.refused is None,
        "cohort": None
        if cohort is None
        else {
            "name": cohort.name,
            "start_date": cohort.start_date.isoformat(),
            "time_zone": cohort.time_zone,
            "sessions": sessions,
        },
        "history": [
            {"stage": e.to_stage, "label": stages.label(e.to_stage), "at": e.at.isoformat()}
            for e in events_of(session=session, application_ids=[application.id])
        ],
    }
