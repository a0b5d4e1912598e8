"""JSON routes for quality rules and the log of what they did."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from crewline.auth.deps import Principal, SessionDep, require
from crewline.auth.roles import STAFF, Role
from crewline.db import utcnow
from crewline.errors import NotFound
from crewline.projects.access import visible_project
from crewline.quality import rules
from crewline.quality.models import QualityRule
from crewline.quality.schemas import Reversal, RuleActionRead, RuleCreate, RuleRead, RuleUpdate
from crewline.validation import Id

router = APIRouter(tags=["quality rules"])
Staff = Annotated[Principal, Depends(require(*STAFF))]
Manager = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager))]


@router.get("/projects/{project_id:int}/quality-rules", response_model=list[RuleRead])
def list_rules(project_id: Id, session: SessionDep, caller: Staff) -> object:
    """The project's rules, oldest first."""
    visible_project(session=session, principal=caller, project_id=project_id)
    return rules.rules_of(session=session, project_id=project_id)


@router.post(
    "/projects/{project_id:int}/quality-rules",
    response_model=RuleRead,
    status_code=status.HTTP_201_CREATED,
)
def create_rule(project_id: Id, data: RuleCreate, session: SessionDep, caller: Manager) -> object:
    """Add a rule; an unknown collector, action or operator, a setting the collector does not
    take, or an action that does not fit the collector is a 422 naming the field."""
    visible_project(session=session, principal=caller, project_id=project_id)
    return rules.do_create_rule(
        session=session,
        actor=caller.actor,
        project_id=project_id,
        name=data.name,
        collector=data.collector,
        params=data.params,
        operator_=data.operator,
        threshold=data.threshold,
        min_count=data.min_count,
        action=data.action,
    )


@router.patch("/quality-rules/{rule_id:int}", response_model=RuleRead)
def update_rule(rule_id: Id, data: RuleUpdate, session: SessionDep, caller: Manager) -> object:
    """Turn a rule on or off."""
    if session.get(QualityRule, rule_id) is None:
        raise NotFound(f"rule {rule_id} not found")
    return rules.do_set_enabled(
        session=session, actor=caller.actor, rule_id=rule_id, enabled=data.enabled
    )


@router.get("/projects/{project_id:int}/rule-actions", response_model=list[RuleActionRead])
def list_actions(project_id: Id, session: SessionDep, caller: Staff) -> object:
    """What the project's rules did, newest first (the last 200)."""
    visible_project(session=session, principal=caller, project_id=project_id)
    return rules.actions_of(session=session, project_id=project_id)


@router.post("/rule-actions/{action_id:int}/reverse", response_model=RuleActionRead)
def reverse(action_id: Id, data: Reversal, session: SessionDep, caller: Manager) -> object:
    """Reverse an action about a person (lifts the hold); 409 for task actions or twice."""
    return rules.do_reverse(
        session=session, actor=caller.actor, action_id=action_id, reason=data.reason, now=utcnow()
    )
