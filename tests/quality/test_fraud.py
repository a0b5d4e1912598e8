"""Fraud and carelessness signals (pure) and the flag queue (refresh, decisions, holds)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.projects.models import ProjectMember
from crewline.quality import refresh, signals
from crewline.quality.errors import QualityInputError
from crewline.quality.models import FlagDecision, FraudFlag, WorkerQuality
from tests.factories import Factory
from tests.quality.support import label_everything
from tests.quality.test_refresh import setup_project, truth
from tests.routing.support import member


def _ids(found: list[signals.Signal]) -> set[int]:
    return {s.person_id for s in found}


def test_fast_answers_are_measured_against_the_project_norm() -> None:
    rng = np.random.default_rng(0)
    person = np.repeat(np.arange(10), 30)
    seconds = rng.lognormal(np.log(40), 0.3, person.size)
    seconds[person == 7] = rng.lognormal(np.log(3), 0.2, 30)
    found = signals.fast_answers(person, seconds)
    assert _ids(found) == {7}
    assert found[0].severity == "high" and found[0].evidence["project_median_seconds"] > 30
    assert signals.fast_answers(person[:5], seconds[:5]) == []  # too few to judge


def test_straight_lining_needs_a_share_the_project_does_not_explain() -> None:
    rng = np.random.default_rng(1)
    person = np.repeat(np.arange(8), 40)
    label = rng.integers(0, 4, person.size)
    label[person == 2] = 1
    label[person == 5] = np.where(rng.random(40) < 0.2, 3, label[person == 5])  # leans, not lines
    found = signals.straight_lining(person, label, 4)
    assert _ids(found) == {2}
    assert found[0].evidence["share"] == 1.0


def test_duplicate_text_finds_copies_across_tasks_not_within_one() -> None:
    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(60, 16))
    person = np.repeat(np.arange(6), 10)
    task = np.tile(np.arange(10), 6)
    vectors[person == 4] = vectors[person == 4][0]  # one answer pasted everywhere
    vectors[task == 3] = vectors[task == 3][0]  # everyone agrees on task 3: fine
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    found = signals.duplicate_text(person, task, vectors)
    assert _ids(found) == {4}
    assert found[0].evidence["near_copies"] == 9  # its task-3 answer is everyone's, not a copy


def test_identical_tasks_answered_alike_are_not_copying() -> None:
    rng = np.random.default_rng(5)
    person = np.repeat(np.arange(5), 12)
    task = np.tile(np.arange(12), 5)
    sentences = rng.normal(size=(6, 16))  # twelve recordings of six sentences
    vectors = sentences[task % 6] + rng.normal(scale=0.01, size=(60, 16))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert signals.duplicate_text(person, task, vectors) == []


def test_bot_timing_flags_machine_regular_gaps() -> None:
    rng = np.random.default_rng(3)
    person = np.repeat(np.arange(4), 40)
    finished = np.concatenate(
        [np.cumsum(rng.exponential(60, 40)) for _ in range(3)] + [np.arange(40) * 30.0]
    )
    found = signals.bot_timing(person, finished)
    assert _ids(found) == {3}
    assert found[0].evidence["coefficient_of_variation"] == 0.0


def test_collusion_needs_excess_agreement_and_shared_gold_errors() -> None:
    rng = np.random.default_rng(4)
    tasks, classes = 60, 4
    truth_ = rng.integers(0, classes, tasks)
    rows: list[tuple[int, int, int, bool]] = []
    copied = rng.integers(0, classes, tasks)  # the pair's shared answers, mostly wrong
    for t in range(tasks):
        gold = t < 10
        for p in range(4):
            if p in (0, 1):
                label = int(copied[t])
            else:
                label = int(truth_[t]) if rng.random() < 0.8 else int(rng.integers(0, classes))
            rows.append((p, t, label, gold))
    person, task, label, is_gold = (np.array(c) for c in zip(*rows, strict=True))
    gold_label = np.where(is_gold, truth_[task], -1)
    accuracy = {0: 0.3, 1: 0.3, 2: 0.8, 3: 0.8}
    found = signals.collusion(person, task, label, is_gold, gold_label, accuracy, classes)
    assert _ids(found) == {0, 1}
    assert {s.evidence["with_person_id"] for s in found} == {0, 1}


def test_signals_refuse_mismatched_lengths() -> None:
    with pytest.raises(QualityInputError, match="differ in length"):
        signals.fast_answers(np.arange(3), np.ones(2))


# --- in the product ------------------------------------------------------------------------------


def test_refresh_raises_flags_once_and_a_confirmation_holds_and_excludes(
    factory: Factory, session: Session
) -> None:
    project = setup_project(factory, overlap=4, count=40, gold=8, method="mv")
    now = utcnow() - timedelta(days=1)
    for answer, seconds in ((truth, 40.0), (truth, 45.0), (truth, 50.0)):
        _user, person = member(factory, project)
        now = label_everything(session, project.id, person.id, answer, now=now, seconds=seconds)
    _user, cheat = member(factory, project)
    # a fourth, careless worker: same label every time, two seconds a task
    label_everything(session, project.id, cheat.id, lambda _t: "positive", now=now, seconds=2.0)
    done = refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    raised = {
        f.signal for f in session.scalars(select(FraudFlag).where(FraudFlag.person_id == cheat.id))
    }
    assert done.flags >= 1 and "fast" in raised
    again = refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    assert again.flags == 0  # the open flags are refreshed, not raised twice

    api = factory.api(factory.user(Role.ops_manager))
    listed = api.get(f"/api/v1/projects/{project.id}/fraud-flags").json()
    flag = next(f for f in listed if f["person_id"] == cheat.id and f["signal"] == "fast")
    assert flag["evidence"]["median_seconds"] == 2.0
    reviewer = factory.api(factory.user(Role.reviewer))
    assert (
        reviewer.post(
            f"/api/v1/fraud-flags/{flag['id']}/decide", json={"decision": "confirm"}
        ).status_code
        == 403
    )
    confirmed = api.post(
        f"/api/v1/fraud-flags/{flag['id']}/decide",
        json={"decision": "confirm", "note": "2 s a task", "hold": True, "exclude_labels": True},
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert (
        api.post(
            f"/api/v1/fraud-flags/{flag['id']}/decide", json={"decision": "dismiss"}
        ).status_code
        == 409
    )
    hold = session.scalar(
        select(ProjectMember.hold_reason).where(
            ProjectMember.project_id == project.id, ProjectMember.person_id == cheat.id
        )
    )
    assert hold == "confirmed fast flag: 2 s a task"
    refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    figures = {
        w.person_id
        for w in session.scalars(
            select(WorkerQuality).where(WorkerQuality.project_id == project.id)
        )
    }
    assert cheat.id not in figures  # labels excluded from consensus and figures
    released = api.delete(f"/api/v1/projects/{project.id}/holds/{cheat.id}")
    assert released.status_code == 204
    session.expire_all()
    assert (
        session.scalar(select(ProjectMember.hold_reason).where(ProjectMember.person_id == cheat.id))
        is None
    )
    assert api.delete(f"/api/v1/projects/{project.id}/holds/999999").status_code == 404


def test_a_dismissed_flag_is_not_raised_again_at_the_same_severity(
    factory: Factory, session: Session
) -> None:
    project = setup_project(factory, overlap=4, count=30, gold=0)
    now = utcnow() - timedelta(days=1)
    for seconds in (40.0, 42.0, 38.0, 2.0):
        _user, person = member(factory, project)
        now = label_everything(session, project.id, person.id, truth, now=now, seconds=seconds)
    refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    flags = session.scalars(select(FraudFlag).where(FraudFlag.project_id == project.id)).all()
    assert flags
    api = factory.api(factory.user(Role.ops_manager))
    for flag in flags:
        api.post(
            f"/api/v1/fraud-flags/{flag.id}/decide",
            json={"decision": "dismiss", "note": "new hire"},
        )
    again = refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    assert again.flags == 0
    page = factory.browser(factory.user(Role.ops_manager)).get(
        f"/quality/projects/{project.id}/flags?status=dismissed"
    )
    assert page.status_code == 200 and "new hire" in page.text
    bad = factory.browser(factory.user(Role.ops_manager)).get(
        f"/quality/projects/{project.id}/flags?status=lost"
    )
    assert bad.status_code == 422
    session.expire_all()
    assert {f.status for f in session.scalars(select(FraudFlag))} == {FlagDecision.dismissed}
