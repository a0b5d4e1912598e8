"""Review and adjudication: the queue, decisions, escalation, promotion to gold, questions."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.projects import service as projects
from crewline.projects.models import MemberRole, Project
from crewline.projects.schemas import MemberCreate
from crewline.quality import refresh
from crewline.quality.models import ReviewItem, ReviewStatus, TaskConsensus
from crewline.tasks import service as tasks
from crewline.tasks.models import Assignment, FlagKind, FlagStatus, Task
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


def _an_assignment(session: Session, project: Project) -> Assignment:
    return session.scalars(
        select(Assignment).where(Assignment.project_id == project.id).order_by(Assignment.id)
    ).first()  # type: ignore[return-value]


def _queue(api: Any, project: Project, **params: Any) -> dict[str, Any]:
    response = api.get(f"/api/v1/projects/{project.id}/review", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_queue_shows_each_item_with_its_labels_and_consensus(
    factory: Factory, project: Project
) -> None:
    queue = _queue(factory.api(factory.user(Role.reviewer)), project)
    assert queue["total"] == 4
    item = queue["items"][0]
    assert item["reason"] == "low_confidence" and "under 0.90" in item["detail"]
    assert len(item["labels"]) == 2 and item["consensus_confidence"] == 0.5
    assert item["data"]["text"].startswith("Review")


def test_accept_and_correct_become_the_final_answer_at_once_and_after_refresh(
    factory: Factory, session: Session, project: Project
) -> None:
    api = factory.api(factory.user(Role.reviewer))
    first, second = _queue(api, project)["items"][:2]
    accepted = api.post(f"/api/v1/review/{first['id']}/decide", json={"action": "accept"})
    assert accepted.status_code == 200 and accepted.json()["answer"] == first["consensus"]
    corrected = api.post(
        f"/api/v1/review/{second['id']}/decide",
        json={"action": "correct", "answer": "negative", "note": "sarcasm"},
    )
    assert corrected.status_code == 200, corrected.text
    final = session.get_one(TaskConsensus, second["task_id"])
    assert (final.answer, final.source, final.confidence) == ("negative", "adjudicated", 1.0)
    refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    session.expire_all()
    assert session.get_one(TaskConsensus, second["task_id"]).answer == "negative"
    assert _queue(api, project)["total"] == 2  # decided items leave the queue, not re-opened
    again = api.post(f"/api/v1/review/{first['id']}/decide", json={"action": "accept"})
    assert again.status_code == 409


def test_a_corrected_answer_must_fit_the_schema(factory: Factory, project: Project) -> None:
    api = factory.api(factory.user(Role.reviewer))
    item = _queue(api, project)["items"][0]
    response = api.post(
        f"/api/v1/review/{item['id']}/decide", json={"action": "correct", "answer": "purple"}
    )
    assert response.status_code == 422
    assert "answer" in response.text and "'purple' is not a label" in response.text
    missing = api.post(f"/api/v1/review/{item['id']}/decide", json={"action": "escalate"})
    assert missing.status_code == 422 and "note" in missing.text
    assert api.post("/api/v1/review/999999/decide", json={"action": "accept"}).status_code == 404
    bad = api.post(f"/api/v1/review/{item['id']}/decide", json={"action": "shrug"})
    assert bad.status_code == 422 and "action" in bad.text


def test_escalated_items_are_decided_by_experts_only(
    factory: Factory, session: Session, project: Project
) -> None:
    reviewer = factory.api(factory.user(Role.reviewer))
    item = _queue(reviewer, project)["items"][0]
    escalated = reviewer.post(
        f"/api/v1/review/{item['id']}/decide", json={"action": "escalate", "note": "medical term"}
    )
    assert escalated.status_code == 200 and escalated.json()["status"] == "escalated"
    refused = reviewer.post(f"/api/v1/review/{item['id']}/decide", json={"action": "accept"})
    assert refused.status_code == 403
    expert_user, expert = factory.worker_user()
    outsider, _ = factory.worker_user()
    projects.do_add_member(
        session=session,
        actor=ACTOR,
        project_id=project.id,
        data=MemberCreate(person_id=expert.id, role=MemberRole.expert),
    )
    stranger = factory.api(outsider)
    assert stranger.get(f"/api/v1/projects/{project.id}/review").status_code == 403
    expert_api = factory.api(expert_user)
    listed = _queue(expert_api, project)
    assert [i["id"] for i in listed["items"]] == [item["id"]]  # experts see escalated items
    decided = expert_api.post(
        f"/api/v1/review/{item['id']}/decide", json={"action": "correct", "answer": "neutral"}
    )
    assert decided.status_code == 200 and decided.json()["status"] == "corrected"


def test_a_decided_answer_can_be_promoted_to_gold_once(
    factory: Factory, session: Session, project: Project
) -> None:
    api = factory.api(factory.user(Role.ops_manager))
    item = _queue(api, project)["items"][0]
    assert api.post(f"/api/v1/review/{item['id']}/promote").status_code == 409  # undecided
    api.post(
        f"/api/v1/review/{item['id']}/decide", json={"action": "correct", "answer": "positive"}
    )
    promoted = api.post(f"/api/v1/review/{item['id']}/promote")
    assert promoted.status_code == 200 and promoted.json()["promoted_to_gold"]
    task = session.get_one(Task, item["task_id"])
    session.refresh(task)
    assert task.is_gold and task.gold_answer == "positive"
    assert api.post(f"/api/v1/review/{item['id']}/promote").status_code == 409


def test_edge_cases_join_the_queue_and_are_answered_by_the_decision(
    factory: Factory, session: Session, project: Project
) -> None:
    assignment = _an_assignment(session, project)
    flag = tasks.do_flag(
        session=session,
        person_id=assignment.person_id,
        assignment_id=assignment.id,
        data=FlagIn(kind=FlagKind.edge_case, body="Is irony negative?"),
    )
    refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    api = factory.api(factory.user(Role.reviewer))
    edge = _queue(api, project, reason="edge_case")["items"]
    assert [i["detail"] for i in edge] == ["Is irony negative?"]
    api.post(
        f"/api/v1/review/{edge[0]['id']}/decide",
        json={"action": "correct", "answer": "negative", "note": "irony counts as negative"},
    )
    session.refresh(flag)
    assert flag.status is FlagStatus.answered and flag.answer == "irony counts as negative"


def test_a_question_is_answered_with_a_new_guideline_version(
    factory: Factory, session: Session, project: Project
) -> None:
    assignment = _an_assignment(session, project)
    question = tasks.do_flag(
        session=session,
        person_id=assignment.person_id,
        assignment_id=assignment.id,
        data=FlagIn(kind=FlagKind.question, body="What about emoji-only reviews?"),
    )
    api = factory.api(factory.user(Role.reviewer))
    listed = api.get(f"/api/v1/projects/{project.id}/questions").json()
    assert [q["id"] for q in listed] == [question.id]
    answered = api.post(
        f"/api/v1/questions/{question.id}/answer",
        json={"answer": "Label by the emoji's feeling.", "guidelines": "# Sentiment\nEmoji count."},
    )
    assert answered.status_code == 200
    assert answered.json()["guideline_version"] == 2
    assert projects.guideline_versions(session=session, project_id=project.id)[0].version == 2
    twice = api.post(f"/api/v1/questions/{question.id}/answer", json={"answer": "again"})
    assert twice.status_code == 409
    empty = api.post(f"/api/v1/questions/{question.id}/answer", json={"answer": ""})
    assert empty.status_code == 422


def test_workers_who_are_not_experts_cannot_review_and_client_viewers_only_read(
    factory: Factory, project: Project
) -> None:
    worker, _ = factory.worker_user()
    client = factory.user(Role.client_viewer, organization_id=project.client_id)
    assert factory.api(worker).get(f"/api/v1/projects/{project.id}/review").status_code == 403
    reader = factory.api(client)
    item = _queue(reader, project)["items"][0]
    decide = reader.post(f"/api/v1/review/{item['id']}/decide", json={"action": "accept"})
    assert decide.status_code == 403


def test_the_review_page_decides_and_publishes_answers(
    factory: Factory, session: Session, project: Project
) -> None:
    assignment = _an_assignment(session, project)
    question = tasks.do_flag(
        session=session,
        person_id=assignment.person_id,
        assignment_id=assignment.id,
        data=FlagIn(kind=FlagKind.question, body="Sarcasm?"),
    )
    browser = factory.browser(factory.user(Role.reviewer))
    page = browser.get(f"/quality/projects/{project.id}/review")
    assert page.status_code == 200 and "Review queue" in page.text and "Sarcasm?" in page.text
    item = session.scalars(select(ReviewItem).where(ReviewItem.project_id == project.id)).first()
    assert item is not None
    token = factory.csrf(browser)
    done = browser.post(
        f"/quality/review/{item.id}",
        data={"action": "correct", "answer": "neutral", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    session.refresh(item)
    assert item.status is ReviewStatus.corrected and item.answer == "neutral"
    published = browser.post(
        f"/quality/questions/{question.id}",
        data={"answer": "Sarcasm is negative.", "publish": "true", "csrf_token": token},
        follow_redirects=False,
    )
    assert published.status_code == 303
    latest = projects.guideline_versions(session=session, project_id=project.id)[0]
    assert "### Q: Sarcasm?" in latest.body and "Sarcasm is negative." in latest.body
    bad = browser.get(f"/quality/projects/{project.id}/review?status=lost")
    assert bad.status_code == 422
    session.refresh(question)
    assert question.status is FlagStatus.answered
