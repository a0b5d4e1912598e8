"""Routing benchmark (issue 4): claim-next-task + submit, claim latency, bulk ingestion.

Builds a database of its own (PostgreSQL: a fresh ``crewline_bench`` database, dropped at the
end; SQLite: a WAL file in a temporary directory) through the services: one client
organization, ``--projects`` live projects, ``--workers`` pool members (each on
``--memberships`` projects) and ``--tasks`` tasks ingested with ``tasks.service.do_ingest`` in
batches (the ingestion measurement). Then, at 0 %, 30 % and 90 % of the tasks done, N client
threads each loop: load a worker, lease a task, submit an answer, commit. Two service-layer
paths are measured:

* ``next_task``: ``routing.service.next_task`` (eligibility, ranking, gold injection, claim);
* ``claim``: ``tasks.service.claim`` on one of the worker's projects (the bare claim).

With ``--http`` the same loop also runs against a real ``uvicorn`` server
(``crewline.app:production_app``, its own connection pool) with bearer tokens.

Run from the repository root, e.g.::

    .venv/bin/python bench/routing.py --quick          # a smoke run, a minute or two
    .venv/bin/python bench/routing.py --db both --http  # the full issue-4 configuration

Nothing here changes Crewline; the only shortcut is how "done" tasks are made for the 30 % and
90 % states (SQL that does what a finished lease does: ``open`` false, counters at
``required_labels``, ``completed_at`` set, one submitted assignment per label).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.table import Table as RichTable
from sqlalchemy import (
    JSON,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    literal,
    select,
    text,
    true,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from crewline import db as crewline_db
from crewline import migrate
from crewline.audit.schemas import Actor
from crewline.auth import service as auth
from crewline.auth.roles import Role, Scope
from crewline.auth.schemas import TokenCreate, UserCreate
from crewline.auth.security import make_hasher
from crewline.config import Settings
from crewline.db import begin_write, make_sessionmaker, utcnow
from crewline.orgs import service as orgs
from crewline.orgs.models import OrgKind
from crewline.orgs.schemas import OrgCreate
from crewline.people import service as people
from crewline.people.models import Person
from crewline.people.schemas import PersonCreate
from crewline.projects import service as projects
from crewline.projects.models import MemberRole, Project, ProjectMember
from crewline.projects.schemas import ProjectCreate
from crewline.routing import service as routing
from crewline.routing.eligibility import EligibilityCache
from crewline.tasks import ingest as task_ingest
from crewline.tasks import service as tasks
from crewline.tasks.models import Assignment, AssignmentState, Task
from crewline.tasks.schemas import Submission

ACTOR = Actor.system("bench")
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_BENCH_DB = "crewline_bench"
LABELS = {"labels": ["positive", "neutral", "negative"]}
LEASE = timedelta(minutes=10)
ROUTING_CACHE_SECONDS = Settings.model_fields["routing_cache_seconds"].default
# Task i of a project: gold (with an answer key) when i % 100 == 37 (1 %), priority 1 when
# i % 10 == 3 (10 %), else 0. The same rule in do_ingest rows and in the SQL fast path.
TEXT = "Review {i}: the delivery was late but support answered quickly."
INGEST_BATCH = 10_000
PEOPLE_BATCH = 1_000
EXPIRY_EVERY = 5.0  # seconds between lease-expiry sweeps during a measurement
console = Console(width=160)


class ZeroEmbedder:
    """Embedding is not what is measured: every profile gets the zero vector."""

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        return np.zeros((len(texts), 256), dtype=np.float32)


# --------------------------------------------------------------------------- configuration


@dataclass
class Config:
    tasks: int
    projects: int
    workers: int
    memberships: int
    overlap: int
    clients: list[int]
    seconds: float
    warmup: float
    pool: int
    pool_sweep: list[int]
    modes: list[str]
    states: list[float]
    http: bool
    http_workers: int
    ingest_batches: int


@dataclass
class Measurement:
    db: str
    via: str  # next_task | claim | http
    done: float  # share of tasks done when the measurement started
    clients: int
    pool: int
    seconds: float
    pairs: int
    empty: int
    errors: dict[str, int]
    pairs_per_s: float
    claim_p50: float
    claim_p95: float
    claim_p99: float
    pair_p50: float
    pair_p99: float
    expiry_runs: int
    expiry_ms_max: float
    cpu_bench_s: float  # CPU seconds of this (client) process during the window
    cpu_client_ms: float  # ... per pair (includes SQLite itself, which runs in-process)
    cpu_other_ms: float  # PostgreSQL backends (+ the HTTP server process) CPU ms per pair
    load1: float  # the machine's 1-minute load average at the end of the window


@dataclass
class Ingestion:
    db: str
    tasks: int
    batches: int
    batch_size: int
    median_tasks_per_s: float
    min_tasks_per_s: float
    max_tasks_per_s: float
    total_tasks_per_s: float  # tasks / sum of batch times


@dataclass
class Report:
    started: str
    command: str
    machine: dict[str, Any]
    config: dict[str, Any]
    setup: dict[str, dict[str, float]] = field(default_factory=dict)
    ingestion: list[Ingestion] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    plans: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
    }
    with suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["ram_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    with suppress(Exception):
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as connection:
            info["postgresql"] = connection.scalar(text("SHOW server_version"))
            for name in ("shared_buffers", "synchronous_commit", "max_connections"):
                info[f"pg_{name}"] = connection.scalar(text(f"SHOW {name}"))
        engine.dispose()
    with suppress(OSError):
        info["loadavg_at_start"] = os.getloadavg()
    # The code measured: the commit, and hashes of the files that matter (the working tree may
    # differ from the commit).
    root = Path(__file__).resolve().parent.parent
    with suppress(OSError, subprocess.CalledProcessError):
        info["commit"] = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
    src = root / "src" / "crewline"
    info["sources"] = {
        name: hashlib.sha256((src / name).read_bytes()).hexdigest()[:12]
        for name in (
            "tasks/service.py",
            "tasks/models.py",
            "routing/service.py",
            "routing/api.py",
            "routing/eligibility.py",
            "projects/service.py",
            "db.py",
            "tasks/ingest.py",
            "auth/deps.py",
            "auth/service.py",
            "app.py",
        )
        if (src / name).exists()
    }
    return info


# --------------------------------------------------------------------------- databases


def bench_engine(url: str, *, pool: int, overflow: int = 0) -> Engine:
    """Like ``crewline.db.make_engine``, but with the pool size under test."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            pool_size=pool,
            max_overflow=overflow,
            connect_args={"check_same_thread": False, "timeout": 10},
        )
        event.listen(engine, "connect", crewline_db._sqlite_connect)
        event.listen(engine, "begin", crewline_db._sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=pool, max_overflow=overflow)


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh, migrated database of the given kind; its URL. Dropped afterwards."""
    if kind == "postgresql":
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {PG_BENCH_DB}"))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_BENCH_DB}"
        try:
            engine = bench_engine(url, pool=1)
            migrate.upgrade(engine)
            engine.dispose()
            yield url
        finally:
            with admin.connect() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)"))
            admin.dispose()
    else:
        with tempfile.TemporaryDirectory(prefix="crewline-bench-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            engine = bench_engine(url, pool=1)
            migrate.upgrade(engine)
            engine.dispose()
            yield url


def maintenance(url: str) -> float:
    """VACUUM ANALYZE (PostgreSQL) or ANALYZE + WAL checkpoint (SQLite); seconds taken."""
    start = time.perf_counter()
    if url.startswith("postgresql"):
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
        engine.dispose()
    else:
        raw = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        raw.execute("ANALYZE")
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.close()
    return time.perf_counter() - start


# --------------------------------------------------------------------------- setup

members_meta = MetaData()
#: Helper tables of the benchmark database only: the n-th member of each project, and 0..49.
bench_members = Table(
    "bench_members",
    members_meta,
    Column("project_id", Integer, primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("person_id", Integer, nullable=False),
)
bench_seq = Table("bench_seq", members_meta, Column("j", Integer, primary_key=True))


@dataclass
class World:
    url: str
    project_ids: list[int]
    worker_ids: list[int]
    projects_of: dict[int, list[int]]  # worker -> its projects
    members_per_project: int
    tokens: dict[int, str] = field(default_factory=dict)  # worker -> API token
    bulk_loaded: int = 0  # tasks written by the SQL fast path, not do_ingest
    bulk_seconds: float = 0.0


def _person(index: int) -> PersonCreate:
    return PersonCreate(
        full_name=f"Bench Worker {index}",
        email=f"worker{index}@bench.crewline.dev",
        country="PH",
        region="SEA",
        time_zone="Asia/Manila",
        classification="contractor",
        languages=[{"language": "en", "level": "C1"}, {"language": "tl", "level": "C2"}],
        skills=["sentiment", "ner"],
        worker={"tier": "tier_2", "status": "active", "availability_hours": 20},
    )


def build(url: str, cfg: Config, report: Report, db: str) -> World:
    """Organization, projects, workers, memberships and tasks, through the services."""
    timings: dict[str, float] = {}
    engine = bench_engine(url, pool=2)
    sessions = make_sessionmaker(engine)
    embedder = ZeroEmbedder()
    t0 = time.perf_counter()
    with sessions() as session:
        client = orgs.do_create_org(
            session=session,
            actor=ACTOR,
            data=OrgCreate(kind=OrgKind.client, name="Bench Lab", country="US", currency="USD"),
        )
        project_list = []
        for p in range(cfg.projects):
            project_list.append(
                projects.do_create_project(
                    session=session,
                    actor=ACTOR,
                    data=ProjectCreate(
                        client_id=client.id,
                        name=f"Bench project {p}",
                        status="live",
                        overlap=cfg.overlap,
                        gold_rate=0.05,
                        priority=p % 3,
                        sla_hours=48,
                        lease_minutes=10,
                        languages=[{"language": "en", "min_level": "B2"}] if p % 2 else [],
                        required_skills=["sentiment"] if p % 3 == 0 else [],
                        label_schema=LABELS,
                        guidelines="# Sentiment\nPick the feeling of the review.",
                    ),
                    embedder=embedder,
                )
            )
        project_ids = [p.id for p in project_list]
    timings["projects_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    worker_ids: list[int] = []
    with sessions() as session:
        for start in range(0, cfg.workers, PEOPLE_BATCH):
            rows = [_person(i) for i in range(start, min(cfg.workers, start + PEOPLE_BATCH))]
            persons = people.do_create_people(
                session=session, actor=ACTOR, embedder=embedder, rows=rows
            )
            worker_ids += [p.id for p in persons]
            session.expunge_all()
    timings["people_s"] = time.perf_counter() - t0

    # Worker i is on projects i, i+1, ... (mod P): every project gets the same number.
    # Memberships are plain rows here (do_add_member costs ~8 ms each; it is not measured).
    t0 = time.perf_counter()
    projects_of: dict[int, list[int]] = {}
    member_rows: list[dict[str, int]] = []
    per_project: Counter[int] = Counter()
    joined = utcnow() - timedelta(days=30)
    with sessions() as session:
        for i, person_id in enumerate(worker_ids):
            mine = [project_ids[(i + k) % cfg.projects] for k in range(cfg.memberships)]
            projects_of[person_id] = mine
            for project_id in mine:
                session.add(
                    ProjectMember(
                        project_id=project_id,
                        person_id=person_id,
                        role=MemberRole.annotator,
                        joined_at=joined,
                    )
                )
                member_rows.append(
                    {
                        "project_id": project_id,
                        "idx": per_project[project_id],
                        "person_id": person_id,
                    }
                )
                per_project[project_id] += 1
        session.commit()
    timings["memberships_s"] = time.perf_counter() - t0
    members_per_project = min(per_project.values())
    with engine.begin() as connection:
        members_meta.create_all(connection)
        connection.execute(insert(bench_members), member_rows)
        connection.execute(insert(bench_seq), [{"j": j} for j in range(50)])

    world = World(url, project_ids, worker_ids, projects_of, members_per_project)
    report.ingestion.append(ingest(sessions, world, cfg, db))
    timings["ingest_s"] = report.ingestion[-1].tasks / report.ingestion[-1].total_tasks_per_s
    timings["bulk_loaded_tasks"] = world.bulk_loaded
    timings["bulk_load_s"] = world.bulk_seconds
    if cfg.http:
        t0 = time.perf_counter()
        world.tokens = make_tokens(sessions, world, cfg)
        timings["tokens_s"] = time.perf_counter() - t0
    engine.dispose()
    timings["analyze_s"] = maintenance(url)
    report.setup[db] = {k: round(v, 2) for k, v in timings.items()}
    return world


def task_row(project_id: int, i: int) -> dict[str, Any]:
    row: dict[str, Any] = {"external_id": f"p{project_id}-{i}", "data": {"text": TEXT.format(i=i)}}
    if i % 10 == 3:
        row["priority"] = 1
    if i % 100 == 37:
        row["gold_answer"] = "positive"
    return row


def ingest(sessions: sessionmaker[Session], world: World, cfg: Config, db: str) -> Ingestion:
    """``do_ingest`` in batches of 10,000, round-robin over the projects (only the call is
    timed); with ``--ingest-batches`` the tasks beyond those batches are loaded by SQL."""
    per_project = cfg.tasks // cfg.projects
    batches = [
        (project_id, start)
        for start in range(0, per_project, INGEST_BATCH)
        for project_id in world.project_ids
    ]
    if cfg.ingest_batches:
        batches = batches[: cfg.ingest_batches]
    loaded: Counter[int] = Counter()
    rates: list[float] = []
    spent = 0.0
    made = 0
    with console.status(f"[{db}] ingesting") as status, sessions() as session:
        for project_id, start in batches:
            project = session.get(Project, project_id)
            assert project is not None
            schema = projects.label_schema(session=session, project=project)
            size = min(INGEST_BATCH, per_project - start)
            rows = [task_row(project_id, i) for i in range(start, start + size)]
            t0 = time.perf_counter()
            result = task_ingest.do_ingest(
                session=session,
                actor=ACTOR,
                project=project,
                schema=schema,
                rows=rows,
                now=utcnow(),
            )
            took = time.perf_counter() - t0
            assert len(result.created) == len(rows), result.refused[:3]
            spent += took
            made += len(rows)
            loaded[project_id] = start + size
            rates.append(len(rows) / took)
            session.expunge_all()
            status.update(f"[{db}] do_ingest: {made:,} tasks ({made / spent:,.0f}/s)")
    fast = time.perf_counter()
    with console.status(f"[{db}] loading the remaining tasks by SQL"):
        for project_id in world.project_ids:
            if loaded[project_id] < per_project:
                bulk_tasks(sessions, project_id, loaded[project_id], per_project, cfg.overlap)
    world.bulk_loaded = cfg.tasks - made
    world.bulk_seconds = time.perf_counter() - fast
    return Ingestion(
        db=db,
        tasks=made,
        batches=len(rates),
        batch_size=INGEST_BATCH,
        median_tasks_per_s=statistics.median(rates),
        min_tasks_per_s=min(rates),
        max_tasks_per_s=max(rates),
        total_tasks_per_s=made / spent,
    )


BULK_PG = """
INSERT INTO tasks (project_id, external_id, data, is_gold, gold_answer, tags, priority,
                   required_labels, leased_count, submitted_count, open, due_at, created_at)
SELECT CAST(:project_id AS integer), 'p' || :project_id || '-' || i,
       json_build_object('text', 'Review ' || i || ': the delivery was late but support '
                                 || 'answered quickly.'),
       i % 100 = 37, CASE WHEN i % 100 = 37 THEN '"positive"'::json END, '[]'::json,
       CASE WHEN i % 10 = 3 THEN 1 ELSE 0 END, :overlap, 0, 0, true, :due, :now
FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS i
"""
BULK_SQLITE = """
WITH RECURSIVE seq(i) AS (SELECT :first UNION ALL SELECT i + 1 FROM seq WHERE i < :last)
INSERT INTO tasks (project_id, external_id, data, is_gold, gold_answer, tags, priority,
                   required_labels, leased_count, submitted_count, open, due_at, created_at)
SELECT CAST(:project_id AS integer), 'p' || :project_id || '-' || i,
       json_object('text', 'Review ' || i || ': the delivery was late but support '
                           || 'answered quickly.'),
       i % 100 = 37, CASE WHEN i % 100 = 37 THEN '"positive"' END, '[]',
       CASE WHEN i % 10 = 3 THEN 1 ELSE 0 END, :overlap, 0, 0, 1, :due, :now
FROM seq
"""


def bulk_tasks(
    sessions: sessionmaker[Session], project_id: int, first: int, end: int, overlap: int
) -> None:
    """The same rows ``task_row`` + ``do_ingest`` make, written by one SQL statement."""
    now = utcnow()
    with sessions() as session:
        sql = BULK_PG if session.get_bind().dialect.name == "postgresql" else BULK_SQLITE
        for chunk in range(first, end, 100_000):
            session.execute(
                text(sql).bindparams(
                    bindparam("due", type_=crewline_db.UTCDateTime()),
                    bindparam("now", type_=crewline_db.UTCDateTime()),
                ),
                {
                    "project_id": project_id,
                    "first": chunk,
                    "last": min(end, chunk + 100_000) - 1,
                    "overlap": overlap,
                    "due": now + timedelta(hours=48),
                    "now": now,
                },
            )
            session.commit()


def make_tokens(sessions: sessionmaker[Session], world: World, cfg: Config) -> dict[int, str]:
    """Worker accounts (no password) linked to their person, each with a read+write token."""
    hasher = make_hasher(time_cost=1, memory_kib=8)
    chosen = world.worker_ids[: cfg.http_workers or None]
    tokens: dict[int, str] = {}
    with sessions() as session:
        for person_id in chosen:
            person = session.get(Person, person_id)
            assert person is not None
            user = auth.do_create_user(
                session=session,
                actor=ACTOR,
                hasher=hasher,
                data=UserCreate(email=person.email, full_name=person.full_name, role=Role.worker),
                commit=False,
            )
            people.do_link_user(session=session, actor=ACTOR, person_id=person_id, user_id=user.id)
            _, secret = auth.do_create_token(
                session=session,
                actor=ACTOR,
                user_id=user.id,
                data=TokenCreate(name="bench", scopes=[Scope.read, Scope.write]),
            )
            tokens[person_id] = secret
            session.expunge_all()
    return tokens


def mark_done(url: str, world: World, target: float) -> dict[str, float]:
    """Bring every project (gold and regular work apart) to ``target`` share of tasks done.

    Takes the open, untouched tasks in claim order (priority, due time, id) — the ones real
    workers would have finished first — and does what their last submission would have done.
    """
    engine = bench_engine(url, pool=1)
    start = time.perf_counter()
    marker = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    marked = 0
    with Session(engine) as session:
        groups = session.execute(
            select(
                Task.project_id,
                Task.is_gold,
                func.count(),
                func.count(Task.completed_at),
            ).group_by(Task.project_id, Task.is_gold)
        ).all()
        for project_id, gold, total, completed in groups:
            want = round(total * target) - completed
            if want <= 0:
                continue
            pick = (
                select(Task.id)
                .where(
                    Task.project_id == project_id,
                    Task.is_gold == gold,
                    Task.open == true(),
                    Task.leased_count == 0,
                    Task.submitted_count == 0,
                )
                .order_by(Task.priority.desc(), Task.due_at, Task.id)
                .limit(want)
            )
            result = session.execute(
                update(Task)
                .where(Task.id.in_(pick.scalar_subquery()))
                .values(
                    open=False,
                    leased_count=0,
                    submitted_count=Task.required_labels,
                    completed_at=marker,
                )
                .execution_options(synchronize_session=False)
            )
            marked += result.rowcount
        # One submitted assignment per label, by distinct project members (a PK probe each).
        n = world.members_per_project
        who = bench_members.c
        label = bench_seq.c.j
        person = (
            select(who.person_id)
            .where(who.project_id == Task.project_id, who.idx == (Task.id + label * 7) % n)
            .scalar_subquery()
        )
        stamp = crewline_db.UTCDateTime()
        session.execute(
            insert(Assignment).from_select(
                [
                    "task_id",
                    "project_id",
                    "person_id",
                    "state",
                    "is_gold",
                    "leased_at",
                    "lease_expires_at",
                    "finished_at",
                    "value",
                    "client_submission_id",
                    "schema_version",
                    "guideline_version",
                ],
                select(
                    Task.id,
                    Task.project_id,
                    person,
                    literal(AssignmentState.submitted.value, String),
                    Task.is_gold,
                    bindparam("at", marker, type_=stamp),
                    bindparam("expires", marker + LEASE, type_=stamp),
                    bindparam("finished", marker, type_=stamp),
                    literal("positive", JSON),
                    literal("seed-", String)
                    + func.cast(Task.id, String)
                    + "-"
                    + func.cast(label, String),
                    literal(1, Integer),
                    literal(1, Integer),
                )
                .select_from(Task)
                .join(bench_seq, label < Task.required_labels)
                .where(Task.completed_at == bindparam("m", marker, type_=stamp)),
            )
        )
        session.commit()
    engine.dispose()
    took = time.perf_counter() - start
    return {"marked": marked, "mark_s": round(took, 2), "vacuum_s": round(maintenance(url), 2)}


def done_share(url: str) -> float:
    engine = bench_engine(url, pool=1)
    with engine.connect() as connection:
        total, done = connection.execute(
            select(func.count(), func.count(Task.completed_at)).select_from(Task)
        ).one()
    engine.dispose()
    return done / total if total else 0.0


# --------------------------------------------------------------------------- query plans


def plans(url: str, world: World) -> dict[str, Any]:
    """The claim's pick and ``project_incomplete`` for the last project, as the services run
    them (bound parameters: psycopg prepares a statement on its 5th execution, so the last
    runs use PostgreSQL's plan cache): warm median time, and the plan for the literal values."""
    engine = bench_engine(url, pool=1)
    project_id = world.project_ids[-1]
    person_id = next(p for p, mine in world.projects_of.items() if project_id in mine)
    pg = url.startswith("postgresql")
    pick = tasks._pick(project_id, person_id, False)
    if pg:
        pick = pick.with_for_update(skip_locked=True)
    incomplete = tasks._incomplete(project_id)
    found: dict[str, Any] = {}
    with engine.connect() as connection:
        for name, statement in (("claim pick", pick), ("project_incomplete", incomplete)):
            times = []
            for _ in range(12):
                t0 = time.perf_counter()
                connection.execute(statement).all()
                times.append(time.perf_counter() - t0)
                connection.rollback()
            sql = str(statement.compile(engine, compile_kwargs={"literal_binds": True}))
            explain = "EXPLAIN (ANALYZE, BUFFERS) " if pg else "EXPLAIN QUERY PLAN "
            rows = connection.exec_driver_sql(explain + sql).all()
            connection.rollback()
            found[name] = {
                "project_id": project_id,
                "median_ms": round(statistics.median(times[6:]) * 1000, 3),
                "max_ms": round(max(times[6:]) * 1000, 3),
                "plan": "\n".join(str(row[0] if pg else row[-1]) for row in rows),
            }
    engine.dispose()
    return found


# --------------------------------------------------------------------------- measurement

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def backend_pids(url: str) -> Callable[[], list[int]]:
    """PostgreSQL backends serving the benchmark database (none for SQLite)."""

    def pids() -> list[int]:
        if not url.startswith("postgresql"):
            return []
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as connection:
            found = list(
                connection.scalars(
                    text("SELECT pid FROM pg_stat_activity WHERE datname = :db"),
                    {"db": PG_BENCH_DB},
                )
            )
        engine.dispose()
        return found

    return pids


@dataclass
class Sample:
    end: float
    claim: float
    pair: float


class Loop:
    """N client threads, each with its own slice of workers; one lease sweeper thread."""

    def __init__(self, cfg: Config, clients: int, one_pair: Callable[[int, random.Random], str]):
        self.cfg = cfg
        self.clients = clients
        self.one_pair = one_pair
        self.samples: list[list[Sample]] = [[] for _ in range(clients)]
        self.empty = 0
        self.errors: Counter[str] = Counter()
        self.first_errors: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def run(
        self,
        workers: list[int],
        sweep: Callable[[], None] | None,
        other_pids: Callable[[], list[int]] | None = None,
    ) -> tuple[float, float, float]:
        """Run the clients; the window's length, this process's CPU seconds in it, and the
        CPU seconds of ``other_pids`` (database backends, the HTTP server) in it."""
        slices = [workers[k :: self.clients] for k in range(self.clients)]
        barrier = threading.Barrier(self.clients + 1)

        def client(k: int) -> None:
            rng = random.Random(k)
            mine = slices[k]
            barrier.wait()
            while not self.stop.is_set():
                person_id = rng.choice(mine)
                t0 = time.perf_counter()
                try:
                    outcome = self.one_pair(person_id, rng)
                except Exception as exc:
                    with self.lock:
                        self.errors[type(exc).__name__] += 1
                        if len(self.first_errors) < 3:
                            self.first_errors.append(traceback.format_exc(limit=6))
                    continue
                t2 = time.perf_counter()
                if outcome.startswith("empty"):
                    with self.lock:
                        self.empty += 1
                    continue
                claim_s = float(outcome)
                self.samples[k].append(Sample(t2, claim_s, t2 - t0))

        threads = [
            threading.Thread(target=client, args=(k,), daemon=True) for k in range(self.clients)
        ]
        for thread in threads:
            thread.start()
        sweeper_runs: list[float] = []

        def sweeper() -> None:
            assert sweep is not None
            while not self.stop.wait(EXPIRY_EVERY):
                t0 = time.perf_counter()
                try:
                    sweep()
                except Exception as exc:
                    with self.lock:
                        self.errors["sweep:" + type(exc).__name__] += 1
                sweeper_runs.append(time.perf_counter() - t0)

        sweeper_thread = threading.Thread(target=sweeper, daemon=True) if sweep else None
        barrier.wait()
        begin = time.perf_counter()
        if sweeper_thread:
            sweeper_thread.start()
        window_start = begin + self.cfg.warmup
        time.sleep(self.cfg.warmup)
        pids = other_pids() if other_pids else []
        other0 = {pid: proc_cpu(pid) for pid in pids}
        cpu0 = time.process_time()
        time.sleep(self.cfg.seconds)
        cpu = time.process_time() - cpu0
        other = sum(proc_cpu(pid) - start for pid, start in other0.items())
        window_end = time.perf_counter()
        self.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        if sweeper_thread:
            sweeper_thread.join(timeout=60)
        self.sweeper_runs = sweeper_runs
        self.window = (window_start, window_end)
        return window_end - window_start, cpu, other

    def measurement(
        self, db: str, via: str, done: float, pool: int, span: float, cpu: float, other: float
    ) -> Measurement:
        start, end = self.window
        inside = [s for per in self.samples for s in per if start <= s.end <= end]
        claims = np.array([s.claim for s in inside]) * 1000 if inside else np.zeros(1)
        pairs = np.array([s.pair for s in inside]) * 1000 if inside else np.zeros(1)
        return Measurement(
            db=db,
            via=via,
            done=done,
            clients=self.clients,
            pool=pool,
            seconds=round(span, 2),
            pairs=len(inside),
            empty=self.empty,
            errors=dict(self.errors),
            pairs_per_s=round(len(inside) / span, 1),
            claim_p50=round(float(np.percentile(claims, 50)), 2),
            claim_p95=round(float(np.percentile(claims, 95)), 2),
            claim_p99=round(float(np.percentile(claims, 99)), 2),
            pair_p50=round(float(np.percentile(pairs, 50)), 2),
            pair_p99=round(float(np.percentile(pairs, 99)), 2),
            expiry_runs=len(self.sweeper_runs),
            expiry_ms_max=round(max(self.sweeper_runs, default=0.0) * 1000, 1),
            cpu_bench_s=round(cpu, 2),
            cpu_client_ms=round(1000 * cpu / max(len(inside), 1), 2),
            cpu_other_ms=round(1000 * other / max(len(inside), 1), 2),
            load1=round(os.getloadavg()[0], 2),
        )


def warm_cache(url: str, world: World) -> EligibilityCache:
    """An eligibility cache holding every worker, as a server's is in steady state.

    A worker asks for a task about once per task labelled (a minute or two), well inside the
    default ``CREWLINE_ROUTING_CACHE_SECONDS``, so a running server has its active workers in
    memory; the benchmark's clients cycle through thousands of workers far faster than people
    do, which without this would measure mostly first requests.
    """
    cache = EligibilityCache(ROUTING_CACHE_SECONDS)
    engine = bench_engine(url, pool=1)
    with make_sessionmaker(engine)() as session:
        for person_id in world.worker_ids:
            cache.put(person_id, routing.eligibility_of(session=session, person_id=person_id))
    engine.dispose()
    return cache


def service_pair(
    sessions: sessionmaker[Session], via: str, world: World, cache: EligibilityCache
) -> Callable[[int, random.Random], str]:
    """One claim + submit through the service layer; returns the claim seconds or 'empty'.

    ``next_task`` uses ``cache``, shared by the clients as in one server process.
    """

    def pair(person_id: int, rng: random.Random) -> str:
        with sessions() as session:
            t0 = time.perf_counter()
            if via == "next_task":
                outcome = routing.next_task(
                    session=session,
                    person_id=person_id,
                    rng=rng,
                    default_lease=LEASE,
                    now=utcnow(),
                    cache=cache,
                )
                assignment = outcome.assignment
            else:
                project = session.get(Project, rng.choice(world.projects_of[person_id]))
                assert project is not None
                begin_write(session)
                assignment = tasks.claim(
                    session=session,
                    project_id=project.id,
                    person_id=person_id,
                    gold=rng.random() < project.gold_rate,
                    lease=LEASE,
                    now=utcnow(),
                )
                if assignment is None:
                    session.rollback()
                else:
                    session.commit()
            claim_s = time.perf_counter() - t0
            if assignment is None:
                return "empty"
            now = utcnow()
            _stored, completion = tasks.do_submit(
                session=session,
                person_id=person_id,
                assignment_id=assignment.id,
                data=Submission(
                    client_submission_id=f"b{assignment.id}", value=rng.choice(LABELS["labels"])
                ),
                now=now,
            )
            routing.after_submit(session=session, completion=completion, now=now)
            session.commit()
            return repr(claim_s)

    return pair


def measure_service(
    world: World,
    cfg: Config,
    db: str,
    via: str,
    done: float,
    clients: int,
    pool: int,
    cache: EligibilityCache,
) -> tuple[Measurement, list[str]]:
    engine = bench_engine(world.url, pool=pool)
    sweep_engine = bench_engine(world.url, pool=1)
    sessions = make_sessionmaker(engine)
    sweep_sessions = make_sessionmaker(sweep_engine)

    def sweep() -> None:
        with sweep_sessions() as session:
            tasks.expire_leases(session=session, now=utcnow())

    loop = Loop(cfg, clients, service_pair(sessions, via, world, cache))
    span, cpu, other = loop.run(world.worker_ids, sweep, backend_pids(world.url))
    engine.dispose()
    sweep_engine.dispose()
    return loop.measurement(db, via, done, pool, span, cpu, other), loop.first_errors


# --------------------------------------------------------------------------- HTTP


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def server(url: str, cfg: Config) -> Iterator[tuple[str, int]]:
    """``uvicorn crewline.app:production_app`` in a subprocess on the benchmark database."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="crewline-bench-srv-") as data_dir:
        env = {
            **os.environ,
            "CREWLINE_DATABASE_URL": url,
            "CREWLINE_DATA_DIR": data_dir,
            "CREWLINE_SECRET_KEY": secrets.token_urlsafe(32),
            "CREWLINE_LOG_LEVEL": "WARNING",
            "CREWLINE_RUN_JOBS": "true",
        }
        command = [
            sys.executable, "-m", "uvicorn", "--factory", "crewline.app:production_app",
            "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
            "--log-level", "warning",
        ]  # fmt: skip
        log = Path(data_dir) / "server.log"
        with log.open("w") as out:
            process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("server did not start:\n" + log.read_text()[-3000:])
                time.sleep(0.3)
            yield base, process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            errors = Counter(
                line.strip()[:200]
                for line in log.read_text().splitlines()
                if "Error:" in line and not line.lstrip().startswith(("│", "╭", "╰"))
            )
            for line, count in errors.most_common(5):
                console.print(f"[yellow]server log: {count} x {line}[/]")


def measure_http(
    world: World, cfg: Config, db: str, done: float, clients: int, base: str, server_pid: int
) -> tuple[Measurement, list[str]]:
    local = threading.local()

    def pair(person_id: int, rng: random.Random) -> str:
        client: httpx.Client | None = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(base_url=base + "/api/v1", timeout=60)
        headers = {"Authorization": f"Bearer {world.tokens[person_id]}"}
        t0 = time.perf_counter()
        response = client.post("/work/next", headers=headers)
        claim_s = time.perf_counter() - t0
        response.raise_for_status()
        item = response.json()
        if item.get("assignment") is None:
            return "empty:" + str(item.get("reason"))
        assignment_id = item["assignment"]["id"]
        response = client.post(
            f"/work/{assignment_id}/submit",
            headers=headers,
            json={
                "client_submission_id": f"h{assignment_id}",
                "value": rng.choice(LABELS["labels"]),
            },
        )
        response.raise_for_status()
        return repr(claim_s)

    loop = Loop(cfg, clients, pair)
    database_pids = backend_pids(world.url)
    span, cpu, other = loop.run(  # the server runs its own lease sweeper
        sorted(world.tokens), None, lambda: [server_pid, *database_pids()]
    )
    return loop.measurement(db, "http", done, 0, span, cpu, other), loop.first_errors


# --------------------------------------------------------------------------- run


def run_db(db: str, cfg: Config, report: Report) -> None:
    with database(db) as url:
        console.rule(f"{db}: setup")
        world = build(url, cfg, report, db)
        console.print(f"[{db}] setup: {report.setup[db]}")
        console.print(f"[{db}] ingestion: {asdict(report.ingestion[-1])}")
        http_ctx = server(url, cfg) if cfg.http else None
        base, server_pid = http_ctx.__enter__() if http_ctx else (None, 0)
        try:
            for target in cfg.states:
                if target > 0:
                    info = mark_done(url, world, target)
                    report.setup[db][f"mark_{int(target * 100)}"] = info["mark_s"]
                    report.setup[db][f"vacuum_{int(target * 100)}"] = info["vacuum_s"]
                done = round(done_share(url), 3)
                started = time.perf_counter()
                cache = warm_cache(url, world)  # fresh for each state (it expires in 300 s)
                report.setup[db][f"warm_cache_{int(target * 100)}"] = round(
                    time.perf_counter() - started, 2
                )
                console.rule(f"{db}: {done:.0%} of tasks done")
                found = plans(url, world)
                report.plans.setdefault(db, {})[f"{done:.0%}"] = found
                for name, info in found.items():
                    console.print(
                        f"  {name} (project {info['project_id']}): {info['median_ms']} ms "
                        f"median, {info['max_ms']} ms max of 6 warm runs"
                    )
                runs: list[tuple[str, int, int]] = [
                    (via, clients, cfg.pool) for via in cfg.modes for clients in cfg.clients
                ]
                if target == cfg.states[len(cfg.states) // 2]:
                    runs += [
                        ("next_task", clients, pool)
                        for pool in cfg.pool_sweep
                        for clients in cfg.clients
                    ]
                for via, clients, pool in runs:
                    result, errors = measure_service(
                        world, cfg, db, via, done, clients, pool, cache
                    )
                    show(result, errors)
                    report.measurements.append(result)
                if base is not None:
                    for clients in cfg.clients:
                        result, errors = measure_http(
                            world, cfg, db, done, clients, base, server_pid
                        )
                        show(result, errors)
                        report.measurements.append(result)
        finally:
            if http_ctx:
                http_ctx.__exit__(None, None, None)


def show(result: Measurement, errors: list[str]) -> None:
    console.print(
        f"  {result.via:<9} clients={result.clients:<3} pool={result.pool:<3} "
        f"{result.pairs_per_s:>8.1f} pairs/s  claim p50/p95/p99 "
        f"{result.claim_p50:.1f}/{result.claim_p95:.1f}/{result.claim_p99:.1f} ms  "
        f"pair p50/p99 {result.pair_p50:.1f}/{result.pair_p99:.1f} ms  "
        f"empty={result.empty} errors={result.errors or 0} cpu/pair: client "
        f"{result.cpu_client_ms} ms, db/server {result.cpu_other_ms} ms  load={result.load1}"
    )
    for error in errors[:1]:
        console.print(f"[red]{error}[/]")


def summary(report: Report) -> None:
    table = RichTable(title="Ingestion (tasks.service.do_ingest, batches of 10,000)")
    for column in ("db", "tasks", "median tasks/s", "min", "max", "overall", "target ≥ 20,000/s"):
        table.add_column(column, justify="right")
    for ing in report.ingestion:
        table.add_row(
            ing.db, f"{ing.tasks:,}", f"{ing.median_tasks_per_s:,.0f}",
            f"{ing.min_tasks_per_s:,.0f}", f"{ing.max_tasks_per_s:,.0f}",
            f"{ing.total_tasks_per_s:,.0f}",
            "PASS" if ing.median_tasks_per_s >= 20_000 else "FAIL",
        )  # fmt: skip
    console.print(table)
    table = RichTable(title="Claim + submit pairs (latencies in ms)")
    for column in (
        "db", "via", "done", "clients", "pool", "pairs/s", "claim p50", "p95", "p99",
        "pair p50", "p99", "errors", "CPU ms/pair client", "db+server", "load",
        "≥1000/s", "p99≤50ms",
    ):  # fmt: skip
        table.add_column(column, justify="right")
    for m in report.measurements:
        table.add_row(
            m.db, m.via, f"{m.done:.0%}", str(m.clients), str(m.pool or "app"),
            f"{m.pairs_per_s:,.0f}", f"{m.claim_p50:.1f}", f"{m.claim_p95:.1f}",
            f"{m.claim_p99:.1f}", f"{m.pair_p50:.1f}", f"{m.pair_p99:.1f}",
            str(sum(m.errors.values())), f"{m.cpu_client_ms:.1f}", f"{m.cpu_other_ms:.1f}",
            f"{m.load1:.1f}",
            "PASS" if m.pairs_per_s >= 1000 else "FAIL",
            "PASS" if m.pairs and m.claim_p99 <= 50 else "FAIL",
        )  # fmt: skip
    console.print(table)


def parse(argv: list[str] | None = None) -> tuple[argparse.Namespace, Config]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgresql", "sqlite", "both"], default="postgresql")
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--projects", type=int, default=10)
    parser.add_argument("--workers", type=int, default=5_000)
    parser.add_argument("--memberships", type=int, default=3, help="projects per worker")
    parser.add_argument("--overlap", type=int, default=1, help="labels per task")
    parser.add_argument("--clients", default="8,32", help="comma-separated thread counts")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window per run")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--pool", type=int, default=8, help="client pool size (service layer)")
    parser.add_argument(
        "--pool-sweep", default="", help="extra pool sizes tried at the middle state, e.g. 4,16"
    )
    parser.add_argument("--modes", default="next_task,claim")
    parser.add_argument("--states", default="0,0.3,0.9", help="shares of tasks done")
    parser.add_argument("--http", action="store_true", help="also measure through the HTTP API")
    parser.add_argument("--http-workers", type=int, default=0, help="workers given tokens (0: all)")
    parser.add_argument(
        "--ingest-batches",
        type=int,
        default=0,
        help="batches of 10,000 ingested (and timed) through do_ingest; the rest of --tasks "
        "is loaded by one SQL statement per project (0: everything through do_ingest)",
    )
    parser.add_argument("--quick", action="store_true", help="small smoke configuration")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.tasks, args.workers, args.seconds, args.warmup = 50_000, 500, 5.0, 1.0
        args.ingest_batches = args.ingest_batches or 3
    cfg = Config(
        tasks=args.tasks,
        projects=args.projects,
        workers=args.workers,
        memberships=min(args.memberships, args.projects),
        overlap=args.overlap,
        clients=[int(c) for c in args.clients.split(",") if c],
        seconds=args.seconds,
        warmup=args.warmup,
        pool=args.pool,
        pool_sweep=[int(c) for c in args.pool_sweep.split(",") if c],
        modes=[m for m in args.modes.split(",") if m],
        states=[float(s) for s in args.states.split(",") if s],
        http=args.http,
        http_workers=args.http_workers,
        ingest_batches=args.ingest_batches,
    )
    return args, cfg


def main(argv: list[str] | None = None) -> None:
    args, cfg = parse(argv)
    report = Report(
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        command=" ".join([Path(sys.executable).name, *sys.argv]),
        machine=machine_info(),
        config=asdict(cfg),
    )
    console.print(report.machine)
    began = time.perf_counter()
    for db in ["postgresql", "sqlite"] if args.db == "both" else [args.db]:
        run_db(db, cfg, report)
    report.machine["loadavg_at_end"] = os.getloadavg()
    report.machine["wall_minutes"] = round((time.perf_counter() - began) / 60, 1)
    summary(report)
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2, default=str))
        console.print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
