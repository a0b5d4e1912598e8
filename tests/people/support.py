"""Helpers for the people tests: read what is stored with fresh queries, never the identity map."""

from __future__ import annotations

from typing import Any

from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crewline.audit.models import AuditEvent
from crewline.people.models import Person, PersonLanguage, PersonSkill, Worker

PEOPLE_TABLES = (Person, Worker, PersonLanguage, PersonSkill, AuditEvent)


def row_counts(session: Session) -> dict[str, int]:
    """Rows in every table a people write touches (the audit log included)."""
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in PEOPLE_TABLES
    }


def stored_person(session: Session, person_id: int) -> dict[str, Any]:
    """The person's row, pool membership, languages and skills as the database holds them."""
    person = (
        session.execute(select(Person.__table__).where(Person.__table__.c.id == person_id))
        .mappings()
        .one()
    )
    worker = (
        session.execute(select(Worker.__table__).where(Worker.__table__.c.person_id == person_id))
        .mappings()
        .one_or_none()
    )
    languages = session.execute(
        select(PersonLanguage.language, PersonLanguage.level, PersonLanguage.native)
        .where(PersonLanguage.person_id == person_id)
        .order_by(PersonLanguage.language)
    ).all()
    skills = session.scalars(
        select(PersonSkill.tag).where(PersonSkill.person_id == person_id).order_by(PersonSkill.tag)
    ).all()
    return {
        "person": dict(person),
        "worker": dict(worker) if worker is not None else None,
        "languages": [tuple(row) for row in languages],
        "skills": list(skills),
    }


def audit_events(session: Session, person_id: int, action: str | None = None) -> list[AuditEvent]:
    """Audit events about one person, oldest first."""
    query = select(AuditEvent).where(
        AuditEvent.entity_type == "person", AuditEvent.entity_id == str(person_id)
    )
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(session.scalars(query.order_by(AuditEvent.id)))


def error_fields(response: Response) -> list[str]:
    """The ``field`` of each item of a 422/409 body ``{"detail": [{"field", "message"}]}``."""
    detail = response.json()["detail"]
    assert isinstance(detail, list), detail
    return [item["field"] for item in detail]


def error_messages(response: Response) -> list[str]:
    """The ``message`` of each item of a 422/409 body."""
    return [item["message"] for item in response.json()["detail"]]
