"""Next task, submit, skip, return, leases and reviews: the assignment state machine via the API."""

from __future__ import annotations

from datetime import timedelta
from random import Random

import pytest
from sqlalchemy import select

from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.people import service as people
from crewline.people.schemas import WorkerUpdate
from crewline.tasks import service as tasks
from crewline.tasks.models import Assignment, AssignmentState, Task
from tests.factories import ACTOR
from tests.routing.support import ingest, live_project, member, reviews


def _next(api):  # type: ignore[no-untyped-def]
    response = api.post("/api/v1/work/next")
    assert response.status_code == 200, response.text
    return response.json()


def _submit(api, item, value="positive", sid=None):  # type: ignore[no-untyped-def]
    assignment = item["assignment"]["id"]
    body = {
        "client_submission_id": sid or f"s-{assignment}",
        "value": value,
        "active_seconds": 12.5,
    }
    return api.post(f"/api/v1/work/{assignment}/submit", json=body)


def test_a_worker_gets_one_task_with_its_guidelines_and_widget(factory) -> None:
    project = live_project(factory)
    ingest(factory.session, project, reviews(3))
    user, _ = member(factory, project)
    item = _next(factory.api(user))
    assert item["project"]["name"] == project.name
    assert item["task"]["data"]["text"].startswith("Review number")
    assert item["widget"]["type"] == "single_label"
    assert item["guidelines"]["version"] == 1 and "Sentiment" in item["guidelines"]["body"]
    assert "is_gold" not in item["task"] and "gold_answer" not in str(item)


def test_asking_again_returns_the_task_already_held(factory) -> None:
    project = live_project(factory)
    ingest(factory.session, project, reviews(3))
    user, _ = member(factory, project)
    api = factory.api(user)
    assert _next(api)["assignment"]["id"] == _next(api)["assignment"]["id"]


def test_no_task_goes_to_more_workers_than_its_overlap(factory, session) -> None:
    project = live_project(factory, overlap=2)
    ingest(session, project, reviews(1))
    apis = [factory.api(member(factory, project)[0]) for _ in range(3)]
    first, second = _next(apis[0]), _next(apis[1])
    assert first["task"]["id"] == second["task"]["id"]
    third = _next(apis[2])
    assert third["assignment"] is None and "no tasks" in third["reason"]


def test_a_worker_never_gets_a_task_they_already_labelled(factory) -> None:
    project = live_project(factory, overlap=3)
    ingest(factory.session, project, reviews(2))
    user, _ = member(factory, project)
    api = factory.api(user)
    seen = set()
    for _ in range(2):
        item = _next(api)
        seen.add(item["task"]["id"])
        assert _submit(api, item).status_code == 200
    assert len(seen) == 2
    assert _next(api)["assignment"] is None


def test_ineligible_workers_are_told_why(factory, session) -> None:
    project = live_project(
        factory, min_tier="tier_2", languages=[{"language": "es", "min_level": "C1"}]
    )
    ingest(session, project, reviews(2))
    outsider_user, _ = factory.worker_user()
    assert "not on any live project" in _next(factory.api(outsider_user))["reason"]
    user, person = member(factory, project)  # tier_1, no Spanish
    reason = _next(factory.api(user))["reason"]
    assert "tier tier_2" in reason
    people.do_update_worker(
        session=session, actor=ACTOR, person_id=person.id, data=WorkerUpdate(tier="tier_2")
    )
    assert "es at C1" in _next(factory.api(user))["reason"]
    paused_user, paused = member(
        factory,
        project,
        languages=[{"language": "es", "level": "C2", "native": True}],
        worker={"tier": "expert", "status": "active", "availability_hours": 20},
    )
    people.do_update_worker(
        session=session,
        actor=ACTOR,
        person_id=paused.id,
        data=WorkerUpdate(status="paused", status_reason="Quality review"),
    )
    assert "status is paused" in _next(factory.api(paused_user))["reason"]


def test_higher_priority_tasks_come_first(factory, session) -> None:
    project = live_project(factory)
    ingest(
        session,
        project,
        [*reviews(2), {"external_id": "urgent", "data": {"text": "now"}, "priority": 9}],
    )
    user, _ = member(factory, project)
    item = _next(factory.api(user))
    assert session.get(Task, item["task"]["id"]).external_id == "urgent"


@pytest.mark.parametrize(("rate", "expect_gold"), [(1.0, True), (0.0, False)])
def test_gold_is_mixed_in_at_the_projects_rate(factory, session, app, rate, expect_gold) -> None:
    app.state.routing_rng = Random(4)
    project = live_project(factory, gold_rate=rate)
    ingest(
        session,
        project,
        [*reviews(2), {"external_id": "g", "data": {"text": "x"}, "gold_answer": "negative"}],
    )
    user, _ = member(factory, project)
    api = factory.api(user)
    item = _next(api)
    task = session.get(Task, item["task"]["id"])
    assert task.is_gold is expect_gold
    assert _submit(api, item, value="negative").status_code == 200
    if expect_gold:
        stored = session.get(Assignment, item["assignment"]["id"])
        session.refresh(stored)
        assert stored.gold_score == 1.0


def test_submit_is_idempotent_and_records_versions_and_focus_time(factory, session) -> None:
    project = live_project(factory)
    ingest(session, project, reviews(1))
    user, _ = member(factory, project)
    api = factory.api(user)
    item = _next(api)
    first = _submit(api, item, sid="retry-me")
    again = _submit(api, item, sid="retry-me")
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    stored = session.scalar(select(Assignment).where(Assignment.id == item["assignment"]["id"]))
    session.refresh(stored)
    assert stored.state is AssignmentState.submitted and stored.value == "positive"
    assert (stored.schema_version, stored.guideline_version, stored.active_seconds) == (1, 1, 12.5)
    task = session.get(Task, item["task"]["id"])
    session.refresh(task)
    assert task.submitted_count == 1 and task.completed_at is not None and not task.open
    other = _submit(api, item, sid="a-different-id")
    assert other.status_code == 409


def test_a_value_that_does_not_fit_the_schema_is_refused_with_the_reason(factory, session) -> None:
    project = live_project(factory)
    ingest(session, project, reviews(1))
    user, _ = member(factory, project)
    api = factory.api(user)
    item = _next(api)
    response = _submit(api, item, value="ecstatic")
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["field"] == "value" and "ecstatic" in detail["message"]
    assert _submit(api, item, value="neutral").status_code == 200


def test_another_workers_assignment_is_not_found(factory, session) -> None:
    project = live_project(factory)
    ingest(session, project, reviews(2))
    alice, _ = member(factory, project)
    bob, _ = member(factory, project)
    item = _next(factory.api(alice))
    assert _submit(factory.api(bob), item).status_code == 404
    assert factory.api(bob).get(f"/api/v1/work/{item['assignment']['id']}").status_code == 404


def test_skip_and_return_free_the_slot_for_someone_else(factory, session) -> None:
    project = live_project(factory)
    ingest(session, project, reviews(1))
    alice, _ = member(factory, project)
    bob, _ = member(factory, project)
    alice_api = factory.api(alice)
    item = _next(alice_api)
    assert (
        alice_api.post(
            f"/api/v1/work/{item['assignment']['id']}/skip", json={"reason": ""}
        ).status_code
        == 422
    )
    skipped = alice_api.post(
        f"/api/v1/work/{item['assignment']['id']}/skip", json={"reason": "Not in English"}
    )
    assert skipped.json()["state"] == "skipped"
    assert _next(alice_api)["assignment"] is None  # never the same task again
    bob_api = factory.api(bob)
    bobs = _next(bob_api)
    assert bobs["task"]["id"] == item["task"]["id"]
    returned = bob_api.post(f"/api/v1/work/{bobs['assignment']['id']}/return")
    assert returned.json()["state"] == "returned"
    assert bob_api.post(f"/api/v1/work/{bobs['assignment']['id']}/return").status_code == 409


def test_an_expired_lease_is_reclaimed_and_cannot_be_submitted(factory, session) -> None:
    project = live_project(factory, lease_minutes=5)
    ingest(session, project, reviews(1))
    alice, _ = member(factory, project)
    bob, _ = member(factory, project)
    alice_api = factory.api(alice)
    item = _next(alice_api)
    assert _next(factory.api(bob))["assignment"] is None
    assert tasks.expire_leases(session=session, now=utcnow() + timedelta(minutes=6)) == 1
    assert _submit(alice_api, item).status_code == 409
    assert _next(factory.api(bob))["task"]["id"] == item["task"]["id"]


def test_a_rejection_keeps_its_reason_and_reopens_the_task(factory, session) -> None:
    project = live_project(factory)
    ingest(session, project, reviews(1))
    alice, _ = member(factory, project)
    bob, _ = member(factory, project)
    item = _next(factory.api(alice))
    _submit(factory.api(alice), item)
    reviewer = factory.api(factory.user(Role.reviewer))
    url = f"/api/v1/assignments/{item['assignment']['id']}/review"
    assert reviewer.post(url, json={"approve": False}).status_code == 422
    rejected = reviewer.post(url, json={"approve": False, "reason": "Sarcasm read as praise"})
    assert (
        rejected.json()["state"] == "rejected"
        and rejected.json()["review_reason"] == "Sarcasm read as praise"
    )
    assert reviewer.post(url, json={"approve": True}).status_code == 409
    assert _next(factory.api(bob))["task"]["id"] == item["task"]["id"]


def test_asking_for_more_labels_reopens_a_finished_task_at_once(factory, session) -> None:
    project = live_project(factory)
    ingest(session, project, reviews(1))
    alice, _ = member(factory, project)
    bob, _ = member(factory, project)
    item = _next(factory.api(alice))
    _submit(factory.api(alice), item)
    assert _next(factory.api(bob))["assignment"] is None
    reviewer = factory.api(factory.user(Role.reviewer))
    raised = reviewer.put(
        f"/api/v1/tasks/{item['task']['id']}/required-labels", json={"required_labels": 2}
    )
    assert raised.json()["open"] is True and raised.json()["completed_at"] is None
    assert _next(factory.api(bob))["task"]["id"] == item["task"]["id"]


def test_flags_land_in_the_reviewers_queue(factory, session) -> None:
    project = live_project(factory)
    ingest(session, project, reviews(1))
    alice, _ = member(factory, project)
    api = factory.api(alice)
    item = _next(api)
    flagged = api.post(
        f"/api/v1/work/{item['assignment']['id']}/flag",
        json={"kind": "question", "body": "Is sarcasm negative?"},
    )
    assert flagged.status_code == 201
    queue = (
        factory.api(factory.user(Role.reviewer)).get(f"/api/v1/projects/{project.id}/flags").json()
    )
    assert [f["body"] for f in queue] == ["Is sarcasm negative?"]
    assert queue[0]["guideline_version"] == 1


def test_only_workers_take_work(factory) -> None:
    assert factory.api(factory.user(Role.ops_manager)).post("/api/v1/work/next").status_code == 403


def test_finishing_tasks_queues_signed_events_for_the_projects_webhooks(factory, session) -> None:
    project = live_project(factory)
    ingest(session, project, reviews(2))
    ops = factory.api(factory.user(Role.ops_manager))
    hook = ops.post(
        f"/api/v1/projects/{project.id}/webhooks",
        json={
            "url": "https://hooks.example.org/crewline",
            "events": ["task.completed", "project.completed"],
        },
    )
    assert hook.status_code == 201, hook.text
    user, _ = member(factory, project)
    api = factory.api(user)
    for _ in range(2):
        assert _submit(api, _next(api)).status_code == 200
    deliveries = ops.get(f"/api/v1/webhooks/{hook.json()['id']}/deliveries").json()["items"]
    events = sorted(d["event_type"] for d in deliveries)
    assert events == ["project.completed", "task.completed", "task.completed"]
    session.refresh(project)
    assert project.completed_at is not None
