"""Stages and the moves between them (pure: no database).

A requisition's pipeline is a main path of stages, first to last; three side stages exist on
every pipeline: ``rejected`` and ``withdrawn`` end an application, ``on_hold`` parks it and
returns it to the stage it was held from. A move goes forward along the path (skipping is
allowed and recorded as such), to a side stage from any open stage, or out of hold. Going
backward, moving a closed application, or staying put are refused with the reason, which
bulk moves report per candidate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_STAGES: tuple[str, ...] = (
    "sourced",
    "screened",
    "assessed",
    "trial_training",
    "qualified",
    "onboarded",
)
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
ON_HOLD = "on_hold"
SIDE_STAGES: tuple[str, ...] = (REJECTED, WITHDRAWN, ON_HOLD)
CLOSED: frozenset[str] = frozenset({REJECTED, WITHDRAWN})
#: The stage every pipeline must contain: analytics count "qualified" from it.
QUALIFIED = "qualified"
#: Where candidates get a deliberate chance to opt out: after the project briefing (given
#: at screening) and after the assessment.
EXIT_POINTS: tuple[str, ...] = ("screened", "assessed")

_SLUG = re.compile(r"[a-z][a-z0-9_]{0,39}")

LABELS: dict[str, str] = {
    "sourced": "Sourced",
    "screened": "Screened",
    "assessed": "Assessed",
    "trial_training": "Trial & training",
    "qualified": "Qualified",
    "onboarded": "Onboarded",
    REJECTED: "Rejected",
    WITHDRAWN: "Withdrawn",
    ON_HOLD: "On hold",
}


def label(stage: str) -> str:
    """A stage's human name (custom stages read as their slug in words)."""
    return LABELS.get(stage, stage.replace("_", " ").capitalize())


#: What a candidate reads on their page about what happens next.
NEXT_STEPS: dict[str, str] = {
    "sourced": "We are reviewing your application against the role's requirements.",
    "screened": "Attend the project briefing; after it you can still decide not to continue.",
    "assessed": "Your assessment is being graded; trial tasks and training come next.",
    "trial_training": "Complete your trial tasks and training sessions; you will get feedback.",
    "qualified": "You qualified: onboarding details follow.",
    "onboarded": "You are onboarded: your workspace is ready.",
    REJECTED: "This application is closed. You are welcome to apply to other roles.",
    WITHDRAWN: "You withdrew. You are welcome to apply again.",
    ON_HOLD: "Your application is paused; we will write when it moves again.",
}


def is_slug(stage: str) -> bool:
    """Whether ``stage`` is a well-formed stage name."""
    return _SLUG.fullmatch(stage) is not None


def check_path(stages: Sequence[str]) -> str | None:
    """Why ``stages`` cannot be a pipeline's main path, or None if it can."""
    if not 2 <= len(stages) <= 12:
        return "a pipeline has 2 to 12 stages"
    for stage in stages:
        if not is_slug(stage):
            return f"stage {stage!r} must be lower-case letters, digits and _ (at most 40)"
        if stage in SIDE_STAGES:
            return f"{stage!r} is a side stage every pipeline has; leave it out"
    if len(set(stages)) != len(stages):
        return "stages repeat"
    if QUALIFIED not in stages:
        return f"the pipeline needs a {QUALIFIED!r} stage (the funnel counts from it)"
    return None


@dataclass(frozen=True, slots=True)
class Move:
    """The outcome of checking one move: the stage to record, or why it is refused."""

    to_stage: str
    refused: str | None = None
    #: Main-path stages skipped on the way (recorded in the event's reason).
    skipped: tuple[str, ...] = ()


def check_move(path: Sequence[str], current: str, held_from: str | None, target: str) -> Move:
    """Whether an application at ``current`` may move to ``target`` on pipeline ``path``."""
    if target not in path and target not in SIDE_STAGES:
        return Move(target, f"{target!r} is not a stage of this pipeline")
    if current == target:
        return Move(target, f"already {label(current).lower()}")
    if current in CLOSED:
        return Move(target, f"the application is closed ({label(current).lower()})")
    if current == path[-1]:
        if target == WITHDRAWN:
            return Move(target)
        return Move(target, f"{label(current).lower()} is the last stage")
    if target in SIDE_STAGES:
        return Move(target)
    origin = held_from if current == ON_HOLD else current
    if origin is None or origin not in path:
        return Move(target, f"stage {current!r} is not on this pipeline")
    here, there = path.index(origin), path.index(target)
    if there < here:
        return Move(
            target, f"cannot go back from {label(origin).lower()} to {label(target).lower()}"
        )
    return Move(target, skipped=tuple(path[here + 1 : there]))
