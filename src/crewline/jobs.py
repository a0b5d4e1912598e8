"""Background jobs: plain functions run on a schedule (lease expiry, webhook delivery, ...).

The embedded server runs them in-process (``create_app`` starts a loop when
``CREWLINE_RUN_JOBS`` is true); at scale, turn that off in the API processes and run
``crewline jobs run`` as separate worker processes on the same database. Each job takes its own
session, does a bounded batch of work and returns how many items it handled, so a slow run never
blocks requests and a crashed one is simply retried on the next tick.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from crewline.db import utcnow

log = logging.getLogger("crewline.jobs")


@dataclass(frozen=True, slots=True)
class Job:
    """A function run every ``every_seconds`` with a fresh session and the current time."""

    name: str
    every_seconds: float
    run: Callable[[Session, datetime], int]


@dataclass
class Jobs:
    """The registry: domains add their jobs at app start (lower layers never import higher)."""

    jobs: list[Job] = field(default_factory=list)

    def add(self, job: Job) -> None:
        """Register a job (names are unique)."""
        if any(existing.name == job.name for existing in self.jobs):
            raise ValueError(f"job {job.name!r} is registered twice")
        self.jobs.append(job)

    def run_once(
        self, sessions: sessionmaker[Session], now: datetime | None = None
    ) -> dict[str, int]:
        """Run every job once; a failing job is logged and the others still run."""
        done: dict[str, int] = {}
        for job in self.jobs:
            done[job.name] = _run(job, sessions, now or utcnow())
        return done

    async def run_forever(self, sessions: sessionmaker[Session], stop: asyncio.Event) -> None:
        """Run each job on its own schedule until ``stop`` is set (jobs run in a thread)."""
        next_run = dict.fromkeys((job.name for job in self.jobs), 0.0)
        while not stop.is_set():
            for job in self.jobs:
                if time.monotonic() >= next_run[job.name]:
                    await asyncio.to_thread(_run, job, sessions, utcnow())
                    next_run[job.name] = time.monotonic() + job.every_seconds
            try:
                await asyncio.wait_for(stop.wait(), timeout=0.5)
            except TimeoutError:
                continue


def _run(job: Job, sessions: sessionmaker[Session], now: datetime) -> int:
    try:
        with sessions() as session:
            count = job.run(session, now)
    except Exception:
        log.exception("job failed", extra={"job": job.name})
        return 0
    if count:
        log.info("job ran", extra={"job": job.name, "items": count})
    return count
