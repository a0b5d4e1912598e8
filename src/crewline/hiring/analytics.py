"""Funnel analytics: every figure the hiring pages and API show, computed from stage events.

One query reads the applications (with the person's region) and one their events; the rest
is arithmetic here, so the pages, the API and the tests read the same numbers.

- **Funnel**: how many applications *reached* each stage of the main path (an application
  rejected at assessment reached screening and assessment), and the conversion from each
  stage to the next. Cut by requisition, region, cohort or channel.
- **Time in stage**: for every stay in a stage that has ended, its length; the median and
  90th percentile per stage. The bottleneck is the stage with the longest median stay; an
  open application is *stalled* when it has sat in its stage longer than that stage's p90.
- **Exit points**: of those who reached an exit point, the share who withdrew there.
- **Qualified per week**: arrivals at ``qualified`` per ISO week.
- **Pipeline health**: per requisition and region, where candidates are now, how many are
  expected to qualify (each open candidate weighted by the historical conversion from their
  stage to ``qualified``), against the headcount and the needed-by date.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.hiring import stages
from crewline.hiring.models import (
    Application,
    Channel,
    Cohort,
    Requisition,
    StageEvent,
)
from crewline.people.models import Person

DIMENSIONS = ("requisition", "region", "cohort", "channel")


@dataclass(frozen=True, slots=True)
class Filters:
    """Which applications to count (None: all)."""

    requisition_id: int | None = None
    region: str | None = None
    cohort_id: int | None = None
    channel_id: int | None = None


@dataclass(slots=True)
class _App:
    id: int
    requisition_id: int
    region: str
    cohort_id: int | None
    channel_id: int | None
    stage: str
    held_from: str | None
    stage_changed_at: datetime
    path: Sequence[str]
    events: list[tuple[str | None, str, datetime]] = field(default_factory=list)

    def furthest(self) -> int:
        """Index on the path of the furthest main stage this application reached."""
        best = -1
        for _, to_stage, _ in self.events:
            if to_stage in self.path:
                best = max(best, self.path.index(to_stage))
        return best


@dataclass(frozen=True, slots=True)
class Data:
    """Applications with their events, and the names the cuts are labelled with."""

    apps: list[_App]
    names: dict[str, dict[Any, str]]
    requisitions: dict[int, Requisition]
    channels: dict[int, Channel]


def load(*, session: Session, filters: Filters = Filters()) -> Data:
    """Read the applications matching ``filters`` and their events."""
    requisitions = {r.id: r for r in session.scalars(select(Requisition))}
    channels = {c.id: c for c in session.scalars(select(Channel))}
    cohorts = {c.id: c for c in session.scalars(select(Cohort))}
    statement = select(
        Application.id,
        Application.requisition_id,
        Person.region,
        Application.cohort_id,
        Application.channel_id,
        Application.stage,
        Application.held_from,
        Application.stage_changed_at,
    ).join(Person, Person.id == Application.person_id)
    if filters.requisition_id is not None:
        statement = statement.where(Application.requisition_id == filters.requisition_id)
    if filters.region is not None:
        statement = statement.where(Person.region == filters.region)
    if filters.cohort_id is not None:
        statement = statement.where(Application.cohort_id == filters.cohort_id)
    if filters.channel_id is not None:
        statement = statement.where(Application.channel_id == filters.channel_id)
    apps = {
        row[0]: _App(
            id=row[0],
            requisition_id=row[1],
            region=row[2].value,
            cohort_id=row[3],
            channel_id=row[4],
            stage=row[5],
            held_from=row[6],
            stage_changed_at=row[7],
            path=requisitions[row[1]].stages,
        )
        for row in session.execute(statement)
    }
    events = select(
        StageEvent.application_id, StageEvent.from_stage, StageEvent.to_stage, StageEvent.at
    ).order_by(StageEvent.application_id, StageEvent.at, StageEvent.id)
    if filters.requisition_id is not None:
        events = events.join(Application, Application.id == StageEvent.application_id).where(
            Application.requisition_id == filters.requisition_id
        )
    for application_id, from_stage, to_stage, at in session.execute(events):
        app = apps.get(application_id)
        if app is not None:
            app.events.append((from_stage, to_stage, at))
    names: dict[str, dict[Any, str]] = {
        "requisition": {i: r.title for i, r in requisitions.items()},
        "cohort": {i: c.name for i, c in cohorts.items()} | {None: "No cohort"},
        "channel": {i: c.name for i, c in channels.items()} | {None: "No channel"},
        "region": {},
    }
    return Data(list(apps.values()), names, requisitions, channels)


def funnel_stages(data: Data, filters: Filters) -> list[str]:
    """The stages a funnel is drawn over: the requisition's own path, or the default one."""
    if filters.requisition_id is not None and filters.requisition_id in data.requisitions:
        return list(data.requisitions[filters.requisition_id].stages)
    return list(stages.DEFAULT_STAGES)


def _reached(apps: Iterable[_App], over: Sequence[str]) -> list[int]:
    counts = [0] * len(over)
    for app in apps:
        furthest = app.furthest()
        if furthest < 0:
            continue
        top = app.path[furthest]
        for i, stage in enumerate(over):
            if stage in app.path and app.path.index(stage) <= app.path.index(top):
                counts[i] += 1
    return counts


def funnel(apps: Sequence[_App], over: Sequence[str]) -> list[dict[str, Any]]:
    """Per stage: how many reached it, and the conversion from the stage before."""
    counts = _reached(apps, over)
    out = []
    for i, stage in enumerate(over):
        before = counts[i - 1] if i else None
        out.append(
            {
                "stage": stage,
                "label": stages.label(stage),
                "reached": counts[i],
                "conversion": (counts[i] / before) if before else None,
                "share_of_first": counts[i] / counts[0] if counts[0] else None,
            }
        )
    return out


def _key(app: _App, dimension: str) -> Any:
    return {
        "requisition": app.requisition_id,
        "region": app.region,
        "cohort": app.cohort_id,
        "channel": app.channel_id,
    }[dimension]


def funnel_by(data: Data, dimension: str, over: Sequence[str]) -> list[dict[str, Any]]:
    """The funnel per group of a dimension (requisition, region, cohort or channel), with each
    group's conversion from the first stage to ``qualified``."""
    groups: dict[Any, list[_App]] = defaultdict(list)
    for app in data.apps:
        groups[_key(app, dimension)].append(app)
    rows = []
    for key, apps in groups.items():
        steps = funnel(apps, over)
        counts = {s["stage"]: s["reached"] for s in steps}
        qualified = counts.get(stages.QUALIFIED, 0)
        rows.append(
            {
                "key": key,
                "name": data.names[dimension].get(key, str(key)),
                "applications": len(apps),
                "reached": counts,
                "qualified": qualified,
                "qualified_rate": qualified / len(apps) if apps else None,
                "steps": steps,
            }
        )
    return sorted(rows, key=lambda r: (-r["applications"], str(r["name"])))


def _assessed_to_qualified(apps: Iterable[_App]) -> tuple[int, int]:
    """Of those who reached the assessment stage, how many qualified."""
    attended = passed = 0
    for app in apps:
        if "assessed" not in app.path or stages.QUALIFIED not in app.path:
            continue
        furthest = app.furthest()
        if furthest >= app.path.index("assessed"):
            attended += 1
            passed += furthest >= app.path.index(stages.QUALIFIED)
    return attended, passed


def cohort_outcomes(data: Data) -> list[dict[str, Any]]:
    """Per cohort: final-assessment attendees and how many qualified (the rate recruiters
    compare cohorts by)."""
    groups: dict[Any, list[_App]] = defaultdict(list)
    for app in data.apps:
        groups[app.cohort_id].append(app)
    rows = []
    for key, apps in groups.items():
        attended, passed = _assessed_to_qualified(apps)
        rows.append(
            {
                "cohort_id": key,
                "name": data.names["cohort"].get(key, str(key)),
                "applications": len(apps),
                "assessed": attended,
                "qualified": passed,
                "rate": passed / attended if attended else None,
            }
        )
    return sorted(rows, key=lambda r: str(r["name"]))


def cost_per_qualified(data: Data) -> list[dict[str, Any]]:
    """Per channel: spend, applications, qualified and the cost of each qualified person."""
    applications: Counter[int | None] = Counter()
    qualified: Counter[int | None] = Counter()
    for app in data.apps:
        applications[app.channel_id] += 1
        if stages.QUALIFIED in app.path and app.furthest() >= app.path.index(stages.QUALIFIED):
            qualified[app.channel_id] += 1
    rows = []
    for channel_id, channel in data.channels.items():
        got = qualified[channel_id]
        rows.append(
            {
                "channel_id": channel_id,
                "name": channel.name,
                "kind": channel.kind.value,
                "cost": channel.cost,
                "currency": channel.currency,
                "applications": applications[channel_id],
                "qualified": got,
                "cost_per_qualified": (channel.cost / got).quantize(Decimal("0.01"))
                if got
                else None,
            }
        )
    return sorted(rows, key=lambda r: (r["cost_per_qualified"] is None, r["cost_per_qualified"]))


def qualified_per_week(data: Data, *, weeks: int, today: date) -> list[dict[str, Any]]:
    """Arrivals at ``qualified`` in each of the last ``weeks`` ISO weeks (oldest first)."""
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    counts: Counter[date] = Counter()
    for app in data.apps:
        for _, to_stage, at in app.events:
            if to_stage == stages.QUALIFIED:
                day = at.date()
                counts[day - timedelta(days=day.weekday())] += 1
    return [{"week": start.isoformat(), "qualified": counts[start]} for start in starts]


def _stays(data: Data) -> dict[str, list[float]]:
    """Days spent in each stage, over stays that have ended."""
    out: dict[str, list[float]] = defaultdict(list)
    for app in data.apps:
        for (_, entered, start), (_, _, end) in zip(app.events, app.events[1:], strict=False):
            out[entered].append((end - start).total_seconds() / 86_400)
    return out


def time_in_stage(data: Data, over: Sequence[str], *, now: datetime) -> list[dict[str, Any]]:
    """Per stage: median and p90 days of finished stays, how many wait there now, how many of
    those are stalled (waiting longer than the p90), and whether it is the bottleneck."""
    stays = _stays(data)
    waiting: dict[str, list[float]] = defaultdict(list)
    for app in data.apps:
        if app.stage not in stages.CLOSED:
            waiting[app.stage].append((now - app.stage_changed_at).total_seconds() / 86_400)
    rows: list[dict[str, Any]] = []
    for stage in [*over, stages.ON_HOLD]:
        values = np.array(stays.get(stage, []), dtype=np.float64)
        median = float(np.median(values)) if values.size else None
        p90 = float(np.percentile(values, 90)) if values.size else None
        here = waiting.get(stage, [])
        rows.append(
            {
                "stage": stage,
                "label": stages.label(stage),
                "finished_stays": int(values.size),
                "median_days": median,
                "p90_days": p90,
                "waiting": len(here),
                "stalled": sum(1 for d in here if p90 is not None and d > p90),
                "bottleneck": False,
            }
        )
    timed = [r for r in rows if r["median_days"] is not None and r["stage"] != over[-1]]
    if timed:
        max(timed, key=lambda r: r["median_days"])["bottleneck"] = True
    return rows


def exit_points(data: Data) -> list[dict[str, Any]]:
    """Per exit point: how many reached it and how many withdrew there."""
    rows = []
    for point in stages.EXIT_POINTS:
        reached = withdrew = 0
        for app in data.apps:
            if point not in app.path or app.furthest() < app.path.index(point):
                continue
            reached += 1
            withdrew += any(
                (f == point and t == stages.WITHDRAWN)
                or (f == stages.ON_HOLD and t == stages.WITHDRAWN and app.held_from == point)
                for f, t, _ in app.events
            )
        rows.append(
            {
                "stage": point,
                "label": stages.label(point),
                "reached": reached,
                "withdrew": withdrew,
                "drop_off": withdrew / reached if reached else None,
            }
        )
    return rows


def _to_qualified(data: Data) -> dict[str, float]:
    """Historical chance that an application at each stage goes on to qualify."""
    at: Counter[str] = Counter()
    went: Counter[str] = Counter()
    for app in data.apps:
        if stages.QUALIFIED not in app.path:
            continue
        goal = app.path.index(stages.QUALIFIED)
        furthest = app.furthest()
        closed = app.stage in stages.CLOSED or furthest >= goal
        if not closed:
            continue
        for i, stage in enumerate(app.path[:goal]):
            if furthest >= i:
                at[stage] += 1
                went[stage] += furthest >= goal
    return {stage: went[stage] / at[stage] for stage in at if at[stage]}


def pipeline_health(data: Data, *, today: date) -> list[dict[str, Any]]:
    """Per requisition and region: candidates at each stage now, qualified so far, expected
    to qualify from the open pipeline, against the headcount and the days left."""
    odds: dict[str, float] = _to_qualified(data)
    groups: dict[tuple[int, str], list[_App]] = defaultdict(list)
    for app in data.apps:
        groups[(app.requisition_id, app.region)].append(app)
    for requisition in data.requisitions.values():
        for region in requisition.regions:
            groups.setdefault((requisition.id, region), [])
    rows = []
    for (requisition_id, region), apps in sorted(groups.items()):
        requisition = data.requisitions[requisition_id]
        if region not in requisition.regions:
            continue  # applicants from regions the role does not hire in

        goal = (
            requisition.stages.index(stages.QUALIFIED)
            if stages.QUALIFIED in requisition.stages
            else len(requisition.stages)
        )
        now_at = Counter(app.stage for app in apps)
        qualified = sum(1 for app in apps if app.furthest() >= goal)
        expected = sum(
            odds.get((app.held_from or "") if app.stage == stages.ON_HOLD else app.stage, 0.0)
            for app in apps
            if app.stage not in stages.CLOSED and app.furthest() < goal
        )
        share = 1 / max(1, len(requisition.regions))
        headcount = requisition.headcount * share
        rows.append(
            {
                "requisition_id": requisition_id,
                "requisition": requisition.title,
                "status": requisition.status.value,
                "region": region,
                "at_stage": {
                    s: now_at.get(s, 0) for s in [*requisition.stages, *stages.SIDE_STAGES]
                },
                "qualified": qualified,
                "expected_more": round(expected, 2),
                "headcount": round(headcount, 2),
                "gap": round(headcount - qualified - expected, 2),
                "needed_by": requisition.needed_by.isoformat() if requisition.needed_by else None,
                "days_left": (requisition.needed_by - today).days
                if requisition.needed_by
                else None,
            }
        )
    return rows
