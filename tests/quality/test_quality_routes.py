"""Quality figures through the API and the pages: who sees what, settings, refresh, alerts."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session

from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.projects.models import Project
from crewline.quality import refresh
from crewline.quality.models import AlertStatus, QualityAlert
from tests.factories import Factory
from tests.quality.test_refresh import setup_project, truth, work, wrong


@pytest.fixture
def project(factory: Factory, session: Session) -> Project:
    """A project with three workers' labels (one of them always wrong), refreshed."""
    project = setup_project(factory, overlap=3, count=12, gold=4)
    work(factory, project, [truth, truth, wrong])
    refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    return project


def test_staff_read_the_summary_series_and_leaderboard(factory: Factory, project: Project) -> None:
    api = factory.api(factory.user(Role.reviewer))
    summary = api.get(f"/api/v1/projects/{project.id}/quality").json()
    assert summary["tasks"] == 12 and summary["computed_at"] is not None
    assert 0 <= summary["error_rate"] <= 1
    series = api.get(f"/api/v1/projects/{project.id}/quality/series").json()
    assert series and sum(day["labels"] for day in series) == 36
    board = api.get(f"/api/v1/projects/{project.id}/quality/workers").json()
    assert board["total"] == 3
    lows = [w["gold_low"] for w in board["items"]]
    assert lows == sorted(lows, reverse=True)  # best lower bound first
    assert all(w["worker"] and w["person_id"] for w in board["items"])
    worst = board["items"][-1]
    assert worst["gold_accuracy"] < 0.5 and worst["confusion"]["classes"]


def test_client_viewers_see_pseudonyms_and_only_their_projects(
    factory: Factory, project: Project
) -> None:
    own = factory.api(factory.user(Role.client_viewer, organization_id=project.client_id))
    board = own.get(f"/api/v1/projects/{project.id}/quality/workers").json()
    assert all(w["person_id"] is None for w in board["items"])
    assert all(
        re.fullmatch(r"[0-9a-f]{8,}", w["worker"]) or w["worker"].startswith("w")
        for w in board["items"]
    )
    other = factory.api(factory.user(Role.client_viewer))
    assert other.get(f"/api/v1/projects/{project.id}/quality").status_code == 404
    assert own.get(f"/api/v1/projects/{project.id}/quality/settings").status_code == 403


def test_workers_may_not_read_quality(factory: Factory, project: Project) -> None:
    user, _person = factory.worker_user()
    assert factory.api(user).get(f"/api/v1/projects/{project.id}/quality").status_code == 403


def test_settings_update_validates_and_refresh_applies_them(
    factory: Factory, project: Project
) -> None:
    api = factory.api(factory.user(Role.ops_manager))
    url = f"/api/v1/projects/{project.id}/quality/settings"
    assert api.get(url).json()["method"] == "dawid-skene"
    for body, field in [
        ({"confidence_threshold": 1.5}, "confidence_threshold"),
        ({"method": "em"}, "method"),
        ({"method": None}, "method"),
        ({"min_gold_accuracy": "NaN"}, "min_gold_accuracy"),
        ({"surprise": 1}, "surprise"),
    ]:
        response = api.patch(url, json=body)
        assert response.status_code == 422, body
        assert field in response.text
    changed = api.patch(url, json={"min_gold_accuracy": 0.7, "min_gold_seen": 2})
    assert changed.status_code == 200 and changed.json()["min_gold_accuracy"] == 0.7
    done = api.post(f"/api/v1/projects/{project.id}/quality/refresh")
    assert done.status_code == 200 and done.json()["held"] == 1
    reviewer = factory.api(factory.user(Role.reviewer))
    assert reviewer.patch(url, json={"min_gold_seen": 3}).status_code == 403


def test_alerts_are_listed_and_acknowledged_once(
    factory: Factory, session: Session, project: Project
) -> None:
    alert = QualityAlert(
        project_id=project.id, kind="drift_gold", message="gold accuracy dropped", evidence={}
    )
    session.add(alert)
    session.commit()
    api = factory.api(factory.user(Role.reviewer))
    listed = api.get(f"/api/v1/projects/{project.id}/quality/alerts").json()
    assert [a["id"] for a in listed] == [alert.id]
    first = api.post(f"/api/v1/quality/alerts/{alert.id}/acknowledge")
    assert first.status_code == 200 and first.json()["status"] == AlertStatus.acknowledged
    assert api.post(f"/api/v1/quality/alerts/{alert.id}/acknowledge").status_code == 409
    assert api.post("/api/v1/quality/alerts/999999/acknowledge").status_code == 404


def test_consensus_pages_through_final_answers(factory: Factory, project: Project) -> None:
    api = factory.api(factory.user(Role.ops_manager))
    first = api.get(f"/api/v1/projects/{project.id}/consensus", params={"limit": 5}).json()
    rest = api.get(
        f"/api/v1/projects/{project.id}/consensus",
        params={"after_task_id": first[-1]["task_id"], "limit": 100},
    ).json()
    assert len(first) == 5 and len(first) + len(rest) == 12
    assert {a["source"] for a in first + rest} <= {"gold", "dawid-skene"}


def test_the_dashboard_and_person_panel_show_the_figures(
    factory: Factory, project: Project
) -> None:
    browser = factory.browser(factory.user(Role.ops_manager))
    index = browser.get("/quality")
    assert index.status_code == 200 and project.name in index.text
    page = browser.get(f"/quality/projects/{project.id}")
    assert page.status_code == 200
    assert "Gold accuracy and agreement with consensus by day" in page.text
    assert 'aria-sort="descending"' in page.text  # sorted by the lower bound, best first
    sorted_page = browser.get(f"/quality/projects/{project.id}?sort=labels&dir=asc")
    assert sorted_page.status_code == 200
    board = factory.api(factory.user(Role.ops_manager)).get(
        f"/api/v1/projects/{project.id}/quality/workers"
    )
    person_id = board.json()["items"][0]["person_id"]
    person = browser.get(f"/people/{person_id}")
    assert person.status_code == 200 and "Gold accuracy" in person.text


def test_acknowledging_from_the_page_needs_csrf(
    factory: Factory, session: Session, project: Project
) -> None:
    alert = QualityAlert(project_id=project.id, kind="error_rate", message="too many", evidence={})
    session.add(alert)
    session.commit()
    browser = factory.browser(factory.user(Role.reviewer))
    browser.get(f"/quality/projects/{project.id}")
    refused = browser.post(
        f"/quality/alerts/{alert.id}/acknowledge", data={"project_id": project.id}
    )
    assert refused.status_code == 403
    done = browser.post(
        f"/quality/alerts/{alert.id}/acknowledge",
        data={"project_id": project.id, "csrf_token": factory.csrf(browser)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    session.refresh(alert)
    assert alert.status is AlertStatus.acknowledged
