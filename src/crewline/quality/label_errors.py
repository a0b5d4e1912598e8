"""The estimated share of a project's final labels that are wrong.

Two estimators, for two kinds of answer.

**Posterior** (single labels): if truth inference's posteriors are calibrated, a task answered
with confidence ``c`` is wrong with probability ``1 - c``, so the expected share of wrong final
labels is the mean of ``1 - c`` and the number wrong is a sum of independent Bernoullis (a
Poisson binomial) with variance ``sum of c(1 - c)``. Gold clamping is what keeps the posteriors
honest: gold answers fix each worker's estimated reliability. Gold tasks themselves are left
out (their answer is known).

**Gold** (every other type, whose aggregators give agreement rather than a calibrated
probability): the share of gold tasks whose crowd answer missed the key, with Wilson's
interval; the gold tasks are a random sample of the work, injected at the project's rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.stats import norm

from crewline.quality.beta import wilson
from crewline.quality.errors import QualityInputError


@dataclass(frozen=True, slots=True)
class ErrorRate:
    """The estimate, a normal-approximation interval of the Poisson binomial, and ``n`` tasks."""

    rate: float
    low: float
    high: float
    tasks: int
    #: ``posterior`` or ``gold``: what the estimate rests on.
    basis: str

    def exceeds(self, threshold: float) -> bool:
        """Whether the estimate passes a warning threshold."""
        return self.rate > threshold


def estimate(confidences: npt.ArrayLike, level: float = 0.95) -> ErrorRate | None:
    """Expected share of wrong answers from final-answer confidences (None for no tasks)."""
    c = np.asarray(confidences, dtype=np.float64)
    if c.ndim != 1:
        raise QualityInputError("confidences must be a list of numbers")
    if not c.size:
        return None
    if not (np.all(np.isfinite(c)) and np.all((c >= 0) & (c <= 1))):
        raise QualityInputError("confidences must lie between 0 and 1")
    wrong = 1.0 - c
    rate = float(wrong.mean())
    sd = float(np.sqrt(np.sum(c * wrong))) / c.size
    z = float(norm.ppf(1 - (1 - level) / 2))
    return ErrorRate(
        rate, max(0.0, rate - z * sd), min(1.0, rate + z * sd), int(c.size), "posterior"
    )


def from_gold(matched: Sequence[bool], level: float = 0.95) -> ErrorRate | None:
    """Share of gold tasks whose crowd answer missed the key (None without gold tasks)."""
    if not matched:
        return None
    wrong = len(matched) - sum(bool(m) for m in matched)
    low, high = wilson(wrong, len(matched), level)
    return ErrorRate(wrong / len(matched), low, high, len(matched), "gold")
