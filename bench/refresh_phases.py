"""Where a quality refresh at a million annotations spends its time, phase by phase.

For work on the refresh (issue 5 asks for under 10 s): ``--build`` writes the benchmark's
million-label project (``quality.labelled_project``) once into a kept database; each run then
refreshes a fresh copy of it (cold, then warm) timing every phase, and prints a digest of each
derived table, so a change can be shown to store exactly the same figures: run it before and
after and compare the digests (the refreshes use a fixed clock).

Run from the repository root::

    .venv/bin/python bench/refresh_phases.py --db sqlite --build
    .venv/bin/python bench/refresh_phases.py --db sqlite --runs 3
    .venv/bin/python bench/refresh_phases.py --db postgresql --build
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import os
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import create_engine, text

from crewline import migrate
from crewline.db import make_sessionmaker
from crewline.quality import consensus, fraud_flags, labels, refresh, rules
from quality import labelled_project
from routing import PG_ADMIN_URL, bench_engine

KEPT = Path(tempfile.gettempdir()) / "crewline-refresh-phases"
PG_BASE, PG_WORK = "crewline_refresh_base", "crewline_refresh_work"
#: The refreshes' clock: fixed, so two runs write the same timestamps.
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
#: Each derived table, in a stable order, without ids and with what two runs may differ in.
TABLES = {
    "task_consensus": "SELECT * FROM task_consensus ORDER BY task_id",
    "worker_quality": "SELECT * FROM worker_quality ORDER BY person_id",
    "quality_points": "SELECT project_id, person_id, day, labels, gold_seen, gold_score, agreed,"
    " compared FROM quality_points ORDER BY person_id, day",
    "review_items": "SELECT task_id, reason, detail, status FROM review_items"
    " ORDER BY task_id, reason",
    "quality_alerts": "SELECT person_id, kind, message FROM quality_alerts ORDER BY id",
    "fraud_flags": "SELECT person_id, signal, severity, score FROM fraud_flags ORDER BY id",
}
#: (module, function) pairs timed as phases; the refresh calls each through its module.
PHASES: list[tuple[ModuleType, str]] = [
    (refresh, "load"),
    (labels, "_copy_out"),
    (labels, "_fetch"),
    (consensus, "compute"),
    (fraud_flags, "detect"),
    (fraud_flags, "store"),
    (rules, "run_rules"),
    *(
        (refresh, name)
        for name in (
            "_agreement",
            "_store_consensus",
            "_store_workers",
            "_store_points",
            "_queue_reviews",
            "_drift_alerts",
            "_error_rate_alert",
            "_hold_below_bar",
        )
    ),
    (refresh, "insert_columns"),
    (refresh, "insert_rows"),
    (refresh, "replace_columns"),
]


def timed_phases(seconds: dict[str, float]) -> None:
    """Wrap every phase so its time adds up in ``seconds`` (by ``module.function``)."""
    for module, name in PHASES:
        function = getattr(module, name)
        label = f"{module.__name__.rsplit('.', 1)[-1]}.{name}"

        def wrapper(
            *args: Any, _f: Callable[..., Any] = function, _label: str = label, **kwargs: Any
        ) -> Any:
            start = time.perf_counter()
            try:
                return _f(*args, **kwargs)
            finally:
                seconds[_label] += time.perf_counter() - start

        setattr(module, name, functools.wraps(function)(wrapper))


@contextmanager
def database(kind: str, *, fresh_base: bool) -> Iterator[str]:
    """The kept database (``fresh_base``: made anew and empty, for ``build``) or a fresh copy
    of it to refresh; its URL."""
    if kind == "postgresql":
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        name = PG_BASE if fresh_base else PG_WORK
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            template = "" if fresh_base else f" TEMPLATE {PG_BASE}"
            connection.execute(text(f"CREATE DATABASE {name}{template}"))
        admin.dispose()
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        return
    KEPT.mkdir(exist_ok=True)
    for path in KEPT.glob("base.db*" if fresh_base else "work.db*"):
        path.unlink()
    if fresh_base:
        yield f"sqlite:///{KEPT / 'base.db'}"
        return
    if not (KEPT / "base.db").exists():
        raise SystemExit(f"no kept database in {KEPT}: run with --build first")
    for path in KEPT.glob("base.db*"):  # with its WAL, if any
        shutil.copy(path, KEPT / path.name.replace("base", "work", 1))
    yield f"sqlite:///{KEPT / 'work.db'}"


def build(kind: str) -> None:
    with database(kind, fresh_base=True) as url:
        engine = bench_engine(url, pool=1)
        migrate.upgrade(engine)
        start = time.perf_counter()
        project_id, _ = labelled_project(engine, 100_000, 10, 2_000)
        engine.dispose()
        print(f"built project {project_id} in {time.perf_counter() - start:.0f} s: {url}")


def run(kind: str, runs: int) -> None:
    seconds: dict[str, float] = defaultdict(float)
    timed_phases(seconds)
    with database(kind, fresh_base=False) as url:
        engine = bench_engine(url, pool=2)
        sessions = make_sessionmaker(engine)
        with sessions() as session:
            project_id = session.execute(text("SELECT max(id) FROM projects")).scalar_one()
        print(f"load average {os.getloadavg()[0]:.2f}")
        for number in range(runs):
            seconds.clear()
            with sessions() as session:
                start = time.perf_counter()
                done = refresh.refresh_project(session=session, project_id=project_id, now=NOW)
                total = time.perf_counter() - start
            print(
                f"refresh {number} ({'cold' if number == 0 else 'warm'}): {total:.2f} s, "
                f"{done.labels:,} labels"
            )
            for label, spent in sorted(seconds.items(), key=lambda item: -item[1]):
                print(f"    {label:32s} {spent:6.2f} s")
        with engine.connect() as connection:
            for table, query in TABLES.items():
                rows = connection.exec_driver_sql(query).all()
                digest = hashlib.sha256("\n".join(map(repr, rows)).encode()).hexdigest()[:16]
                print(f"{table:16s} {len(rows):7,} rows  {digest}")
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--build", action="store_true", help="(re)build the kept database")
    parser.add_argument("--runs", type=int, default=2, help="refreshes: one cold, then warm")
    args = parser.parse_args()
    if args.build:
        build(args.db)
    run(args.db, args.runs)


if __name__ == "__main__":
    main()
