"""The review queue page: decide items, promote answers to gold, answer guideline questions.

Staff reviewers work the whole queue; a project's experts (workers) see and decide the items
escalated to them; the client's viewers read it. Only staff see workers' names.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

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
from crewline.web.navigation import Navigation
from crewline.web.tables import page_request
from crewline.web.templating import render

router = APIRouter()
Reviewer = Annotated[Principal, Depends(require(*review.STAFF_REVIEWERS))]
#: Staff reviewers and workers who are a project's experts (checked per item by the service).
Adjudicator = Annotated[Principal, Depends(require(*review.STAFF_REVIEWERS, Role.worker))]
#: As above, and client viewers, who read their own projects' queues.
Reader = Annotated[
    Principal, Depends(require(*review.STAFF_REVIEWERS, Role.worker, Role.client_viewer))
]


#: The queue's orders: label, sort column and direction (the pager keeps ``order``).
ORDERS: dict[str, tuple[str, str, Literal["asc", "desc"]]] = {
    "oldest": ("Oldest first", "created", "asc"),
    "newest": ("Newest first", "created", "desc"),
    "reason": ("By reason", "reason", "asc"),
}


def register_navigation(nav: Navigation) -> None:
    """Reviewers reach every project's queue from the header."""
    nav.add("Review", "/quality/review", review.STAFF_REVIEWERS, order=41)


@router.get("/quality/review")
def review_index(request: Request, session: SessionDep, caller: Reviewer) -> Response:
    """Every project with something to review: open and escalated items, open questions."""
    counts = review.open_counts(session=session)
    rows = [
        (project, counts[project.id])
        for project in projects.list_projects(session=session, client_id=None)
        if project.id in counts
    ]
    return render(request, "quality/review_index.html", {"rows": rows}, principal=caller)


def _choices(schema: object) -> list[str] | None:
    """Answers a reviewer picks from a list (single labels, Likert points); None for others."""
    if isinstance(schema, SingleLabelSchema):
        return list(schema.label_values)
    if isinstance(schema, LikertSchema):
        return [str(point) for point in range(schema.min, schema.max + 1, schema.step)]
    return None


@router.get("/quality/projects/{project_id:int}/review")
def review_page(request: Request, project_id: Id, session: SessionDep, caller: Reader) -> Response:
    """Open and escalated items with their labels and a decision form each; open questions."""
    project = visible_project(session=session, principal=caller, project_id=project_id)
    review.may_read(session=session, principal=caller, project=project)
    params = request.query_params
    status = _enum(ReviewStatus, params.get("status"), "status")
    reason = _enum(ReviewReason, params.get("reason"), "reason")
    if caller.role is Role.worker:
        status = ReviewStatus.escalated
    order = params.get("order") or "oldest"
    if order not in ORDERS:
        raise InvalidInput("order", f"{order!r} is not one of {', '.join(ORDERS)}")
    page = page_request(request, sorts=review.SORTS, default_sort="created", default_per_page=20)
    sort, direction = ORDERS[order][1:]
    page = type(page)(page=page.page, per_page=page.per_page, sort=sort, direction=direction)
    result = review.queue(
        session=session, project_id=project.id, page=page, status=status, reason=reason
    )
    schema = projects.label_schema(session=session, project=project)
    found = review.views(session=session, items=list(result.items))
    names = review.sees_names(caller)
    if not names:
        found = review.pseudonymous(found, secret_key=request.app.state.secret_key)
    staff = caller.role in review.STAFF_REVIEWERS
    return render(
        request,
        "quality/review.html",
        {
            "project": project,
            "page": result,
            "views": found,
            "choices": _choices(schema),
            "status": status,
            "reason": reason,
            "statuses": [(s.value, s.value) for s in ReviewStatus],
            "order": order,
            "orders": [(key, text) for key, (text, _sort, _dir) in ORDERS.items()],
            "reasons": [(r.value, r.value.replace("_", " ")) for r in ReviewReason],
            "questions": review.questions(session=session, project_id=project.id) if staff else [],
            "expert": review.is_expert(session=session, principal=caller, project_id=project.id),
            "staff": staff,
            "may_decide": staff or caller.role is Role.worker,
            "show_people": names,
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
    caller: Adjudicator,
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
