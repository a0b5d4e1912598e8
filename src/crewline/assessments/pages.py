"""Assessment pages: candidates and workers take assessments in the browser; staff read attempts,
dimension scores, outcomes per cohort and week, and predictive validity, and may override an
outcome.

The sitting page is server-rendered once; ``static/assessment.js`` then drives the JSON API
(``/api/v1/attempts/...``) with the same widgets the workspace uses (``static/widgets.js``), so a
candidate is tested on the controls they will later work with. Every figure comes from
``assessments.reports``, the source the API reads; every write goes through the services with the
signed-in user as the actor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from random import SystemRandom
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from crewline.assessments import attempts, builder, outcomes, reports
from crewline.assessments.api import may_take, person_of, standing_of
from crewline.assessments.models import (
    Assessment,
    AssessmentStatus,
    Attempt,
    AttemptStatus,
    Kind,
    Outcome,
    TierChange,
)
from crewline.assessments.schemas import AssessmentCreate, OutcomeOverride
from crewline.assessments.validity import MIN_PAIRS, Band
from crewline.auth.deps import Principal, SessionDep, require
from crewline.auth.roles import STAFF, Role
from crewline.db import utcnow
from crewline.errors import InvalidInput, NotFound, PermissionDenied
from crewline.hiring.api import portal_url
from crewline.people import service as people
from crewline.people.models import Person
from crewline.people.pages import PersonPanel, PersonPanels
from crewline.projects import service as projects
from crewline.tasks.models import Task
from crewline.validation import Id
from crewline.web.forms import parse_form
from crewline.web.navigation import Navigation
from crewline.web.tables import Column, SortKey, page_request, paginate
from crewline.web.templating import render

router = APIRouter()
Reader = Annotated[Principal, Depends(require(*STAFF))]
Decider = Annotated[Principal, Depends(require(Role.admin, Role.ops_manager, Role.recruiter))]
Taker = Annotated[Principal, Depends(require(Role.candidate, Role.worker))]
DECIDERS = frozenset({Role.admin, Role.ops_manager, Role.recruiter})
_RNG = SystemRandom()

#: The dimension scores an attempt carries (``grading.Dimensions``), in the order shown.
DIMENSIONS = (
    ("accuracy", "Accuracy"),
    ("domain", "Domain"),
    ("guideline", "Guidelines"),
    ("edge_case", "Edge cases"),
    ("consistency", "Consistency"),
)
ATTEMPT_SORTS: dict[str, SortKey] = {
    "name": Person.full_name,
    "number": Attempt.number,
    "status": Attempt.status,
    "score": Attempt.score,
    "outcome": Attempt.outcome,
    "started": Attempt.started_at,
}
ATTEMPT_COLUMNS = [
    Column("name", "Person", sort="name"),
    Column("number", "Attempt", sort="number", numeric=True),
    Column("status", "Status", sort="status"),
    Column("score", "Score", sort="score", numeric=True),
    *(Column(key, label, numeric=True) for key, label in DIMENSIONS),
    Column("throughput", "Correct per hour", numeric=True),
    Column("learning", "Learning gain", numeric=True),
    Column("outcome", "Outcome", sort="outcome"),
    Column("reason", "Reason"),
    Column("decided_by", "Decided by"),
    Column("started", "Started", sort="started"),
]
OUTCOME_COLOURS = {
    Outcome.passed: "#1a7f37",
    Outcome.training: "#8a5a00",
    Outcome.failed: "#b3261e",
}


def register_navigation(nav: Navigation) -> None:
    """Staff read every assessment; candidates and workers see the ones they may take."""
    nav.add("Assessments", "/assessments", set(STAFF), order=35)
    nav.add("Assessments", "/my/assessments", {Role.candidate, Role.worker}, order=15)


def register_panels(panels: PersonPanels) -> None:
    """A person's assessment attempts and tier changes on their person page (staff only)."""
    panels.add(PersonPanel(title="Assessments and tiers", render=_person_panel, order=16))


def _person_panel(
    session: Session, principal: Principal, person: Person
) -> tuple[str, dict[str, Any]] | None:
    if principal.role not in STAFF:
        return None
    sat = list(
        session.execute(
            select(Attempt, Assessment.name)
            .join(Assessment, Assessment.id == Attempt.assessment_id)
            .where(Attempt.person_id == person.id)
            .order_by(Attempt.started_at.desc())
        )
    )
    changes = list(
        session.scalars(
            select(TierChange)
            .where(TierChange.person_id == person.id)
            .order_by(TierChange.at.desc(), TierChange.id.desc())
        )
    )
    if not sat and not changes:
        return None
    return "assessments/_person.html", {
        "attempts": sat,
        "changes": changes,
        "projects": _project_names(session),
    }


def _options(values: type[StrEnum]) -> list[tuple[str, str]]:
    return [(v.value, v.value.replace("_", " ")) for v in values]


# --- candidates and workers --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Offer:
    """An assessment as its taker sees it: their attempts, and whether (or why not) they may
    start another now."""

    assessment: Assessment
    project: str
    attempts: list[Attempt]
    under_way: Attempt | None
    refusal: str | None


@router.get("/my/assessments")
def my_assessments(request: Request, session: SessionDep, caller: Taker) -> Response:
    """The open assessments the caller may take, each with their attempts and a start button."""
    person_id = person_of(session, caller)
    now = utcnow()
    names = _project_names(session)
    standing = standing_of(session, person_id)
    sat: dict[int, list[Attempt]] = {}
    for attempt in session.scalars(
        select(Attempt).where(Attempt.person_id == person_id).order_by(Attempt.number)
    ):
        sat.setdefault(attempt.assessment_id, []).append(attempt)
    offers = []
    for assessment in builder.list_assessments(session=session):
        if assessment.status is not AssessmentStatus.open or not standing.allows(assessment):
            continue
        previous = sat.get(assessment.id, [])
        under_way = next((a for a in previous if a.status in attempts.OPEN), None)
        offers.append(
            Offer(
                assessment=assessment,
                project=names.get(assessment.project_id, ""),
                attempts=previous,
                under_way=under_way,
                refusal=None if under_way else attempts.retake_refusal(assessment, previous, now),
            )
        )
    return render(request, "assessments/mine.html", {"offers": offers}, principal=caller)


@router.post("/my/assessments/{assessment_id:int}/start")
def start(assessment_id: Id, session: SessionDep, caller: Taker) -> Response:
    """Start an attempt (or resume the one under way) and open its sitting page."""
    person_id = person_of(session, caller)
    assessment = builder.get_or_404(session=session, assessment_id=assessment_id)
    if not may_take(session, assessment, person_id):
        raise PermissionDenied(
            "you need an open application for this project (or a place in the worker pool)"
        )
    attempt, _started = attempts.do_start(
        session=session,
        assessment_id=assessment.id,
        person_id=person_id,
        application_id=None,
        now=utcnow(),
        rng=_RNG,
    )
    return RedirectResponse(f"/my/attempts/{attempt.id}", status_code=303)


@router.get("/my/attempts/{attempt_id:int}")
def sitting(request: Request, attempt_id: Id, session: SessionDep, caller: Taker) -> Response:
    """The sitting page; its script loads the items, the timer and, later, the result."""
    attempt = attempts.get_or_404(
        session=session, attempt_id=attempt_id, person_id=person_of(session, caller)
    )
    assessment = builder.get_or_404(session=session, assessment_id=attempt.assessment_id)
    return render(
        request,
        "assessments/sitting.html",
        {
            "attempt": attempt,
            "assessment": assessment,
            "rounds": attempts.rounds_of(assessment),
            # the idle cut-off of the active time measured per item, as in the workspace
            "page_data": {"idle-seconds": request.app.state.settings.idle_seconds},
        },
        principal=caller,
    )


# --- staff: overview ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tally:
    """An assessment's attempts: all of them, the graded ones, and those that passed."""

    attempts: int = 0
    graded: int = 0
    passed: int = 0

    @property
    def pass_rate(self) -> float | None:
        """Share of graded attempts that passed."""
        return self.passed / self.graded if self.graded else None


def _tallies(session: Session) -> dict[int, Tally]:
    rows = session.execute(
        select(
            Attempt.assessment_id,
            func.count(),
            func.sum(case((Attempt.status.in_(reports.GRADED), 1), else_=0)),
            func.sum(case((Attempt.outcome == Outcome.passed, 1), else_=0)),
        ).group_by(Attempt.assessment_id)
    )
    return {
        assessment_id: Tally(attempts=total, graded=graded or 0, passed=passed or 0)
        for assessment_id, total, graded, passed in rows
    }


def _project_names(session: Session) -> dict[int, str]:
    return {p.id: p.name for p in projects.list_projects(session=session)}


def _weekly_figure(weeks: Sequence[reports.OutcomeRow]) -> dict[str, Any]:
    """Outcomes per week as stacked bars (Plotly traces and layout)."""
    x = [row.group for row in weeks]
    counts = {
        Outcome.passed: [row.passed for row in weeks],
        Outcome.training: [row.training for row in weeks],
        Outcome.failed: [row.failed for row in weeks],
    }
    return {
        "data": [
            {
                "type": "bar",
                "name": outcome.value,
                "x": x,
                "y": values,
                "marker": {"color": OUTCOME_COLOURS[outcome]},
                "hovertemplate": f"%{{x}}: %{{y}} {outcome.value}<extra></extra>",
            }
            for outcome, values in counts.items()
        ],
        "layout": {
            "barmode": "stack",
            "xaxis": {"title": {"text": "Week starting"}, "type": "category"},
            "yaxis": {"title": {"text": "Graded attempts"}, "rangemode": "tozero"},
            "legend": {"orientation": "h"},
        },
    }


def _gold_counts(session: Session) -> dict[int, int]:
    """Gold tasks with an answer per project: what an assessment can be built from."""
    rows = session.execute(
        select(Task.project_id, func.count())
        .where(Task.is_gold.is_(True), Task.gold_answer.is_not(None))
        .group_by(Task.project_id)
    )
    return {project_id: count for project_id, count in rows}


@router.get("/assessments")
def overview(request: Request, session: SessionDep, caller: Reader) -> Response:
    """Every assessment with its pool and pass rate; outcomes per cohort and per week; for
    recruiters and ops, a form that builds a new one from a project's gold tasks."""
    found = builder.list_assessments(session=session)
    cohorts, weeks = reports.outcomes_by(session=session)
    names = _project_names(session)
    gold = _gold_counts(session)
    return render(
        request,
        "assessments/overview.html",
        {
            "may_build": caller.role in DECIDERS,
            "buildable": [(pid, f"{names[pid]} ({n} gold)") for pid, n in gold.items()],
            "kinds": _options(Kind),
            "assessments": found,
            "projects": names,
            "pools": builder.pool_sizes(session=session, assessment_ids=[a.id for a in found]),
            "tallies": _tallies(session),
            "empty": Tally(),
            "cohorts": cohorts,
            "weeks": weeks,
            "weekly": _weekly_figure(weeks) if weeks else None,
        },
        principal=caller,
    )


@router.post("/assessments")
def build(
    request: Request,
    session: SessionDep,
    caller: Decider,
    project_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    name: Annotated[str, Form(max_length=200)],
    kind: Annotated[str, Form(max_length=20)],
    time_limit_minutes: Annotated[str, Form(max_length=5)],
    items_per_attempt: Annotated[str, Form(max_length=5)],
    pass_percent: Annotated[str, Form(max_length=6)],
    training_percent: Annotated[str, Form(max_length=6)] = "",
    max_attempts: Annotated[str, Form(max_length=3)] = "1",
    retake_after_days: Annotated[str, Form(max_length=4)] = "0",
    paid: Annotated[bool, Form()] = False,
) -> Response:
    """Build an assessment from every gold task of a project (tagged from the tasks' own tags),
    then show it. Marks are typed in percent."""
    data = parse_form(
        AssessmentCreate,
        {
            "name": name,
            "kind": kind,
            "time_limit_minutes": time_limit_minutes,
            "items_per_attempt": items_per_attempt,
            "pass_score": _share(pass_percent, "pass_percent", "pass mark"),
            "training_score": _share(training_percent, "training_percent", "training mark")
            if training_percent.strip()
            else None,
            "max_attempts": max_attempts,
            "retake_after_days": retake_after_days,
            "paid": paid,
        },
    )
    made = builder.do_create(session=session, actor=caller.actor, project_id=project_id, data=data)
    return RedirectResponse(f"/assessments/{made.id}", status_code=303)


def _share(text: str, field: str, what: str) -> float:
    """A mark or yield typed in percent (``80`` or ``80.5``), as a share; refused unless a
    number from 0 to 100."""
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(field, f"“{text}” is not a number; give the {what} in percent") from None
    if not 0 <= value <= 100:
        raise InvalidInput(field, f"the {what} must lie between 0 and 100 percent")
    return value / 100


# --- staff: one assessment ---------------------------------------------------------------------


def _choice(value: str | None, allowed: type[StrEnum]) -> str | None:
    return value if value in {v.value for v in allowed} else None


@router.get("/assessments/{assessment_id:int}")
def detail(request: Request, assessment_id: Id, session: SessionDep, caller: Reader) -> Response:
    """Settings, outcomes per cohort and week, and the attempts with their dimension scores;
    recruiters and ops may override an outcome from the table."""
    assessment = builder.get_or_404(session=session, assessment_id=assessment_id)
    params = request.query_params
    page = page_request(request, sorts=ATTEMPT_SORTS, default_sort="started")
    if "dir" not in params:
        page = replace(page, direction="desc")
    status = _choice(params.get("status"), AttemptStatus)
    outcome = _choice(params.get("outcome"), Outcome)
    query_text = (params.get("q") or "").strip()[:200]
    statement = (
        select(Attempt)
        .join(Person, Person.id == Attempt.person_id)
        .where(Attempt.assessment_id == assessment.id)
    )
    if status:
        statement = statement.where(Attempt.status == status)
    if outcome:
        statement = statement.where(Attempt.outcome == outcome)
    if query_text:
        pattern = f"%{people.like_escape(query_text.lower())}%"
        statement = statement.where(func.lower(Person.full_name).like(pattern, escape="\\"))
    result = paginate(session, statement, page, ATTEMPT_SORTS, Attempt.id)
    person_ids = {a.person_id for a in result.items}
    names = {
        p.id: p.full_name for p in session.scalars(select(Person).where(Person.id.in_(person_ids)))
    }
    cohorts, weeks = reports.outcomes_by(session=session, assessment_id=assessment.id)
    notice = _override_notice(session, assessment, params.get("overridden", ""))
    return render(
        request,
        "assessments/detail.html",
        {
            "assessment": assessment,
            "project": projects.get_or_404(session=session, project_id=assessment.project_id),
            "pool": builder.pool_sizes(session=session, assessment_ids=[assessment.id]).get(
                assessment.id, 0
            ),
            "rounds": attempts.rounds_of(assessment),
            "page": result,
            "columns": ATTEMPT_COLUMNS,
            "dimensions": DIMENSIONS,
            "names": names,
            "filters": {"status": status or "", "outcome": outcome or "", "q": query_text},
            "statuses": _options(AttemptStatus),
            "outcomes": _options(Outcome),
            "graded": reports.GRADED,
            "cohorts": cohorts,
            "weeks": weeks,
            "weekly": _weekly_figure(weeks) if weeks else None,
            "may_decide": caller.role in DECIDERS,
            "notice": notice,
        },
        principal=caller,
    )


def _override_notice(session: Session, assessment: Assessment, overridden: str) -> str | None:
    """What the override just posted did, for the page it returns to."""
    wanted = int(overridden) if overridden.isdigit() and len(overridden) < 10 else None
    attempt = session.get(Attempt, wanted) if wanted else None
    if attempt is None or attempt.assessment_id != assessment.id or attempt.outcome is None:
        return None
    person = session.get_one(Person, attempt.person_id)
    return (
        f"Attempt {attempt.number} of {person.full_name} is now “{attempt.outcome.value}”; "
        "they have been told why."
    )


@router.post("/assessments/{assessment_id:int}/attempts/{attempt_id:int}/outcome")
def override(
    request: Request,
    assessment_id: Id,
    attempt_id: Id,
    session: SessionDep,
    caller: Decider,
    outcome: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=500)],
) -> Response:
    """Replace an attempt's outcome with a human decision and its reason (the candidate is
    told), then return to the assessment page."""
    attempt = attempts.get_or_404(session=session, attempt_id=attempt_id)
    if attempt.assessment_id != assessment_id:
        raise NotFound(f"attempt {attempt_id} is not an attempt at assessment {assessment_id}")
    data = parse_form(OutcomeOverride, {"outcome": outcome, "reason": reason})
    outcomes.do_override(
        session=session,
        actor=caller.actor,
        attempt_id=attempt.id,
        outcome=data.outcome,
        reason=data.reason,
        now=utcnow(),
        portal_url=portal_url(request),
    )
    return RedirectResponse(
        f"/assessments/{assessment_id}?overridden={attempt.id}#attempt-{attempt.id}",
        status_code=303,
    )


# --- staff: predictive validity ----------------------------------------------------------------


def _band_label(band: Band) -> str:
    return f"{band.low * 100:.0f} to {band.high * 100:.0f} %"


def _calibration_figure(found: reports.Validity) -> dict[str, Any]:
    """Mean live gold accuracy per score band with its interval as error bars."""
    shown = [b for b in found.bands if b.mean is not None]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "markers+lines",
                "x": [_band_label(b) for b in shown],
                "y": [b.mean for b in shown],
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [(b.ci_high or 0) - (b.mean or 0) for b in shown],
                    "arrayminus": [(b.mean or 0) - (b.ci_low or 0) for b in shown],
                },
                "customdata": [b.n for b in shown],
                "marker": {"color": "#0b5cad", "size": 9},
                "hovertemplate": "%{x}: %{y:.1%} (n = %{customdata})<extra></extra>",
            }
        ],
        "layout": {
            "xaxis": {"title": {"text": "Assessment score band"}, "type": "category"},
            "yaxis": {"title": {"text": "Live gold accuracy"}, "tickformat": ".0%"},
        },
    }


def _scatter_figure(found: reports.Validity, pass_score: float) -> dict[str, Any]:
    """Each person's first score against their live gold accuracy, with the pass mark."""
    with_gold = [p for p in found.pairs if p.gold_accuracy is not None]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "markers",
                "x": [p.score for p in with_gold],
                "y": [p.gold_accuracy for p in with_gold],
                "marker": {"color": "#0b5cad", "size": 8, "opacity": 0.7},
                "hovertemplate": "score %{x:.0%}, live %{y:.1%}<extra></extra>",
            }
        ],
        "layout": {
            "xaxis": {"title": {"text": "Assessment score"}, "tickformat": ".0%"},
            "yaxis": {"title": {"text": "Live gold accuracy"}, "tickformat": ".0%"},
            "shapes": [
                {
                    "type": "line",
                    "xref": "x",
                    "yref": "paper",
                    "x0": pass_score,
                    "x1": pass_score,
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": "#b34700", "dash": "dash"},
                }
            ],
        },
    }


@router.get("/assessments/{assessment_id:int}/validity")
def validity_page(
    request: Request, assessment_id: Id, session: SessionDep, caller: Reader
) -> Response:
    """Do scores predict live work? Rank correlations with their intervals, calibration by
    score band, a scatter, and the pass mark that would have done best at a required yield."""
    assessment = builder.get_or_404(session=session, assessment_id=assessment_id)
    typed = request.query_params.get("required_yield", "").strip()[:20]
    required: float | None = None
    error: str | None = None
    if typed:
        try:
            required = _share(typed, "required_yield", "required yield")
        except InvalidInput as refused:
            error = refused.reason
        if required == 0:
            required, error = None, "the required yield must be above 0 percent"
    found = reports.predictive_validity(
        session=session, assessment=assessment, required_yield=required
    )
    return render(
        request,
        "assessments/validity.html",
        {
            "assessment": assessment,
            "project": projects.get_or_404(session=session, project_id=assessment.project_id),
            "v": found,
            "min_pairs": MIN_PAIRS,
            "typed_yield": typed if error else f"{found.required_yield * 100:.0f}",
            "error": error,
            "band_label": _band_label,
            "calibration": _calibration_figure(found) if found.gold else None,
            "scatter": _scatter_figure(found, assessment.pass_score) if found.gold else None,
        },
        principal=caller,
    )
