"""Hiring pages for staff: requisitions, the candidate table with bulk moves, one application,
funnel analytics with charts, and the outbox. A person's applications and messages also
appear as a panel on their person page.

Every figure comes from ``hiring.analytics`` (the API serves the same bundle); every write
goes through ``hiring.service`` with the signed-in user as the actor.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from crewline.auth.deps import Principal, SessionDep, require
from crewline.auth.roles import STAFF, Role
from crewline.db import utcnow
from crewline.errors import Conflict, InvalidInput
from crewline.hiring import analytics, messages, service, stages
from crewline.hiring.api import analytics_report, portal_url
from crewline.hiring.models import MessageStatus, RoleType, Screening
from crewline.hiring.schemas import (
    CohortAssign,
    MoveRequest,
    RequisitionCreate,
    ScreeningOverride,
    TemplateSet,
)
from crewline.people.deps import EmbedderDep
from crewline.people.models import Person, Region
from crewline.people.pages import PersonPanel, PersonPanels
from crewline.validation import Id, language_code
from crewline.web.forms import parse_form
from crewline.web.navigation import Navigation
from crewline.web.tables import Column, PageResult, page_request
from crewline.web.templating import render

router = APIRouter()
Reader = Annotated[Principal, Depends(require(*STAFF))]
Recruiter = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager, Role.recruiter))]
RECRUITERS = frozenset({Role.admin, Role.ops_manager, Role.recruiter})

CANDIDATE_COLUMNS = [
    Column("select", "Select"),
    Column("name", "Candidate", sort="name"),
    Column("requisition", "Requisition"),
    Column("stage", "Stage", sort="stage"),
    Column("screening", "Screening"),
    Column("skills_match", "Skills match", sort="skills_match", numeric=True),
    Column("cohort", "Cohort"),
    Column("region", "Region"),
    Column("stage_changed_at", "In stage since", sort="stage_changed_at"),
]


def register_navigation(nav: Navigation) -> None:
    """Staff see hiring; candidates see their own applications."""
    nav.add("Hiring", "/hiring", set(STAFF), order=30)
    nav.add("My applications", "/portal", {Role.candidate}, order=10)


def register_panels(panels: PersonPanels) -> None:
    """A person's applications, stage history and messages on their person page."""
    panels.add(PersonPanel(title="Applications and messages", render=_person_panel, order=15))


def _person_panel(
    session: Session, principal: Principal, person: Person
) -> tuple[str, dict[str, Any]] | None:
    if principal.role not in STAFF:
        return None
    applications = service.applications_of(session=session, person_id=person.id)
    sent = service.messages_of(session=session, person_id=person.id)
    if not applications and not sent:
        return None
    titles = {r.id: r.title for r in service.list_requisitions(session=session)}
    return "hiring/_person.html", {
        "applications": applications,
        "titles": titles,
        "messages": sent,
        "label": stages.label,
    }


def _options(values: Any) -> list[tuple[str, str]]:
    return [(str(v.value), str(v.value).replace("_", " ")) for v in values]


def _choices(session: Session) -> dict[str, list[tuple[str, str]]]:
    """The requisition, cohort and channel options the filter forms offer."""
    return {
        "requisition_options": [
            (str(r.id), r.title) for r in service.list_requisitions(session=session)
        ],
        "cohort_options": [(str(c.id), c.name) for c in service.list_cohorts(session=session)],
        "channel_options": [(str(c.id), c.name) for c in service.list_channels(session=session)],
    }


# --- overview ----------------------------------------------------------------------------------


@router.get("/hiring")
def overview(request: Request, session: SessionDep, caller: Reader) -> Response:
    """Requisitions with where their candidates are, and the outbox at a glance."""
    requisitions = service.list_requisitions(session=session)
    counts: dict[int, tuple[int, int]] = {}
    for r in requisitions:
        at = service.stage_counts(session=session, requisition_id=r.id)
        goal = r.stages.index(stages.QUALIFIED)
        counts[r.id] = (
            sum(at.get(s, 0) for s in [*r.stages[:goal], stages.ON_HOLD]),
            sum(at.get(s, 0) for s in r.stages[goal:]),
        )
    # Only the two figures this page draws, not the whole analytics bundle.
    data = analytics.load(session=session)
    report = {
        "applications": len(data.apps),
        "funnel": analytics.funnel(data.apps, list(stages.DEFAULT_STAGES)),
        "qualified_per_week": analytics.qualified_per_week(data, weeks=8, today=utcnow().date()),
    }
    return render(
        request,
        "hiring/overview.html",
        {
            "requisitions": requisitions,
            "counts": counts,
            "report": report,
            "messages": service.message_counts(session=session),
            "label": stages.label,
            "may_edit": caller.role in RECRUITERS,
            "role_types": [(t.value, t.label) for t in RoleType],
            "regions": _options(Region),
            "error": None,
        },
        principal=caller,
    )


@router.post("/hiring/requisitions")
def create_requisition(
    request: Request,
    session: SessionDep,
    caller: Recruiter,
    embedder: EmbedderDep,
    title: Annotated[str, Form(max_length=200)],
    role_type: Annotated[str, Form(max_length=30)],
    headcount: Annotated[str, Form(max_length=10)],
    regions: Annotated[list[str], Form()],
    languages: Annotated[str, Form(max_length=200)] = "",
    needed_by: Annotated[str, Form(max_length=10)] = "",
    status: Annotated[str, Form(max_length=10)] = "open",
    profile: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Open a requisition from the overview's form."""
    needs = []
    for part in filter(None, (p.strip() for p in languages.replace(",", ";").split(";"))):
        language, _, level = part.partition(":")
        needs.append({"language": language.strip(), "min_level": level.strip().upper()})
    data = parse_form(
        RequisitionCreate,
        {
            "title": title,
            "role_type": role_type,
            "headcount": headcount,
            "regions": regions,
            "languages": needs,
            "needed_by": needed_by or None,
            "status": status,
            "profile": profile,
        },
    )
    made = service.do_create_requisition(
        session=session, actor=caller.actor, data=data, embedder=embedder
    )
    return RedirectResponse(f"/hiring/candidates?requisition_id={made.id}", status_code=303)


# --- candidates --------------------------------------------------------------------------------


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and 0 < int(value) < 2**31 else None


@router.get("/hiring/candidates")
def candidates(request: Request, session: SessionDep, caller: Reader) -> Response:
    """Applications to filter, sort and page, with bulk moves and cohort placement."""
    params = request.query_params
    page = page_request(request, sorts=service.SORTS, default_sort="stage_changed_at")
    if "dir" not in params:
        page = type(page)(page=page.page, per_page=page.per_page, sort=page.sort, direction="desc")
    region = params.get("region") if params.get("region") in Region.__members__ else None
    screening = params.get("screening")
    screening = screening if screening in {s.value for s in Screening} else None
    filters = service.ApplicationFilter(
        requisition_id=_int(params.get("requisition_id")),
        stage=params.get("stage") if stages.is_slug(params.get("stage", "")) else None,
        cohort_id=_int(params.get("cohort_id")),
        channel_id=_int(params.get("channel_id")),
        region=region,
        screening=screening,
        query=(params.get("q") or "").strip()[:200],
    )
    rows, total = service.search_applications(
        session=session,
        filters=filters,
        sort=page.sort,
        descending=page.direction == "desc",
        limit=page.per_page,
        offset=page.offset,
    )
    requisitions = service.list_requisitions(session=session)
    cohorts = service.list_cohorts(session=session)
    stage_names = list(
        dict.fromkeys([s for r in requisitions for s in r.stages] or list(stages.DEFAULT_STAGES))
    ) + list(stages.SIDE_STAGES)
    return render(
        request,
        "hiring/candidates.html",
        {
            "page": PageResult(items=rows, total=total, request=page),
            "columns": CANDIDATE_COLUMNS,
            "filters": filters,
            "requisitions": requisitions,
            "titles": {r.id: r.title for r in requisitions},
            "cohorts": cohorts,
            "cohort_names": {c.id: c.name for c in cohorts},
            "channels": service.list_channels(session=session),
            "stage_options": [(s, stages.label(s)) for s in stage_names],
            "regions": _options(Region),
            "screenings": _options(Screening),
            "label": stages.label,
            "may_edit": caller.role in RECRUITERS,
            **_choices(session),
        },
        principal=caller,
    )


def _back(request: Request) -> str:
    """The candidates page the form was posted from (same site only)."""
    target = request.headers.get("referer", "")
    marker = "/hiring/candidates"
    at = target.find(marker)
    return target[at:] if at >= 0 else marker


@router.post("/hiring/candidates/move")
def bulk_move(
    request: Request,
    session: SessionDep,
    caller: Recruiter,
    application_ids: Annotated[list[int], Form()],
    to_stage: Annotated[str, Form(max_length=40)],
    reason: Annotated[str, Form(max_length=500)] = "",
    partial: Annotated[bool, Form()] = False,
) -> Response:
    """Move the ticked applications; show what moved and every refusal."""
    try:
        data = MoveRequest(
            application_ids=application_ids, to_stage=to_stage, reason=reason, partial=partial
        )
    except ValidationError as exc:
        raise InvalidInput("application_ids", exc.errors()[0]["msg"]) from None
    refused: list[dict[str, str]] = []
    moved: list[int] = []
    try:
        report = service.do_move(
            session=session, actor=caller.actor, data=data, portal_url=portal_url(request)
        )
        moved = report.moved
        refused = [
            {"application_id": str(r.application_id), "reason": r.reason} for r in report.refused
        ]
        headline = f"Moved {len(moved)} to {stages.label(to_stage).lower()}."
    except Conflict as exc:
        headline = exc.message
        # The refusals name positions in the request's ids with repeats removed.
        sent = list(dict.fromkeys(data.application_ids))
        refused = [
            {"application_id": str(sent[int(d["field"].split(".")[1])]), "reason": d["message"]}
            for d in exc.details or []
        ]
    except InvalidInput as exc:
        headline, refused = exc.message, []
    return render(
        request,
        "hiring/move_result.html",
        {
            "headline": headline,
            "moved": moved,
            "refused": refused,
            "back": _back(request),
            "data": data,
        },
        principal=caller,
        status_code=200 if moved or not refused else 409,
    )


@router.post("/hiring/candidates/cohort")
def bulk_cohort(
    request: Request,
    session: SessionDep,
    caller: Recruiter,
    application_ids: Annotated[list[int], Form()],
    cohort_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Place the ticked applications in a cohort (or take them out)."""
    try:
        data = CohortAssign(application_ids=application_ids, cohort_id=_int(cohort_id))
    except ValidationError as exc:
        raise InvalidInput("application_ids", exc.errors()[0]["msg"]) from None
    service.do_assign_cohort(session=session, actor=caller.actor, data=data)
    return RedirectResponse(_back(request), status_code=303)


@router.get("/hiring/candidates/{application_id:int}")
def application_page(
    request: Request, application_id: Id, session: SessionDep, caller: Reader
) -> Response:
    """One application: the person, screening, history, messages and a move form."""
    application = service.get_application_or_404(session=session, application_id=application_id)
    requisition = service.get_requisition_or_404(
        session=session, requisition_id=application.requisition_id
    )
    person = session.get_one(Person, application.person_id)
    cohort = (
        service.get_cohort_or_404(session=session, cohort_id=application.cohort_id)
        if application.cohort_id
        else None
    )
    targets = [
        s
        for s in [*requisition.stages, *stages.SIDE_STAGES]
        if stages.check_move(
            requisition.stages, application.stage, application.held_from, s
        ).refused
        is None
    ]
    return render(
        request,
        "hiring/application.html",
        {
            "application": application,
            "requisition": requisition,
            "person": person,
            "channel": service.get_channel_or_404(
                session=session, channel_id=application.channel_id
            )
            if application.channel_id
            else None,
            "referrer": session.get(Person, application.referred_by_id)
            if application.referred_by_id
            else None,
            "cohort": cohort,
            "events": service.events_of(session=session, application_ids=[application.id]),
            "messages": service.messages_of(session=session, person_id=person.id),
            "targets": [(s, stages.label(s)) for s in targets],
            "label": stages.label,
            "screenings": _options(Screening),
            "may_edit": caller.role in RECRUITERS,
        },
        principal=caller,
    )


@router.post("/hiring/candidates/{application_id:int}/screening")
def override(
    application_id: Id,
    session: SessionDep,
    caller: Recruiter,
    outcome: Annotated[str, Form(max_length=10)],
    reason: Annotated[str, Form(max_length=500)],
) -> Response:
    """A recruiter's own screening verdict, with the reason."""
    data = parse_form(ScreeningOverride, {"outcome": outcome, "reason": reason})
    service.do_override_screening(
        session=session, actor=caller.actor, application_id=application_id, data=data
    )
    return RedirectResponse(f"/hiring/candidates/{application_id}", status_code=303)


# --- analytics and outbox ----------------------------------------------------------------------


@router.get("/hiring/analytics")
def analytics_page(request: Request, session: SessionDep, caller: Reader) -> Response:
    """The funnel with conversions, cuts by cohort and channel, time in stage, exit points,
    qualified per week and pipeline health, for the chosen filters."""
    params = request.query_params
    region = params.get("region") if params.get("region") in Region.__members__ else None
    filters = analytics.Filters(
        requisition_id=_int(params.get("requisition_id")),
        region=region,
        cohort_id=_int(params.get("cohort_id")),
        channel_id=_int(params.get("channel_id")),
    )
    report = analytics_report(session=session, filters=filters, weeks=12)
    return render(
        request,
        "hiring/analytics.html",
        {
            "report": report,
            "filters": filters,
            "requisitions": service.list_requisitions(session=session),
            "cohorts": service.list_cohorts(session=session),
            "channels": service.list_channels(session=session),
            "regions": _options(Region),
            **_choices(session),
        },
        principal=caller,
    )


@router.get("/hiring/outbox")
def outbox(request: Request, session: SessionDep, caller: Reader) -> Response:
    """Messages by status: failed ones first, so nobody goes untold."""
    wanted = request.query_params.get("status", "failed")
    status = MessageStatus(wanted) if wanted in {s.value for s in MessageStatus} else None
    rows = service.list_messages(session=session, status=status, limit=200)
    return render(
        request,
        "hiring/outbox.html",
        {"rows": rows, "status": status, "counts": service.message_counts(session=session)},
        principal=caller,
    )


# --- message templates -------------------------------------------------------------------------


@router.get("/hiring/templates")
def templates_page(request: Request, session: SessionDep, caller: Reader) -> Response:
    """The message each stage sends, per language, and a form to edit one."""
    return render(
        request,
        "hiring/templates.html",
        {
            "rows": service.templates_in_use(session=session),
            "variables": messages.VARIABLES,
            "label": stages.label,
            "may_edit": caller.role in RECRUITERS,
            "error": None,
            "form": {},
        },
        principal=caller,
    )


@router.post("/hiring/templates")
def save_template(
    request: Request,
    session: SessionDep,
    caller: Recruiter,
    stage: Annotated[str, Form(max_length=40)],
    language: Annotated[str, Form(max_length=8)],
    subject: Annotated[str, Form(max_length=300)],
    body: Annotated[str, Form(max_length=20_000)],
) -> Response:
    """Save an edited template; a template that does not render is shown back with why."""
    form = {"stage": stage, "language": language, "subject": subject, "body": body}
    try:
        if not stages.is_slug(stage.strip()):
            raise InvalidInput("stage", "lower-case letters, digits and _ (at most 40)")
        try:
            code = language_code(language.strip())
        except ValueError as exc:
            raise InvalidInput("language", str(exc)) from None
        service.do_set_template(
            session=session,
            actor=caller.actor,
            stage=stage.strip(),
            language=code,
            data=TemplateSet(subject=subject, body=body),
        )
    except (InvalidInput, ValidationError) as exc:
        message = exc.message if isinstance(exc, InvalidInput) else exc.errors()[0]["msg"]
        return render(
            request,
            "hiring/templates.html",
            {
                "rows": service.templates_in_use(session=session),
                "variables": messages.VARIABLES,
                "label": stages.label,
                "may_edit": True,
                "error": message,
                "form": form,
            },
            principal=caller,
            status_code=422,
        )
    return RedirectResponse("/hiring/templates", status_code=303)
