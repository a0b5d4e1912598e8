"""Guideline experiments: arms in the claim, the worker sees their arm's guidelines, report."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.projects import service as projects
from crewline.projects.models import Project
from crewline.quality import refresh
from crewline.quality.ab_test import compare_arms
from crewline.quality.errors import QualityInputError
from crewline.tasks.models import Assignment
from crewline.tasks.service import ARM_HASH
from tests.factories import ACTOR, Factory
from tests.quality.support import label_everything
from tests.quality.test_refresh import setup_project, truth, wrong
from tests.routing.support import member


def test_compare_arms_finds_a_real_difference_and_not_a_null_one() -> None:
    rng = np.random.default_rng(0)
    better = compare_arms(rng.random(300) < 0.7, rng.random(300) < 0.85, resamples=2000)
    assert better.difference > 0.08 and better.low > 0 and better.p_value < 0.01
    same = compare_arms(rng.random(300) < 0.8, rng.random(300) < 0.8, resamples=2000)
    assert same.low < 0 < same.high and same.p_value > 0.05
    with pytest.raises(QualityInputError):
        compare_arms([], [1.0])


@settings(max_examples=30, deadline=None)
@given(
    a=st.lists(st.floats(0, 1), min_size=1, max_size=30),
    b=st.lists(st.floats(0, 1), min_size=1, max_size=30),
)
def test_p_values_are_never_zero_and_intervals_hold_the_estimate(
    a: list[float], b: list[float]
) -> None:
    result = compare_arms(a, b, resamples=200)
    assert 0 < result.p_value <= 1
    assert result.low - 1e-9 <= result.difference <= result.high + 1e-9 or len(a) + len(b) < 4


@pytest.fixture
def project(factory: Factory, session: Session) -> Project:
    project = setup_project(factory, overlap=8, count=40, gold=10, method="mv")
    projects.do_add_guideline_version(
        session=session,
        actor=ACTOR,
        project_id=project.id,
        body="# Sentiment v2\nSarcasm is negative.",
    )
    session.refresh(project)
    return project


def _start(api: Any, project: Project, **body: Any) -> Any:
    data = {"name": "v2 against v1", "unit": "worker", "version_b": 1, **body}
    return api.post(f"/api/v1/projects/{project.id}/experiments", json=data)


def test_workers_split_between_arms_and_see_their_arms_guidelines(
    factory: Factory, session: Session, project: Project
) -> None:
    projects.do_add_guideline_version(
        session=session, actor=ACTOR, project_id=project.id, body="# Sentiment v3"
    )
    session.refresh(project)
    api = factory.api(factory.user(Role.ops_manager))
    started = _start(api, project, version_a=2, version_b=3)
    assert started.status_code == 201 and started.json()["version_a"] == 2
    versions = {}
    for _ in range(8):
        user, person = member(factory, project)
        item = factory.api(user).post("/api/v1/work/next").json()
        versions[person.id] = item["guidelines"]["version"]
        assert item["assignment"]["guideline_version"] == item["guidelines"]["version"]
        if item["guidelines"]["version"] == 2:
            assert "Sarcasm is negative" in item["guidelines"]["body"]
    assert set(versions.values()) == {2, 3}  # both arms are in use
    user, person = member(factory, project)
    first = factory.api(user).post("/api/v1/work/next").json()
    factory.api(user).post(f"/api/v1/work/{first['assignment']['id']}/return")
    second = factory.api(user).post("/api/v1/work/next").json()
    assert first["guidelines"]["version"] == second["guidelines"]["version"]  # stable per worker
    stopped = api.post(f"/api/v1/experiments/{started.json()['id']}/stop")
    assert stopped.status_code == 200
    user, _ = member(factory, project)
    assert factory.api(user).post("/api/v1/work/next").json()["guidelines"]["version"] == 3
    assert api.post(f"/api/v1/experiments/{started.json()['id']}/stop").status_code == 409


def test_arms_are_balanced_over_many_ids(
    factory: Factory, session: Session, project: Project
) -> None:
    ids = np.arange(1, 5001)
    share = (((ids * ARM_HASH + 7) % 1000) >= 500).mean()
    assert 0.48 < share < 0.52


def test_the_report_compares_the_arms(factory: Factory, session: Session, project: Project) -> None:
    api = factory.api(factory.user(Role.ops_manager))
    experiment = _start(api, project, unit="worker").json()
    # whoever works under arm B answers right, the others wrong: a clear difference
    for _ in range(8):
        _user, person = member(factory, project)
        arm_b = ((person.id * ARM_HASH) % 1000) >= 500
        label_everything(session, project.id, person.id, truth if arm_b else wrong, now=utcnow())
    refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    report = api.get(f"/api/v1/experiments/{experiment['id']}/report").json()
    assert report["labels_a"] > 0 and report["labels_b"] > 0
    gold = report["gold_accuracy"]
    assert gold["mean_b"] == 1.0 and gold["mean_a"] == 0.0 and gold["p_value"] < 0.01
    versions = set(
        session.scalars(
            select(Assignment.guideline_version).where(Assignment.project_id == project.id)
        )
    )
    assert versions == {1, 2}


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"version_b": 9}, "version_b", 422),
        ({"version_b": 2, "unit": "team"}, "unit", 422),
        ({"version_b": 2}, "version_b", 422),  # the same as version A, the current one
        ({"version_a": 7}, "version_a", 422),
    ],
)
def test_bad_experiments_are_refused(
    factory: Factory, project: Project, body: dict[str, Any], field: str, code: int
) -> None:
    response = _start(factory.api(factory.user(Role.ops_manager)), project, **body)
    assert response.status_code == code and field in response.text


def test_one_running_experiment_per_project(factory: Factory, project: Project) -> None:
    api = factory.api(factory.user(Role.ops_manager))
    assert _start(api, project).status_code == 201
    assert _start(api, project).status_code == 409
    listed = api.get(f"/api/v1/projects/{project.id}/experiments").json()
    assert len(listed) == 1 and listed[0]["status"] == "running"
    reviewer = factory.api(factory.user(Role.reviewer))
    assert _start(reviewer, project).status_code == 403
