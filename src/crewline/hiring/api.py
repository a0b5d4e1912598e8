"""JSON routes for the hiring pipeline: requisitions, channels, cohorts, applications, moves,
imports, messages, templates, retention, funnel analytics, and the candidate's own view."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from crewline.auth.deps import Principal, SessionDep, require
from crewline.auth.roles import STAFF, Role
from crewline.db import utcnow
from crewline.errors import InvalidInput, NotFound
from crewline.hiring import analytics, importing, service, stages
from crewline.hiring.models import CohortSession, Message, MessageStatus, Screening
from crewline.hiring.schemas import (
    ApplicationCreate,
    ApplicationOut,
    ChannelCreate,
    ChannelOut,
    ChannelUpdate,
    CohortAssign,
    CohortCreate,
    CohortOut,
    ImportReport,
    MessageOut,
    MoveReport,
    MoveRequest,
    RequisitionCreate,
    RequisitionOut,
    RequisitionUpdate,
    RetentionSet,
    ScreeningOverride,
    SessionCreate,
    SessionOut,
    TemplateOut,
    TemplateSet,
    Withdrawal,
)
from crewline.people import service as people
from crewline.people.deps import EmbedderDep
from crewline.people.models import Region
from crewline.validation import Id, language_code

router = APIRouter(tags=["hiring"])
#: Staff read the pipeline; recruiters and ops run it.
Reader = Annotated[Principal, Depends(require(*STAFF))]
Recruiter = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager, Role.recruiter))]
Candidate = Annotated[Principal, Depends(require(Role.candidate))]
CSV_TYPES = ("text/csv", "application/csv")


def portal_address(public_url: str) -> str:
    """Where a candidate sees their application (links in messages point here)."""
    return public_url.rstrip("/") + "/portal"


def portal_url(request: Request) -> str:
    """The portal's address for the app serving ``request``."""
    return portal_address(request.app.state.settings.public_url)


# --- requisitions, channels, cohorts -----------------------------------------------------------


@router.get("/hiring/requisitions", response_model=list[RequisitionOut])
def list_requisitions(session: SessionDep, caller: Reader) -> object:
    """Every requisition (planned ones too: sourcing starts before a project is approved)."""
    return service.list_requisitions(session=session)


@router.post("/hiring/requisitions", response_model=RequisitionOut, status_code=201)
def create_requisition(
    data: RequisitionCreate, session: SessionDep, caller: Recruiter, embedder: EmbedderDep
) -> object:
    """Open a role: type, headcount, regions, languages, skills, pay range, needed-by date."""
    return service.do_create_requisition(
        session=session, actor=caller.actor, data=data, embedder=embedder
    )


@router.get("/hiring/requisitions/{requisition_id:int}", response_model=RequisitionOut)
def read_requisition(requisition_id: Id, session: SessionDep, caller: Reader) -> object:
    """One requisition."""
    return service.get_requisition_or_404(session=session, requisition_id=requisition_id)


@router.patch("/hiring/requisitions/{requisition_id:int}", response_model=RequisitionOut)
def update_requisition(
    requisition_id: Id,
    data: RequisitionUpdate,
    session: SessionDep,
    caller: Recruiter,
    embedder: EmbedderDep,
) -> object:
    """Change status, headcount, dates, screening rules, the project once it exists."""
    return service.do_update_requisition(
        session=session,
        actor=caller.actor,
        requisition_id=requisition_id,
        data=data,
        embedder=embedder,
    )


@router.get("/hiring/channels", response_model=list[ChannelOut])
def list_channels(session: SessionDep, caller: Reader) -> object:
    """Sourcing channels with their spend."""
    return service.list_channels(session=session)


@router.post("/hiring/channels", response_model=ChannelOut, status_code=201)
def create_channel(data: ChannelCreate, session: SessionDep, caller: Recruiter) -> object:
    """Add a sourcing channel."""
    return service.do_create_channel(session=session, actor=caller.actor, data=data)


@router.patch("/hiring/channels/{channel_id:int}", response_model=ChannelOut)
def update_channel(
    channel_id: Id, data: ChannelUpdate, session: SessionDep, caller: Recruiter
) -> object:
    """Record a channel's spend so far."""
    return service.do_update_channel(
        session=session, actor=caller.actor, channel_id=channel_id, data=data
    )


@router.get("/hiring/cohorts", response_model=list[CohortOut])
def list_cohorts(session: SessionDep, caller: Reader) -> object:
    """Cohorts, soonest start first."""
    return service.list_cohorts(session=session)


@router.post("/hiring/cohorts", response_model=CohortOut, status_code=201)
def create_cohort(data: CohortCreate, session: SessionDep, caller: Recruiter) -> object:
    """Add a cohort with its region, time zone and start date."""
    return service.do_create_cohort(session=session, actor=caller.actor, data=data)


def session_out(row: CohortSession, time_zone: str) -> SessionOut:
    """A session with its start shown in the cohort's time zone as well as UTC."""
    local = row.starts_at.astimezone(ZoneInfo(time_zone))
    return SessionOut(
        id=row.id,
        cohort_id=row.cohort_id,
        title=row.title,
        starts_at=row.starts_at,
        local_start=local.strftime("%Y-%m-%d %H:%M %Z"),
        time_zone=time_zone,
        minutes=row.minutes,
        location=row.location,
    )


@router.get("/hiring/cohorts/{cohort_id:int}/sessions", response_model=list[SessionOut])
def list_sessions(cohort_id: Id, session: SessionDep, caller: Reader) -> object:
    """A cohort's onboarding sessions."""
    cohort = service.get_cohort_or_404(session=session, cohort_id=cohort_id)
    rows = service.cohort_sessions(session=session, cohort_id=cohort_id)
    return [session_out(row, cohort.time_zone) for row in rows]


@router.post("/hiring/cohorts/{cohort_id:int}/sessions", response_model=SessionOut, status_code=201)
def create_session(
    cohort_id: Id, data: SessionCreate, session: SessionDep, caller: Recruiter
) -> object:
    """Schedule a session at a wall-clock time in the cohort's time zone."""
    row = service.do_add_session(
        session=session, actor=caller.actor, cohort_id=cohort_id, data=data
    )
    cohort = service.get_cohort_or_404(session=session, cohort_id=cohort_id)
    return session_out(row, cohort.time_zone)


# --- applications ------------------------------------------------------------------------------


@router.get("/hiring/applications")
def list_applications(
    session: SessionDep,
    caller: Reader,
    requisition_id: Annotated[int | None, Query(ge=1)] = None,
    stage: Annotated[str | None, Query(max_length=40)] = None,
    cohort_id: Annotated[int | None, Query(ge=1)] = None,
    channel_id: Annotated[int | None, Query(ge=1)] = None,
    region: Region | None = None,
    screening: Screening | None = None,
    q: Annotated[str, Query(max_length=200)] = "",
    sort: Annotated[str, Query(pattern="^(" + "|".join(service.SORTS) + ")$")] = (
        "stage_changed_at"
    ),
    direction: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """Applications with the candidate's name and email, filtered, sorted and paged."""
    rows, total = service.search_applications(
        session=session,
        filters=service.ApplicationFilter(
            requisition_id=requisition_id,
            stage=stage,
            cohort_id=cohort_id,
            channel_id=channel_id,
            region=region.value if region else None,
            screening=screening.value if screening else None,
            query=q.strip(),
        ),
        sort=sort,
        descending=direction == "desc",
        limit=limit,
        offset=offset,
    )
    return {
        "total": total,
        "items": [
            ApplicationOut.model_validate(a).model_dump(mode="json")
            | {"full_name": p.full_name, "email": p.email, "region": p.region.value}
            for a, p in rows
        ],
    }


@router.post("/hiring/applications", response_model=ApplicationOut, status_code=201)
def create_application(
    request: Request, data: ApplicationCreate, session: SessionDep, caller: Recruiter
) -> object:
    """Put a person forward for a requisition (screened and told at once)."""
    return service.do_apply(
        session=session, actor=caller.actor, data=data, portal_url=portal_url(request)
    )


@router.get("/hiring/applications/{application_id:int}")
def read_application(application_id: Id, session: SessionDep, caller: Reader) -> dict[str, Any]:
    """An application with its full history of stage events."""
    application = service.get_application_or_404(session=session, application_id=application_id)
    events = service.events_of(session=session, application_ids=[application.id])
    return ApplicationOut.model_validate(application).model_dump(mode="json") | {
        "events": [
            {
                "from_stage": e.from_stage,
                "to_stage": e.to_stage,
                "actor": e.actor,
                "reason": e.reason,
                "at": e.at.isoformat(),
            }
            for e in events
        ]
    }


@router.post("/hiring/applications/moves", response_model=MoveReport)
def move_applications(
    request: Request, data: MoveRequest, session: SessionDep, caller: Recruiter
) -> object:
    """Move up to 5,000 applications to a stage; each candidate gets a message.

    If any cannot move (closed, backward, unknown stage...) nothing moves and the 409 lists
    every refusal, unless ``partial`` is true: then the others move and the refusals are in
    the report.
    """
    return service.do_move(
        session=session, actor=caller.actor, data=data, portal_url=portal_url(request)
    )


@router.post("/hiring/applications/cohort")
def assign_cohort(data: CohortAssign, session: SessionDep, caller: Recruiter) -> dict[str, Any]:
    """Place applications in a cohort (or out of any, with ``cohort_id`` null)."""
    ids = service.do_assign_cohort(session=session, actor=caller.actor, data=data)
    return {"updated": ids}


@router.post("/hiring/applications/{application_id:int}/screening", response_model=ApplicationOut)
def override_screening(
    application_id: Id, data: ScreeningOverride, session: SessionDep, caller: Recruiter
) -> object:
    """Replace the screening rules' verdict with a recruiter's, with the reason."""
    return service.do_override_screening(
        session=session, actor=caller.actor, application_id=application_id, data=data
    )


async def _candidate_rows(request: Request) -> list[dict[str, Any]]:
    """A JSON array of candidate objects, or a CSV file (content type text/csv)."""
    body = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("body", "must be UTF-8") from exc
    if content_type in CSV_TYPES:
        reader = csv.DictReader(io.StringIO(text))
        return [{(k or "").strip().lower(): v or "" for k, v in row.items()} for row in reader]
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput("body", f"malformed JSON at character {exc.pos}: {exc.msg}") from exc
    if not isinstance(parsed, list) or not all(isinstance(r, dict) for r in parsed):
        raise InvalidInput("body", "must be a JSON array of candidate objects (or a CSV file)")
    return parsed


@router.post(
    "/hiring/requisitions/{requisition_id:int}/candidates",
    response_model=ImportReport,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
async def import_candidates(
    requisition_id: Id,
    request: Request,
    session: SessionDep,
    caller: Recruiter,
    embedder: EmbedderDep,
) -> ImportReport:
    """Import up to 100,000 candidates into a requisition, deduplicated by email.

    Columns: email, full_name, country, region, time_zone, and optionally languages
    (``es:C1; en:B2``), skills, profile, channel (name), referred_by (email), cohort (name),
    availability_hours. Refused rows are reported with their number and reason.
    """
    rows = await _candidate_rows(request)
    url = portal_url(request)

    def store() -> ImportReport:
        return importing.do_import(
            session=session,
            actor=caller.actor,
            embedder=embedder,
            requisition_id=requisition_id,
            rows=rows,
            portal_url=url,
        )

    return await run_in_threadpool(store)


# --- messages, templates, retention ------------------------------------------------------------


@router.get("/hiring/messages", response_model=list[MessageOut])
def list_messages(
    session: SessionDep,
    caller: Reader,
    status: MessageStatus | None = None,
    person_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> object:
    """The outbox: messages by status (failed ones are what to look at) or for one person."""
    return service.list_messages(session=session, status=status, person_id=person_id, limit=limit)


@router.get("/hiring/templates", response_model=list[TemplateOut])
def list_templates(session: SessionDep, caller: Reader) -> object:
    """The built-in stage templates and every edited one."""
    return service.templates_in_use(session=session)


@router.put("/hiring/templates/{stage}/{language}", response_model=TemplateOut)
def set_template(
    stage: str, language: str, data: TemplateSet, session: SessionDep, caller: Recruiter
) -> object:
    """Edit the message a stage sends in a language (it must render with the variables)."""
    if not stages.is_slug(stage):
        raise InvalidInput("stage", "lower-case letters, digits and _ (at most 40)")
    try:
        code = language_code(language)
    except ValueError as exc:
        raise InvalidInput("language", str(exc)) from None
    row = service.do_set_template(
        session=session, actor=caller.actor, stage=stage, language=code, data=data
    )
    return TemplateOut(
        stage=row.stage, language=row.language, subject=row.subject, body=row.body, edited=True
    )


@router.get("/hiring/retention")
def read_retention(session: SessionDep, caller: Reader) -> dict[str, int]:
    """Days each region keeps rejected candidates' personal data."""
    days = service.retention_days(session=session)
    return {
        region.value: days.get(region.value, service.DEFAULT_RETENTION_DAYS) for region in Region
    }


@router.put("/hiring/retention/{region}")
def set_retention(
    region: Region,
    data: RetentionSet,
    session: SessionDep,
    caller: Annotated[Principal, Depends(require(Role.admin, Role.ops_manager))],
) -> dict[str, int]:
    """Set a region's retention period (admins and ops only)."""
    service.do_set_retention(
        session=session, actor=caller.actor, region=region.value, days=data.days
    )
    return {region.value: data.days}


# --- analytics ---------------------------------------------------------------------------------


@router.get("/hiring/analytics")
def read_analytics(
    session: SessionDep,
    caller: Reader,
    requisition_id: Annotated[int | None, Query(ge=1)] = None,
    region: Region | None = None,
    cohort_id: Annotated[int | None, Query(ge=1)] = None,
    channel_id: Annotated[int | None, Query(ge=1)] = None,
    weeks: Annotated[int, Query(ge=1, le=104)] = 12,
) -> dict[str, Any]:
    """Every funnel figure the hiring pages show, for the same filters."""
    return analytics_report(
        session=session,
        filters=analytics.Filters(
            requisition_id=requisition_id,
            region=region.value if region else None,
            cohort_id=cohort_id,
            channel_id=channel_id,
        ),
        weeks=weeks,
    )


def analytics_report(
    *, session: Session, filters: analytics.Filters, weeks: int = 12
) -> dict[str, Any]:
    """The analytics bundle (shared by this route and the pages)."""
    data = analytics.load(session=session, filters=filters)
    over = analytics.funnel_stages(data, filters)
    now = utcnow()
    return {
        "applications": len(data.apps),
        "stages": over,
        "funnel": analytics.funnel(data.apps, over),
        "by": {d: analytics.funnel_by(data, d, over) for d in analytics.DIMENSIONS},
        "cohorts": analytics.cohort_outcomes(data),
        "cost_per_qualified": analytics.cost_per_qualified(data),
        "qualified_per_week": analytics.qualified_per_week(data, weeks=weeks, today=now.date()),
        "time_in_stage": analytics.time_in_stage(data, over, now=now),
        "exit_points": analytics.exit_points(data),
        "health": analytics.pipeline_health(data, today=now.date()),
        "computed_at": now.astimezone(UTC).isoformat(),
    }


# --- the candidate's own view ------------------------------------------------------------------


def _own_person_id(session: Session, caller: Principal) -> int:
    person = people.get_by_user(session=session, user_id=caller.user.id)
    if person is None:
        raise NotFound("no candidate record is linked to this login")
    return person.id


@router.get("/me/applications")
def my_applications(session: SessionDep, caller: Candidate) -> list[dict[str, Any]]:
    """The caller's own applications: stage, what happens next, cohort sessions."""
    person_id = _own_person_id(session, caller)
    return [
        service.portal_view(session=session, application=a)
        for a in service.applications_of(session=session, person_id=person_id)
    ]


@router.post("/me/applications/{application_id:int}/withdraw", response_model=ApplicationOut)
def withdraw(
    request: Request,
    application_id: Id,
    data: Withdrawal,
    session: SessionDep,
    caller: Candidate,
) -> object:
    """Withdraw from one of the caller's own applications."""
    return service.do_withdraw(
        session=session,
        person_id=_own_person_id(session, caller),
        application_id=application_id,
        reason=data.reason,
        portal_url=portal_url(request),
    )


@router.get("/me/messages", response_model=list[MessageOut])
def my_messages(session: SessionDep, caller: Candidate) -> list[Message]:
    """Every message the caller was sent."""
    return service.messages_of(session=session, person_id=_own_person_id(session, caller))
