"""JSON routes for model-assisted audits (off unless a chat model is configured)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from sqlalchemy import select

from crewline.auth.deps import Principal, SessionDep, require
from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.projects.access import visible_project
from crewline.quality import llm_audit
from crewline.quality.models import LlmJudgment
from crewline.quality.schemas import LlmAuditCreate, LlmAuditRead, LlmJudgmentRead
from crewline.validation import Id

router = APIRouter(tags=["model-assisted audit"])
Manager = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager))]
Editor = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager, Role.reviewer))]


def _read(session: SessionDep, audit_id: int) -> LlmAuditRead:
    found = llm_audit.summary(session=session, audit_id=audit_id)
    judgments = session.scalars(
        select(LlmJudgment).where(LlmJudgment.audit_id == audit_id).order_by(LlmJudgment.id)
    )
    return LlmAuditRead(
        **asdict(found), judgments=[LlmJudgmentRead.model_validate(j) for j in judgments]
    )


@router.post(
    "/projects/{project_id:int}/llm-audits",
    response_model=LlmAuditRead,
    status_code=status.HTTP_201_CREATED,
)
def run_audit(
    request: Request, project_id: Id, data: LlmAuditCreate, session: SessionDep, caller: Manager
) -> object:
    """Have the configured chat model judge a seeded sample of the project's annotations;
    409 when no model is configured or there is nothing to audit."""
    visible_project(session=session, principal=caller, project_id=project_id)
    chat = llm_audit.ChatModel.from_settings(request.app.state.settings)
    run = llm_audit.do_run(
        session=session,
        actor=caller.actor,
        project_id=project_id,
        sample_size=data.sample_size,
        seed=data.seed,
        send_to_review=data.send_disagreements_to_review,
        chat=chat,
        now=utcnow(),
    )
    return _read(session, run.id)


@router.get("/llm-audits/{audit_id:int}", response_model=LlmAuditRead)
def read_audit(audit_id: Id, session: SessionDep, caller: Editor) -> object:
    """An audit's agreement rates and judgments."""
    return _read(session, audit_id)
