"""Retention: rejected candidates' personal data is kept only as long as their region allows.

The ``hiring.retention`` job pseudonymizes a person once every application they have is
closed, at least one of them was a rejection, and the last closing is older than their
region's retention period (default 180 days). People in the worker pool, or with an
application still open, are never touched. The person record, the applications and their
events stay, with placeholders for the personal data and the free-text reasons and messages
emptied, so the funnel figures still add up.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from crewline.audit.schemas import Actor
from crewline.hiring import service, stages
from crewline.hiring.models import Application, Message, StageEvent
from crewline.people import service as people
from crewline.people.models import Person

ACTOR = Actor.system("retention")
ERASED = "[erased]"


def due_for_erasure(*, session: Session, now: datetime, limit: int = 500) -> list[Person]:
    """People whose rejected candidacy has outlived their region's retention period."""
    days = service.retention_days(session=session)
    closed = stages.CLOSED
    shortest = min([*days.values(), service.DEFAULT_RETENTION_DAYS])
    summary = (
        select(
            Application.person_id,
            func.max(Application.stage_changed_at).label("last"),
            func.sum(case((Application.stage == stages.REJECTED, 1), else_=0)).label("rejected"),
            func.sum(case((Application.stage.not_in(closed), 1), else_=0)).label("open"),
        )
        .group_by(Application.person_id)
        .subquery()
    )
    candidates = session.execute(
        select(Person, summary.c.last)
        .join(summary, summary.c.person_id == Person.id)
        .where(
            Person.erased_at.is_(None),
            summary.c.rejected > 0,
            summary.c.open == 0,
            # The shortest period anywhere; each person's own region is checked below.
            summary.c.last < now - timedelta(days=shortest),
        )
        .order_by(summary.c.last)
        .limit(limit)
    ).all()
    due: list[Person] = []
    for person, last in candidates:
        keep = days.get(person.region.value, service.DEFAULT_RETENTION_DAYS)
        if person.worker is None and last < now - timedelta(days=keep):
            due.append(person)
    return due


def erase_expired(*, session: Session, now: datetime) -> int:
    """Pseudonymize everyone due (one batch); returns how many."""
    due = due_for_erasure(session=session, now=now)
    for person in due:
        people.pseudonymize(session=session, actor=ACTOR, person=person, now=now)
        session.execute(
            update(Message)
            .where(Message.person_id == person.id)
            .values(to_email=person.email, subject=ERASED, body=ERASED)
        )
        applications = select(Application.id).where(Application.person_id == person.id)
        session.execute(
            update(StageEvent).where(StageEvent.application_id.in_(applications)).values(reason="")
        )
        session.execute(
            update(Application)
            .where(Application.person_id == person.id)
            .values(screening_reasons=[], availability_hours=None, referred_by_id=None)
        )
    session.commit()
    return len(due)


def job(session: Session, now: datetime) -> int:
    """The ``hiring.retention`` job."""
    return erase_expired(session=session, now=now)
