"""The demo's tasks and annotation history: real data for quality to measure.

A small build (a fifth of the pool) runs the work step through routing and the task services
into its own SQLite file; the hidden worker profiles and true answers are captured from
``work.simulate`` as the generator calls it. Determinism builds twice at a tenth of the size.
"""

from __future__ import annotations

import base64
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from random import Random
from statistics import mean, median
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from crewline.all_models import Base
from crewline.annotation import gold_matches, parse_schema, validate_task_data, validate_value
from crewline.auth.security import make_hasher
from crewline.db import make_engine, make_sessionmaker
from crewline.demo import content, generator, work
from crewline.demo import projects as demo_projects
from crewline.people.embedding import WordLlamaEmbedder
from crewline.people.models import Person
from crewline.projects import service as projects
from crewline.projects.models import Project, ProjectMember, ProjectStatus
from crewline.tasks.models import COUNTED, Assignment, AssignmentState, Task

pytestmark = pytest.mark.own_sqlite

SEED = 11
SMALL = 0.2
TINY = 0.1
SPECS = {spec.content: spec for spec in demo_projects.PROJECTS}


@dataclass
class Worked:
    """A demo built into its own database, with the work step's hidden truth."""

    sessions: sessionmaker[Session]
    summary: generator.DemoSummary
    history: work.History


class Builder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.embedder = WordLlamaEmbedder()
        self.hasher: PasswordHasher = make_hasher(time_cost=1, memory_kib=8)
        self.engines: list[Engine] = []

    def build(self, *, seed: int, scale: float) -> Worked:
        engine = make_engine(f"sqlite:///{(self.root / f'w{len(self.engines)}.db').as_posix()}")
        self.engines.append(engine)
        Base.metadata.create_all(engine)
        sessions = make_sessionmaker(engine)
        captured: list[work.History] = []
        simulate = work.simulate

        def spy(**kwargs: Any) -> work.History:
            captured.append(simulate(**kwargs))
            return captured[-1]

        with pytest.MonkeyPatch.context() as patch, sessions() as session:
            patch.setattr(work, "simulate", spy)
            summary = generator.build(
                session=session,
                embedder=self.embedder,
                hasher=self.hasher,
                seed=seed,
                scale=scale,
            )
        return Worked(sessions, summary, captured[0])

    def close(self) -> None:
        for engine in self.engines:
            engine.dispose()


@pytest.fixture(scope="module")
def builder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Builder]:
    builder = Builder(tmp_path_factory.mktemp("demo-work"))
    yield builder
    builder.close()


@pytest.fixture(scope="module")
def small(builder: Builder) -> Worked:
    return builder.build(seed=SEED, scale=SMALL)


@pytest.fixture
def session(small: Worked) -> Iterator[Session]:
    with small.sessions() as session:
        yield session


def _finished(session: Session) -> list[tuple[Assignment, Task, Project]]:
    return [
        (a, t, p)
        for a, t, p in session.execute(
            select(Assignment, Task, Project)
            .join(Task, Task.id == Assignment.task_id)
            .join(Project, Project.id == Assignment.project_id)
            .where(Assignment.state == AssignmentState.submitted)
            .order_by(Assignment.id)
        )
    ]


# --- the tasks -------------------------------------------------------------------------------


def test_every_project_has_tasks_and_the_summary_counts_them(
    session: Session, small: Worked
) -> None:
    per_project = Counter(session.scalars(select(Task.project_id)))
    projects_ = session.scalars(select(Project)).all()
    assert len(projects_) >= 6
    assert all(per_project[p.id] >= work.MIN_TASKS for p in projects_)
    assert sum(per_project.values()) == small.summary.counts["tasks"] == small.history.tasks
    submitted = session.scalars(
        select(Assignment.id).where(Assignment.state == AssignmentState.submitted)
    ).all()
    assert len(submitted) == small.summary.counts["annotations"] == small.history.submitted
    assert small.history.fallbacks == 0


def test_five_or_more_annotation_types_have_submitted_annotations(session: Session) -> None:
    types = {p.annotation_type for _, _, p in _finished(session)}
    assert len(types) >= 5


def test_every_stored_value_and_gold_answer_is_normal_form_for_its_schema(
    session: Session,
) -> None:
    rows = _finished(session)
    assert rows
    for assignment, task, project in rows:
        schema = projects.label_schema(
            session=session, project=project, version=assignment.schema_version
        )
        assert validate_value(schema, assignment.value, task.data) == assignment.value
    for task, project in session.execute(
        select(Task, Project).join(Project).where(Task.is_gold.is_(True))
    ):
        schema = projects.label_schema(session=session, project=project)
        assert validate_value(schema, task.gold_answer, task.data) == task.gold_answer


def test_gold_tasks_are_five_to_fifteen_percent_and_some_are_edge_cases(
    session: Session,
) -> None:
    tasks = session.scalars(select(Task)).all()
    by_project: dict[int, list[Task]] = defaultdict(list)
    for task in tasks:
        by_project[task.project_id].append(task)
    for project_tasks in by_project.values():
        share = sum(t.is_gold for t in project_tasks) / len(project_tasks)
        assert 0.05 <= share <= 0.17, share
    assert any(t.is_gold and content.EDGE_TAG in t.tags for t in tasks)
    assert all(t.gold_answer is not None for t in tasks if t.is_gold)
    assert all(t.gold_answer is None for t in tasks if not t.is_gold)


def test_submissions_on_gold_tasks_carry_their_gold_score(session: Session) -> None:
    scored = 0
    for assignment, task, project in _finished(session):
        if not task.is_gold:
            assert assignment.gold_score is None
            continue
        schema = projects.label_schema(session=session, project=project)
        assert assignment.gold_score == gold_matches(schema, assignment.value, task.gold_answer)
        scored += 1
    assert scored >= 30


def test_the_hidden_truth_is_what_gold_tasks_show(session: Session, small: Worked) -> None:
    for task in session.scalars(select(Task).where(Task.is_gold.is_(True))):
        assert small.history.truths[task.id] == task.gold_answer


# --- the workers -----------------------------------------------------------------------------


def test_accuracies_are_mostly_between_three_quarters_and_ninety_seven_percent(
    small: Worked,
) -> None:
    honest = [p.accuracy for p in small.history.profiles.values() if p.kind == "diligent"]
    inside = sum(0.75 <= a <= 0.97 for a in honest) / len(honest)
    assert inside >= 0.7
    kinds = Counter(p.kind for p in small.history.profiles.values())
    assert kinds["careless"] >= 1 and kinds["fraud"] >= 1
    assert (kinds["careless"] + kinds["fraud"]) / sum(kinds.values()) <= 0.08


def test_careless_and_fraudulent_workers_score_lower_on_gold_and_work_implausibly_fast(
    session: Session, small: Worked
) -> None:
    kind = {pid: p.kind for pid, p in small.history.profiles.items()}
    gold: dict[bool, list[float]] = defaultdict(list)
    seconds: dict[tuple[int, bool], list[float]] = defaultdict(list)
    for assignment, _, project in _finished(session):
        dishonest = kind[assignment.person_id] != "diligent"
        if assignment.gold_score is not None:
            gold[dishonest].append(assignment.gold_score)
        assert assignment.active_seconds is not None
        seconds[project.id, dishonest].append(assignment.active_seconds)
    assert len(gold[True]) >= 2
    assert mean(gold[True]) < mean(gold[False]) - 0.25
    assert mean(gold[False]) > 0.65
    compared = 0
    for (project_id, dishonest), values in seconds.items():
        if dishonest and (project_id, False) in seconds:
            assert median(values) < 0.35 * median(seconds[project_id, False])
            compared += 1
    assert compared >= 1


def test_fraudulent_workers_give_the_same_answer_every_time(
    session: Session, small: Worked
) -> None:
    fraud = {pid for pid, p in small.history.profiles.items() if p.kind == "fraud"}
    answers: dict[tuple[int, int], set[str]] = defaultdict(set)
    for assignment, _, project in _finished(session):
        if assignment.person_id in fraud:
            answers[assignment.person_id, project.id].add(repr(assignment.value))
    assert answers
    assert all(len(values) == 1 for values in answers.values())


def test_work_happens_only_while_the_worker_is_on_the_project(session: Session) -> None:
    periods: dict[tuple[int, int], list[ProjectMember]] = defaultdict(list)
    for member in session.scalars(select(ProjectMember)):
        periods[member.project_id, member.person_id].append(member)
    for assignment in session.scalars(select(Assignment)):
        assert any(
            m.joined_at <= assignment.leased_at
            and (m.left_at is None or assignment.leased_at < m.left_at)
            for m in periods[assignment.project_id, assignment.person_id]
        ), assignment.id


# --- the work --------------------------------------------------------------------------------


def test_overlap_holds_and_task_counters_match_the_assignment_rows(session: Session) -> None:
    states: dict[int, Counter[AssignmentState]] = defaultdict(Counter)
    pairs: Counter[tuple[int, int]] = Counter()
    for assignment in session.scalars(select(Assignment)):
        states[assignment.task_id][assignment.state] += 1
        pairs[assignment.task_id, assignment.person_id] += 1
    assert max(pairs.values()) == 1
    for task in session.scalars(select(Task)):
        counted = sum(states[task.id][s] for s in COUNTED)
        leased = states[task.id][AssignmentState.leased]
        assert task.submitted_count == counted
        assert task.leased_count == leased
        assert counted + leased <= task.required_labels
        assert task.open is (counted + leased < task.required_labels)
        assert (task.completed_at is not None) is (counted >= task.required_labels)


def test_closed_projects_are_done_and_live_ones_mostly(session: Session) -> None:
    for project in session.scalars(select(Project)):
        tasks = session.scalars(select(Task).where(Task.project_id == project.id)).all()
        done = sum(t.completed_at is not None for t in tasks) / len(tasks)
        if project.status is ProjectStatus.closed:
            assert done == 1 and project.completed_at is not None
            members = projects.members(session=session, project_id=project.id)
            assert members and all(m.left_at is not None for m in members)
        elif project.status is ProjectStatus.live:
            assert 0.5 <= done <= 0.9, (project.name, done)
        else:
            assert project.status is ProjectStatus.paused and done < 1
    assert {p.status for p in session.scalars(select(Project))} == {
        ProjectStatus.live,
        ProjectStatus.paused,
        ProjectStatus.closed,
    }


def test_work_is_spread_over_the_last_month_and_never_in_the_future(session: Session) -> None:
    rows = session.execute(select(Assignment.leased_at, Assignment.finished_at)).all()
    leased = [leased for leased, _ in rows]
    created = max(session.scalars(select(Person.created_at)))
    assert max(finished for _, finished in rows if finished) <= created + timedelta(minutes=5)
    assert created - min(leased) <= timedelta(days=work.DAYS + 1)
    assert len({d.date() for d in leased}) >= 20


def test_some_tasks_are_skipped_with_a_reason_and_some_given_back(session: Session) -> None:
    released = session.scalars(
        select(Assignment).where(
            Assignment.state.in_([AssignmentState.skipped, AssignmentState.returned])
        )
    ).all()
    skipped = [a for a in released if a.state is AssignmentState.skipped]
    returned = [a for a in released if a.state is AssignmentState.returned]
    assert skipped and returned
    assert all(a.skip_reason for a in skipped)
    assert all(a.skip_reason is None and a.value is None for a in returned)


def test_same_seed_builds_the_same_annotations(builder: Builder) -> None:
    def fingerprint(worked: Worked) -> list[tuple[object, ...]]:
        with worked.sessions() as session:
            rows = session.execute(
                select(Assignment, Task.external_id, Person.email)
                .join(Task, Task.id == Assignment.task_id)
                .join(Person, Person.id == Assignment.person_id)
                .order_by(Assignment.id)
            ).all()
        first = rows[0][0].leased_at
        return [
            (ext, email, a.state, a.value, a.active_seconds, a.gold_score, a.leased_at - first)
            for a, ext, email in rows
        ]

    one = builder.build(seed=SEED, scale=TINY)
    two = builder.build(seed=SEED, scale=TINY)
    assert fingerprint(one) == fingerprint(two)
    assert len(fingerprint(one)) > 100


# --- content and answers, without a database --------------------------------------------------


@pytest.mark.parametrize("kind", sorted(content.MAKERS))
def test_content_items_are_valid_tasks_with_valid_true_answers(kind: str) -> None:
    spec = SPECS[kind]
    schema = parse_schema(spec.annotation_type, spec.label_schema)
    items = content.make_items(kind, Random(3), 300)
    for item in items:
        validate_task_data(schema, item.data)
        assert validate_value(schema, item.truth, item.data) == item.truth
    assert any(item.edge for item in items)
    assert len({repr(sorted(item.data.items())) for item in items}) >= 0.5 * len(items)


@pytest.mark.parametrize("kind", sorted(content.MAKERS))
def test_every_simulated_answer_is_valid_and_mistakes_are_wrong(kind: str) -> None:
    spec = SPECS[kind]
    schema = parse_schema(spec.annotation_type, spec.label_schema)
    rnd = Random(5)
    wrong = []
    for item in content.make_items(kind, Random(4), 200):
        good = work.good_answer(rnd, schema, item)
        assert gold_matches(schema, validate_value(schema, good, item.data), item.truth) >= 0.5
        mistake = validate_value(schema, work.mistake(rnd, schema, item), item.data)
        wrong.append(gold_matches(schema, mistake, item.truth))
        validate_value(schema, work._random_answer(rnd, schema, item), item.data)
        validate_value(schema, content.CONSTANT_ANSWERS[kind], item.data)
    # A mistranscribed call still shares most of its words with the reference.
    assert mean(wrong) < (0.99 if kind == "calls" else 0.9)


def test_street_scenes_are_inline_svg_drawings() -> None:
    item = content.street_scene(Random(1))
    url = item.data["image_url"]
    assert url.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(url.split(",", 1)[1]).decode()
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert len(url) < 6000
