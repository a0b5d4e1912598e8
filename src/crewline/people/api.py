"""JSON routes for people and the worker pool."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from crewline.auth.deps import CurrentUser, Principal, SessionDep, SettingsDep, require
from crewline.auth.roles import Role
from crewline.errors import NotFound
from crewline.people import service
from crewline.people.access import EDITORS, LISTERS, ensure_visible, scoped_filter
from crewline.people.deps import EmbedderDep
from crewline.people.models import Classification, PersonOrigin, Region, Tier, WorkerStatus
from crewline.people.schemas import (
    ORIGIN_DESCRIPTION,
    PersonCreate,
    PersonPage,
    PersonRead,
    PersonUpdate,
    SimilarPerson,
    SimilarQuery,
    UserLink,
    WorkerFields,
    WorkerRead,
    WorkerUpdate,
)
from crewline.people.service import SORT_COLUMNS, PersonFilter
from crewline.validation import MAX_ID, CefrLevel, CountryCode, Id, LanguageCode
from crewline.web.tables import PageRequest

router = APIRouter(tags=["people"])
Lister = Annotated[Principal, Depends(require(*LISTERS))]
Editor = Annotated[Principal, Depends(require(*EDITORS))]
SortKey = Annotated[str, Query(pattern="^(" + "|".join(SORT_COLUMNS) + ")$")]


@router.get("/people", response_model=PersonPage)
def list_people(
    session: SessionDep,
    settings: SettingsDep,
    caller: Lister,
    q: Annotated[str | None, Query(max_length=200)] = None,
    region: Region | None = None,
    country: CountryCode | None = None,
    classification: Classification | None = None,
    tier: Tier | None = None,
    worker_status: Annotated[WorkerStatus | None, Query(alias="status")] = None,
    language: LanguageCode | None = None,
    min_level: CefrLevel | None = None,
    skill: Annotated[str | None, Query(max_length=60)] = None,
    vendor_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    in_pool: bool | None = None,
    origin: Annotated[PersonOrigin, Query(description=ORIGIN_DESCRIPTION)] = PersonOrigin.crewline,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int | None, Query(ge=1, le=500)] = None,
    sort: SortKey = "name",
    direction: Annotated[str, Query(alias="dir", pattern="^(asc|desc)$")] = "asc",
) -> object:
    """People matching the filters, one page at a time (vendor managers see their own only).

    ``per_page`` defaults to ``CREWLINE_PAGE_SIZE``. Candidates and workers only, unless
    ``origin=label_studio_import`` asks for the annotators Label Studio imports brought in.
    """
    filters = scoped_filter(
        caller,
        PersonFilter(
            q=q,
            region=region,
            country=country,
            classification=classification,
            tier=tier,
            status=worker_status,
            language=language,
            min_level=min_level,
            skill=skill,
            vendor_id=vendor_id,
            in_pool=in_pool,
            origin=origin,
        ),
    )
    per_page = per_page or settings.page_size
    result = service.search_people(
        session=session,
        filters=filters,
        page=PageRequest(
            page=page,
            per_page=per_page,
            sort=sort,
            direction="desc" if direction == "desc" else "asc",
        ),
    )
    return PersonPage(
        items=[PersonRead.model_validate(p) for p in result.items],
        total=result.total,
        page=page,
        per_page=per_page,
    )


@router.post("/people", response_model=PersonRead, status_code=status.HTTP_201_CREATED)
def create_person(
    data: PersonCreate, session: SessionDep, embedder: EmbedderDep, caller: Editor
) -> object:
    """Create a person, optionally in the worker pool. A taken email is a 409."""
    return service.do_create_person(
        session=session, actor=caller.actor, embedder=embedder, data=data
    )


@router.get("/people/similar", response_model=list[SimilarPerson])
def similar_people(
    session: SessionDep,
    embedder: EmbedderDep,
    caller: Lister,
    query: Annotated[SimilarQuery, Query()],
) -> object:
    """Pool members ranked by how well their skill profile matches a requirement text."""
    vendor_id = scoped_filter(caller, PersonFilter()).vendor_id
    ranked = service.find_similar(
        session=session, embedder=embedder, query=query, vendor_id=vendor_id
    )
    return [SimilarPerson(person=PersonRead.model_validate(p), score=s) for p, s in ranked]


@router.get("/me/person", response_model=PersonRead)
def my_person(session: SessionDep, caller: CurrentUser) -> object:
    """The caller's own person record (workers and candidates)."""
    person = service.get_by_user(session=session, user_id=caller.user.id)
    if person is None:
        raise NotFound("your account has no person record")
    return person


@router.get("/people/{person_id:int}", response_model=PersonRead)
def read_person(person_id: Id, session: SessionDep, caller: CurrentUser) -> object:
    """One person, if the caller may see them (otherwise 404)."""
    return ensure_visible(caller, service.get(session=session, person_id=person_id), person_id)


@router.patch("/people/{person_id:int}", response_model=PersonRead)
def update_person(
    person_id: Id, data: PersonUpdate, session: SessionDep, embedder: EmbedderDep, caller: Editor
) -> object:
    """Change a person's details (only the fields sent)."""
    return service.do_update_person(
        session=session, actor=caller.actor, embedder=embedder, person_id=person_id, data=data
    )


@router.put("/people/{person_id:int}/user", response_model=PersonRead)
def link_user(
    person_id: Id,
    data: UserLink,
    session: SessionDep,
    caller: Annotated[Principal, Depends(require(Role.admin))],
) -> object:
    """Tie a worker or candidate login account to this person (admins only)."""
    return service.do_link_user(
        session=session, actor=caller.actor, person_id=person_id, user_id=data.user_id
    )


@router.post(
    "/people/{person_id:int}/worker", response_model=WorkerRead, status_code=status.HTTP_201_CREATED
)
def add_to_pool(person_id: Id, data: WorkerFields, session: SessionDep, caller: Editor) -> object:
    """Add a person to the worker pool."""
    return service.do_add_to_pool(
        session=session, actor=caller.actor, person_id=person_id, fields=data
    )


@router.patch("/people/{person_id:int}/worker", response_model=WorkerRead)
def update_worker(person_id: Id, data: WorkerUpdate, session: SessionDep, caller: Editor) -> object:
    """Change tier, status (with a reason for pauses) or availability."""
    return service.do_update_worker(
        session=session, actor=caller.actor, person_id=person_id, data=data
    )
