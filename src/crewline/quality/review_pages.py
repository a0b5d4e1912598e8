"""The review queue page: decide items, promote answers to gold, answer guideline questions."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from crewline.annotation import LikertSchema, SingleLabelSchema
from crewline.auth.deps import Principal, SessionDep, require
from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.errors import InvalidInput
from crewline.projects import service as projects
from crewline.projects.access import visible_project
from crewline.quality import review
from crewline.quality.models import ReviewReason, ReviewStatus
from crewline.validation import Id
from crewline.web.tables import page_request
from crewline.web.templating import render

router = APIRouter()
Reviewer = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager, Role.reviewer))]


def _choices(schema: object) -> list[str] | None:
    """Answers a reviewer picks from a list (single labels, Likert points); None for others."""
    if isinstance(schema, SingleLabelSchema):
        return list(schema.label_values)
    if isinstance(schema, LikertSchema):
        return [str(point) for point in range(schema.min, schema.max + 1, schema.step)]
    return None


@router.get("/quality/projects/{project_id:int}/review")
def review_page(
    request: Request, project_id: Id, session: SessionDep, caller: Reviewer
) -> Response:
    """Open and escalated items with their labels and a decision form each; open questions."""
    project = visible_project(session=session, principal=caller, project_id=project_id)
    params = request.query_params
    status = _enum(ReviewStatus, params.get("status"), "status")
    reason = _enum(ReviewReason, params.get("reason"), "reason")
    page = page_request(request, sorts=review.SORTS, default_sort="created", default_per_page=20)
    result = review.queue(
        session=session, project_id=project.id, page=page, status=status, reason=reason
    )
    schema = projects.label_schema(session=session, project=project)
    return render(
        request,
        "quality/review.html",
        {
            "project": project,
            "page": result,
            "views": review.views(session=session, items=list(result.items)),
            "choices": _choices(schema),
            "status": status,
            "reason": reason,
            "statuses": [(s.value, s.value) for s in ReviewStatus],
            "reasons": [(r.value, r.value.replace("_", " ")) for r in ReviewReason],
            "questions": review.questions(session=session, project_id=project.id),
            "expert": review.is_expert(session=session, principal=caller, project_id=project.id),
            "to_json": lambda value: json.dumps(value, ensure_ascii=False),
        },
        principal=caller,
    )


def _enum(kind: Any, raw: str | None, field: str) -> Any:
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        raise InvalidInput(
            field, f"{raw!r} is not one of {', '.join(m.value for m in kind)}"
        ) from None


@router.post("/quality/review/{item_id:int}")
def decide(
    item_id: Id,
    session: SessionDep,
    caller: Reviewer,
    action: Annotated[review.Action, Form()],
    answer: Annotated[str, Form(max_length=100_000)] = "",
    note: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """A decision from the page; the answer is a listed choice or JSON in the value format."""
    item = review.get_or_404(session=session, item_id=item_id)
    value: Any = None
    if action is review.Action.correct:
        value = _parse_answer(answer)
    review.do_decide(
        session=session,
        principal=caller,
        item_id=item_id,
        action=action,
        answer=value,
        note=note.strip() or None,
        now=utcnow(),
    )
    return RedirectResponse(f"/quality/projects/{item.project_id}/review", status_code=303)


def _parse_answer(raw: str) -> Any:
    """A JSON value, or the text itself (a label typed or picked from the list)."""
    text = raw.strip()
    if not text:
        raise InvalidInput("answer", "give the corrected answer")
    try:
        return json.loads(text)
    except ValueError:
        return text


@router.post("/quality/review/{item_id:int}/promote")
def promote(item_id: Id, session: SessionDep, caller: Reviewer) -> Response:
    """Promote a decided answer to gold, then back to the queue."""
    item = review.do_promote_to_gold(
        session=session, actor=caller.actor, item_id=item_id, now=utcnow()
    )
    return RedirectResponse(
        f"/quality/projects/{item.project_id}/review?status={item.status.value}", status_code=303
    )


@router.post("/quality/questions/{flag_id:int}")
def answer_question(
    flag_id: Id,
    session: SessionDep,
    caller: Reviewer,
    answer: Annotated[str, Form(min_length=1, max_length=5000)],
    publish: Annotated[bool, Form()] = False,
) -> Response:
    """Answer a question; ``publish`` appends the question and answer to the guidelines as a
    new version, so every worker sees it with their next task."""
    question = review.open_question(session=session, flag_id=flag_id)
    guidelines = None
    if publish:
        current = projects.guideline_versions(session=session, project_id=question.project_id)
        body = current[0].body if current else ""
        guidelines = f"{body.rstrip()}\n\n### Q: {question.body.strip()}\n\n{answer.strip()}\n"
    flag, _version = review.do_answer_question(
        session=session,
        actor=caller.actor,
        flag_id=flag_id,
        answer=answer,
        guidelines=guidelines,
        now=utcnow(),
    )
    return RedirectResponse(
        f"/quality/projects/{flag.project_id}/review#questions", status_code=303
    )
