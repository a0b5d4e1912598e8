"""JSON routes for guideline experiments."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, status

from crewline.auth.deps import Principal, SessionDep, require
from crewline.auth.roles import STAFF, Role
from crewline.db import utcnow
from crewline.projects.access import visible_project
from crewline.quality import experiments
from crewline.quality.ab_test import Comparison
from crewline.quality.schemas import (
    ComparisonRead,
    ExperimentCreate,
    ExperimentRead,
    ExperimentReportRead,
)
from crewline.validation import Id

router = APIRouter(tags=["guideline experiments"])
Staff = Annotated[Principal, Depends(require(*STAFF))]
Manager = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager))]


@router.post(
    "/projects/{project_id:int}/experiments",
    response_model=ExperimentRead,
    status_code=status.HTTP_201_CREATED,
)
def start(project_id: Id, data: ExperimentCreate, session: SessionDep, caller: Manager) -> object:
    """Start an experiment: half the workers (or tasks) get guideline ``version_a`` (default
    the current one), half ``version_b``; 422 for an unknown version or unit, or the same
    version twice; 409 if one is already running."""
    visible_project(session=session, principal=caller, project_id=project_id)
    return experiments.do_start(
        session=session,
        actor=caller.actor,
        project_id=project_id,
        name=data.name,
        unit=data.unit,
        version_a=data.version_a,
        version_b=data.version_b,
        seed=data.seed,
        now=utcnow(),
    )


@router.get("/projects/{project_id:int}/experiments", response_model=list[ExperimentRead])
def list_experiments(project_id: Id, session: SessionDep, caller: Staff) -> object:
    """A project's experiments, newest first."""
    visible_project(session=session, principal=caller, project_id=project_id)
    return experiments.experiments_of(session=session, project_id=project_id)


@router.post("/experiments/{experiment_id:int}/stop", response_model=ExperimentRead)
def stop(experiment_id: Id, session: SessionDep, caller: Manager) -> object:
    """Stop an experiment (409 if it already is)."""
    return experiments.do_stop(
        session=session, actor=caller.actor, experiment_id=experiment_id, now=utcnow()
    )


@router.get("/experiments/{experiment_id:int}/report", response_model=ExperimentReportRead)
def read_report(experiment_id: Id, session: SessionDep, caller: Staff) -> object:
    """Gold accuracy and agreement per arm, B minus A with a bootstrap 95 % interval and a
    permutation-test p-value."""
    found = experiments.report(session=session, experiment_id=experiment_id)

    def comparison(value: Comparison | None) -> ComparisonRead | None:
        return None if value is None else ComparisonRead(**asdict(value))

    return ExperimentReportRead(
        experiment=ExperimentRead.model_validate(found.experiment),
        labels_a=found.labels_a,
        labels_b=found.labels_b,
        gold_accuracy=comparison(found.gold_accuracy),
        agreement=comparison(found.agreement),
    )
