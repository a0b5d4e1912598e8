"""Hiring in a real Chromium: a recruiter moves candidates in bulk from the table, and a
candidate signs in with a one-time link, sees their cohort's sessions and withdraws.

Same arrangement as ``test_review_browser``: a module-scoped live server on a migrated SQLite
file; the test arranges its data through the services and reads what the pages stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.hiring import portal, service
from crewline.hiring.models import Application, Message
from crewline.hiring.schemas import (
    ApplicationCreate,
    CohortCreate,
    RequisitionCreate,
    SessionCreate,
)
from tests.factories import ACTOR, PASSWORD, Factory
from tests.web.support import Site, serve_site

pytestmark = [pytest.mark.browser, pytest.mark.own_sqlite]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with serve_site(tmp_path_factory, "hiring") as served:
        yield served


def _requisition(factory: Factory, title: str) -> int:
    return service.do_create_requisition(
        session=factory.session,
        actor=ACTOR,
        data=RequisitionCreate(title=title, role_type="annotator", headcount=10, regions=["LATAM"]),
        embedder=None,
    ).id


def _apply(factory: Factory, requisition_id: int, **person: object) -> int:
    someone = factory.person(worker=None, **person)
    return service.do_apply(
        session=factory.session,
        actor=ACTOR,
        data=ApplicationCreate(person_id=someone.id, requisition_id=requisition_id),
        portal_url="http://x/portal",
    ).id


def _log_in(page: Page, email: str, landing: str) -> None:
    page.goto(f"/login?next={quote(landing)}")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(re.compile(re.escape(landing) + "$"))


def test_a_recruiter_moves_a_page_of_candidates_and_each_is_told(site: Site, page: Page) -> None:
    with site.sessions() as session:
        factory = Factory(session=session, app=site.app, embedder=site.embedder)
        requisition_id = _requisition(factory, "Browser bulk move")
        ids = [_apply(factory, requisition_id) for _ in range(5)]
        email = factory.user(Role.recruiter).email

    landing = f"/hiring/candidates?requisition_id={requisition_id}"
    _log_in(page, email, landing)
    expect(page.get_by_role("heading", name="Candidates")).to_be_visible()
    page.get_by_label("Select every candidate on this page").check()
    page.get_by_label("Move to").select_option("screened")
    page.get_by_label("Reason", exact=False).first.fill("passed the screening call")
    page.get_by_role("button", name="Move and tell each candidate").click()
    expect(page.get_by_role("status")).to_contain_text("Moved 5 to screened")

    with site.sessions() as session:
        stages = session.scalars(select(Application.stage).where(Application.id.in_(ids)))
        assert set(stages) == {"screened"}
        told = session.scalars(
            select(Message.application_id).where(
                Message.application_id.in_(ids), Message.subject.like("Next step%")
            )
        ).all()
        assert sorted(told) == sorted(ids)

    # The funnel page draws its charts from the same events.
    page.goto(f"/hiring/analytics?requisition_id={requisition_id}")
    expect(page.locator("#chart-funnel .main-svg").first).to_be_attached()


def test_a_candidate_signs_in_by_link_sees_sessions_and_withdraws(site: Site, page: Page) -> None:
    with site.sessions() as session:
        factory = Factory(session=session, app=site.app, embedder=site.embedder)
        requisition_id = _requisition(factory, "Browser portal")
        cohort = service.do_create_cohort(
            session=session,
            actor=ACTOR,
            data=CohortCreate(
                name="LATAM-BROWSER",
                region="LATAM",
                time_zone="America/Sao_Paulo",
                start_date=date.today() + timedelta(days=10),
            ),
        )
        service.do_add_session(
            session=session,
            actor=ACTOR,
            cohort_id=cohort.id,
            data=SessionCreate(
                title="Kick-off",
                local_start=datetime.combine(cohort.start_date, datetime.min.time()).replace(
                    hour=9
                ),
            ),
        )
        user = factory.user(Role.candidate)
        person = factory.person(user=user, worker=None)
        application = service.do_apply(
            session=session,
            actor=ACTOR,
            data=ApplicationCreate(
                person_id=person.id, requisition_id=requisition_id, cohort_id=cohort.id
            ),
            portal_url="http://x/portal",
        )
        assert portal.request_link(session=session, email=user.email, base_url="", now=utcnow())
        body = session.scalars(
            select(Message.body).where(Message.person_id == person.id, Message.kind == "sign_in")
        ).one()
        link = re.search(r"/sign-in/(\S+)", body)
        assert link
        application_id = application.id

    page.goto(f"/portal/sign-in/{link.group(1)}")
    page.wait_for_url(re.compile(r"/portal$"))
    expect(page.get_by_role("heading", name="Browser portal")).to_be_visible()
    expect(page.get_by_text("Kick-off: ")).to_contain_text("09:00 -03")
    page.get_by_text("Withdraw from this application").click()
    page.get_by_label("Tell us why (optional)").fill("found another job")
    page.get_by_role("button", name="Withdraw").click()
    page.wait_for_url(re.compile(r"/portal$"))
    expect(page.get_by_text("Withdrawn")).to_be_visible()
    with site.sessions() as session:
        assert session.get_one(Application, application_id).stage == "withdrawn"
