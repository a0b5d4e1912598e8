"""Assessment API shapes: the builder, attempts and answers, outcomes, tiers and validity."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from crewline.assessments.models import AssessmentStatus, AttemptStatus, Kind, Outcome
from crewline.people.models import Tier
from crewline.validation import Id, Name

Tag = Literal["domain", "guideline", "edge_case", "consistency"]
Share = Annotated[float, Field(ge=0, le=1)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]


class ItemSpec(BaseModel):
    """One gold task of the project in the pool, what it measures, and what it repeats."""

    model_config = ConfigDict(extra="forbid")

    task_id: Id
    tags: list[Tag] = Field(default_factory=list, max_length=4)
    #: A repeated or near-identical item: the gold task it repeats (also in the pool).
    repeats_task_id: Id | None = None


class _Thresholds(BaseModel):
    """Checks shared by creation and update: training sits below passing."""

    @model_validator(mode="after")
    def _training_below_pass(self) -> _Thresholds:
        training, passing = getattr(self, "training_score", None), getattr(self, "pass_score", None)
        if training is not None and passing is not None and training >= passing:
            raise ValueError("training_score must be below pass_score")
        return self


class AssessmentCreate(_Thresholds):
    """A new assessment of a project; ``items`` None takes every gold task, tagged from its
    own tags."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: Kind = Kind.project
    time_limit_minutes: int = Field(ge=1, le=600)
    items_per_attempt: int = Field(ge=1, le=500)
    pass_score: Share
    training_score: Share | None = None
    max_attempts: int = Field(default=1, ge=1, le=20)
    retake_after_days: int = Field(default=0, ge=0, le=365)
    paid: bool = False
    status: Literal[AssessmentStatus.draft, AssessmentStatus.open] = AssessmentStatus.open
    items: list[ItemSpec] | None = Field(default=None, max_length=5000)


class AssessmentUpdate(_Thresholds):
    """Change settings or status; fields left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    time_limit_minutes: int | None = Field(default=None, ge=1, le=600)
    items_per_attempt: int | None = Field(default=None, ge=1, le=500)
    pass_score: Share | None = None
    training_score: Share | None = None
    max_attempts: int | None = Field(default=None, ge=1, le=20)
    retake_after_days: int | None = Field(default=None, ge=0, le=365)
    paid: bool | None = None
    status: AssessmentStatus | None = None


class AssessmentOut(BaseModel):
    """An assessment with its settings and pool size."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    name: str
    kind: Kind
    status: AssessmentStatus
    time_limit_minutes: int
    items_per_attempt: int
    pass_score: float
    training_score: float | None
    max_attempts: int
    retake_after_days: int
    paid: bool
    created_at: datetime
    created_by: str
    pool: int = 0


class AttemptStart(BaseModel):
    """Start (or resume) your attempt; ``application_id`` links it to one of your applications
    (default: your open application for a requisition of the assessment's project)."""

    model_config = ConfigDict(extra="forbid")

    application_id: Id | None = None


class Answer(BaseModel):
    """Your answer to one item of your attempt, with the active seconds your page measured."""

    model_config = ConfigDict(extra="forbid")

    answer: Any
    seconds: float | None = Field(default=None, ge=0, le=86_400)


class SittingItem(BaseModel):
    """One item as the candidate sees it: the task data and widget, and their answer so far."""

    id: int
    position: int
    data: dict[str, Any]
    answer: Any | None
    answered: bool


class ItemResult(BaseModel):
    """One graded item: score, whether it counts as correct, and the feedback sentence."""

    id: int
    round: int
    position: int
    score: float | None
    correct: bool | None
    feedback: str | None
    tags: list[str]


class AttemptOut(BaseModel):
    """An attempt: where it is, the time left, and (once graded) scores and outcome."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    assessment_id: int
    person_id: int
    application_id: int | None
    number: int
    status: AttemptStatus
    round: int
    rounds: int = 1
    started_at: datetime
    deadline_at: datetime
    finished_at: datetime | None
    score: float | None
    dimensions: dict[str, Any] | None
    learning: dict[str, Any] | None
    outcome: Outcome | None
    outcome_reason: str | None
    outcome_by: str | None
    engine_outcome: Outcome | None
    paid: bool


class Sitting(BaseModel):
    """What the candidate's page needs: the attempt, the widget, and the current round's items
    (with feedback on round one once a trial reaches its feedback step)."""

    attempt: AttemptOut
    assessment: AssessmentOut
    widget: dict[str, Any]
    seconds_left: float
    items: list[SittingItem]
    feedback: list[ItemResult]


class OutcomeOverride(BaseModel):
    """A human decision replacing the engine's outcome; the reason is kept and shown."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    reason: Reason


class TierRule(BaseModel):
    """One rung of a project's ladder: the volume and gold accuracy a worker needs for it."""

    model_config = ConfigDict(extra="forbid")

    tier: Tier
    min_labels: int = Field(ge=0, le=10_000_000)
    min_gold_accuracy: Share


class TierRules(BaseModel):
    """A project's promotion ladder (lowest tier first) and its demotion margin."""

    model_config = ConfigDict(extra="forbid")

    rules: list[TierRule] = Field(max_length=5)
    demotion_margin: Annotated[float, Field(ge=0, le=0.5)] = 0.03

    @model_validator(mode="after")
    def _ladder(self) -> TierRules:
        ranks = [rule.tier.rank for rule in self.rules]
        if ranks != sorted(set(ranks)):
            raise ValueError("rules: list each tier once, lowest first")
        return self


class TierSet(BaseModel):
    """Set a worker's tier on a project by hand, with the reason."""

    model_config = ConfigDict(extra="forbid")

    tier: Tier
    reason: Reason


class TierChangeOut(BaseModel):
    """One tier change in a worker's history on a project."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    person_id: int
    from_tier: Tier | None
    to_tier: Tier
    reason: str
    figures: dict[str, Any]
    actor: str
    at: datetime
