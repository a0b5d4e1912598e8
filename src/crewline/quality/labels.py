"""A project's submitted labels as numpy columns: what every quality figure is computed from.

One query reads the counted assignments (submitted or approved) of a project, leaving out the
workers whose labels a confirmed fraud flag excludes; the values stay as the annotation's
normal form (``crewline.annotation``). The columns are sorted by finishing time, which drift
and the rules read in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.quality.data import FloatArray, IntArray
from crewline.quality.models import FlagDecision, FraudFlag
from crewline.tasks.models import COUNTED, Assignment, Task

BoolArray = np.ndarray[Any, np.dtype[np.bool_]]


@dataclass(frozen=True, slots=True)
class ProjectLabels:
    """Parallel columns, one row per counted label, oldest first."""

    task: IntArray
    person: IntArray
    value: list[Any]
    is_gold: BoolArray
    #: The gold score of the label (nan when the task is not gold).
    gold_score: FloatArray
    #: Active seconds in the workspace (nan when the client sent none).
    seconds: FloatArray
    #: Finishing time as seconds since the epoch.
    finished: FloatArray
    #: Gold tasks' answer keys by task id.
    gold: dict[int, Any]
    #: People whose labels were left out (a confirmed flag excludes them).
    excluded: frozenset[int]

    @property
    def size(self) -> int:
        """How many labels."""
        return int(self.task.size)


def excluded_people(*, session: Session, project_id: int) -> frozenset[int]:
    """People whose labels a confirmed fraud flag keeps out of the project's consensus."""
    return frozenset(
        session.scalars(
            select(FraudFlag.person_id).where(
                FraudFlag.project_id == project_id,
                FraudFlag.status == FlagDecision.confirmed,
                FraudFlag.exclude_labels.is_(True),
            )
        )
    )


def load(*, session: Session, project_id: int) -> ProjectLabels:
    """Read a project's counted labels in one pass (Core rows, no ORM objects)."""
    excluded = excluded_people(session=session, project_id=project_id)
    statement = (
        select(
            Assignment.task_id,
            Assignment.person_id,
            Assignment.value,
            Assignment.is_gold,
            Assignment.gold_score,
            Assignment.active_seconds,
            Assignment.finished_at,
        )
        .where(Assignment.project_id == project_id, Assignment.state.in_(COUNTED))
        .order_by(Assignment.finished_at, Assignment.id)
    )
    if excluded:
        statement = statement.where(Assignment.person_id.not_in(excluded))
    rows = session.execute(statement).all()
    columns = list(zip(*rows, strict=True)) if rows else [()] * 7
    task, person, value, is_gold, score, seconds, finished = columns
    gold: dict[int, Any] = dict(
        session.execute(
            select(Task.id, Task.gold_answer).where(
                Task.project_id == project_id, Task.is_gold.is_(True)
            )
        ).all()
    )
    return ProjectLabels(
        task=np.array(task, dtype=np.int64),
        person=np.array(person, dtype=np.int64),
        value=list(value),
        is_gold=np.array(is_gold, dtype=np.bool_),
        gold_score=_floats(score),
        seconds=_floats(seconds),
        finished=np.array([_epoch(when) for when in finished], dtype=np.float64),
        gold=gold,
        excluded=excluded,
    )


def _floats(values: tuple[Any, ...]) -> FloatArray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def _epoch(when: datetime | None) -> float:
    return np.nan if when is None else when.timestamp()
