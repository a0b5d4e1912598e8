"""Worker pool pages: the searchable list, a person's page and "find people like this"."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.datastructures import QueryParams
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from crewline.audit import service as audit
from crewline.auth.deps import CurrentUser, Principal, SessionDep, require
from crewline.auth.roles import STAFF, Role
from crewline.errors import InvalidInput, NotFound
from crewline.orgs import service as orgs
from crewline.orgs.models import OrgKind
from crewline.people import service
from crewline.people.access import EDITORS, LISTERS, ensure_visible, scoped_filter
from crewline.people.deps import EmbedderDep
from crewline.people.models import (
    Classification,
    Person,
    PersonOrigin,
    Region,
    Tier,
    WorkerStatus,
)
from crewline.people.schemas import SimilarQuery, WorkerUpdate
from crewline.people.service import SORT_COLUMNS, PersonFilter
from crewline.validation import (
    CEFR_LEVELS,
    Id,
    cefr_level,
    country_code,
    country_name,
    language_code,
    language_name,
)
from crewline.web.navigation import Navigation
from crewline.web.tables import Column, csv_response, page_request
from crewline.web.templating import render

router = APIRouter()
Lister = Annotated[Principal, Depends(require(*LISTERS))]
Editor = Annotated[Principal, Depends(require(*EDITORS))]

COLUMNS = [
    Column("name", "Name", "name"),
    Column("country", "Country", "country"),
    Column("region", "Region", "region"),
    Column("languages", "Languages"),
    Column("classification", "Engagement", "classification"),
    Column("tier", "Tier", "tier"),
    Column("status", "Status", "status"),
    Column("availability", "Hours / week", "availability", numeric=True),
]
CSV_HEADER = [
    "id",
    "full_name",
    "email",
    "country",
    "region",
    "time_zone",
    "classification",
    "vendor_id",
    "languages",
    "skills",
    "tier",
    "status",
    "availability_hours",
    "origin",
]


@dataclass(frozen=True, slots=True)
class PersonPanel:
    """A section another domain adds to the person page (project history, quality, pay).

    ``render`` returns (template name, context) or None to show nothing. Lower layers cannot
    import higher ones, so higher domains register panels here at app start.
    """

    title: str
    render: Callable[[Session, Principal, Person], tuple[str, dict[str, Any]] | None]
    order: int = 100


@dataclass
class PersonPanels:
    """The registry of person-page panels."""

    panels: list[PersonPanel] = field(default_factory=list)

    def add(self, panel: PersonPanel) -> None:
        """Register a panel."""
        self.panels.append(panel)
        self.panels.sort(key=lambda p: p.order)


def register_navigation(nav: Navigation) -> None:
    """Staff and vendor managers get the worker pool links."""
    nav.add("Workers", "/people", LISTERS, order=20)
    nav.add("Find people", "/people/similar", LISTERS, order=21)
    nav.add("My profile", "/me", {Role.worker, Role.candidate}, order=20)


def _opt(value: str | None) -> str | None:
    return value.strip() or None if value else None


def _filters(request: Request) -> PersonFilter:
    """Filters from the query string; a bad value is a 422 naming the parameter."""
    params = request.query_params

    def parse(name: str, convert: Callable[[str], Any]) -> Any:
        raw = _opt(params.get(name))
        if raw is None:
            return None
        try:
            return convert(raw)
        except ValueError as exc:
            raise InvalidInput(name, str(exc)) from exc

    return PersonFilter(
        q=_opt(params.get("q")),
        region=parse("region", Region),
        country=parse("country", country_code),
        classification=parse("classification", Classification),
        tier=parse("tier", Tier),
        status=parse("status", WorkerStatus),
        language=parse("language", language_code),
        min_level=parse("min_level", cefr_level),
        skill=_opt(params.get("skill")),
        vendor_id=parse("vendor_id", int),
        in_pool={"workers": True, "candidates": False}.get(_show(params)),
        origin=parse("origin", PersonOrigin) or PersonOrigin.crewline,
    )


def _show(params: QueryParams) -> str:
    """``workers`` (the default), ``candidates`` or ``all``.

    Imported annotators are never in the pool, so a list of them shows them all unless
    ``show`` says otherwise (a pool filter would always find nobody).
    """
    imported = params.get("origin") == PersonOrigin.label_studio_import.value
    return params.get("show") or ("all" if imported else "workers")


def _options(enum_cls: type[Any]) -> list[tuple[str, str]]:
    return [(m.value, getattr(m, "label", m.value.replace("_", " "))) for m in enum_cls]


@router.get("/people")
def people_list(request: Request, session: SessionDep, caller: Lister) -> Response:
    """The worker pool: search by name, email or skill; filter; sort; page; export."""
    filters = scoped_filter(caller, _filters(request))
    page = page_request(
        request,
        sorts=SORT_COLUMNS,
        default_sort="name",
        default_per_page=request.app.state.settings.page_size,
    )
    result = service.search_people(session=session, filters=filters, page=page)
    vendors = orgs.list_orgs(session=session, kind=OrgKind.vendor) if caller.role in STAFF else []
    return render(
        request,
        "people/list.html",
        {
            "page": result,
            "columns": COLUMNS,
            "filters": filters,
            "show": _show(request.query_params),
            "origins": _options(PersonOrigin),
            "regions": _options(Region),
            "tiers": _options(Tier),
            "statuses": _options(WorkerStatus),
            "classifications": _options(Classification),
            "levels": [(level, level) for level in CEFR_LEVELS],
            "vendors": [(str(v.id), v.name) for v in vendors],
            "country_name": country_name,
            "language_name": language_name,
        },
        principal=caller,
    )


@router.get("/people.csv")
def people_csv(request: Request, session: SessionDep, caller: Lister) -> Response:
    """The filtered list as CSV (every matching row, streamed)."""
    filters = scoped_filter(caller, _filters(request))

    def rows() -> Iterator[list[Any]]:
        for p in service.iter_people(session=session, filters=filters):
            worker = p.worker
            yield [
                p.id,
                p.full_name,
                p.email,
                p.country,
                p.region.value,
                p.time_zone,
                p.classification.value,
                p.vendor_id or "",
                " ".join(f"{lang.language}:{lang.level}" for lang in p.languages),
                " ".join(s.tag for s in p.skills),
                worker.tier.value if worker else "",
                worker.status.value if worker else "",
                worker.availability_hours if worker else "",
                p.origin.value,
            ]

    return csv_response("people.csv", CSV_HEADER, rows())


@router.get("/people/similar")
def similar_page(
    request: Request, session: SessionDep, embedder: EmbedderDep, caller: Lister
) -> Response:
    """Find pool members whose skill profile is closest to a requirement text."""
    params = request.query_params
    results: list[tuple[Person, float]] = []
    error = None
    requirement = (params.get("requirement") or "").strip()
    if requirement:
        try:
            query = SimilarQuery.model_validate(
                {k: v for k, v in params.items() if v != "" and k in SimilarQuery.model_fields}
            )
        except ValidationError as exc:
            error = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        else:
            vendor_id = scoped_filter(caller, PersonFilter()).vendor_id
            results = service.find_similar(
                session=session, embedder=embedder, query=query, vendor_id=vendor_id
            )
    return render(
        request,
        "people/similar.html",
        {
            "requirement": requirement,
            "results": results,
            "error": error,
            "params": params,
            "regions": _options(Region),
            "tiers": _options(Tier),
            "levels": [(level, level) for level in CEFR_LEVELS],
            "country_name": country_name,
            "language_name": language_name,
        },
        principal=caller,
        status_code=422 if error else 200,
    )


@router.get("/me")
def my_profile(session: SessionDep, caller: CurrentUser) -> Response:
    """Workers and candidates: go to your own person page."""
    person = service.get_by_user(session=session, user_id=caller.user.id)
    if person is None:
        raise NotFound("your account has no person record")
    return RedirectResponse(f"/people/{person.id}", status_code=303)


@router.get("/people/{person_id:int}")
def person_page(
    request: Request, person_id: Id, session: SessionDep, caller: CurrentUser
) -> Response:
    """A person: who they are, languages, skills, pool membership and the change history."""
    person = ensure_visible(caller, service.get(session=session, person_id=person_id), person_id)
    panels = []
    for panel in request.app.state.person_panels.panels:
        rendered = panel.render(session, caller, person)
        if rendered is not None:
            panels.append((panel.title, *rendered))
    history = (
        audit.list_events(session=session, entity_type="person", entity_id=str(person.id), limit=20)
        if caller.role in STAFF
        else []
    )
    vendor = orgs.get(session=session, org_id=person.vendor_id) if person.vendor_id else None
    return render(
        request,
        "people/person.html",
        {
            "person": person,
            "vendor": vendor,
            "history": history,
            "panels": panels,
            "can_edit": caller.role in EDITORS,
            "nav_current": "/me" if person.user_id == caller.user.id else None,
            "tiers": _options(Tier),
            "statuses": _options(WorkerStatus),
            "country_name": country_name,
            "language_name": language_name,
        },
        principal=caller,
    )


@router.post("/people/{person_id:int}/worker")
def update_worker_form(
    person_id: Id,
    session: SessionDep,
    caller: Editor,
    tier: Annotated[Tier, Form()],
    status: Annotated[WorkerStatus, Form()],
    availability_hours: Annotated[int, Form(ge=0, le=80)],
    status_reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Change a worker's tier, status or availability from their page."""
    service.do_update_worker(
        session=session,
        actor=caller.actor,
        person_id=person_id,
        data=WorkerUpdate(
            tier=tier,
            status=status,
            availability_hours=availability_hours,
            status_reason=status_reason.strip() or None,
        ),
    )
    return RedirectResponse(f"/people/{person_id}", status_code=303)
