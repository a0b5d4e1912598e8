"""JSON routes for a project's quality figures, alerts, settings and refresh."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from crewline.auth.deps import Principal, SessionDep, require
from crewline.auth.roles import STAFF, Role
from crewline.db import utcnow
from crewline.errors import InvalidInput, NotFound
from crewline.people.access import ensure_visible
from crewline.people.models import Person
from crewline.projects import service as projects
from crewline.projects.access import visible_project
from crewline.quality import fraud_flags, refresh, service
from crewline.quality.models import AlertStatus, FlagDecision, TaskConsensus
from crewline.quality.schemas import (
    AlertRead,
    ConsensusRead,
    DayPointRead,
    FlagDecisionIn,
    FraudFlagRead,
    RefreshRead,
    SettingsRead,
    SettingsUpdate,
    SummaryRead,
    WorkerPage,
    WorkerQualityRead,
)
from crewline.tasks.export import pseudonym
from crewline.validation import Id
from crewline.web.tables import PageRequest

router = APIRouter(tags=["quality"])
Viewer = Annotated[Principal, Depends(require(*STAFF, Role.client_viewer))]
Staff = Annotated[Principal, Depends(require(*STAFF))]
Editor = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager, Role.reviewer))]
Manager = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager))]

#: Settings that always have a value: sending null for them is refused.
REQUIRED_SETTINGS = frozenset(
    {"method", "min_gold_seen", "confidence_threshold", "error_rate_warning"}
)


@router.get("/projects/{project_id:int}/quality", response_model=SummaryRead)
def read_summary(project_id: Id, session: SessionDep, caller: Viewer) -> object:
    """Headline figures: consensus, label error rate, open reviews, alerts and flags."""
    project = visible_project(session=session, principal=caller, project_id=project_id)
    return service.summary(session=session, project=project)


@router.get("/projects/{project_id:int}/quality/series", response_model=list[DayPointRead])
def read_series(
    project_id: Id,
    session: SessionDep,
    caller: Viewer,
    person_id: Annotated[int | None, Query(ge=1)] = None,
) -> object:
    """Daily labels, gold accuracy and agreement with consensus (the project's, or a worker's)."""
    visible_project(session=session, principal=caller, project_id=project_id)
    if person_id is not None and caller.role is Role.client_viewer:
        raise InvalidInput("person_id", "client viewers see the project's series only")
    return service.series(session=session, project_id=project_id, person_id=person_id)


@router.get("/projects/{project_id:int}/quality/workers", response_model=WorkerPage)
def read_workers(
    request: Request,
    project_id: Id,
    session: SessionDep,
    caller: Viewer,
    sort: Annotated[str, Query(pattern="^(" + "|".join(service.SORTS) + ")$")] = "gold_low",
    direction: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> object:
    """The worker leaderboard; client viewers get pseudonymous ids instead of names."""
    project = visible_project(session=session, principal=caller, project_id=project_id)
    page = PageRequest(page=offset // limit + 1, per_page=limit, sort=sort, direction=direction)  # type: ignore[arg-type]
    board, names = service.leaderboard(session=session, project_id=project.id, page=page)
    client = caller.role is Role.client_viewer
    secret: str = request.app.state.secret_key
    items = (
        [
            WorkerQualityRead.model_validate(row).model_copy(
                update={
                    "person_id": None if client else row.person_id,
                    "worker": pseudonym(
                        secret_key=secret, project_id=project.id, person_id=row.person_id
                    )
                    if client
                    else names.get(row.person_id, str(row.person_id)),
                }
            )
            for row in board.items
        ]
        if board.items
        else []
    )
    return WorkerPage(total=board.total, items=items)


@router.get("/people/{person_id:int}/quality", response_model=list[WorkerQualityRead])
def read_person(person_id: Id, session: SessionDep, caller: Staff) -> object:
    """A worker's figures on every project they have labels on."""
    person = ensure_visible(caller, session.get(Person, person_id), person_id)
    return [
        WorkerQualityRead.model_validate(row).model_copy(update={"worker": person.full_name})
        for row, _name in service.person_figures(session=session, person_id=person_id)
    ]


@router.get("/projects/{project_id:int}/consensus", response_model=list[ConsensusRead])
def read_consensus(
    project_id: Id,
    session: SessionDep,
    caller: Viewer,
    after_task_id: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> object:
    """Final answers by task id, a page at a time (``after_task_id`` is the last one seen)."""
    visible_project(session=session, principal=caller, project_id=project_id)
    return session.scalars(
        select(TaskConsensus)
        .where(TaskConsensus.project_id == project_id, TaskConsensus.task_id > after_task_id)
        .order_by(TaskConsensus.task_id)
        .limit(limit)
    ).all()


@router.get("/projects/{project_id:int}/quality/alerts", response_model=list[AlertRead])
def read_alerts(
    project_id: Id,
    session: SessionDep,
    caller: Staff,
    status: AlertStatus | None = AlertStatus.open,
) -> object:
    """A project's alerts, newest first (open ones unless ``status`` says otherwise)."""
    visible_project(session=session, principal=caller, project_id=project_id)
    return service.alerts(session=session, project_id=project_id, status=status)


@router.post("/quality/alerts/{alert_id:int}/acknowledge", response_model=AlertRead)
def acknowledge_alert(alert_id: Id, session: SessionDep, caller: Editor) -> object:
    """Mark an alert seen (409 if it already is)."""
    return service.do_acknowledge_alert(
        session=session, actor=caller.actor, alert_id=alert_id, project_ids=None, now=utcnow()
    )


@router.get("/projects/{project_id:int}/quality/settings", response_model=SettingsRead)
def read_settings(project_id: Id, session: SessionDep, caller: Staff) -> object:
    """The project's quality bar and thresholds (the defaults until changed)."""
    visible_project(session=session, principal=caller, project_id=project_id)
    return refresh.settings_of(session=session, project_id=project_id)


@router.patch("/projects/{project_id:int}/quality/settings", response_model=SettingsRead)
def update_settings(
    project_id: Id, data: SettingsUpdate, session: SessionDep, caller: Manager
) -> object:
    """Change the quality bar and thresholds; ``min_gold_accuracy`` or ``max_labels`` null
    turns the bar or dynamic overlap off."""
    visible_project(session=session, principal=caller, project_id=project_id)
    changes = data.model_dump(exclude_unset=True)
    for name in REQUIRED_SETTINGS & {k for k, v in changes.items() if v is None}:
        raise InvalidInput(name, "cannot be null")
    return service.do_update_settings(
        session=session, actor=caller.actor, project_id=project_id, changes=changes
    )


@router.post("/projects/{project_id:int}/quality/refresh", response_model=RefreshRead)
def refresh_now(request: Request, project_id: Id, session: SessionDep, caller: Editor) -> object:
    """Recompute the project's figures now instead of waiting for the job."""
    visible_project(session=session, principal=caller, project_id=project_id)
    return refresh.refresh_project(
        session=session, project_id=project_id, now=utcnow(), embedder=request.app.state.embedder
    )


@router.get("/projects/{project_id:int}/fraud-flags", response_model=list[FraudFlagRead])
def read_flags(
    project_id: Id,
    session: SessionDep,
    caller: Editor,
    status: FlagDecision | None = FlagDecision.open,
) -> object:
    """Fraud and carelessness flags, most severe first (open ones unless ``status`` says)."""
    visible_project(session=session, principal=caller, project_id=project_id)
    return fraud_flags.flags(session=session, project_id=project_id, status=status)


@router.post("/fraud-flags/{flag_id:int}/decide", response_model=FraudFlagRead)
def decide_flag(flag_id: Id, data: FlagDecisionIn, session: SessionDep, caller: Manager) -> object:
    """Confirm or dismiss a flag; a confirmation may hold the worker back from the project and
    exclude their labels from consensus (from the next refresh)."""
    return fraud_flags.do_decide(
        session=session,
        actor=caller.actor,
        flag_id=flag_id,
        decision=data.decision,
        note=data.note,
        hold=data.hold,
        exclude_labels=data.exclude_labels,
        now=utcnow(),
    )


@router.delete("/projects/{project_id:int}/holds/{person_id:int}", status_code=204)
def release_hold(project_id: Id, person_id: Id, session: SessionDep, caller: Manager) -> None:
    """Lift a quality hold: the worker receives the project's tasks again (404 if not on it)."""
    visible_project(session=session, principal=caller, project_id=project_id)
    member = projects.do_set_hold(
        session=session,
        actor=caller.actor,
        project_id=project_id,
        person_id=person_id,
        reason=None,
        now=utcnow(),
    )
    if member is None:
        raise NotFound(f"person {person_id} is not on project {project_id}")
