"""Quality rules: collectors, conditions, actions taken once with their numbers, reversal."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.projects.models import Project, ProjectMember
from crewline.quality import refresh, rules
from crewline.quality.models import QualityAlert, ReviewItem, ReviewReason
from crewline.tasks.models import Task
from tests.factories import Factory
from tests.quality.test_refresh import setup_project, truth, work, wrong


@pytest.fixture
def project(factory: Factory, session: Session) -> Project:
    project = setup_project(factory, overlap=3, count=30, gold=10, method="mv")
    work(factory, project, [truth, truth, wrong])
    return project


def _rule(api: Any, project: Project, **body: Any) -> Any:
    data = {"name": "test rule", "operator": "<", "threshold": 0.5, "min_count": 5, **body}
    return api.post(f"/api/v1/projects/{project.id}/quality-rules", json=data)


def test_collectors_compute_their_figures(
    factory: Factory, session: Session, project: Project
) -> None:
    refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    gold = {
        f.subject: f
        for f in rules.collect(session, project.id, "gold_accuracy", {"last": 5}, utcnow())
    }
    assert sorted(round(f.value, 2) for f in gold.values()) == [0.0, 1.0, 1.0]
    assert {f.count for f in gold.values()} == {5}  # the last five gold answers only
    agree = rules.collect(session, project.id, "consensus_agreement", {"last": 50}, utcnow())
    assert sorted(round(f.value, 2) for f in agree) == [0.0, 1.0, 1.0]
    fast = rules.collect(session, project.id, "fast_answers", {"last": 50, "seconds": 30}, utcnow())
    assert {round(f.value, 2) for f in fast} == {1.0}  # every label took 20 s
    tasks_ = rules.collect(session, project.id, "consensus_confidence", {}, utcnow())
    assert len(tasks_) == 20 and all(f.value == pytest.approx(2 / 3) for f in tasks_)


def test_a_worker_rule_holds_once_logs_the_numbers_and_is_reversible(
    factory: Factory, session: Session, project: Project
) -> None:
    api = factory.api(factory.user(Role.ops_manager))
    created = _rule(
        api, project, collector="gold_accuracy", params={"last": 10}, action="stop_routing"
    )
    assert created.status_code == 201, created.text
    first = refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    assert first.rule_actions == 1
    again = refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    assert again.rule_actions == 0  # the hold stands: not taken twice
    log = api.get(f"/api/v1/projects/{project.id}/rule-actions").json()
    assert len(log) == 1 and log[0]["numbers"]["value"] == 0.0 and log[0]["numbers"]["count"] == 10
    held = session.scalar(
        select(ProjectMember.hold_reason).where(ProjectMember.person_id == log[0]["person_id"])
    )
    assert held is not None and "rule 'test rule'" in held
    missing = api.post(f"/api/v1/rule-actions/{log[0]['id']}/reverse", json={})
    assert missing.status_code == 422 and "reason" in missing.text
    reversed_ = api.post(
        f"/api/v1/rule-actions/{log[0]['id']}/reverse", json={"reason": "retrained"}
    )
    assert reversed_.status_code == 200 and reversed_.json()["reversed_by"]
    session.expire_all()
    assert (
        session.scalar(
            select(ProjectMember.hold_reason).where(ProjectMember.person_id == log[0]["person_id"])
        )
        is None
    )
    twice = api.post(f"/api/v1/rule-actions/{log[0]['id']}/reverse", json={"reason": "again"})
    assert twice.status_code == 409


def test_min_count_keeps_a_thin_figure_from_firing(
    factory: Factory, session: Session, project: Project
) -> None:
    api = factory.api(factory.user(Role.ops_manager))
    _rule(api, project, collector="gold_accuracy", min_count=50, action="stop_routing")
    assert (
        refresh.refresh_project(session=session, project_id=project.id, now=utcnow()).rule_actions
        == 0
    )


def test_task_rules_send_to_review_and_notify_once(
    factory: Factory, session: Session, project: Project
) -> None:
    api = factory.api(factory.user(Role.ops_manager))
    settings = {"confidence_threshold": 0.5}  # the refresh's own queue stays out of the way
    api.patch(f"/api/v1/projects/{project.id}/quality/settings", json=settings)
    _rule(
        api,
        project,
        collector="consensus_confidence",
        threshold=0.9,
        min_count=3,
        action="send_to_review",
    )
    _rule(api, project, collector="gold_accuracy", action="notify_reviewers")
    first = refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    assert first.rule_actions == 21  # 20 tasks to review, one worker to notify about
    items = session.scalars(
        select(ReviewItem).where(
            ReviewItem.project_id == project.id, ReviewItem.reason == ReviewReason.rule
        )
    ).all()
    assert len(items) == 20 and "consensus_confidence 0.6667 < 0.9" in items[0].detail
    alerts = session.scalars(select(QualityAlert).where(QualityAlert.kind == "rule")).all()
    assert len(alerts) == 1
    assert (
        refresh.refresh_project(session=session, project_id=project.id, now=utcnow()).rule_actions
        == 0
    )
    reverse = api.post(
        f"/api/v1/rule-actions/{api.get(f'/api/v1/projects/{project.id}/rule-actions').json()[0]['id']}/reverse",
        json={"reason": "x"},
    )
    assert reverse.status_code == 409  # task actions are not about a person


def test_more_labels_raises_the_target_up_to_the_cap(
    factory: Factory, session: Session, project: Project
) -> None:
    api = factory.api(factory.user(Role.ops_manager))
    _rule(
        api,
        project,
        collector="consensus_confidence",
        threshold=0.9,
        min_count=3,
        action="more_labels",
    )
    refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    targets = set(
        session.scalars(
            select(Task.required_labels).where(
                Task.project_id == project.id, Task.is_gold.is_(False)
            )
        )
    )
    assert targets == {4}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"collector": "vibes", "action": "stop_routing"}, "collector"),
        ({"collector": "gold_accuracy", "action": "fire"}, "action"),
        ({"collector": "gold_accuracy", "action": "stop_routing", "operator": "=="}, "operator"),
        ({"collector": "gold_accuracy", "action": "more_labels"}, "action"),
        ({"collector": "consensus_confidence", "action": "stop_routing"}, "action"),
        (
            {"collector": "gold_accuracy", "action": "stop_routing", "params": {"last": -3}},
            "params.last",
        ),
        ({"collector": "gold_accuracy", "action": "stop_routing", "params": {"days": 3}}, "params"),
        ({"collector": "gold_accuracy", "action": "stop_routing", "threshold": "NaN"}, "threshold"),
        ({"collector": "gold_accuracy", "action": "stop_routing", "min_count": 0}, "min_count"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(
    factory: Factory, project: Project, body: dict[str, Any], field: str
) -> None:
    response = _rule(factory.api(factory.user(Role.ops_manager)), project, **body)
    assert response.status_code == 422, response.text
    assert field in response.text


def test_only_managers_write_rules(factory: Factory, project: Project) -> None:
    reviewer = factory.api(factory.user(Role.reviewer))
    assert (
        _rule(reviewer, project, collector="gold_accuracy", action="stop_routing").status_code
        == 403
    )
    assert reviewer.get(f"/api/v1/projects/{project.id}/quality-rules").status_code == 200
    worker, _ = factory.worker_user()
    assert (
        factory.api(worker).get(f"/api/v1/projects/{project.id}/quality-rules").status_code == 403
    )
    manager = factory.api(factory.user(Role.ops_manager))
    rule = _rule(manager, project, collector="gold_accuracy", action="stop_routing").json()
    off = manager.patch(f"/api/v1/quality-rules/{rule['id']}", json={"enabled": False})
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert manager.patch("/api/v1/quality-rules/999999", json={"enabled": True}).status_code == 404


def test_the_rules_page_adds_rules_and_reverses_actions(
    factory: Factory, session: Session, project: Project
) -> None:
    browser = factory.browser(factory.user(Role.ops_manager))
    browser.get(f"/quality/projects/{project.id}/rules")
    token = factory.csrf(browser)
    added = browser.post(
        f"/quality/projects/{project.id}/rules",
        data={
            "name": "gold floor",
            "collector": "gold_accuracy",
            "last": "10",
            "seconds": "3",  # not a gold_accuracy setting: left out
            "operator": "<",
            "threshold": "0.5",
            "min_count": "5",
            "action": "stop_routing",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    page = browser.get(f"/quality/projects/{project.id}/rules")
    assert page.status_code == 200 and "gold floor" in page.text and "stop routing" in page.text
    [taken] = rules.actions_of(session=session, project_id=project.id)
    done = browser.post(
        f"/quality/rule-actions/{taken.id}/reverse",
        data={"reason": "coached", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    session.refresh(taken)
    assert taken.reverse_reason == "coached"
