"""Retention: rejected candidates' personal data is pseudonymized after their region's period."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.hiring import retention, service
from crewline.hiring.models import Application, Message, StageEvent
from crewline.hiring.schemas import ApplicationCreate, MoveRequest, RequisitionCreate
from crewline.people.models import Person
from tests.factories import ACTOR, Factory


def _candidate(factory: Factory, requisition_id: int, **person: object) -> Application:
    someone = factory.person(worker=None, **person)
    return service.do_apply(
        session=factory.session,
        actor=ACTOR,
        data=ApplicationCreate(person_id=someone.id, requisition_id=requisition_id),
        portal_url="http://x/portal",
    )


def _move(session: Session, ids: list[int], stage: str, days_ago: int) -> None:
    service.do_move(
        session=session,
        actor=ACTOR,
        data=MoveRequest(application_ids=ids, to_stage=stage, reason="notes about Ana"),
        portal_url="http://x/portal",
        now=utcnow() - timedelta(days=days_ago),
    )


def test_rejected_candidates_are_pseudonymized_after_their_regions_period(
    factory: Factory, session: Session
) -> None:
    requisition = service.do_create_requisition(
        session=session,
        actor=ACTOR,
        data=RequisitionCreate(
            title="Moderators", role_type="content_moderator", headcount=5, regions=["LATAM", "EU"]
        ),
        embedder=None,
    )
    user = factory.user(Role.candidate)
    old = _candidate(factory, requisition.id)  # LATAM, rejected 200 days ago: erased
    session.get_one(Person, old.person_id).user_id = user.id
    recent = _candidate(factory, requisition.id)  # rejected 100 days ago: kept
    eu = _candidate(
        factory, requisition.id, country="DE", region="EU", time_zone="Europe/Berlin"
    )  # EU keeps 365 days: kept
    withdrawn = _candidate(factory, requisition.id)  # withdrew, never rejected: kept
    still_open = _candidate(factory, requisition.id)  # rejected here, open elsewhere: kept
    other = service.do_create_requisition(
        session=session,
        actor=ACTOR,
        data=RequisitionCreate(
            title="Raters", role_type="annotator", headcount=5, regions=["LATAM"]
        ),
        embedder=None,
    )
    service.do_apply(
        session=session,
        actor=ACTOR,
        data=ApplicationCreate(person_id=still_open.person_id, requisition_id=other.id),
        portal_url="http://x/portal",
    )
    service.do_set_retention(session=session, actor=ACTOR, region="EU", days=365)
    _move(session, [old.id, eu.id, still_open.id], "rejected", days_ago=200)
    _move(session, [recent.id], "rejected", days_ago=100)
    _move(session, [withdrawn.id], "withdrawn", days_ago=300)

    assert retention.erase_expired(session=session, now=utcnow()) == 1
    erased = session.get_one(Person, old.person_id)
    assert erased.erased_at is not None
    assert erased.full_name == f"Erased person {erased.id}"
    assert erased.email == f"erased-{erased.id}@erased.invalid"
    assert erased.profile == "" and erased.profile_embedding is None
    assert erased.languages == [] and erased.skills == []
    assert (erased.country, erased.region.value) == ("BR", "LATAM")  # aggregates still add up
    assert user.is_active is False and user.email == erased.email
    sent = session.scalars(select(Message).where(Message.person_id == erased.id)).all()
    assert sent and all(m.body == retention.ERASED and m.to_email == erased.email for m in sent)
    reasons = session.scalars(
        select(StageEvent.reason).where(StageEvent.application_id == old.id)
    ).all()
    assert set(reasons) == {""}
    assert session.get_one(Application, old.id).stage == "rejected"  # the history stays
    for kept in (recent, eu, withdrawn, still_open):
        assert session.get_one(Person, kept.person_id).erased_at is None
    assert retention.erase_expired(session=session, now=utcnow()) == 0  # once only
    # A year later the EU candidate's time is up too.
    assert retention.erase_expired(session=session, now=utcnow() + timedelta(days=200)) == 2


def test_retention_periods_are_set_per_region_through_the_api(factory: Factory) -> None:
    ops = factory.api(factory.user(Role.ops_manager))
    assert ops.get("/api/v1/hiring/retention").json()["SEA"] == 180
    assert ops.put("/api/v1/hiring/retention/SEA", json={"days": 90}).status_code == 200
    assert ops.get("/api/v1/hiring/retention").json()["SEA"] == 90
    assert ops.put("/api/v1/hiring/retention/SEA", json={"days": 0}).status_code == 422
    assert ops.put("/api/v1/hiring/retention/MARS", json={"days": 30}).status_code == 422
    recruiter = factory.api(factory.user(Role.recruiter))
    assert recruiter.put("/api/v1/hiring/retention/SEA", json={"days": 30}).status_code == 403
