"""Quality pages: every project's figures at a glance, one project's dashboard, a worker's panel.

Every number shown comes from the refresh's stored figures (``quality.service``); nothing is
computed in a template. Client viewers see their own projects with pseudonymous worker ids.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from crewline.auth.deps import Principal, SessionDep, require
from crewline.auth.roles import STAFF, Role
from crewline.db import utcnow
from crewline.errors import InvalidInput
from crewline.people import service as people
from crewline.people.models import Person
from crewline.people.pages import PersonPanel, PersonPanels
from crewline.projects import service as projects
from crewline.projects.access import visible_project
from crewline.quality import fraud_flags, rules, service
from crewline.quality.models import FlagDecision
from crewline.tasks.export import pseudonym
from crewline.validation import Id
from crewline.web.navigation import Navigation
from crewline.web.tables import Column, page_request
from crewline.web.templating import render

router = APIRouter()
Viewer = Annotated[Principal, Depends(require(*STAFF, Role.client_viewer))]
Editor = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager, Role.reviewer))]
Manager = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager))]

LEADERBOARD = [
    Column("name", "Worker"),
    Column("gold_low", "Gold accuracy (95 % interval)", sort="gold_low", numeric=True),
    Column("gold_seen", "Gold seen", sort="gold_seen", numeric=True),
    Column("agreement", "Agrees with consensus", sort="agreement", numeric=True),
    Column("model_accuracy", "Model accuracy", sort="model_accuracy", numeric=True),
    Column("labels", "Labels", sort="labels", numeric=True),
    Column("speed", "Labels per hour", sort="speed", numeric=True),
]


def register_navigation(nav: Navigation) -> None:
    """Staff and client viewers see quality."""
    nav.add("Quality", "/quality", {*STAFF, Role.client_viewer}, order=40)


def register_panels(panels: PersonPanels) -> None:
    """A worker's quality figures on their person page."""
    panels.add(PersonPanel(title="Quality", render=_person_panel, order=20))


def _person_panel(
    session: Session, principal: Principal, person: Person
) -> tuple[str, dict[str, Any]] | None:
    figures = service.person_figures(session=session, person_id=person.id)
    if not figures:
        return None
    return "quality/_person.html", {"figures": figures}


@router.get("/quality")
def quality_index(request: Request, session: SessionDep, caller: Viewer) -> Response:
    """Every visible project with its headline quality figures."""
    client_id = caller.user.organization_id if caller.role is Role.client_viewer else None
    rows = [
        (project, service.summary(session=session, project=project))
        for project in projects.list_projects(session=session, client_id=client_id)
    ]
    return render(request, "quality/index.html", {"rows": rows}, principal=caller)


@router.get("/quality/projects/{project_id:int}")
def dashboard(request: Request, project_id: Id, session: SessionDep, caller: Viewer) -> Response:
    """One project's quality: headline figures, series, alerts and the worker leaderboard."""
    project = visible_project(session=session, principal=caller, project_id=project_id)
    page = page_request(request, sorts=service.SORTS, default_sort="gold_low", default_per_page=25)
    if "dir" not in request.query_params:
        page = type(page)(page=page.page, per_page=page.per_page, sort=page.sort, direction="desc")
    board, names = service.leaderboard(session=session, project_id=project.id, page=page)
    if caller.role is Role.client_viewer:
        secret: str = request.app.state.secret_key
        names = {
            person_id: pseudonym(secret_key=secret, project_id=project.id, person_id=person_id)
            for person_id in names
        }
    points = service.series(session=session, project_id=project.id)
    return render(
        request,
        "quality/dashboard.html",
        {
            "project": project,
            "summary": service.summary(session=session, project=project),
            "days": [p.day.date().isoformat() for p in points],
            "series": [
                {"name": "Gold accuracy", "values": [p.gold_accuracy for p in points]},
                {"name": "Agreement with consensus", "values": [p.agreement for p in points]},
            ],
            "labels_per_day": [p.labels for p in points],
            "alerts": service.alerts(session=session, project_id=project.id),
            "board": board,
            "names": names,
            "columns": LEADERBOARD,
            "may_edit": caller.role in {Role.admin, Role.ops_manager, Role.reviewer},
            "show_people": caller.role is not Role.client_viewer,
        },
        principal=caller,
    )


@router.post("/quality/alerts/{alert_id:int}/acknowledge")
def acknowledge(
    alert_id: Id,
    session: SessionDep,
    caller: Editor,
    project_id: Annotated[int, Form(ge=1)],
) -> Response:
    """Mark an alert seen, then back to its project's dashboard."""
    service.do_acknowledge_alert(
        session=session, actor=caller.actor, alert_id=alert_id, project_ids=None, now=utcnow()
    )
    return RedirectResponse(f"/quality/projects/{project_id}#alerts", status_code=303)


@router.get("/quality/projects/{project_id:int}/flags")
def flags_page(request: Request, project_id: Id, session: SessionDep, caller: Editor) -> Response:
    """The project's fraud and carelessness flags with their evidence and decision forms."""
    project = visible_project(session=session, principal=caller, project_id=project_id)
    raw = request.query_params.get("status") or "open"
    status = None if raw == "all" else _status(raw)
    rows = fraud_flags.flags(session=session, project_id=project.id, status=status)
    names = people.names(session=session, person_ids={f.person_id for f in rows})
    return render(
        request,
        "quality/flags.html",
        {
            "project": project,
            "flags": rows,
            "names": names,
            "status": raw,
            "may_decide": caller.role in {Role.admin, Role.ops_manager},
        },
        principal=caller,
    )


def _status(raw: str) -> FlagDecision:
    try:
        return FlagDecision(raw)
    except ValueError:
        raise InvalidInput(
            "status", f"{raw!r} is not one of open, confirmed, dismissed, all"
        ) from None


@router.post("/quality/flags/{flag_id:int}")
def decide_flag(
    flag_id: Id,
    session: SessionDep,
    caller: Manager,
    decision: Annotated[fraud_flags.Decision, Form()],
    note: Annotated[str, Form(max_length=1000)] = "",
    hold: Annotated[bool, Form()] = False,
    exclude_labels: Annotated[bool, Form()] = False,
) -> Response:
    """Confirm or dismiss a flag from the page, then back to the flags."""
    flag = fraud_flags.do_decide(
        session=session,
        actor=caller.actor,
        flag_id=flag_id,
        decision=decision,
        note=note.strip() or None,
        hold=hold,
        exclude_labels=exclude_labels,
        now=utcnow(),
    )
    return RedirectResponse(f"/quality/projects/{flag.project_id}/flags", status_code=303)


@router.get("/quality/projects/{project_id:int}/rules")
def rules_page(request: Request, project_id: Id, session: SessionDep, caller: Editor) -> Response:
    """The project's rules, a form to add one, and the log of what they did."""
    project = visible_project(session=session, principal=caller, project_id=project_id)
    log = rules.actions_of(session=session, project_id=project.id)
    return render(
        request,
        "quality/rules.html",
        {
            "project": project,
            "rules": rules.rules_of(session=session, project_id=project.id),
            "log": log,
            "names": people.names(
                session=session, person_ids={a.person_id for a in log if a.person_id}
            ),
            "collectors": rules.COLLECTORS,
            "actions": rules.ACTIONS,
            "operators": list(rules.OPERATORS),
            "may_edit": caller.role in {Role.admin, Role.ops_manager},
        },
        principal=caller,
    )


@router.post("/quality/projects/{project_id:int}/rules")
def add_rule(
    project_id: Id,
    session: SessionDep,
    caller: Manager,
    name: Annotated[str, Form(min_length=1, max_length=200)],
    collector: Annotated[str, Form(max_length=40)],
    operator: Annotated[str, Form(max_length=2)],
    threshold: Annotated[float, Form()],
    action: Annotated[str, Form(max_length=40)],
    min_count: Annotated[int, Form(ge=1, le=100_000)] = 1,
    last: Annotated[float | None, Form()] = None,
    seconds: Annotated[float | None, Form()] = None,
    days: Annotated[float | None, Form()] = None,
) -> Response:
    """Add a rule from the page; settings the collector does not take are left out."""
    visible_project(session=session, principal=caller, project_id=project_id)
    takes = rules.COLLECTORS[collector].params if collector in rules.COLLECTORS else {}
    given = {"last": last, "seconds": seconds, "days": days}
    params = {k: v for k, v in given.items() if v is not None and k in takes}
    rules.do_create_rule(
        session=session,
        actor=caller.actor,
        project_id=project_id,
        name=name,
        collector=collector,
        params=params,
        operator_=operator,
        threshold=threshold,
        min_count=min_count,
        action=action,
    )
    return RedirectResponse(f"/quality/projects/{project_id}/rules", status_code=303)


@router.post("/quality/rules/{rule_id:int}/enabled")
def toggle_rule(
    rule_id: Id, session: SessionDep, caller: Manager, enabled: Annotated[bool, Form()]
) -> Response:
    """Turn a rule on or off from the page."""
    rule = rules.do_set_enabled(
        session=session, actor=caller.actor, rule_id=rule_id, enabled=enabled
    )
    return RedirectResponse(f"/quality/projects/{rule.project_id}/rules", status_code=303)


@router.post("/quality/rule-actions/{action_id:int}/reverse")
def reverse_action(
    action_id: Id,
    session: SessionDep,
    caller: Manager,
    reason: Annotated[str, Form(min_length=1, max_length=500)],
) -> Response:
    """Reverse an action about a person from the log."""
    taken = rules.do_reverse(
        session=session, actor=caller.actor, action_id=action_id, reason=reason, now=utcnow()
    )
    return RedirectResponse(f"/quality/projects/{taken.project_id}/rules#log", status_code=303)
