"""The demo's assessments, sat through the real engine so every figure on the pages is earned.

Three stories:

- **Pool workers** sat the qualification of the three projects whose members did the most
  work, a few days before they joined. Their answers
  follow their hidden accuracy (the one the work simulation used) plus a test-day wobble, so
  scores relate to live work with noise: the validity page shows a real, moderate correlation,
  and the careless and fraudulent workers the simulation planted (who did fine on the day)
  show why it is not perfect.
- **Screened candidates** of one requisition, now tied to a live project, sit its two-round
  trial: at or above 80% they pass to *assessed*, from 70% they enter training (the 70% rule),
  below they are rejected.
- **Candidates in training** in that requisition's cohorts sit the final project assessment:
  a pass qualifies them; a fail leaves one retake.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crewline.annotation.types import LabelSchema
from crewline.assessments import attempts, builder
from crewline.assessments.models import Assessment, AssessmentItem, AttemptItem, Kind
from crewline.assessments.schemas import Answer, AssessmentCreate
from crewline.audit.schemas import Actor
from crewline.demo.content import Item
from crewline.demo.hiring import PORTAL
from crewline.demo.projects import DemoProject
from crewline.demo.work import History, WorkerProfile, good_answer, mistake
from crewline.hiring import messages
from crewline.hiring.models import Application, Requisition
from crewline.projects import service as projects
from crewline.projects.models import Project, ProjectStatus
from crewline.quality.models import WorkerQuality
from crewline.tasks.models import Task

#: Projects that get a qualification assessment.
PROJECTS = 3
#: Gold tasks a project needs for an assessment worth sitting.
MIN_POOL = 6
#: The spread of a person's form on the day around their real accuracy.
WOBBLE = 0.08
PROGRESS_UNITS = 3


@dataclass(frozen=True, slots=True)
class AssessmentSummary:
    """What the step made."""

    assessments: int
    attempts: int


@dataclass(slots=True)
class _Sitter:
    """Sits attempts through the service, answering from a hidden accuracy."""

    session: Session
    rnd: Random
    count: int = 0

    def sit(
        self,
        assessment: Assessment,
        schema: LabelSchema,
        person_id: int,
        accuracy: float,
        at: datetime,
        application_id: int | None = None,
    ) -> None:
        """One whole attempt (both rounds of a trial), ``accuracy`` the chance of each answer
        being right; it starts at ``at`` and each item takes about half a minute."""
        attempt, _ = attempts.do_start(
            session=self.session,
            assessment_id=assessment.id,
            person_id=person_id,
            application_id=application_id,
            now=at,
            rng=self.rnd,
        )
        for round_ in range(attempts.rounds_of(assessment)):
            if round_:
                at += timedelta(minutes=5)
                attempts.do_next_round(
                    session=self.session, attempt_id=attempt.id, person_id=person_id, now=at,
                    rng=self.rnd,
                )  # fmt: skip
                accuracy = min(0.99, accuracy + 0.05)  # the feedback helped a little
            sitting = attempts.view(session=self.session, attempt=attempt, now=at)
            keys = _keys(self.session, [item.id for item in sitting.items])
            for item in sitting.items:
                seconds = self.rnd.uniform(15, 50)
                at += timedelta(seconds=seconds)
                data, key = keys[item.id]
                truth = Item(data=data, truth=key)
                right = self.rnd.random() < accuracy
                value = (good_answer if right else mistake)(self.rnd, schema, truth)
                attempts.do_answer(
                    session=self.session,
                    attempt_id=attempt.id,
                    person_id=person_id,
                    item_id=item.id,
                    data=Answer(answer=value, seconds=seconds),
                    now=at,
                    portal_url=PORTAL,
                )
            at += timedelta(seconds=30)
            attempts.do_finish(
                session=self.session,
                attempt_id=attempt.id,
                person_id=person_id,
                now=at,
                portal_url=PORTAL,
            )
        self.count += 1


def _keys(session: Session, attempt_item_ids: Sequence[int]) -> dict[int, tuple[Any, Any]]:
    """Each attempt item's task data and gold answer (the demo plays a candidate who knows
    only as much as their accuracy allows)."""
    rows = session.execute(
        select(AttemptItem.id, Task.data, Task.gold_answer)
        .join(AssessmentItem, AssessmentItem.id == AttemptItem.item_id)
        .join(Task, Task.id == AssessmentItem.task_id)
        .where(AttemptItem.id.in_(attempt_item_ids))
    )
    return {row_id: (data, key) for row_id, data, key in rows}


def _work_per_member(session: Session) -> dict[int, float]:
    """Median labels per member of each project, from the quality figures just computed."""
    labels: dict[int, list[int]] = {}
    for project_id, count in session.execute(
        select(WorkerQuality.project_id, WorkerQuality.labels)
    ):
        labels.setdefault(project_id, []).append(count)
    return {project_id: float(np.median(counts)) for project_id, counts in labels.items()}


def _gold_count(session: Session, project_id: int) -> int:
    count = session.scalar(
        select(func.count()).where(Task.project_id == project_id, Task.is_gold.is_(True))
    )
    return count or 0


def _create(
    session: Session, actor: Actor, project: Project, name: str, kind: Kind, n: int
) -> Assessment:
    return builder.do_create(
        session=session,
        actor=actor,
        project_id=project.id,
        data=AssessmentCreate.model_validate(
            {
                "name": name,
                "kind": kind,
                "time_limit_minutes": 30,
                "items_per_attempt": n,
                "pass_score": 0.8,
                "training_score": 0.7,
                "max_attempts": 2,
                "retake_after_days": 7,
            }
        ),
    )


def simulate(
    *,
    session: Session,
    actor: Actor,
    rng: np.random.Generator,
    demos: list[DemoProject],
    history: History,
    now: datetime,
    advance: Callable[[str, int], None],
) -> AssessmentSummary:
    """Build the assessments and sit them (see the module's docstring)."""
    sitter = _Sitter(session, Random(int(rng.integers(2**31))))  # noqa: S311 - a simulation
    gold = {d.project.id: _gold_count(session, d.project.id) for d in demos}
    depth = _work_per_member(session)
    # The projects whose members did the most work each: validity needs live figures per person.
    chosen = sorted(
        (d for d in demos if gold[d.project.id] >= MIN_POOL),
        key=lambda d: -depth.get(d.project.id, 0.0),
    )[:PROJECTS]
    made = 0
    for demo in chosen:
        pool = gold[demo.project.id]
        assessment = _create(
            session, actor, demo.project, f"{demo.project.name}: qualification", Kind.project,
            min(15, pool),
        )  # fmt: skip
        made += 1
        _pool_workers(sitter, assessment, demo, history.profiles, rng)
    advance("Assessments: pool workers", 1)
    live = [d for d in chosen if d.project.status is ProjectStatus.live]
    if live:
        made += _candidates(sitter, session, actor, live[0].project, rng, now)
    advance("Assessments: candidates", 1)
    messages.mark_sent(session=session, before=now - timedelta(hours=1))
    session.commit()
    advance("Assessments: done", 1)
    return AssessmentSummary(assessments=made, attempts=sitter.count)


def _pool_workers(
    sitter: _Sitter,
    assessment: Assessment,
    demo: DemoProject,
    profiles: dict[int, WorkerProfile],
    rng: np.random.Generator,
) -> None:
    """Each member who worked on the project sat its qualification a few days before joining."""
    schema = projects.label_schema(session=sitter.session, project=demo.project)
    first: dict[int, datetime] = {}
    for period in demo.periods:
        person_id = period.person.id
        if person_id in profiles:
            first[person_id] = min(first.get(person_id, period.joined_at), period.joined_at)
    for person_id, joined in sorted(first.items()):
        form = profiles[person_id].accuracy + float(rng.normal(0, WOBBLE))
        at = joined - timedelta(days=float(rng.uniform(2, 6)))
        sitter.sit(assessment, schema, person_id, float(np.clip(form, 0.05, 0.99)), at)


def _candidates(
    sitter: _Sitter,
    session: Session,
    actor: Actor,
    project: Project,
    rng: np.random.Generator,
    now: datetime,
) -> int:
    """Tie the busiest open requisition to ``project``; its screened candidates sit the trial
    and its candidates in training sit the final assessment."""
    requisition = session.scalars(
        select(Requisition)
        .join(Application, Application.requisition_id == Requisition.id)
        .where(Requisition.planned_project.is_(None), Requisition.project_id.is_(None))
        .group_by(Requisition.id)
        .order_by(Requisition.id)
    ).first()
    if requisition is None:
        return 0
    requisition.project_id = project.id
    session.commit()
    schema = projects.label_schema(session=session, project=project)
    pool = _gold_count(session, project.id)
    trial = _create(
        session, actor, project, f"{project.name}: trial tasks", Kind.trial, min(10, pool // 2)
    )
    final = next(
        a
        for a in builder.list_assessments(session=session, project_id=project.id)
        if a.kind is Kind.project
    )
    for stage, assessment in (("screened", trial), ("trial_training", final)):
        waiting = session.scalars(
            select(Application)
            .where(Application.requisition_id == requisition.id, Application.stage == stage)
            .order_by(Application.id)
        ).all()
        for application in waiting:
            since = application.stage_changed_at
            at = since + timedelta(days=float(rng.uniform(0.5, 6)))
            if at > now - timedelta(hours=2) or rng.random() < 0.3:
                continue  # not sat yet: still waiting for their slot
            skill = float(np.clip(rng.beta(6, 2.2) + rng.normal(0, WOBBLE), 0.05, 0.99))
            sitter.sit(assessment, schema, application.person_id, skill, at, application.id)
    return 1
