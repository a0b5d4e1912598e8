"""Screening rules: sort applicants into pass, review or fail, with the reasons (pure).

Each rule gives its own verdict and a sentence a recruiter can read; the application's
verdict is the worst of them (any fail fails, else any review reviews). Near misses go to
review rather than fail: a language one CEFR level short can be trained up (C1 asked, B2
given), and availability a little under the minimum is a conversation, not a rejection.
The skills match is the cosine similarity of the person's profile to the requisition's,
from the same offline embedding the "find people" search uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crewline.hiring.models import Screening
from crewline.validation import CEFR_LEVELS

_ORDER = {Screening.passed: 0, Screening.review: 1, Screening.failed: 2}


class Rules(BaseModel):
    """A requisition's screening rules (stored as JSON on it)."""

    model_config = ConfigDict(extra="forbid")

    #: Apply the requisition's language requirements.
    languages: bool = True
    #: Country codes accepted; empty accepts any country in the requisition's regions.
    countries: list[str] = Field(default_factory=list, max_length=300)
    #: Weekly hours a candidate must offer (None: no minimum).
    min_hours: int | None = Field(None, ge=0, le=80)
    #: Skills-match cosine at or above which the skills rule passes...
    skills_pass: float | None = Field(None, ge=-1, le=1)
    #: ... and below which it fails (between the two: review).
    skills_review: float | None = Field(None, ge=-1, le=1)

    @model_validator(mode="after")
    def _skills_band(self) -> Rules:
        if self.skills_review is not None:
            if self.skills_pass is None:
                raise ValueError("skills_review needs skills_pass (the band lies under it)")
            if self.skills_review > self.skills_pass:
                raise ValueError("skills_review is above skills_pass")
        return self


@dataclass(frozen=True, slots=True)
class Candidate:
    """What screening reads about one applicant."""

    country: str
    region: str
    languages: Mapping[str, str]
    availability_hours: int | None
    skills_match: float | None


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome and every rule's reason (the passing ones too, so a recruiter sees why)."""

    outcome: Screening
    reasons: list[str] = field(default_factory=list)


def _level(level: str) -> int:
    return CEFR_LEVELS.index(level)


def screen(
    rules: Rules,
    candidate: Candidate,
    *,
    regions: Sequence[str],
    languages: Sequence[Mapping[str, str]],
) -> Verdict:
    """Apply ``rules`` (and the requisition's ``regions`` and ``languages``) to a candidate."""
    results: list[tuple[Screening, str]] = []
    if regions and candidate.region not in regions:
        results.append(
            (Screening.failed, f"region {candidate.region} is not one of {', '.join(regions)}")
        )
    elif regions:
        results.append((Screening.passed, f"region {candidate.region} is hiring"))
    if rules.countries and candidate.country not in rules.countries:
        results.append((Screening.failed, f"country {candidate.country} is not accepted"))
    elif rules.countries:
        results.append((Screening.passed, f"country {candidate.country} is accepted"))
    if rules.languages:
        for need in languages:
            language, minimum = need["language"], need["min_level"]
            have = candidate.languages.get(language)
            if have is None:
                results.append((Screening.failed, f"no {language} (needs {minimum})"))
            elif _level(have) >= _level(minimum):
                results.append((Screening.passed, f"{language} {have} meets {minimum}"))
            elif _level(have) == _level(minimum) - 1:
                results.append(
                    (Screening.review, f"{language} {have} is one level under {minimum}")
                )
            else:
                results.append((Screening.failed, f"{language} {have} is under {minimum}"))
    if rules.min_hours is not None:
        hours = candidate.availability_hours
        if hours is None:
            results.append((Screening.review, "weekly availability not given"))
        elif hours >= rules.min_hours:
            results.append((Screening.passed, f"{hours} h/week meets {rules.min_hours}"))
        elif hours >= rules.min_hours * 0.75:
            results.append((Screening.review, f"{hours} h/week is under {rules.min_hours}"))
        else:
            results.append((Screening.failed, f"{hours} h/week is far under {rules.min_hours}"))
    if rules.skills_pass is not None:
        match = candidate.skills_match
        floor = rules.skills_review if rules.skills_review is not None else rules.skills_pass
        if match is None:
            results.append((Screening.review, "no profile to match skills against"))
        elif match >= rules.skills_pass:
            results.append((Screening.passed, f"skills match {match:.2f}"))
        elif match >= floor:
            results.append((Screening.review, f"skills match {match:.2f} is borderline"))
        else:
            results.append((Screening.failed, f"skills match {match:.2f} is low"))
    if not results:
        return Verdict(Screening.passed, ["no screening rules apply"])
    outcome = max((r[0] for r in results), key=_ORDER.__getitem__)
    ordered = sorted(results, key=lambda r: -_ORDER[r[0]])
    return Verdict(outcome, [reason for _, reason in ordered])
