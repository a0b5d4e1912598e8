"""Order a worker's eligible projects: best skill match and most urgent first (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: How much one step of project priority weighs against a full cosine similarity of 1.
PRIORITY_WEIGHT = 0.1
#: A project whose SLA is this many hours or tighter gets the full urgency bonus.
URGENT_HOURS = 4.0
URGENCY_WEIGHT = 0.5


@dataclass(frozen=True, slots=True)
class Candidate:
    """What ranking needs to know about one eligible project."""

    project_id: int
    priority: int
    sla_hours: int | None
    profile: npt.NDArray[np.float32] | None


def score(candidate: Candidate, worker: npt.NDArray[np.float32] | None) -> float:
    """Skill match (cosine of unit vectors) + priority + urgency of the turnaround target."""
    match = 0.0
    if worker is not None and candidate.profile is not None:
        match = float(np.dot(worker, candidate.profile))
    urgency = 0.0
    if candidate.sla_hours is not None:
        urgency = URGENCY_WEIGHT * min(1.0, URGENT_HOURS / max(candidate.sla_hours, 1))
    return match + PRIORITY_WEIGHT * candidate.priority + urgency


def rank(candidates: Sequence[Candidate], worker: npt.NDArray[np.float32] | None) -> list[int]:
    """Project ids, best first; ties keep the project id order (deterministic)."""
    scored = sorted(((-score(c, worker), c.project_id) for c in candidates), key=lambda pair: pair)
    return [project_id for _, project_id in scored]
