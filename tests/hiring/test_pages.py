"""Hiring pages: overview, candidate table with bulk moves, application, analytics, outbox,
and the candidate portal with one-time sign-in links."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.hiring import messages, portal
from crewline.hiring.models import Application, Message, MessageStatus
from tests.factories import Factory
from tests.hiring.test_pipeline_api import apply, requisition


def _setup(factory: Factory) -> tuple[TestClient, dict[str, Any], list[int]]:
    recruiter = factory.user(Role.recruiter)
    api = factory.api(recruiter)
    req = requisition(api, status="open")
    ids = [apply(api, factory.person(worker=None).id, req["id"])["id"] for _ in range(3)]
    return factory.browser(recruiter), req, ids


def test_overview_lists_requisitions_and_draws_the_funnel(factory: Factory) -> None:
    browser, req, _ids = _setup(factory)
    page = browser.get("/hiring")
    assert page.status_code == 200
    assert req["title"] in page.text and 'id="chart-funnel-data"' in page.text
    assert "Open a requisition" in page.text


def test_the_requisition_form_opens_a_planned_requisition(factory: Factory) -> None:
    browser = factory.browser(factory.user(Role.recruiter))
    browser.get("/hiring")
    made = browser.post(
        "/hiring/requisitions",
        data={
            "title": "Spanish RLHF trainers",
            "role_type": "rlhf_trainer",
            "headcount": "25",
            "regions": ["LATAM", "EU"],
            "languages": "es:c1",
            "status": "planned",
            "csrf_token": factory.csrf(browser),
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    listed = factory.api(factory.user(Role.recruiter)).get("/api/v1/hiring/requisitions").json()
    spanish = next(r for r in listed if r["title"] == "Spanish RLHF trainers")
    assert spanish["regions"] == ["LATAM", "EU"] and spanish["status"] == "planned"
    assert spanish["languages"] == [{"language": "es", "min_level": "C1"}]
    bad = browser.post(
        "/hiring/requisitions",
        data={
            "title": "No regions",
            "role_type": "annotator",
            "headcount": "5",
            "regions": [],
            "csrf_token": factory.csrf(browser),
        },
    )
    assert bad.status_code == 422


def test_bulk_move_from_the_table_reports_refusals(factory: Factory, session: Session) -> None:
    browser, req, ids = _setup(factory)
    table = browser.get(f"/hiring/candidates?requisition_id={req['id']}")
    assert (
        table.status_code == 200 and table.text.count('type="checkbox" name="application_ids"') == 3
    )
    token = factory.csrf(browser)
    rejected = browser.post(
        "/hiring/candidates/move",
        data={
            "application_ids": [ids[0]],
            "to_stage": "rejected",
            "reason": "no show",
            "csrf_token": token,
        },
    )
    assert rejected.status_code == 200 and "Moved 1 to rejected" in rejected.text
    refused = browser.post(
        "/hiring/candidates/move",
        data={"application_ids": ids, "to_stage": "screened", "csrf_token": token},
    )
    assert refused.status_code == 409
    assert "nothing was moved" in refused.text and f"#{ids[0]}" in refused.text
    partial = browser.post(
        "/hiring/candidates/move",
        data={
            "application_ids": ids,
            "to_stage": "screened",
            "partial": "true",
            "csrf_token": token,
        },
    )
    assert partial.status_code == 200 and "Moved 2 to screened" in partial.text
    stages = session.scalars(
        select(Application.stage).where(Application.id.in_(ids)).order_by(Application.id)
    ).all()
    assert stages == ["rejected", "screened", "screened"]
    forged = browser.post(
        "/hiring/candidates/move", data={"application_ids": ids, "to_stage": "assessed"}
    )
    assert forged.status_code == 403


def test_application_page_shows_history_and_messages(factory: Factory) -> None:
    browser, _req, ids = _setup(factory)
    page = browser.get(f"/hiring/candidates/{ids[0]}")
    assert page.status_code == 200
    assert "History" in page.text and "applied" in page.text
    assert "Your application for" in page.text  # the message sent on applying


def test_analytics_and_outbox_pages_render_for_staff_only(factory: Factory) -> None:
    browser, req, _ids = _setup(factory)
    analytics = browser.get(f"/hiring/analytics?requisition_id={req['id']}")
    assert analytics.status_code == 200
    assert 'id="chart-conversion-data"' in analytics.text and "Pipeline health" in analytics.text
    assert browser.get("/hiring/outbox?status=pending").status_code == 200
    worker = factory.browser(factory.user(Role.worker))
    assert worker.get("/hiring", follow_redirects=False).status_code == 403


def test_a_candidate_signs_in_by_one_time_link_and_withdraws(
    factory: Factory, session: Session
) -> None:
    api = factory.api(factory.user(Role.recruiter))
    req = requisition(api, status="open")
    user = factory.user(Role.candidate)
    person = factory.person(user=user, worker=None)
    app_id = apply(api, person.id, req["id"])["id"]
    visitor = factory.browser()
    visitor.get("/portal/sign-in")
    asked = visitor.post(
        "/portal/sign-in", data={"email": user.email, "csrf_token": factory.csrf(visitor)}
    )
    unknown = visitor.post(
        "/portal/sign-in",
        data={"email": "nobody@example.org", "csrf_token": factory.csrf(visitor)},
    )
    assert asked.status_code == unknown.status_code == 200
    assert asked.text == unknown.text  # the page does not tell who has an account
    link_message = session.scalars(
        select(Message).where(Message.person_id == person.id, Message.kind == messages.SIGN_IN)
    ).one()
    match = re.search(r"/portal/sign-in/(\S+)", link_message.body)
    assert match
    used = visitor.get(f"/portal/sign-in/{match.group(1)}", follow_redirects=False)
    assert used.status_code == 303 and used.headers["location"] == "/portal"
    home = visitor.get("/portal")
    assert home.status_code == 200 and req["title"] in home.text
    assert "What happens next" in home.text
    again = factory.browser().get(f"/portal/sign-in/{match.group(1)}")
    assert again.status_code == 410
    withdrawn = visitor.post(
        f"/portal/applications/{app_id}/withdraw",
        data={"reason": "moving abroad", "csrf_token": factory.csrf(visitor)},
        follow_redirects=False,
    )
    assert withdrawn.status_code == 303
    assert session.get_one(Application, app_id).stage == "withdrawn"


def test_an_expired_link_does_not_sign_in(factory: Factory, session: Session) -> None:
    user = factory.user(Role.candidate)
    person = factory.person(user=user, worker=None)
    past = utcnow() - portal.timedelta(minutes=portal.LINK_MINUTES + 1)
    assert portal.request_link(session=session, email=user.email, base_url="x", now=past)
    body = session.scalars(select(Message.body).where(Message.person_id == person.id)).one()
    token = body.split("x/sign-in/")[1].split()[0]
    assert factory.browser().get(f"/portal/sign-in/{token}").status_code == 410


def test_a_sent_sign_in_link_is_redacted_in_the_outbox(session: Session, factory: Factory) -> None:
    user = factory.user(Role.candidate)
    person = factory.person(user=user, worker=None)
    assert portal.request_link(session=session, email=user.email, base_url="x", now=utcnow())
    message = session.scalars(select(Message).where(Message.person_id == person.id)).one()
    messages._record(message, None, utcnow())  # what a successful send records
    assert message.status is MessageStatus.sent and message.body == messages.REDACTED


def test_templates_are_edited_on_their_page(factory: Factory) -> None:
    browser = factory.browser(factory.user(Role.recruiter))
    page = browser.get("/hiring/templates")
    assert page.status_code == 200 and "Trial &amp; training" in page.text
    token = factory.csrf(browser)
    saved = browser.post(
        "/hiring/templates",
        data={
            "stage": "screened",
            "language": "ES",
            "subject": "Siguiente paso: {{ role }}",
            "body": "Hola {{ first_name }}",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert "Siguiente paso" in browser.get("/hiring/templates").text
    broken = browser.post(
        "/hiring/templates",
        data={
            "stage": "screened",
            "language": "es",
            "subject": "x",
            "body": "{{ salary }}",
            "csrf_token": token,
        },
    )
    assert broken.status_code == 422 and "&#39;salary&#39; is undefined" in broken.text
    assert "{{ salary }}" in broken.text  # the form keeps what was typed
    reviewer = factory.browser(factory.user(Role.reviewer))
    assert "Save template" not in reviewer.get("/hiring/templates").text


def test_sign_in_links_are_limited_so_an_inbox_cannot_be_flooded(
    factory: Factory, session: Session
) -> None:
    user = factory.user(Role.candidate)
    factory.person(user=user, worker=None)
    now = utcnow()
    sent = [
        portal.request_link(session=session, email=user.email, base_url="x", now=now)
        for _ in range(portal.MAX_RECENT_LINKS + 2)
    ]
    assert sent == [True] * portal.MAX_RECENT_LINKS + [False, False]
    later = now + portal.timedelta(minutes=portal.LINK_MINUTES / 2 + 1)
    assert portal.request_link(session=session, email=user.email, base_url="x", now=later)
