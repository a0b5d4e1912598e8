"""Persons and the worker pool: the only writer of the people tables."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.auth import service as auth
from crewline.auth.roles import PERSON_ROLES
from crewline.db import conflict_on_duplicate, utcnow
from crewline.errors import Conflict, InvalidInput, NotFound
from crewline.orgs import service as orgs
from crewline.orgs.models import OrgKind
from crewline.people import embedding
from crewline.people.embedding import Embedder
from crewline.people.models import (
    Classification,
    Person,
    PersonLanguage,
    PersonOrigin,
    PersonSkill,
    Region,
    Tier,
    Worker,
    WorkerStatus,
)
from crewline.people.schemas import (
    STATUSES_NEEDING_REASON,
    LanguageSkill,
    PersonCreate,
    PersonUpdate,
    SimilarQuery,
    WorkerFields,
    WorkerUpdate,
    skill_tag,
)
from crewline.validation import CEFR_LEVELS, language_name
from crewline.web.tables import PageRequest, PageResult, paginate


@dataclass(frozen=True, slots=True)
class PersonFilter:
    """Filters for the people list; None means "any". ``vendor_id`` also scopes vendor managers.

    ``origin`` alone defaults to a value: records made in Crewline. Every list of candidates and
    workers (pages, API, CSV, similarity search) then leaves out imported annotators unless it
    asks for them by name.
    """

    q: str | None = None
    region: Region | None = None
    country: str | None = None
    classification: Classification | None = None
    tier: Tier | None = None
    status: WorkerStatus | None = None
    min_tier: Tier | None = None
    language: str | None = None
    min_level: str | None = None
    skill: str | None = None
    vendor_id: int | None = None
    in_pool: bool | None = None
    person_ids: frozenset[int] | None = None
    origin: PersonOrigin | None = PersonOrigin.crewline

    def __post_init__(self) -> None:
        if self.min_level and not self.language:
            raise InvalidInput("min_level", "give the language the level applies to")
        if self.skill is not None:
            # Skills are stored as slugs: "Medical Coding" must find "medical-coding".
            try:
                object.__setattr__(self, "skill", skill_tag(self.skill))
            except ValueError as exc:
                raise InvalidInput("skill", str(exc)) from exc


SORT_COLUMNS: dict[str, Any] = {
    "name": Person.full_name,
    "country": Person.country,
    "region": Person.region,
    "classification": Person.classification,
    "tier": case({t.value: t.rank for t in Tier}, value=Worker.tier),
    "status": Worker.status,
    "availability": Worker.availability_hours,
    "joined": Worker.joined_at,
    "created": Person.created_at,
}


def profile_text(person: Person) -> str:
    """What the skill embedding reads: the free-text profile, skill tags and languages."""
    skills = ", ".join(s.tag.replace("-", " ") for s in person.skills)
    languages = ", ".join(
        f"{language_name(lang.language)} {lang.level}" for lang in person.languages
    )
    return ". ".join(part for part in (person.profile, skills, languages) if part)


def _fields(person: Person) -> dict[str, Any]:
    return {
        "full_name": person.full_name,
        "email": person.email,
        "country": person.country,
        "region": person.region,
        "time_zone": person.time_zone,
        "classification": person.classification,
        "vendor_id": person.vendor_id,
        "pay_currency": person.pay_currency,
        "languages": [f"{lang.language}:{lang.level}" for lang in person.languages],
        "skills": [s.tag for s in person.skills],
        "profile": person.profile,
        "origin": person.origin,
    }


def _worker_fields(worker: Worker) -> dict[str, Any]:
    return {
        "tier": worker.tier,
        "status": worker.status,
        "status_reason": worker.status_reason,
        "availability_hours": worker.availability_hours,
    }


def _ensure_made_here(person: Person) -> None:
    """Imported annotators stay history: a login or pool membership would make them workers."""
    if person.origin.imported:
        raise Conflict(
            f"person {person.id} was imported from Label Studio and only carries annotation "
            "history; it cannot join the worker pool or log in (create a person for the worker)"
        )


def _check_vendor(session: Session, classification: Classification, vendor_id: int | None) -> None:
    if classification is Classification.vendor_supplied:
        if vendor_id is None:
            raise InvalidInput("vendor_id", "a vendor-supplied person must name their vendor")
        vendor = orgs.get(session=session, org_id=vendor_id)
        if vendor is None or vendor.kind is not OrgKind.vendor:
            raise InvalidInput("vendor_id", f"no vendor with id {vendor_id}")
    elif vendor_id is not None:
        raise InvalidInput("vendor_id", "only vendor-supplied people have a vendor")


def _check_email_free(session: Session, email: str, person_id: int | None = None) -> None:
    query = select(Person.id).where(func.lower(Person.email) == email.lower())
    if person_id is not None:
        query = query.where(Person.id != person_id)
    if session.scalar(query) is not None:
        raise Conflict(f"a person with email {email} already exists", field="email")


def _set_languages(person: Person, languages: Sequence[LanguageSkill]) -> None:
    person.languages = [
        PersonLanguage(language=lang.language, level=lang.level, native=lang.native)
        for lang in sorted(languages, key=lambda lang: lang.language)
    ]


def _set_skills(person: Person, skills: Sequence[str]) -> None:
    person.skills = [PersonSkill(tag=tag) for tag in sorted(set(skills))]


def _embed(persons: Sequence[Person], embedder: Embedder) -> None:
    vectors = embedder.embed([profile_text(p) for p in persons])
    for person, vector in zip(persons, vectors, strict=True):
        person.profile_embedding = embedding.to_bytes(vector)


def get(*, session: Session, person_id: int) -> Person | None:
    """The person with this id, if any."""
    return session.get(Person, person_id)


def get_or_404(*, session: Session, person_id: int) -> Person:
    """The person, or NotFound."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"person {person_id} not found")
    return person


def get_by_user(*, session: Session, user_id: int) -> Person | None:
    """The person record tied to a login account, if any."""
    return session.scalar(select(Person).where(Person.user_id == user_id))


def _new_person(
    session: Session,
    data: PersonCreate,
    user_id: int | None,
    origin: PersonOrigin = PersonOrigin.crewline,
) -> Person:
    _check_vendor(session, data.classification, data.vendor_id)
    person = Person(
        full_name=data.full_name,
        email=data.email.lower(),
        country=data.country,
        region=data.region,
        time_zone=data.time_zone,
        classification=data.classification,
        vendor_id=data.vendor_id,
        pay_currency=data.pay_currency,
        profile=data.profile,
        user_id=user_id,
        origin=origin,
    )
    _set_languages(person, data.languages)
    _set_skills(person, data.skills)
    if data.worker is not None:
        person.worker = _new_worker(data.worker)
    return person


def _new_worker(fields: WorkerFields) -> Worker:
    joined = fields.joined_at or utcnow()
    return Worker(
        tier=fields.tier,
        status=fields.status,
        status_reason=fields.status_reason,
        availability_hours=fields.availability_hours,
        joined_at=joined,
        status_changed_at=joined,
    )


def do_create_person(
    *,
    session: Session,
    actor: Actor,
    embedder: Embedder,
    data: PersonCreate,
    user_id: int | None = None,
    origin: PersonOrigin = PersonOrigin.crewline,
    commit: bool = True,
) -> Person:
    """Create a person (and pool membership if given); a taken email is a conflict.

    ``origin`` is not part of ``PersonCreate``: API clients make candidates and workers, and
    only an import marks the records it makes to carry its history.
    """
    _check_email_free(session, data.email)
    person = _new_person(session, data, user_id, origin)
    _insert(
        session,
        actor,
        embedder,
        [person],
        f"a person with email {data.email} already exists",
        commit,
    )
    return person


def _insert(
    session: Session,
    actor: Actor,
    embedder: Embedder,
    persons: list[Person],
    duplicate: str,
    commit: bool,
) -> None:
    _embed(persons, embedder)
    audit.insert_created(
        session=session,
        actor=actor,
        created=[(p, _fields(p)) for p in persons],
        action="person.create",
        entity_type="person",
        duplicate=duplicate,
        field="email",
        commit=commit,
    )


def do_create_people(
    *,
    session: Session,
    actor: Actor,
    embedder: Embedder,
    rows: Sequence[PersonCreate],
    commit: bool = True,
) -> list[Person]:
    """Create many people in one transaction (all or nothing), embedding them in one batch.

    Used by imports and the demo: a duplicate email anywhere refuses the whole batch and
    names the row. ``commit=False`` leaves the transaction open for a larger import.
    """
    emails = [row.email.lower() for row in rows]
    seen: dict[str, int] = {}
    for index, email in enumerate(emails):
        if email in seen:
            raise Conflict(
                f"rows {seen[email]} and {index} share email {email}", field=f"{index}.email"
            )
        seen[email] = index
    taken = set(session.scalars(select(Person.email).where(Person.email.in_(emails))))
    if taken:
        index = next(i for i, e in enumerate(emails) if e in taken)
        raise Conflict(
            f"a person with email {emails[index]} already exists", field=f"{index}.email"
        )
    persons = [_new_person(session, row, None) for row in rows]
    _insert(
        session, actor, embedder, persons, "another request created one of these emails", commit
    )
    return persons


def do_update_person(
    *, session: Session, actor: Actor, embedder: Embedder, person_id: int, data: PersonUpdate
) -> Person:
    """Change a person's details; the skill embedding is recomputed when the profile changes."""
    person = get_or_404(session=session, person_id=person_id)
    before = _fields(person)
    changes = data.model_dump(exclude_unset=True)
    for key, value in changes.items():
        if value is None and key != "vendor_id":
            raise InvalidInput(key, "cannot be null")
    for key in ("full_name", "country", "region", "time_zone", "pay_currency", "profile"):
        if key in changes:
            setattr(person, key, changes[key])
    if "email" in changes:
        _check_email_free(session, changes["email"], person.id)
        person.email = changes["email"].lower()
    classification = changes.get("classification", person.classification)
    vendor_id = changes.get("vendor_id", person.vendor_id)
    if classification is not Classification.vendor_supplied and "vendor_id" not in changes:
        vendor_id = None
    _check_vendor(session, classification, vendor_id)
    person.classification, person.vendor_id = classification, vendor_id
    if data.languages is not None:
        _set_languages(person, data.languages)
    if data.skills is not None:
        _set_skills(person, data.skills)
    after = _fields(person)
    if any(before[k] != after[k] for k in ("profile", "skills", "languages")):
        _embed([person], embedder)
    old, new = audit.changed(before, after)
    if new:
        person.updated_at = utcnow()
        audit.record(
            session=session,
            actor=actor,
            action="person.update",
            entity_type="person",
            entity_id=person.id,
            before=old,
            after=new,
        )
    with conflict_on_duplicate(
        session, f"a person with email {person.email} already exists", field="email"
    ):
        session.commit()
    return person


def do_link_user(*, session: Session, actor: Actor, person_id: int, user_id: int) -> Person:
    """Tie a login account to a person (a worker or candidate logging in sees this record)."""
    person = get_or_404(session=session, person_id=person_id)
    _ensure_made_here(person)
    user = auth.get(session=session, user_id=user_id)
    if user is None:
        raise InvalidInput("user_id", f"no account with id {user_id}")
    if user.role not in PERSON_ROLES:
        raise InvalidInput("user_id", f"a {user.role.label.lower()} account has no person record")
    other = get_by_user(session=session, user_id=user_id)
    if other is not None and other.id != person.id:
        raise Conflict(f"user {user_id} is already linked to person {other.id}", field="user_id")
    person.user_id = user_id
    audit.record(
        session=session,
        actor=actor,
        action="person.link_user",
        entity_type="person",
        entity_id=person.id,
        after={"user_id": user_id},
    )
    session.commit()
    return person


def do_add_to_pool(
    *, session: Session, actor: Actor, person_id: int, fields: WorkerFields
) -> Worker:
    """Make a person a member of the worker pool."""
    person = get_or_404(session=session, person_id=person_id)
    _ensure_made_here(person)
    if person.worker is not None:
        raise Conflict(f"person {person_id} is already in the worker pool")
    person.worker = _new_worker(fields)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="worker.add",
        entity_type="person",
        entity_id=person.id,
        after=_worker_fields(person.worker),
    )
    session.commit()
    return person.worker


def do_update_worker(
    *, session: Session, actor: Actor, person_id: int, data: WorkerUpdate
) -> Worker:
    """Change tier, status or availability; pausing or offboarding must say why."""
    person = get_or_404(session=session, person_id=person_id)
    worker = person.worker
    if worker is None:
        raise NotFound(f"person {person_id} is not in the worker pool")
    before = _worker_fields(worker)
    changes = data.model_dump(exclude_unset=True)
    status = changes.get("status")
    if status is not None and status != worker.status:
        if status in STATUSES_NEEDING_REASON and not changes.get("status_reason"):
            raise InvalidInput("status_reason", f"say why the worker is {status.value}")
        worker.status = status
        worker.status_reason = changes.get("status_reason")
        worker.status_changed_at = utcnow()
    for key in ("tier", "availability_hours"):
        if changes.get(key) is not None:
            setattr(worker, key, changes[key])
    old, new = audit.changed(before, _worker_fields(worker))
    if new:
        audit.record(
            session=session,
            actor=actor,
            action="worker.update",
            entity_type="person",
            entity_id=person.id,
            before=old,
            after=new,
        )
    session.commit()
    return worker


def like_escape(text: str) -> str:
    """Escape LIKE wildcards so a search for ``50%`` or ``_`` matches those characters."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(filters: PersonFilter) -> list[ColumnElement[bool]]:
    """SQL conditions for the filters, for a query joining Person with Worker (outer)."""
    conditions: list[ColumnElement[bool]] = []
    if filters.q:
        pattern = f"%{like_escape(filters.q.strip().lower())}%"
        skill_match = exists().where(
            PersonSkill.person_id == Person.id, PersonSkill.tag.like(pattern, escape="\\")
        )
        conditions.append(
            or_(
                func.lower(Person.full_name).like(pattern, escape="\\"),
                func.lower(Person.email).like(pattern, escape="\\"),
                skill_match,
            )
        )
    equal: list[tuple[Any, Any]] = [
        (Person.region, filters.region),
        (Person.country, filters.country.upper() if filters.country else None),
        (Person.classification, filters.classification),
        (Person.vendor_id, filters.vendor_id),
        (Worker.tier, filters.tier),
        (Worker.status, filters.status),
    ]
    conditions.extend(column == value for column, value in equal if value is not None)
    if filters.min_tier is not None:
        conditions.append(Worker.tier.in_([t for t in Tier if t.rank >= filters.min_tier.rank]))
    if filters.in_pool is not None:
        in_pool = Worker.person_id.is_not(None)
        conditions.append(in_pool if filters.in_pool else ~in_pool)
    if filters.language:
        start = CEFR_LEVELS.index(filters.min_level) if filters.min_level else 0
        conditions.append(
            exists().where(
                PersonLanguage.person_id == Person.id,
                PersonLanguage.language == filters.language.lower(),
                PersonLanguage.level.in_(CEFR_LEVELS[start:]),
            )
        )
    if filters.skill:
        conditions.append(
            exists().where(PersonSkill.person_id == Person.id, PersonSkill.tag == filters.skill)
        )
    if filters.person_ids is not None:
        conditions.append(Person.id.in_(filters.person_ids))
    if filters.origin is not None:
        conditions.append(Person.origin == filters.origin)
    return conditions


def _people(filters: PersonFilter) -> Select[Person]:
    return (
        select(Person).outerjoin(Worker, Worker.person_id == Person.id).where(*_conditions(filters))
    )


def search_people(
    *, session: Session, filters: PersonFilter, page: PageRequest
) -> PageResult[Person]:
    """One sorted, filtered page of people (languages and skills loaded in two more queries)."""
    return paginate(session, _people(filters), page, SORT_COLUMNS, Person.id)


def iter_people(*, session: Session, filters: PersonFilter, batch: int = 1000) -> Iterator[Person]:
    """Every matching person by id, fetched in batches (for CSV export)."""
    last_id = 0
    while True:
        rows = (
            session.scalars(
                _people(filters).where(Person.id > last_id).order_by(Person.id).limit(batch)
            )
            .unique()
            .all()
        )
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


def find_similar(
    *, session: Session, embedder: Embedder, query: SimilarQuery, vendor_id: int | None = None
) -> list[tuple[Person, float]]:
    """People ranked by cosine similarity of their skill profile to a requirement text.

    Hard filters (region, language level, tier, active) narrow the pool first; the ranking is
    one matrix product over the remaining embeddings. Imported annotators are never ranked:
    the filter's default origin leaves them out, whatever the query asks.
    """
    filters = PersonFilter(
        region=query.region,
        language=query.language,
        min_level=query.min_level,
        vendor_id=vendor_id,
        status=WorkerStatus.active if query.active_only else None,
        min_tier=query.min_tier,
        in_pool=True,
    )
    sql = (
        select(Person.id, Person.profile_embedding)
        .outerjoin(Worker, Worker.person_id == Person.id)
        .where(Person.profile_embedding.is_not(None), *_conditions(filters))
    )
    rows = session.execute(sql).all()
    if not rows:
        return []
    ids = [row[0] for row in rows]
    matrix = embedding.from_bytes([row[1] for row in rows if row[1] is not None])
    vector = embedder.embed([query.requirement])[0]
    ranked = embedding.rank(vector, matrix, query.limit)
    persons = {
        p.id: p
        for p in session.scalars(select(Person).where(Person.id.in_([ids[i] for i, _ in ranked])))
    }
    return [(persons[ids[i]], score) for i, score in ranked]


def pool_summary(*, session: Session, vendor_id: int | None = None) -> dict[str, dict[str, int]]:
    """Counts of pool members by status, tier, region and classification (for home pages)."""
    summary: dict[str, dict[str, int]] = {}
    groups = {
        "status": Worker.status,
        "tier": Worker.tier,
        "region": Person.region,
        "classification": Person.classification,
    }
    for name, column in groups.items():
        query = select(column, func.count()).select_from(Worker).join(Person).group_by(column)
        if vendor_id is not None:
            query = query.where(Person.vendor_id == vendor_id)
        summary[name] = {str(getattr(k, "value", k)): int(n) for k, n in session.execute(query)}
    return summary


def names(*, session: Session, person_ids: set[int]) -> dict[int, str]:
    """Full names by person id, in one query (for tables that list people by id)."""
    if not person_ids:
        return {}
    return dict(
        session.execute(
            select(Person.id, Person.full_name).where(Person.id.in_(sorted(person_ids)))
        ).all()
    )


def erased_email(person_id: int) -> str:
    """The placeholder address an erased person's record carries (unique, undeliverable)."""
    return f"erased-{person_id}@erased.invalid"


def pseudonymize(*, session: Session, actor: Actor, person: Person, now: datetime) -> None:
    """Replace a person's personal data with placeholders, keeping the record.

    Name, email, profile, its embedding, languages and skills go; country, region and time
    zone stay (they are what aggregates are cut by, and identify no one). A linked login is
    switched off and loses its name and email too. Part of the caller's transaction.
    """
    person.full_name = f"Erased person {person.id}"
    person.email = erased_email(person.id)
    person.profile = ""
    person.profile_embedding = None
    person.languages.clear()
    person.skills.clear()
    person.erased_at = now
    if person.user_id is not None:
        auth.erase_user(session=session, user_id=person.user_id, email=person.email)
    audit.record(
        session=session,
        actor=actor,
        action="person.pseudonymize",
        entity_type="person",
        entity_id=person.id,
        after={"erased_at": now},
    )
