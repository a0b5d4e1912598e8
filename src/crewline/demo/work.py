"""Demo step: every project's tasks, and about a month of annotation work done through routing.

Tasks come from ``demo.content``: each has a true answer that only this module knows (a gold
task shows it as its answer key). They arrive in batches over the project's working window.

Each active member gets a hidden profile: an accuracy (Beta distributed, mostly 0.75..0.97), a
speed (a log-normal factor on the content's typical seconds per task) and how much they work.
About 3% are not honest: careless workers answer at random and very fast, fraudulent ones give
the same answer every time, implausibly fast. Work is planned as sittings (a worker, a day, a
number of tasks) sized so that live projects end 60-80% done and closed ones fully done, then
run day by day through the real services: ``routing.next_task`` leases, ``tasks.do_submit``
stores an answer derived from the truth with the worker's accuracy (a wrong one is a plausible
confusion), ``tasks.do_release`` skips with a reason or gives back, and abandoned leases time out
through ``tasks.expire_leases``. Membership periods start and end, and paused and closed
projects stop, as the simulated clock reaches them.

The simulated clock runs ``DAYS`` days back from the build's ``now``, and every time is an
offset from ``now`` chosen without looking at the calendar, so the same seed gives the same
annotations whenever it is built.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random
from typing import Any, Protocol

import numpy as np
from sqlalchemy.orm import Session

from crewline.annotation import (
    AnnotationError,
    BoxesSchema,
    FreeTextSchema,
    LabelSchema,
    LikertSchema,
    MultiLabelSchema,
    PairwiseSchema,
    SingleLabelSchema,
    SpansSchema,
    validate_value,
)
from crewline.audit.schemas import Actor
from crewline.demo import content
from crewline.demo import projects as demo_projects
from crewline.demo.content import Item
from crewline.demo.projects import DemoProject
from crewline.people.models import Person, WorkerStatus
from crewline.projects import service as projects
from crewline.projects.models import Project, ProjectStatus
from crewline.routing import service as routing
from crewline.tasks import ingest
from crewline.tasks import service as tasks
from crewline.tasks.models import AssignmentState, Task
from crewline.tasks.schemas import Submission

#: Days of simulated history, back from now: the longest working window of any project.
DAYS = max(spec.ended_days_ago + spec.work_days for spec in demo_projects.PROJECTS)
#: Progress units this step reports: one per project (its tasks), one per simulated day.
PROGRESS_UNITS = len(demo_projects.PROJECTS) + DAYS
LEASE = timedelta(minutes=10)
#: Fewest tasks a project gets however small the build.
MIN_TASKS = 12
#: Typical focused seconds per task, by content kind.
MEDIAN_SECONDS: dict[str, float] = {
    "reviews": 18, "radiology": 40, "code": 150, "safety": 30,
    "math": 95, "calls": 200, "contracts": 100, "street": 70,
}  # fmt: skip
#: How much harder than a plain label each kind is to get exactly right (1 = no harder).
EASE: dict[str, float] = {
    "reviews": 1.0, "radiology": 0.97, "code": 0.96, "safety": 0.93,
    "math": 0.85, "calls": 0.9, "contracts": 0.88, "street": 0.92,
}  # fmt: skip
EDGE_EASE = 0.8
#: Per claim: skip with a reason, give back, or walk away (the lease times out).
SKIP_CHANCE, EDGE_SKIP_CHANCE, RETURN_CHANCE, ABANDON_CHANCE = 0.012, 0.07, 0.008, 0.003
#: Share of workers who are careless and fraudulent (at least one of each).
CARELESS_SHARE, FRAUD_SHARE = 0.02, 0.012
#: Distinct workers a gold task is shown to (at most; a small team shows it to fewer).
GOLD_LABELS = 10
#: Claims a closing project's members may make per gold task nobody has labelled yet.
GOLD_ASKS = 30
#: Planned claims beyond the target, for skips, returns and abandoned leases.
SPARE, CLOSED_SPARE = 0.05, 0.15


class Progress(Protocol):
    """Where the step reports each unit of work it finishes (``generator.DemoProgress``)."""

    def advance(self, step: str, amount: int = 1) -> None:
        """``amount`` more units are done."""
        ...


@dataclass(frozen=True, slots=True)
class WorkerProfile:
    """A simulated worker's hidden traits (never stored)."""

    kind: str  # "diligent", "careless" or "fraud"
    accuracy: float
    speed: float
    activity: float
    hour: float


@dataclass(slots=True)
class History:
    """What the work step did, and the hidden truth behind it (for tests and inspection)."""

    profiles: dict[int, WorkerProfile] = field(default_factory=dict)
    truths: dict[int, Any] = field(default_factory=dict)
    tasks: int = 0
    gold_tasks: int = 0
    submitted: int = 0
    skipped: int = 0
    returned: int = 0
    abandoned: int = 0
    #: Generated wrong answers the schema refused (the true answer was sent instead); 0.
    fallbacks: int = 0


@dataclass(slots=True)
class _Work:
    """One project's tasks while the simulation runs."""

    demo: DemoProject
    project: Project
    schema: LabelSchema
    first_day: int
    last_day: int
    batches: list[tuple[int, list[dict[str, Any]]]]
    items: dict[str, Item]
    truth: dict[int, Item] = field(default_factory=dict)
    #: Labels each task asks for: the project's overlap unless its team is too small.
    required: int = 1
    #: Labels each gold task asks for.
    gold_required: int = 1

    @property
    def kind(self) -> str:
        return self.demo.spec.content


@dataclass(frozen=True, slots=True)
class _Sitting:
    day: int
    hours: float
    person_id: int
    tasks: int


def simulate(
    *,
    session: Session,
    actor: Actor,
    rng: np.random.Generator,
    demos: Sequence[DemoProject],
    now: datetime,
    scale: float = 1.0,
    progress: Progress | None = None,
) -> History:
    """Create every project's tasks and simulate its work; returns the counts and hidden truth.

    The work runs in a session of its own on the same database, holding only what it needs:
    after each UPDATE a claim or a submission makes, the ORM looks through every object its
    session holds, and the caller's session holds the whole pool. Routing only reads the
    workers (their status, languages and skills), so it is handed the caller's already-loaded
    ``Person`` objects. The caller's objects are expired afterwards, so they read what the work
    changed.
    """
    session.commit()
    with Session(bind=session.get_bind(), expire_on_commit=False) as own:
        sim = _Simulation(own, actor, rng, list(demos), now, progress)
        sim.prepare(scale)
        sim.run()
    session.expire_all()
    return sim.history


class _Simulation:
    def __init__(
        self,
        session: Session,
        actor: Actor,
        rng: np.random.Generator,
        demos: list[DemoProject],
        now: datetime,
        progress: Progress | None,
    ) -> None:
        self.session, self.actor, self.now, self.progress = session, actor, now, progress
        self.origin = now - timedelta(days=DAYS)
        self.content_seeds = [int(rng.integers(2**62)) for _ in demos]
        self.plan = np.random.default_rng(int(rng.integers(2**62)))
        self.rnd = _seeded(int(rng.integers(2**62)))
        self.route_seed = int(rng.integers(2**62))
        self.demos = demos
        self.works: list[_Work] = []
        self.by_project: dict[int, _Work] = {}
        self.routers: dict[int, Random] = {}
        self.people: dict[int, Person] = {}
        self.sittings: dict[int, list[_Sitting]] = {}
        self.owed = [0] * len(demos)
        self.history = History()

    def _advance(self, step: str) -> None:
        if self.progress is not None:
            self.progress.advance(step)

    def day_start(self, day: int) -> datetime:
        return self.origin + timedelta(days=day)

    # --- planning ------------------------------------------------------------------------------

    def prepare(self, scale: float) -> None:
        for demo, seed in zip(self.demos, self.content_seeds, strict=True):
            work = self._tasks(demo, _seeded(seed), scale)
            self.works.append(work)
            self.by_project[demo.project.id] = work
        self._profiles()
        self._homes()
        self._dishonest()
        for index, work in enumerate(self.works):
            self._plan_sittings(work)
            # A team too small for the overlap (a small build) asks for fewer labels per task;
            # gold tasks ask for more, so that most workers meet some gold.
            team = len({p for (p, _), home in self.home.items() if home == index})
            overlap = work.project.overlap
            work.required = overlap if team > overlap + 1 else max(1, team - 1)
            work.gold_required = min(GOLD_LABELS, max(work.required, team - 1))
        for day in self.sittings.values():
            day.sort(key=lambda sitting: (sitting.hours, sitting.person_id))

    def _tasks(self, demo: DemoProject, rnd: Random, scale: float) -> _Work:
        """The project's items, some of them gold, split into the batches they arrive in."""
        spec = demo.spec
        count = max(MIN_TASKS, round(spec.tasks * scale))
        items = content.make_items(spec.content, rnd, count)
        gold = _pick_gold(rnd, items, max(2, round(count * spec.gold_share)))
        rows, by_external = [], {}
        for index, item in enumerate(items):
            external = f"{spec.content}-{index + 1:05d}"
            by_external[external] = item
            tags = [*item.tags, content.EDGE_TAG] if item.edge else list(item.tags)
            row: dict[str, Any] = {"external_id": external, "data": item.data, "tags": tags}
            if index in gold:
                row["gold_answer"] = item.truth
            rows.append(row)
        last = DAYS - spec.ended_days_ago
        first = last - spec.work_days
        shares = {
            ProjectStatus.live: (0.4, 0.12, 0.12, 0.12, 0.12, 0.12),
            ProjectStatus.paused: (0.45, 0.2, 0.2, 0.15),
            ProjectStatus.closed: (0.5, 0.25, 0.25),
        }[spec.status]
        # Live projects get work all month; others got theirs in the first half of the window.
        spread = len(shares) if spec.status is ProjectStatus.live else 2 * len(shares)
        batches, taken = [], 0
        for k, share in enumerate(shares):
            size = count - taken if k == len(shares) - 1 else round(count * share)
            batches.append((first + k * spec.work_days // spread, rows[taken : taken + size]))
            taken += size
        self.history.gold_tasks += len(gold)
        project = self.session.get(Project, demo.project.id)
        assert project is not None
        schema = projects.label_schema(session=self.session, project=project)
        return _Work(demo, project, schema, first, last, batches, by_external)

    def _profiles(self) -> None:
        """Hidden traits for every active member, in person id order; a few are dishonest."""
        people: dict[int, Person] = {}
        for demo in self.demos:
            for period in demo.periods:
                if _active(period.person):
                    people[period.person.id] = period.person
        ids = sorted(people)
        for person_id in ids:
            person = people[person_id]
            assert person.worker is not None
            accuracy = float(self.plan.beta(14, 2.4)) + 0.012 * person.worker.tier.rank
            engaged = 0.3 if self.plan.random() < 0.25 else 1.0
            self.history.profiles[person_id] = WorkerProfile(
                kind="diligent",
                accuracy=min(0.985, max(0.55, accuracy)),
                speed=float(self.plan.lognormal(0, 0.3)),
                activity=person.worker.availability_hours / 25 * engaged
                * float(self.plan.lognormal(0, 0.4)),
                hour=float(self.plan.uniform(0.5, 14)),
            )  # fmt: skip
            self.routers[person_id] = _seeded(self.route_seed + person_id)
            self.people[person_id] = person

    def _dishonest(self) -> None:
        """Make a few workers careless or fraudulent: ones who work on a live project for a
        good part of the month, so their answers are there to be caught."""
        live = {i for i, w in enumerate(self.works) if w.demo.spec.status is ProjectStatus.live}
        days = Counter(person for (person, _), home in self.home.items() if home in live)
        candidates = sorted(person for person, n in days.items() if n >= 12)
        careless = max(1, round(CARELESS_SHARE * len(self.history.profiles)))
        fraud = max(1, round(FRAUD_SHARE * len(self.history.profiles)))
        if len(candidates) < careless + fraud:
            return
        chosen = [int(i) for i in self.plan.choice(candidates, careless + fraud, replace=False)]
        for k, person_id in enumerate(chosen):
            profile = self.history.profiles[person_id]
            self.history.profiles[person_id] = WorkerProfile(
                kind="careless" if k < careless else "fraud",
                accuracy=profile.accuracy,
                speed=0.15 if k < careless else 0.03,
                activity=max(profile.activity, 1.0) * 3,
                hour=profile.hour,
            )

    def _homes(self) -> None:
        """Which project each worker's claims go to on each day.

        Routing ranks a worker's live projects (no skill profiles, priorities or turnaround
        targets here, so by id) and serves the first that has work, so a member of two
        projects works on the earlier one while it is live; plan their days for that one.
        """
        self.home: dict[tuple[int, int], int] = {}
        for day in range(DAYS):
            start, end = self.day_start(day), self.day_start(day + 1)
            for index, work in enumerate(self.works):
                stops = work.demo.stops_at
                if day < work.batches[0][0] or (stops is not None and stops < end):
                    continue
                for period in work.demo.periods:
                    person_id = period.person.id
                    if person_id in self.history.profiles and period.covers(start, end):
                        self.home.setdefault((person_id, day), index)

    def _plan_sittings(self, work: _Work) -> None:
        """Sittings (a worker, a day, a number of claims) that together claim about what the
        project should see done, spread over its members' days in proportion to how much and
        how fast they work."""
        spec, project = work.demo.spec, work.project
        count = sum(len(rows) for _, rows in work.batches)
        closed = spec.status is ProjectStatus.closed
        done = 1.0 if closed else spec.done_share
        claims = round(count * project.overlap * done * (1 + (CLOSED_SPARE if closed else SPARE)))
        index = self.works.index(work)
        members: list[tuple[int, list[int], float]] = []
        for period in work.demo.periods:
            profile = self.history.profiles.get(period.person.id)
            if profile is None:
                continue
            days = [
                d
                for d in range(work.first_day, work.last_day)
                if self.home.get((period.person.id, d)) == index
            ]
            if days:
                weight = profile.activity * len(days) * min(2.0, max(0.5, 1 / profile.speed))
                members.append((period.person.id, days, weight))
        if not members:
            return
        weights = np.array([w for _, _, w in members])
        shares = self.plan.multinomial(claims, weights / weights.sum())
        median = MEDIAN_SECONDS[work.kind]
        for (person_id, days, _), n in zip(members, shares, strict=True):
            if n == 0:
                continue
            profile = self.history.profiles[person_id]
            hours = float(self.plan.uniform(0.6, 2.5))
            per_sitting = max(3.0, hours * 3600 / (median * max(profile.speed, 0.15)))
            often = round(len(days) * float(self.plan.uniform(0.15, 0.5)))
            sittings = int(min(len(days), max(1, round(n / per_sitting), often)))
            chosen = sorted(int(d) for d in self.plan.choice(days, sittings, replace=False))
            parts = self.plan.multinomial(int(n), [1 / sittings] * sittings)
            for day, part in zip(chosen, parts, strict=True):
                if part:
                    hours = min(20.0, max(0.25, profile.hour + float(self.plan.normal(0, 1.2))))
                    self.sittings.setdefault(day, []).append(
                        _Sitting(day, hours, person_id, int(part))
                    )

    # --- running -------------------------------------------------------------------------------

    def run(self) -> None:
        for _ in self.works:
            self._advance("Tasks")
        for day in range(DAYS):
            start, end = self.day_start(day), self.day_start(day + 1)
            for work in self.works:
                demo = work.demo
                demo_projects.apply_periods(
                    session=self.session, actor=self.actor, demo=demo, until=start
                )
                if demo.stops_at is not None and demo.stops_at <= start:
                    demo_projects.stop(session=self.session, actor=self.actor, demo=demo)
                for batch_day, rows in work.batches:
                    if batch_day == day:
                        self._ingest(work, rows, start)
            for planned in self.sittings.get(day, []):
                # A project behind (or ahead of) its course, or with claims earlier sittings
                # could not make, gets more (or fewer) claims from its next sittings.
                home = self.home[(planned.person_id, day)]
                extra = max(1 - planned.tasks, min(self.owed[home], max(planned.tasks, 12)))
                unmade = self._sit(planned, planned.tasks + extra, start, min(end, self.now))
                self.owed[home] += unmade - extra
            for index in range(len(self.works)):
                self._steer(index, day)
            for work in self.works:
                if work.demo.spec.status is ProjectStatus.closed and work.demo.stops_at == end:
                    self._finish(work, end - timedelta(hours=1), day)
            self._sweep(end)
            self._advance("Annotation history")
        for demo in self.demos:
            demo_projects.apply_periods(
                session=self.session, actor=self.actor, demo=demo, until=self.now
            )
            demo_projects.stop(session=self.session, actor=self.actor, demo=demo)
        self.history.tasks = sum(len(work.items) for work in self.works)

    def _steer(self, index: int, day: int) -> None:
        """Set how many claims the project's next sittings add (or drop) to be on course for
        its target share done by the end of its window (closed projects a little earlier)."""
        work = self.works[index]
        spec = work.demo.spec
        if not work.first_day <= day < work.last_day - 1:
            return
        closed = spec.status is ProjectStatus.closed
        share = 1.0 if closed else spec.done_share
        span = spec.work_days * (0.8 if closed else 1.0)
        expected = share * len(work.items) * min(1.0, (day + 1 - work.first_day) / span)
        done = tasks.progress(session=self.session, project_id=work.project.id)["completed"]
        self.owed[index] = round((expected - done) * work.required)

    def _ingest(self, work: _Work, rows: list[dict[str, Any]], at: datetime) -> None:
        rows = [
            {
                **row,
                "required_labels": work.gold_required if "gold_answer" in row else work.required,
            }
            for row in rows
        ]
        report = ingest.do_ingest(
            session=self.session,
            actor=self.actor,
            project=work.project,
            schema=work.schema,
            rows=rows,
            now=at,
        )
        assert not report.refused, report.refused[:3]
        last = 0
        while page := tasks.list_tasks(
            session=self.session, project_id=work.demo.project.id, after_id=last, limit=1000
        ):
            for task in page:
                if task.id not in work.truth:
                    work.truth[task.id] = work.items[task.external_id]
                    self.history.truths[task.id] = work.items[task.external_id].truth
            last = page[-1].id

    def _sweep(self, at: datetime) -> None:
        while tasks.expire_leases(session=self.session, now=at) >= 1000:
            pass

    def _sit(self, planned: _Sitting, count: int, start: datetime, limit: datetime) -> int:
        """One sitting of one worker: claim, answer (or skip, give back, walk away), repeat.

        Returns how many of the ``count`` claims it could not make.
        """
        person = self.people[planned.person_id]
        return self._claims(person, planned.hours, count, start, limit)

    def _claims(
        self, person: Person, hours: float, count: int, start: datetime, limit: datetime
    ) -> int:
        profile = self.history.profiles[person.id]
        at = start + timedelta(hours=hours)
        for done in range(count):
            if at >= limit:
                return count - done
            outcome = routing.next_task(
                session=self.session,
                person_id=person.id,
                rng=self.routers[person.id],
                default_lease=LEASE,
                now=at,
            )
            assignment = outcome.assignment
            if assignment is None:
                return count - done
            work = self.by_project[assignment.project_id]
            item = work.truth[assignment.task_id]
            seconds = self._seconds(profile, work, item)
            roll = self.rnd.random()
            honest = profile.kind == "diligent"
            skip = EDGE_SKIP_CHANCE if item.edge else SKIP_CHANCE
            if honest and roll < ABANDON_CHANCE:
                self.history.abandoned += 1
                return 0
            if honest and roll < ABANDON_CHANCE + skip + RETURN_CHANCE:
                skipping = roll < ABANDON_CHANCE + skip
                reasons = (*content.SKIP_REASONS[work.kind], *content.GENERAL_SKIP_REASONS)
                at += timedelta(seconds=seconds * self.rnd.uniform(0.2, 0.6))
                tasks.do_release(
                    session=self.session,
                    person_id=person.id,
                    assignment_id=assignment.id,
                    state=AssignmentState.skipped if skipping else AssignmentState.returned,
                    reason=self.rnd.choice(reasons) if skipping else None,
                    now=at,
                )
                self.session.commit()
                if skipping:
                    self.history.skipped += 1
                else:
                    self.history.returned += 1
                at += timedelta(seconds=self.rnd.uniform(2, 20))
                continue
            finished = at + timedelta(seconds=min(590.0, seconds * self.rnd.uniform(1.0, 1.3)))
            if finished > self.now:
                return 0  # still working on it now: the lease stays open
            self._submit(work, person.id, assignment.id, item, profile, seconds, finished)
            at = finished + timedelta(seconds=self.rnd.uniform(2, 40))
        return 0

    def _seconds(self, profile: WorkerProfile, work: _Work, item: Item) -> float:
        if profile.kind == "fraud":
            return round(self.rnd.uniform(1.5, 4.0), 1)
        median = MEDIAN_SECONDS[work.kind] * profile.speed * (1.4 if item.edge else 1.0)
        return round(min(560.0, max(1.0, median * self.rnd.lognormvariate(0, 0.35))), 1)

    def _submit(
        self,
        work: _Work,
        person_id: int,
        assignment_id: int,
        item: Item,
        profile: WorkerProfile,
        seconds: float,
        at: datetime,
    ) -> None:
        value = self._answer(work, item, profile)
        try:
            value = validate_value(work.schema, value, item.data)
        except AnnotationError:
            self.history.fallbacks += 1
            value = copy.deepcopy(item.truth)
        _stored, completion = tasks.do_submit(
            session=self.session,
            person_id=person_id,
            assignment_id=assignment_id,
            data=Submission(
                client_submission_id=f"demo-{assignment_id}", value=value, active_seconds=seconds
            ),
            now=at,
        )
        routing.after_submit(session=self.session, completion=completion, now=at)
        self.session.commit()
        self.history.submitted += 1

    def _finish(self, work: _Work, at: datetime, day: int) -> None:
        """The last push before a project closes: its members label the regular tasks still
        open, then every task short of its labels (gold shown to fewer workers than planned, a
        task nobody else could take) is accepted with the labels it has."""
        project_id = work.project.id
        self._sweep(at)
        end = self.day_start(day + 1)
        index = self.works.index(work)
        members = [
            self.people[p.person.id]
            for p in work.demo.periods
            if self.home.get((p.person.id, day)) == index
        ]
        clock = at
        # Regular tasks first, then one label on each gold task nobody has met yet (routing
        # offers gold at the project's gold rate, so that takes some asking).
        while any(not task.is_gold for task in self._incomplete(project_id)):
            got, clock = self._push(members, clock, end)
            if not got:
                break
        unseen = self._accept_labelled(project_id, clock)
        asks = GOLD_ASKS * len(unseen)
        while unseen and asks > 0:
            _, clock = self._push(members, clock, end)
            asks -= len(members) or asks
            unseen = self._accept_labelled(project_id, clock)
        if not tasks.project_incomplete(session=self.session, project_id=project_id):
            projects.mark_completed(session=self.session, project_id=project_id, now=clock)
            self.session.commit()

    def _accept_labelled(self, project_id: int, at: datetime) -> list[Task]:
        """Lower every unfinished task's labels to those it has; returns the ones with none."""
        unseen = []
        for task in self._incomplete(project_id):
            if not task.submitted_count:
                unseen.append(task)
            elif not task.leased_count:
                tasks.do_set_required_labels(
                    session=self.session,
                    actor=self.actor,
                    task_id=task.id,
                    required=task.submitted_count,
                    now=at,
                )
        return unseen

    def _push(self, members: list[Person], clock: datetime, end: datetime) -> tuple[bool, datetime]:
        """Each member asks for one more task and labels it; whether anyone got one."""
        got = False
        for person in members:
            outcome = routing.next_task(
                session=self.session,
                person_id=person.id,
                rng=self.routers[person.id],
                default_lease=LEASE,
                now=clock,
            )
            if outcome.assignment is None:
                continue
            got = True
            work = self.by_project[outcome.assignment.project_id]
            item = work.truth[outcome.assignment.task_id]
            profile = self.history.profiles[person.id]
            seconds = self._seconds(profile, work, item)
            clock = min(clock + timedelta(seconds=5), end - timedelta(minutes=5))
            self._submit(work, person.id, outcome.assignment.id, item, profile, seconds, clock)
        return got, clock

    def _incomplete(self, project_id: int) -> list[Task]:
        """The project's tasks still short of their labels, as the database has them now."""
        self.session.expire_all()
        found, last = [], 0
        while page := tasks.list_tasks(
            session=self.session, project_id=project_id, after_id=last, limit=1000
        ):
            found += [task for task in page if task.completed_at is None]
            last = page[-1].id
        return found

    # --- answers -------------------------------------------------------------------------------

    def _answer(self, work: _Work, item: Item, profile: WorkerProfile) -> Any:
        if profile.kind == "fraud":
            return copy.deepcopy(content.CONSTANT_ANSWERS[work.kind])
        if profile.kind == "careless":
            return _random_answer(self.rnd, work.schema, item)
        chance = profile.accuracy * EASE[work.kind] * (EDGE_EASE if item.edge else 1.0)
        right = self.rnd.random() < chance
        return (
            good_answer(self.rnd, work.schema, item)
            if right
            else mistake(self.rnd, work.schema, item)
        )


def _seeded(seed: int) -> Random:
    return Random(seed)  # noqa: S311 - a seeded simulation, not a secret


def _active(person: Person) -> bool:
    return person.worker is not None and person.worker.status is WorkerStatus.active


def _pick_gold(rnd: Random, items: list[Item], count: int) -> set[int]:
    """Gold task indexes: about a fifth of them edge cases when there are enough of those."""
    edges = [i for i, item in enumerate(items) if item.edge]
    plain = [i for i, item in enumerate(items) if not item.edge]
    hard = min(len(edges), max(1, count // 5))
    return set(rnd.sample(edges, hard)) | set(rnd.sample(plain, min(len(plain), count - hard)))


# --- answers by annotation type ---------------------------------------------------------------


def good_answer(rnd: Random, schema: LabelSchema, item: Item) -> Any:
    """The true answer as a worker would give it: boxes drawn by hand, reasons in own words."""
    truth = copy.deepcopy(item.truth)
    match schema:
        case BoxesSchema():
            return [_jitter(rnd, box, item.data, 1.2) for box in truth]
        case PairwiseSchema():
            return {"choice": truth["choice"], "reason": _reason(rnd, truth["choice"])}
        case FreeTextSchema():
            return truth.rstrip(".") if rnd.random() < 0.1 else truth
        case _:
            return truth


def mistake(rnd: Random, schema: LabelSchema, item: Item) -> Any:
    """A plausible wrong answer: a neighbouring label, a shifted span, a loose box, ..."""
    truth = copy.deepcopy(item.truth)
    match schema:
        case SingleLabelSchema():
            labels = list(schema.label_values)
            at = labels.index(truth)
            near = [labels[i] for i in (at - 1, at + 1) if 0 <= i < len(labels)]
            return rnd.choice(near)
        case MultiLabelSchema():
            return _multi_mistake(rnd, schema, truth)
        case LikertSchema():
            step = rnd.choice((1, 1, 1, 1, 2)) * rnd.choice((-1, 1))
            value = min(schema.max, max(schema.min, truth + step))
            return value if value != truth else min(schema.max, max(schema.min, truth - step))
        case PairwiseSchema():
            if truth["choice"] == "tie":
                choice = rnd.choice(("a", "b"))
            else:
                flipped = "b" if truth["choice"] == "a" else "a"
                choice = "tie" if schema.allow_tie and rnd.random() < 0.2 else flipped
            return {"choice": choice, "reason": _reason(rnd, choice)}
        case FreeTextSchema():
            return _mishear(rnd, truth)
        case SpansSchema():
            return _span_mistake(rnd, schema, truth, item.data["text"])
        case BoxesSchema():
            return _box_mistake(rnd, schema, truth, item.data)
        case _:
            return truth


def _random_answer(rnd: Random, schema: LabelSchema, item: Item) -> Any:
    """What a careless worker clicks: anything, without reading."""
    match schema:
        case SingleLabelSchema():
            return rnd.choice(schema.label_values)
        case MultiLabelSchema():
            harms = [label for label in schema.label_values if label != "none"]
            picked = rnd.sample(harms, rnd.choice((0, 1, 1, 2)))
            return [label for label in schema.label_values if label in picked] or ["none"]
        case LikertSchema():
            return rnd.choice(list(schema.points))
        case PairwiseSchema():
            return {
                "choice": rnd.choice(schema.choices),
                "reason": rnd.choice(("ok", "fine", "good")),
            }
        case FreeTextSchema():
            words = str(item.truth).split()
            return " ".join(words[: rnd.randint(3, 8)]) + " ..."
        case SpansSchema():
            text = item.data["text"]
            start = rnd.randrange(len(text) - 1)
            end = min(len(text), start + rnd.randint(3, 25))
            return [{"start": start, "end": end, "label": rnd.choice(schema.label_values)}]
        case BoxesSchema():
            width, height = item.data["width"], item.data["height"]
            boxes = []
            for _ in range(rnd.randint(1, 2)):
                w, h = rnd.uniform(20, 120), rnd.uniform(20, 90)
                boxes.append(
                    {
                        "x": round(rnd.uniform(0, width - w), 1),
                        "y": round(rnd.uniform(0, height - h), 1),
                        "w": round(w, 1),
                        "h": round(h, 1),
                        "label": rnd.choice(schema.label_values),
                    }
                )
            return boxes
        case _:
            return copy.deepcopy(item.truth)


def _reason(rnd: Random, choice: str) -> str:
    return rnd.choice(content.PAIR_REASONS[choice])


def _multi_mistake(rnd: Random, schema: MultiLabelSchema, truth: list[str]) -> list[str]:
    labels = set(truth)
    if labels == {"none"}:
        labels = {rnd.choice(("violence", "hate", "self-harm", "sexual", "violence"))}
    else:
        move = rnd.random()
        present = sorted(labels)
        if move < 0.4 and len(present) > 1:
            labels.discard(rnd.choice(present))
        elif move < 0.7:
            related = [r for label in present for r in content.RELATED.get(label, ())]
            extra = [r for r in related if r not in labels]
            if extra:
                labels.add(rnd.choice(extra))
            else:
                labels = {"none"}
        else:
            labels = {"none"}
    return [label for label in schema.label_values if label in labels]


def _mishear(rnd: Random, truth: str) -> str:
    """A transcript with a few word errors: misheard words, dropped words, fillers."""
    lines = [line.split(" ") for line in truth.split("\n")]
    for _ in range(rnd.randint(2, 5)):
        words = rnd.choice(lines)
        if len(words) < 3:
            continue
        at = rnd.randrange(1, len(words))
        word = words[at]
        bare = word.strip(".,?!")
        move = rnd.random()
        if bare in content.MISHEARD and move < 0.6:
            words[at] = word.replace(bare, content.MISHEARD[bare])
        elif move < 0.8:
            del words[at]
        else:
            words.insert(at, rnd.choice(content.FILLERS))
    return "\n".join(" ".join(words) for words in lines)


def _span_mistake(
    rnd: Random, schema: SpansSchema, truth: list[dict[str, Any]], text: str
) -> list[dict[str, Any]]:
    """Shift one span's boundary, give it another label, or miss it."""
    if not truth:
        return truth
    spans = [dict(span) for span in truth]
    at = rnd.randrange(len(spans))
    span = spans[at]
    move = rnd.random()
    if move < 0.5:
        low = spans[at - 1]["end"] if at > 0 else 0
        high = spans[at + 1]["start"] if at + 1 < len(spans) else len(text)
        if rnd.random() < 0.5:
            span["start"] = max(low, span["start"] + rnd.choice((-3, -2, -1, 1, 2)))
        else:
            span["end"] = min(high, span["end"] + rnd.choice((-2, -1, 1, 2, 4)))
        if span["end"] <= span["start"] or span == truth[at]:
            del spans[at]
    elif move < 0.75:
        span["label"] = rnd.choice([x for x in schema.label_values if x != span["label"]])
    else:
        del spans[at]
    return spans


def _jitter(
    rnd: Random, box: dict[str, Any], data: dict[str, Any], spread: float
) -> dict[str, Any]:
    """The box redrawn by hand: each edge off by a little, kept inside the image."""
    width, height = float(data["width"]), float(data["height"])
    left = min(width - 2, max(0.0, box["x"] + rnd.gauss(0, spread)))
    top = min(height - 2, max(0.0, box["y"] + rnd.gauss(0, spread)))
    right = min(width, max(left + 2, box["x"] + box["w"] + rnd.gauss(0, spread)))
    bottom = min(height, max(top + 2, box["y"] + box["h"] + rnd.gauss(0, spread)))
    return {
        "x": round(left, 1),
        "y": round(top, 1),
        "w": round(min(right - left, width - round(left, 1)), 1),
        "h": round(min(bottom - top, height - round(top, 1)), 1),
        "label": box["label"],
    }


def _box_mistake(
    rnd: Random, schema: BoxesSchema, truth: list[dict[str, Any]], data: dict[str, Any]
) -> list[dict[str, Any]]:
    """Miss the smallest object, mislabel one, draw one far too loosely, or add a phantom."""
    boxes = [_jitter(rnd, box, data, 1.2) for box in truth]
    move = rnd.random()
    if boxes and move < 0.35:
        boxes.remove(min(boxes, key=lambda b: b["w"] * b["h"]))
    elif boxes and move < 0.6:
        box = rnd.choice(boxes)
        swap = {"pedestrian": "cyclist", "cyclist": "pedestrian", "car": "cyclist"}
        box["label"] = swap.get(box["label"], "pedestrian")
    elif boxes and move < 0.8:
        box = rnd.choice(boxes)
        grow = rnd.uniform(0.8, 1.4)
        loose = {
            **box,
            "x": box["x"] - box["w"] * grow / 2,
            "y": box["y"] - box["h"] * grow / 2,
            "w": box["w"] * (1 + grow),
            "h": box["h"] * (1 + grow),
        }
        boxes[boxes.index(box)] = _jitter(rnd, loose, data, 0.0)
    else:
        w, h = rnd.uniform(12, 40), rnd.uniform(30, 80)
        phantom = {
            "x": rnd.uniform(0, data["width"] - w),
            "y": rnd.uniform(150, data["height"] - h),
            "w": w,
            "h": h,
            "label": rnd.choice(schema.label_values),
        }
        boxes.append(_jitter(rnd, phantom, data, 0.0))
    return boxes
