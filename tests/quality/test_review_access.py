"""Review and adjudication: who may read and decide, pseudonyms, each refused request, the page."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.audit.models import AuditEvent
from crewline.auth.models import User
from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.people.models import Person
from crewline.projects import service as projects
from crewline.projects.models import MemberRole, Project
from crewline.projects.schemas import MemberCreate
from crewline.quality import refresh
from crewline.quality.models import ReviewItem, ReviewStatus
from crewline.tasks import service as tasks
from crewline.tasks.models import Assignment, FlagKind
from crewline.tasks.schemas import FlagIn
from tests.factories import ACTOR, Factory
from tests.quality.test_refresh import setup_project, truth, work, wrong


@pytest.fixture
def project(factory: Factory, session: Session) -> Project:
    """Four tasks two workers disagree on, all in the review queue."""
    project = setup_project(
        factory, overlap=2, count=4, gold=0, confidence_threshold=0.9, method="mv"
    )
    work(factory, project, [truth, wrong])
    refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    return project


def _items(session: Session, project: Project) -> list[ReviewItem]:
    return list(
        session.scalars(
            select(ReviewItem).where(ReviewItem.project_id == project.id).order_by(ReviewItem.id)
        )
    )


def _worker_names(session: Session, project: Project) -> list[str]:
    return list(
        session.scalars(
            select(Person.full_name)
            .join(Assignment, Assignment.person_id == Person.id)
            .where(Assignment.project_id == project.id)
            .distinct()
        )
    )


def _expert(factory: Factory, session: Session, project: Project) -> User:
    user, person = factory.worker_user()
    projects.do_add_member(
        session=session,
        actor=ACTOR,
        project_id=project.id,
        data=MemberCreate(person_id=person.id, role=MemberRole.expert),
    )
    return user


def _decide(api: TestClient, item_id: int, **body: Any) -> Any:
    return api.post(f"/api/v1/review/{item_id}/decide", json=body)


def _question(session: Session, project: Project) -> int:
    assignment = session.scalars(
        select(Assignment).where(Assignment.project_id == project.id).order_by(Assignment.id)
    ).first()
    assert assignment is not None
    flag = tasks.do_flag(
        session=session,
        person_id=assignment.person_id,
        assignment_id=assignment.id,
        data=FlagIn(kind=FlagKind.question, body="Are emoji a feeling?"),
    )
    return flag.id


# --- reading ---------------------------------------------------------------------------------


def test_client_viewers_read_their_projects_queue_with_pseudonymous_workers(
    factory: Factory, session: Session, project: Project
) -> None:
    first = _items(session, project)[0]
    _decide(factory.api(factory.user(Role.reviewer)), first.id, action="accept")
    client = factory.api(factory.user(Role.client_viewer, organization_id=project.client_id))
    open_items = client.get(f"/api/v1/projects/{project.id}/review")
    decided = client.get(f"/api/v1/projects/{project.id}/review", params={"status": "accepted"})
    assert open_items.status_code == 200 and decided.status_code == 200
    assert open_items.json()["total"] == 3
    labels = [label for item in open_items.json()["items"] for label in item["labels"]]
    assert labels and all(
        label["worker"].startswith("w_") and label["person_id"] is None for label in labels
    )
    assert decided.json()["items"][0]["decided_by"] == "a reviewer"
    for name in _worker_names(session, project):
        assert name not in open_items.text
    page = factory.browser(factory.user(Role.client_viewer, organization_id=project.client_id))
    html = page.get(f"/quality/projects/{project.id}/review")
    assert html.status_code == 200 and "Read only" in html.text
    assert "/people/" not in html.text and "Escalate to an expert" not in html.text


def test_staff_reviewers_see_workers_names(
    factory: Factory, session: Session, project: Project
) -> None:
    body = factory.api(factory.user(Role.reviewer)).get(f"/api/v1/projects/{project.id}/review")
    shown = {label["worker"] for item in body.json()["items"] for label in item["labels"]}
    assert shown == set(_worker_names(session, project))


def test_a_client_viewer_of_another_organisation_gets_404(
    factory: Factory, project: Project
) -> None:
    outsider = factory.user(Role.client_viewer)
    assert factory.api(outsider).get(f"/api/v1/projects/{project.id}/review").status_code == 404
    page = factory.browser(outsider).get(f"/quality/projects/{project.id}/review")
    assert page.status_code == 404


def test_a_client_viewer_cannot_decide(
    factory: Factory, session: Session, project: Project
) -> None:
    client = factory.api(factory.user(Role.client_viewer, organization_id=project.client_id))
    item = _items(session, project)[0]
    assert _decide(client, item.id, action="accept").status_code == 403
    assert client.post(f"/api/v1/review/{item.id}/promote").status_code == 403


def test_a_worker_cannot_read_the_queue(factory: Factory, project: Project) -> None:
    worker, _ = factory.worker_user()
    assert factory.api(worker).get(f"/api/v1/projects/{project.id}/review").status_code == 403
    page = factory.browser(worker).get(f"/quality/projects/{project.id}/review")
    assert page.status_code == 403


def test_a_worker_cannot_decide(factory: Factory, session: Session, project: Project) -> None:
    worker, _ = factory.worker_user()
    item = _items(session, project)[0]
    assert _decide(factory.api(worker), item.id, action="accept").status_code == 403
    session.refresh(item)
    assert item.status is ReviewStatus.open


def test_a_worker_cannot_promote_or_answer_questions(
    factory: Factory, session: Session, project: Project
) -> None:
    api = factory.api(factory.worker_user()[0])
    item = _items(session, project)[0]
    assert api.post(f"/api/v1/review/{item.id}/promote").status_code == 403
    assert api.get(f"/api/v1/projects/{project.id}/questions").status_code == 403
    question = _question(session, project)
    answer = api.post(f"/api/v1/questions/{question}/answer", json={"answer": "yes"})
    assert answer.status_code == 403


def test_the_queue_sorts_and_pages(factory: Factory, session: Session, project: Project) -> None:
    api = factory.api(factory.user(Role.reviewer))
    ids = [item.id for item in _items(session, project)]
    newest = api.get(
        f"/api/v1/projects/{project.id}/review", params={"sort": "id", "direction": "desc"}
    )
    assert [i["id"] for i in newest.json()["items"]] == ids[::-1]
    second = api.get(f"/api/v1/projects/{project.id}/review", params={"limit": 2, "offset": 2})
    assert [i["id"] for i in second.json()["items"]] == ids[2:]
    assert second.json()["total"] == 4


def test_an_unknown_sort_is_a_422(factory: Factory, project: Project) -> None:
    api = factory.api(factory.user(Role.reviewer))
    response = api.get(f"/api/v1/projects/{project.id}/review", params={"sort": "worker"})
    assert response.status_code == 422 and "sort" in response.text


def test_an_unknown_reason_is_a_422(factory: Factory, project: Project) -> None:
    api = factory.api(factory.user(Role.reviewer))
    response = api.get(f"/api/v1/projects/{project.id}/review", params={"reason": "vibes"})
    assert response.status_code == 422 and "reason" in response.text


def test_an_unknown_project_is_a_404(factory: Factory) -> None:
    api = factory.api(factory.user(Role.reviewer))
    assert api.get("/api/v1/projects/999999/review").status_code == 404


# --- deciding --------------------------------------------------------------------------------


def test_each_decision_is_audited(factory: Factory, session: Session, project: Project) -> None:
    reviewer = factory.user(Role.reviewer)
    api = factory.api(reviewer)
    first, second = _items(session, project)[:2]
    _decide(api, first.id, action="correct", answer="neutral", note="no feeling")
    _decide(api, second.id, action="escalate", note="domain term")
    api.post(f"/api/v1/review/{first.id}/promote")
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "review_item", AuditEvent.actor_user_id == reviewer.id)
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.entity_id) for e in events] == [
        ("review.correct", str(first.id)),
        ("review.escalate", str(second.id)),
        ("review.promote_to_gold", str(first.id)),
    ]


def test_promoting_an_unknown_item_is_a_404(factory: Factory) -> None:
    api = factory.api(factory.user(Role.reviewer))
    assert api.post("/api/v1/review/999999/promote").status_code == 404


def test_answering_an_unknown_question_is_a_404(factory: Factory) -> None:
    api = factory.api(factory.user(Role.reviewer))
    response = api.post("/api/v1/questions/999999/answer", json={"answer": "yes"})
    assert response.status_code == 404


def test_a_corrected_answer_of_the_wrong_type_names_the_field(
    factory: Factory, session: Session, project: Project
) -> None:
    api = factory.api(factory.user(Role.reviewer))
    response = _decide(api, _items(session, project)[0].id, action="correct", answer=["positive"])
    assert response.status_code == 422 and "answer" in response.text


def test_an_escalated_item_cannot_be_escalated_again(
    factory: Factory, session: Session, project: Project
) -> None:
    api = factory.api(factory.user(Role.ops_manager))
    item = _items(session, project)[0]
    assert _decide(api, item.id, action="escalate", note="look").status_code == 200
    assert _decide(api, item.id, action="escalate", note="again").status_code == 409


def test_an_expert_decides_escalated_items_but_not_open_ones(
    factory: Factory, session: Session, project: Project
) -> None:
    first, second = _items(session, project)[:2]
    _decide(factory.api(factory.user(Role.reviewer)), first.id, action="escalate", note="term")
    expert = factory.api(_expert(factory, session, project))
    assert _decide(expert, second.id, action="accept").status_code == 403
    decided = _decide(expert, first.id, action="accept")
    assert decided.status_code == 200
    assert all(label["person_id"] is None for label in decided.json()["labels"])
    assert _decide(expert, first.id, action="accept").status_code == 409


def test_an_expert_on_another_project_cannot_decide(
    factory: Factory, session: Session, project: Project
) -> None:
    item = _items(session, project)[0]
    _decide(factory.api(factory.user(Role.reviewer)), item.id, action="escalate", note="term")
    elsewhere = setup_project(factory, overlap=2, count=1, gold=0)
    expert = factory.api(_expert(factory, session, elsewhere))
    assert _decide(expert, item.id, action="accept").status_code == 403


# --- the page ----------------------------------------------------------------------------------


def test_an_expert_sees_the_escalated_items_on_the_page_with_pseudonyms(
    factory: Factory, session: Session, project: Project
) -> None:
    first = _items(session, project)[0]
    _decide(factory.api(factory.user(Role.reviewer)), first.id, action="escalate", note="slang")
    browser = factory.browser(_expert(factory, session, project))
    page = browser.get(f"/quality/projects/{project.id}/review")
    assert page.status_code == 200 and f'id="item-{first.id}"' in page.text
    assert page.text.count('class="card review-item"') == 1
    assert "/people/" not in page.text and "Guideline questions" not in page.text
    for name in _worker_names(session, project):
        assert name not in page.text
    done = browser.post(
        f"/quality/review/{first.id}",
        data={"action": "correct", "answer": "negative", "csrf_token": factory.csrf(browser)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    session.refresh(first)
    assert first.status is ReviewStatus.corrected


def test_a_page_decision_without_the_csrf_token_is_refused(
    factory: Factory, session: Session, project: Project
) -> None:
    browser = factory.browser(factory.user(Role.reviewer))
    item = _items(session, project)[0]
    response = browser.post(f"/quality/review/{item.id}", data={"action": "accept"})
    assert response.status_code == 403
    session.refresh(item)
    assert item.status is ReviewStatus.open


def test_deciding_twice_from_the_page_is_a_409(
    factory: Factory, session: Session, project: Project
) -> None:
    browser = factory.browser(factory.user(Role.reviewer))
    item = _items(session, project)[0]
    form = {"action": "accept", "csrf_token": factory.csrf(browser)}
    first = browser.post(f"/quality/review/{item.id}", data=form, follow_redirects=False)
    assert first.status_code == 303
    again = browser.post(f"/quality/review/{item.id}", data=form, follow_redirects=False)
    assert again.status_code == 409


def test_an_invalid_corrected_answer_from_the_page_is_a_422(
    factory: Factory, session: Session, project: Project
) -> None:
    browser = factory.browser(factory.user(Role.reviewer))
    item = _items(session, project)[0]
    response = browser.post(
        f"/quality/review/{item.id}",
        data={"action": "correct", "answer": "purple", "csrf_token": factory.csrf(browser)},
    )
    assert response.status_code == 422 and "answer" in response.text


def test_deciding_an_unknown_item_from_the_page_is_a_404(factory: Factory) -> None:
    browser = factory.browser(factory.user(Role.reviewer))
    response = browser.post(
        "/quality/review/999999", data={"action": "accept", "csrf_token": factory.csrf(browser)}
    )
    assert response.status_code == 404


def test_an_unknown_order_on_the_page_is_a_422(factory: Factory, project: Project) -> None:
    browser = factory.browser(factory.user(Role.reviewer))
    response = browser.get(f"/quality/projects/{project.id}/review?order=loudest")
    assert response.status_code == 422 and "order" in response.text


def test_the_page_orders_newest_first(factory: Factory, session: Session, project: Project) -> None:
    browser = factory.browser(factory.user(Role.reviewer))
    html = browser.get(f"/quality/projects/{project.id}/review?order=newest").text
    ids = [item.id for item in _items(session, project)]
    positions = [html.index(f'id="item-{i}"') for i in ids]
    assert positions == sorted(positions, reverse=True)


def test_reviewers_reach_every_queue_from_the_header(
    factory: Factory, session: Session, project: Project
) -> None:
    _question(session, project)
    browser = factory.browser(factory.user(Role.reviewer))
    index = browser.get("/quality/review")
    assert index.status_code == 200 and 'href="/quality/review"' in index.text
    row = index.text[index.text.index(f'href="/quality/projects/{project.id}/review"') :]
    cells = row.split("</tr>")[0]
    assert '<td class="num">4</td>' in cells and "#questions" in cells
    worker = factory.browser(factory.worker_user()[0])
    assert worker.get("/quality/review").status_code == 403
    assert 'href="/quality/review"' not in worker.get("/work").text
