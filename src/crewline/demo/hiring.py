"""Demo step: a hiring pipeline of 13,000 candidates over about four months, run through the
hiring services so every figure on the funnel pages comes from real events.

Five requisitions hire in SEA, LATAM, the EU and the US (one is planned: its project is not
approved yet, so it only has recent applicants). Candidates come through eight channels that
differ in cost and in how good their candidates are. Each candidate gets a hidden skill; the
simulated recruiters:

- screen applicants a few days after they apply (slower in the EU, where a backlog builds):
  the screening rules' verdict decides, with a screening call rejecting some who passed;
- after the project briefing some candidates opt out (an exit point), the rest take the
  assessment; a score from the hidden skill with noise, under 70 % is a rejection;
- after the assessment a few more opt out; the others wait for a seat in their region's next
  cohort (30 to 50 seats; four cohorts per region, the last one still to start);
- a cohort trains for two weeks and then sits the final assessment; each cohort's pass rate
  is drawn between 50 % and 87 % (about two thirds overall), the rest are rejected;
- qualified people are onboarded within a week.

Moves are made in daily batches, as a recruiter would, through ``hiring.service.do_move`` at
the simulated time, so every candidate gets every message. Messages dated before the build
are history: they are recorded as delivered when they were queued (``messages.mark_sent``);
what recruiters do in a running demo goes through the demo's real local SMTP server.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

import numpy as np
from sqlalchemy.orm import Session

from crewline.audit.schemas import Actor
from crewline.hiring import messages, service, stages
from crewline.hiring.models import Application, Cohort, Requisition
from crewline.hiring.schemas import (
    ChannelCreate,
    CohortAssign,
    CohortCreate,
    MoveRequest,
    RequisitionCreate,
    SessionCreate,
)
from crewline.people.embedding import Embedder
from crewline.people.models import Person, Region

#: Candidates at ``scale=1`` (the people the rest of the demo made as candidates count too).
CANDIDATES = 13_000
DAYS = 126
PORTAL = "http://127.0.0.1:8000/portal"
BATCH = 500


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    name: str
    kind: str
    cost: int
    share: float
    #: Added to the hidden skill's mean: referrals bring better candidates than job boards.
    quality: float


CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec("Worker referrals", "referral", 9_000, 0.10, 0.08),
    ChannelSpec("University partnerships", "university", 14_000, 0.12, 0.03),
    ChannelSpec("Translators' association", "professional_association", 6_000, 0.05, 0.06),
    ChannelSpec("Community groups", "community", 3_500, 0.13, 0.0),
    ChannelSpec("Job boards", "job_board", 26_000, 0.30, -0.05),
    ChannelSpec("Talent marketplace", "talent_marketplace", 21_000, 0.12, -0.02),
    ChannelSpec("Staffing vendors", "staffing_vendor", 38_000, 0.10, 0.02),
    ChannelSpec("LinkedIn outreach", "linkedin_outreach", 11_000, 0.08, 0.04),
)


@dataclass(frozen=True, slots=True)
class RequisitionSpec:
    title: str
    role_type: str
    region: Region
    headcount: int
    languages: tuple[tuple[str, str], ...]
    profile: str
    countries: tuple[str, ...] = ()
    planned_project: str | None = None
    #: Days from the build to the needed-by date.
    needed_in: int = 45
    #: Median days from applying to the screening decision.
    screening_days: float = 3.0


REQUISITIONS: tuple[RequisitionSpec, ...] = (
    RequisitionSpec(
        "Filipino and Indonesian audio transcribers",
        "annotator",
        Region.SEA,
        160,
        (("en", "B2"),),
        "Transcribe Tagalog, Bahasa and English speech; careful listening, fast typing.",
        countries=("PH", "ID", "MY"),
    ),
    RequisitionSpec(
        "Spanish and Portuguese RLHF trainers",
        "rlhf_trainer",
        Region.LATAM,
        120,
        (("en", "B2"),),
        "Write and rank model answers in Spanish and Portuguese; reasoning and clear writing.",
    ),
    RequisitionSpec(
        "EU content moderators",
        "content_moderator",
        Region.EU,
        100,
        (("en", "B2"),),
        "Review user content against policy in German, French, Polish, Spanish and Italian.",
        screening_days=7.0,
    ),
    RequisitionSpec(
        "US medical subject-matter experts",
        "sme",
        Region.US,
        40,
        (("en", "C1"),),
        "Clinicians who judge medical answers: nursing, pharmacy, radiology.",
        needed_in=30,
    ),
    RequisitionSpec(
        "Vietnamese and Thai search raters",
        "annotator",
        Region.SEA,
        60,
        (("en", "B1"),),
        "Rate search results for Vietnamese and Thai queries.",
        countries=("VN", "TH"),
        planned_project="Search relevance SEA (awaiting approval)",
        needed_in=75,
    ),
)
#: Cohorts per region start this many days from the build (the last is still to come).
COHORT_STARTS = (-98, -70, -42, 9)
SEATS = (30, 50)
TRAINING_DAYS = 14
PASS_BAR = 0.70


@dataclass(slots=True)
class _Plan:
    """One candidate's simulated story: (day, stage, reason) moves after applying."""

    person: Person
    requisition: int
    channel: int
    applied: float
    skill: float
    hours: int
    moves: list[tuple[float, str, str]] = field(default_factory=list)
    cohort: int | None = None
    #: Passes every step on the way (the demo candidate login's story).
    sure: bool = False


@dataclass(slots=True)
class HiringSummary:
    """What the step made."""

    requisitions: int
    channels: int
    cohorts: int
    applications: int
    qualified: int


def simulate(
    *,
    session: Session,
    actor: Actor,
    rng: np.random.Generator,
    embedder: Embedder,
    candidates: list[Person],
    now: datetime,
    keep_open: Person | None,
    advance: Callable[[str, int], None],
    scale: float = 1.0,
) -> HiringSummary:
    """Run the pipeline for ``candidates`` (``keep_open`` gets an application waiting for
    the next cohort of its region, for the demo's candidate login); ``scale`` shrinks the
    cohorts with the candidate count (for tests)."""
    start = now - timedelta(days=DAYS)
    channels = [
        service.do_create_channel(
            session=session,
            actor=actor,
            data=ChannelCreate.model_validate(
                {"name": c.name, "kind": c.kind, "cost": Decimal(c.cost)}
            ),
        ).id
        for c in CHANNELS
    ]
    requisitions = [_requisition(session, actor, embedder, spec, now) for spec in REQUISITIONS]
    cohorts = _cohorts(session, actor, requisitions, now)
    plans = _plan(rng, candidates, requisitions, channels, start, now)
    by_person = {p.person.id: p for p in plans}
    if keep_open is not None and keep_open.id in by_person:
        _keep_open(by_person[keep_open.id])
    applications = _apply(session, plans, requisitions, start, advance)
    seats = (max(2, round(SEATS[0] * scale)), max(3, round(SEATS[1] * scale)))
    _seat(rng, plans, cohorts, requisitions, seats)
    _run_moves(session, actor, plans, applications, cohorts, start, now, advance)
    messages.mark_sent(session=session, before=now - timedelta(hours=1))
    session.commit()
    qualified = sum(1 for p in plans if any(stage == stages.QUALIFIED for _, stage, _ in p.moves))
    return HiringSummary(
        requisitions=len(requisitions),
        channels=len(channels),
        cohorts=sum(len(c) for c in cohorts.values()),
        applications=len(applications),
        qualified=qualified,
    )


def _requisition(
    session: Session, actor: Actor, embedder: Embedder, spec: RequisitionSpec, now: datetime
) -> Requisition:
    return service.do_create_requisition(
        session=session,
        actor=actor,
        data=RequisitionCreate.model_validate(
            {
                "title": spec.title,
                "role_type": spec.role_type,
                "headcount": spec.headcount,
                "regions": [spec.region.value],
                "languages": [{"language": lang, "min_level": lvl} for lang, lvl in spec.languages],
                "pay_min": "6.00" if spec.region in (Region.SEA, Region.LATAM) else "18.00",
                "pay_max": "11.00" if spec.region in (Region.SEA, Region.LATAM) else "65.00",
                "needed_by": (now + timedelta(days=spec.needed_in)).date(),
                "status": "planned" if spec.planned_project else "open",
                "planned_project": spec.planned_project,
                "screening": {
                    "countries": list(spec.countries),
                    "min_hours": 15,
                    "skills_pass": 0.25,
                    "skills_review": 0.1,
                },
                "profile": spec.profile,
            }
        ),
        embedder=embedder,
    )


ZONES = {
    Region.SEA: "Asia/Manila",
    Region.LATAM: "America/Sao_Paulo",
    Region.EU: "Europe/Warsaw",
    Region.US: "America/New_York",
}


def _cohorts(
    session: Session, actor: Actor, requisitions: list[Requisition], now: datetime
) -> dict[int, list[Cohort]]:
    """Four cohorts for each open requisition, each with a kick-off and a Q&A session."""
    out: dict[int, list[Cohort]] = {}
    for requisition, spec in zip(requisitions, REQUISITIONS, strict=True):
        if spec.planned_project:
            continue
        region = spec.region
        rows = []
        for number, offset in enumerate(COHORT_STARTS, start=1):
            cohort = service.do_create_cohort(
                session=session,
                actor=actor,
                data=CohortCreate(
                    name=f"{region.value}-{number:02d}",
                    requisition_id=requisition.id,
                    region=region,
                    time_zone=ZONES[region],
                    start_date=(now + timedelta(days=offset)).date(),
                    capacity=SEATS[1],
                ),
            )
            for title, day, hour in (("Kick-off and tools", 0, 9), ("Guidelines Q&A", 2, 10)):
                service.do_add_session(
                    session=session,
                    actor=actor,
                    cohort_id=cohort.id,
                    data=SessionCreate(
                        title=title,
                        local_start=datetime.combine(
                            cohort.start_date + timedelta(days=day), time(hour)
                        ),
                        minutes=90,
                        location="Video call (link in your portal)",
                    ),
                )
            rows.append(cohort)
        out[requisition.id] = rows
    return out


def _requisition_for(person: Person, requisitions: list[Requisition], pick: float) -> int:
    by_region = [
        r
        for r, spec in zip(requisitions, REQUISITIONS, strict=True)
        if spec.region is person.region
    ]
    if not by_region:
        return requisitions[int(pick * 4)].id  # elsewhere: they apply anyway, and fail screening
    matching = [
        r
        for r, spec in zip(requisitions, REQUISITIONS, strict=True)
        if spec.region is person.region and person.country in spec.countries
    ]
    return (matching or by_region)[0].id


def _plan(
    rng: np.random.Generator,
    candidates: list[Person],
    requisitions: list[Requisition],
    channels: list[int],
    start: datetime,
    now: datetime,
) -> list[_Plan]:
    shares = np.array([c.share for c in CHANNELS])
    planned = {
        r.id for r, spec in zip(requisitions, REQUISITIONS, strict=True) if spec.planned_project
    }
    plans = []
    for person in candidates:
        channel = int(rng.choice(len(CHANNELS), p=shares / shares.sum()))
        requisition = _requisition_for(person, requisitions, float(rng.random()))
        # A planned requisition only started sourcing three weeks ago.
        earliest = DAYS - 21 if requisition in planned else 0
        applied = float(rng.uniform(earliest, DAYS - 0.5))
        skill = float(np.clip(rng.beta(5, 3) + CHANNELS[channel].quality, 0, 1))
        plans.append(
            _Plan(
                person=person,
                requisition=requisition,
                channel=channels[channel],
                applied=applied,
                skill=skill,
                hours=int(rng.choice([5, 10, 12, 15, 20, 25, 30, 40])),
            )
        )
    return plans


def _keep_open(plan: _Plan) -> None:
    """The candidate login's story: applied a month ago, screened, assessed, waiting with a
    seat in the next cohort (so the portal shows a cohort, its sessions and a withdraw
    button)."""
    plan.applied = DAYS - 30
    plan.skill = 0.9
    plan.hours = 25
    plan.sure = True


def _apply(
    session: Session,
    plans: list[_Plan],
    requisitions: list[Requisition],
    start: datetime,
    advance: Callable[[str, int], None],
) -> dict[int, Application]:
    """Every candidate applies (screened and told at once), oldest first."""
    by_id = {r.id: r for r in requisitions}
    out: dict[int, Application] = {}
    templates: messages.Templates = {}
    ordered = sorted(plans, key=lambda p: p.applied)
    for index, plan in enumerate(ordered, start=1):
        application = service.new_application(
            session,
            person=plan.person,
            requisition=by_id[plan.requisition],
            actor="demo recruiter",
            now=start + timedelta(days=plan.applied),
            portal_url=PORTAL,
            channel_id=plan.channel,
            availability_hours=plan.hours,
            templates=templates,
        )
        out[plan.person.id] = application
        if index % BATCH == 0 or index == len(ordered):
            session.commit()
            advance("Hiring: applications", BATCH if index % BATCH == 0 else index % BATCH)
    return out


def _until_seat(rng: np.random.Generator, plan: _Plan, spec: RequisitionSpec) -> float | None:
    """Screening, the briefing and the assessment: the day the candidate passed the
    assessment (to wait for a seat), or None when the story ends before."""
    horizon = float(DAYS)
    day = plan.applied + float(rng.lognormal(np.log(spec.screening_days), 0.5))
    if day >= horizon:
        return None  # still to be screened
    fits = plan.person.region is spec.region and plan.hours >= 12
    unlucky = rng.random() < 0.62 - 0.3 * (plan.skill - 0.6) and not plan.sure
    if not fits or unlucky:
        plan.moves.append((day, stages.REJECTED, "did not meet the role's requirements"))
        return None
    plan.moves.append((day, "screened", "passed screening"))
    day += float(rng.uniform(1, 4))
    if day >= horizon:
        return None
    if rng.random() < 0.08 and not plan.sure:
        plan.moves.append((day, stages.WITHDRAWN, "opted out after the project briefing"))
        return None
    day += float(rng.lognormal(np.log(4), 0.4))
    if day >= horizon:
        return None
    score = float(np.clip(plan.skill + rng.normal(0, 0.12), 0, 1))
    if score < PASS_BAR and not plan.sure:
        plan.moves.append((day, stages.REJECTED, f"assessment score under {PASS_BAR:.0%}"))
        return None
    plan.moves.append((day, "assessed", f"assessment score {score:.0%}"))
    after = day + float(rng.uniform(1, 5))
    if after < horizon and rng.random() < 0.05 and not plan.sure:
        plan.moves.append((after, stages.WITHDRAWN, "opted out after the assessment"))
        return None
    return day


def _train(
    rng: np.random.Generator, plan: _Plan, cohort: Cohort, starts: float, pass_rate: float
) -> None:
    """Training from the cohort's start, the final assessment, onboarding."""
    horizon = float(DAYS)
    plan.cohort = cohort.id
    if starts >= horizon:
        return  # the cohort has not started: waiting with a seat
    plan.moves.append((starts, "trial_training", f"joined cohort {cohort.name}"))
    if rng.random() < 0.06 and not plan.sure:
        left = starts + float(rng.uniform(2, 10))
        if left < horizon:
            plan.moves.append((left, stages.WITHDRAWN, "left during training"))
        return
    final = starts + TRAINING_DAYS
    if final >= horizon:
        return
    if rng.random() >= pass_rate and not plan.sure:
        plan.moves.append((final, stages.REJECTED, "final assessment under the bar"))
        return
    plan.moves.append((final, stages.QUALIFIED, "passed the final assessment"))
    onboard = final + float(rng.uniform(3, 7))
    if onboard < horizon:
        plan.moves.append((onboard, "onboarded", "contract signed, access granted"))


def _seat(
    rng: np.random.Generator,
    plans: list[_Plan],
    cohorts: dict[int, list[Cohort]],
    requisitions: list[Requisition],
    seats: tuple[int, int],
) -> None:
    """Write each candidate's story up to now. Those who pass the assessment queue for their
    region's cohorts in the order they passed; whoever gets no seat keeps waiting."""
    specs = {r.id: spec for r, spec in zip(requisitions, REQUISITIONS, strict=True)}
    waiting: dict[int, list[tuple[float, _Plan]]] = defaultdict(list)
    for plan in plans:
        passed = _until_seat(rng, plan, specs[plan.requisition])
        if passed is not None and plan.requisition in cohorts:
            waiting[plan.requisition].append((passed, plan))
    for requisition_id, queue in waiting.items():
        queue.sort(key=lambda item: item[0])
        position = 0
        for cohort, offset in zip(cohorts[requisition_id], COHORT_STARTS, strict=True):
            capacity = int(rng.integers(seats[0], seats[1] + 1))
            pass_rate = float(rng.uniform(0.5, 0.87))
            # Days from the simulation's start, not from the calendar date: the same seed must
            # tell the same story whatever the time of day the demo is built.
            starts = float(DAYS + offset)
            taken = 0
            while position < len(queue) and taken < capacity:
                assessed_day, plan = queue[position]
                if assessed_day > starts - 2:
                    break
                position += 1
                taken += 1
                _train(rng, plan, cohort, starts, pass_rate)
        for _, plan in queue[position:]:
            if plan.sure:  # the demo login always has a seat in the coming cohort
                _train(rng, plan, cohorts[requisition_id][-1], float("inf"), 1.0)


def _run_moves(
    session: Session,
    actor: Actor,
    plans: list[_Plan],
    applications: dict[int, Application],
    cohorts: dict[int, list[Cohort]],
    start: datetime,
    now: datetime,
    advance: Callable[[str, int], None],
) -> None:
    """Place seated candidates in their cohorts, then make every move in daily batches."""
    by_cohort: dict[int, list[int]] = defaultdict(list)
    for plan in plans:
        if plan.cohort is not None:
            by_cohort[plan.cohort].append(applications[plan.person.id].id)
    for cohort_id, ids in by_cohort.items():
        service.do_assign_cohort(
            session=session,
            actor=actor,
            data=CohortAssign(application_ids=ids, cohort_id=cohort_id),
        )
    batches: dict[tuple[int, str, str], list[int]] = defaultdict(list)
    for plan in plans:
        for day, stage, reason in plan.moves:
            batches[(int(day), stage, reason)].append(applications[plan.person.id].id)
    templates: messages.Templates = {}
    total = sum(len(ids) for ids in batches.values())
    done = reported = 0
    for key in sorted(batches, key=lambda k: (k[0], _RANK[k[1]])):
        day, stage, reason = key
        ids = batches[key]
        moment = start + timedelta(days=day, hours=9 + _RANK[stage])
        for offset in range(0, len(ids), 5000):
            service.do_move(
                session=session,
                actor=actor,
                data=MoveRequest(
                    application_ids=ids[offset : offset + 5000],
                    to_stage=stage,
                    reason=reason,
                    partial=True,
                ),
                portal_url=PORTAL,
                now=min(moment, now),
                templates=templates,
            )
        # The step reports one unit per candidate, spread over the moves as they are made.
        done += len(ids)
        share = len(plans) * done // total
        advance("Hiring: moves", share - reported)
        reported = share
    if reported < len(plans):
        advance("Hiring: moves", len(plans) - reported)


#: Moves on one day go in this order (and at this many hours after 09:00).
_RANK = {stage: rank for rank, stage in enumerate([*stages.DEFAULT_STAGES, *stages.SIDE_STAGES])}


def progress_units(count: int) -> int:
    """How many progress units the step reports for ``count`` candidates (applications, then
    moves: fewer than one per candidate on average)."""
    return count * 2
