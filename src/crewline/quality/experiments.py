"""Guideline experiments: two guideline versions side by side on a live project.

Starting one sets the project's two arm versions: the claim then gives half the workers (or
half the tasks) version A and the others version B, by a stable hash of the id, and every
assignment records the version it was made under. The report compares the arms' gold accuracy
and agreement with the final answers, with a bootstrap interval and a permutation p-value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.errors import Conflict, InvalidInput, NotFound
from crewline.projects import service as projects
from crewline.quality.ab_test import Comparison, compare_arms
from crewline.quality.models import Experiment, ExperimentStatus, TaskConsensus
from crewline.tasks.models import COUNTED, Assignment

UNITS = ("worker", "task")


@dataclass(frozen=True, slots=True)
class Report:
    """Per-arm label counts and the two comparisons (None where an arm has no outcome)."""

    experiment: Experiment
    labels_a: int
    labels_b: int
    gold_accuracy: Comparison | None
    agreement: Comparison | None


def get_or_404(*, session: Session, experiment_id: int) -> Experiment:
    """An experiment, or NotFound."""
    found = session.get(Experiment, experiment_id)
    if found is None:
        raise NotFound(f"experiment {experiment_id} not found")
    return found


def do_start(
    *,
    session: Session,
    actor: Actor,
    project_id: int,
    name: str,
    unit: str,
    version_a: int | None,
    version_b: int,
    seed: int,
    now: datetime,
) -> Experiment:
    """Run guideline ``version_a`` (default: the current one) against ``version_b``."""
    project = projects.get_or_404(session=session, project_id=project_id)
    if unit not in UNITS:
        raise InvalidInput("unit", f"{unit!r} is not one of {', '.join(UNITS)}")
    version_a = project.guideline_version if version_a is None else version_a
    for field, version in (("version_a", version_a), ("version_b", version_b)):
        if projects.guideline(session=session, project_id=project_id, version=version) is None:
            raise InvalidInput(field, f"project {project_id} has no guideline version {version}")
    if version_b == version_a:
        raise InvalidInput("version_b", "is the same as version_a: nothing to compare")
    running = session.scalar(
        select(Experiment.id).where(
            Experiment.project_id == project_id, Experiment.status == ExperimentStatus.running
        )
    )
    if running is not None:
        raise Conflict(f"experiment {running} is already running on project {project_id}")
    experiment = Experiment(
        project_id=project_id,
        name=name,
        unit=unit,
        version_a=version_a,
        version_b=version_b,
        seed=seed,
        status=ExperimentStatus.running,
        started_at=now,
        created_by=actor.label,
    )
    session.add(experiment)
    project.trial_version_a, project.trial_version = version_a, version_b
    project.trial_unit, project.trial_seed = unit, seed
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="quality.experiment_start",
        entity_type="project",
        entity_id=project_id,
        after={"experiment_id": experiment.id, "version_b": version_b, "unit": unit},
    )
    session.commit()
    return experiment


def do_stop(*, session: Session, actor: Actor, experiment_id: int, now: datetime) -> Experiment:
    """Stop an experiment: every new assignment gets the current guidelines again."""
    experiment = get_or_404(session=session, experiment_id=experiment_id)
    if experiment.status is ExperimentStatus.stopped:
        raise Conflict(f"experiment {experiment_id} is already stopped")
    project = projects.get_or_404(session=session, project_id=experiment.project_id)
    project.trial_version_a, project.trial_version, project.trial_unit = None, None, None
    experiment.status, experiment.stopped_at = ExperimentStatus.stopped, now
    audit.record(
        session=session,
        actor=actor,
        action="quality.experiment_stop",
        entity_type="project",
        entity_id=experiment.project_id,
        after={"experiment_id": experiment_id},
    )
    session.commit()
    return experiment


def experiments_of(*, session: Session, project_id: int) -> list[Experiment]:
    """A project's experiments, newest first."""
    return list(
        session.scalars(
            select(Experiment)
            .where(Experiment.project_id == project_id)
            .order_by(Experiment.started_at.desc(), Experiment.id.desc())
        )
    )


def report(*, session: Session, experiment_id: int) -> Report:
    """Gold accuracy and agreement with the final answer, arm B against arm A."""
    experiment = get_or_404(session=session, experiment_id=experiment_id)
    query = (
        select(
            Assignment.guideline_version,
            Assignment.is_gold,
            Assignment.gold_score,
            Assignment.value,
            TaskConsensus.answer,
        )
        .outerjoin(TaskConsensus, TaskConsensus.task_id == Assignment.task_id)
        .where(
            Assignment.project_id == experiment.project_id,
            Assignment.state.in_(COUNTED),
            Assignment.leased_at >= experiment.started_at,
            Assignment.guideline_version.in_([experiment.version_a, experiment.version_b]),
        )
    )
    if experiment.stopped_at is not None:
        query = query.where(Assignment.leased_at <= experiment.stopped_at)
    gold: dict[int, list[float]] = {experiment.version_a: [], experiment.version_b: []}
    agree: dict[int, list[float]] = {experiment.version_a: [], experiment.version_b: []}
    counts = {experiment.version_a: 0, experiment.version_b: 0}
    for version, is_gold, score, value, answer in session.execute(query):
        counts[version] += 1
        if is_gold and score is not None:
            gold[version].append(float(score))
        elif not is_gold and answer is not None:
            agree[version].append(float(value == answer))

    def compare(outcomes: dict[int, list[float]]) -> Comparison | None:
        a, b = outcomes[experiment.version_a], outcomes[experiment.version_b]
        return compare_arms(a, b, seed=experiment.seed) if a and b else None

    return Report(
        experiment=experiment,
        labels_a=counts[experiment.version_a],
        labels_b=counts[experiment.version_b],
        gold_accuracy=compare(gold),
        agreement=compare(agree),
    )
