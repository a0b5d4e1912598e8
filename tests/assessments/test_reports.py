"""Predictive validity from the database and outcomes per cohort and week."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from scipy import stats
from sqlalchemy.orm import Session

from crewline.assessments import reports
from crewline.assessments.models import (
    Assessment,
    AssessmentStatus,
    Attempt,
    AttemptStatus,
    Kind,
    Outcome,
)
from crewline.db import utcnow
from crewline.quality.models import WorkerQuality
from tests.factories import Factory
from tests.routing.support import live_project


def _assessment(session: Session, project_id: int) -> Assessment:
    assessment = Assessment(
        project_id=project_id,
        name="Validity",
        kind=Kind.project,
        status=AssessmentStatus.open,
        time_limit_minutes=30,
        items_per_attempt=10,
        pass_score=0.7,
        training_score=None,
        created_by="test",
    )
    session.add(assessment)
    session.flush()
    return assessment


def _attempt(
    session: Session, assessment: Assessment, person_id: int, score: float, number: int = 1
) -> None:
    now = utcnow()
    session.add(
        Attempt(
            assessment_id=assessment.id,
            person_id=person_id,
            number=number,
            status=AttemptStatus.finished,
            started_at=now - timedelta(minutes=20),
            deadline_at=now,
            finished_at=now - timedelta(minutes=1),
            score=score,
            outcome=Outcome.passed if score >= 0.7 else Outcome.failed,
        )
    )


def test_validity_pairs_first_scores_with_live_gold_accuracy(
    factory: Factory, session: Session
) -> None:
    project = live_project(factory)
    assessment = _assessment(session, project.id)
    rng = np.random.default_rng(7)
    skill = rng.uniform(0.5, 1.0, 40)
    scores = np.clip(skill + rng.normal(0, 0.08, 40), 0, 1)
    live = np.clip(skill + rng.normal(0, 0.05, 40), 0, 1)
    people = [factory.person(worker=None) for _ in range(40)]
    for person, score, accuracy in zip(people, scores, live, strict=True):
        _attempt(session, assessment, person.id, float(score))
        _attempt(session, assessment, person.id, 1.0, number=2)  # a retake is not the first
        session.add(
            WorkerQuality(
                project_id=project.id,
                person_id=person.id,
                labels=300,
                gold_seen=30,
                gold_score=0.0,
                gold_accuracy=float(accuracy),
                model_accuracy=float(accuracy),
            )
        )
    # one person with too little live work is left out
    novice = factory.person(worker=None)
    _attempt(session, assessment, novice.id, 0.9)
    session.add(
        WorkerQuality(
            project_id=project.id,
            person_id=novice.id,
            labels=5,
            gold_seen=2,
            gold_score=0.0,
            gold_accuracy=0.2,
        )
    )
    session.commit()
    found = reports.predictive_validity(session=session, assessment=assessment, min_tasks=20)
    assert found.graded == 41 and len(found.pairs) == 40
    assert found.gold is not None
    expected = stats.spearmanr(scores, live).statistic
    assert found.gold.rho == pytest.approx(expected, abs=1e-12)
    assert found.gold.low < found.gold.rho < found.gold.high
    assert found.reliability is not None and found.reliability.rho == pytest.approx(expected)
    assert sum(band.n for band in found.bands) == 40
    passing = np.mean(np.append(scores, 0.9) >= 0.7)
    assert found.current_yield == pytest.approx(passing)
    assert found.recommended is not None
    assert found.recommended.yield_rate >= found.required_yield - 1e-9


def test_validity_with_too_few_people_says_nothing(factory: Factory, session: Session) -> None:
    project = live_project(factory)
    assessment = _assessment(session, project.id)
    session.commit()
    found = reports.predictive_validity(session=session, assessment=assessment)
    assert found.gold is None and found.reliability is None and found.recommended is None
    assert found.current_yield is None


def test_outcomes_per_cohort_and_week(factory: Factory, session: Session) -> None:
    project = live_project(factory)
    assessment = _assessment(session, project.id)
    first, second = factory.person(worker=None), factory.person(worker=None)
    _attempt(session, assessment, first.id, 0.5)
    _attempt(session, assessment, first.id, 0.8, number=2)
    _attempt(session, assessment, second.id, 0.4)
    session.commit()
    cohorts, weeks = reports.outcomes_by(session=session, assessment_id=assessment.id)
    assert [(r.group, r.attempts, r.passed, r.failed, r.people) for r in cohorts] == [
        ("no cohort", 3, 1, 2, 2)
    ]
    assert cohorts[0].conversion == 0.5
    assert sum(r.attempts for r in weeks) == 3
    assert reports.week_of(utcnow().date()) == weeks[0].group
