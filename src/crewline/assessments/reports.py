"""What the assessment figures say: predictive validity, and outcomes per cohort and week.

Predictive validity pairs each person's assessment score with the same person's live figures
on the assessment's project, as the quality engine last computed them, once they have done at
least ``min_tasks`` live tasks there: gold accuracy (the Beta posterior mean, so three lucky
answers do not read as 100%; left out for someone who has seen no gold) and reliability (the
truth-inference model's estimate of their accuracy, or agreement with consensus where the
model has none). The score used is the person's first graded attempt: that is the score a
hiring decision was made on, and a later retake would be taken after training that the live
figure already reflects.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.assessments import validity
from crewline.assessments.models import Assessment, Attempt, AttemptStatus, Outcome
from crewline.assessments.outcomes import SLACK
from crewline.hiring.models import Application, Cohort
from crewline.quality.models import WorkerQuality

GRADED = (AttemptStatus.finished, AttemptStatus.expired)


@dataclass(frozen=True, slots=True)
class Pair:
    """One person's assessment score beside their live figures on the project."""

    person_id: int
    score: float
    gold_accuracy: float | None
    reliability: float | None
    tasks: int
    gold_seen: int


@dataclass(frozen=True, slots=True)
class Validity:
    """Does the assessment predict live work? Correlations, calibration, a recommended mark."""

    assessment_id: int
    min_tasks: int
    graded: int
    pairs: list[Pair]
    gold: validity.Correlation | None
    reliability: validity.Correlation | None
    bands: list[validity.Band]
    required_yield: float
    current_yield: float | None
    current_mean: float | None
    recommended: validity.Cutoff | None


def first_scores(*, session: Session, assessment_id: int) -> dict[int, float]:
    """Each person's score on their first graded attempt."""
    rows = session.execute(
        select(Attempt.person_id, Attempt.score)
        .where(
            Attempt.assessment_id == assessment_id,
            Attempt.status.in_(GRADED),
            Attempt.score.is_not(None),
        )
        .order_by(Attempt.person_id, Attempt.number)
    )
    scores: dict[int, float] = {}
    for person_id, score in rows:
        if person_id not in scores and score is not None:
            scores[person_id] = score
    return scores


def predictive_validity(
    *,
    session: Session,
    assessment: Assessment,
    min_tasks: int = 20,
    required_yield: float | None = None,
) -> Validity:
    """Correlate first-attempt scores with live gold accuracy and reliability on the project.

    ``required_yield`` is the share of candidates the program must admit; left out, it is the
    share the current pass mark admitted, so the recommendation answers "at the same yield,
    which mark would have brought the best live quality?".
    """
    scores = first_scores(session=session, assessment_id=assessment.id)
    live = {
        figures.person_id: figures
        for figures in session.scalars(
            select(WorkerQuality).where(
                WorkerQuality.project_id == assessment.project_id,
                WorkerQuality.person_id.in_(scores),
            )
        )
    }
    pairs = [
        Pair(
            person_id=person_id,
            score=score,
            gold_accuracy=figures.gold_accuracy if figures.gold_seen else None,
            reliability=figures.model_accuracy
            if figures.model_accuracy is not None
            else figures.consensus_agreement,
            tasks=figures.labels,
            gold_seen=figures.gold_seen,
        )
        for person_id, score in scores.items()
        if (figures := live.get(person_id)) is not None and figures.labels >= min_tasks
    ]
    with_gold = [p for p in pairs if p.gold_accuracy is not None]
    x = np.array([p.score for p in with_gold], dtype=float)
    y = np.array([p.gold_accuracy for p in with_gold], dtype=float)
    reliable = [(p.score, p.reliability) for p in pairs if p.reliability is not None]
    all_scores = np.array(list(scores.values()), dtype=float)
    current_yield = (
        float(np.mean(all_scores >= assessment.pass_score - SLACK)) if all_scores.size else None
    )
    wanted = required_yield if required_yield is not None else (current_yield or 0.0)
    admitted = y[x >= assessment.pass_score - SLACK] if x.size else y
    return Validity(
        assessment_id=assessment.id,
        min_tasks=min_tasks,
        graded=len(scores),
        pairs=pairs,
        gold=validity.spearman(x, y),
        reliability=validity.spearman([s for s, _ in reliable], [r for _, r in reliable]),
        bands=validity.calibration(x, y),
        required_yield=wanted,
        current_yield=current_yield,
        current_mean=float(admitted.mean()) if admitted.size else None,
        recommended=validity.recommend_cutoff(x, y, required_yield=wanted) if x.size else None,
    )


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    """Outcomes of graded attempts in one group (a cohort, or a week)."""

    group: str
    attempts: int
    passed: int
    training: int
    failed: int
    people: int
    people_passed: int

    @property
    def conversion(self) -> float | None:
        """Share of the people in the group who passed (at any attempt)."""
        return self.people_passed / self.people if self.people else None


def _rows(groups: dict[str, list[tuple[int, Outcome | None]]]) -> list[OutcomeRow]:
    rows = []
    for group, outcomes in groups.items():
        people = {person for person, _ in outcomes}
        passed_people = {person for person, outcome in outcomes if outcome is Outcome.passed}
        rows.append(
            OutcomeRow(
                group=group,
                attempts=len(outcomes),
                passed=sum(outcome is Outcome.passed for _, outcome in outcomes),
                training=sum(outcome is Outcome.training for _, outcome in outcomes),
                failed=sum(outcome is Outcome.failed for _, outcome in outcomes),
                people=len(people),
                people_passed=len(passed_people),
            )
        )
    return rows


def week_of(day: date) -> str:
    """The Monday starting ``day``'s week, as an ISO date (sorts and reads well)."""
    return (day - timedelta(days=day.weekday())).isoformat()


def outcomes_by(
    *, session: Session, assessment_id: int | None = None, project_id: int | None = None
) -> tuple[list[OutcomeRow], list[OutcomeRow]]:
    """Graded attempts' outcomes per cohort (name; "no cohort" for pool workers) and per week
    the attempt finished, of one assessment, one project's assessments, or all."""
    statement = (
        select(Attempt.person_id, Attempt.outcome, Attempt.finished_at, Cohort.name)
        .outerjoin(Application, Application.id == Attempt.application_id)
        .outerjoin(Cohort, Cohort.id == Application.cohort_id)
        .where(Attempt.status.in_(GRADED))
        .order_by(Attempt.finished_at)
    )
    if assessment_id is not None:
        statement = statement.where(Attempt.assessment_id == assessment_id)
    if project_id is not None:
        statement = statement.join(Assessment, Assessment.id == Attempt.assessment_id).where(
            Assessment.project_id == project_id
        )
    cohorts: dict[str, list[tuple[int, Outcome | None]]] = defaultdict(list)
    weeks: dict[str, list[tuple[int, Outcome | None]]] = defaultdict(list)
    for person_id, outcome, finished_at, cohort in session.execute(statement):
        cohorts[cohort or "no cohort"].append((person_id, outcome))
        if finished_at is not None:
            weeks[week_of(finished_at.date())].append((person_id, outcome))
    return sorted(_rows(cohorts), key=lambda row: row.group), _rows(weeks)
