"""Label a project through the real claim and submit services, as workers would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from random import Random
from typing import Any

from sqlalchemy.orm import Session

from crewline.tasks import service as tasks
from crewline.tasks.models import Task
from crewline.tasks.schemas import Submission

LEASE = timedelta(minutes=10)


def label_everything(
    session: Session,
    project_id: int,
    person_id: int,
    answer: Callable[[Task], Any],
    *,
    now: datetime,
    seconds: float = 20.0,
    step: timedelta = timedelta(seconds=30),
) -> datetime:
    """Claim and submit every task (gold first, then the rest) the worker can get.

    ``answer`` gives the worker's value for a task; submissions are ``step`` apart on average,
    jittered like a person's (seeded by the worker, so runs repeat; a constant gap would look
    like a bot to the timing signal). Returns the time after the last submission.
    """
    rng = Random(person_id)
    for gold in (True, False):
        while True:
            leased = tasks.claim(
                session=session,
                project_id=project_id,
                person_id=person_id,
                gold=gold,
                lease=LEASE,
                now=now,
            )
            session.commit()
            if leased is None:
                break
            task = session.get_one(Task, leased.task_id)
            tasks.do_submit(
                session=session,
                person_id=person_id,
                assignment_id=leased.id,
                data=Submission(
                    client_submission_id=f"q{leased.id}",
                    value=answer(task),
                    active_seconds=seconds,
                ),
                now=now,
            )
            session.commit()
            now += step * rng.uniform(0.5, 1.5)
    return now
