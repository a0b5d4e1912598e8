"""The estimated share of a project's final labels that are wrong.

If truth inference's posteriors are calibrated, a task answered with confidence ``c`` is wrong
with probability ``1 - c``, so the expected share of wrong final labels is the mean of
``1 - c`` and the number wrong is a sum of independent Bernoullis (a Poisson binomial) with
variance ``Σ c(1 - c)``. Gold clamping is what keeps the posteriors honest: gold answers fix
each worker's estimated reliability. Gold tasks themselves are left out (their answer is known).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.stats import norm

from crewline.quality.errors import QualityInputError


@dataclass(frozen=True, slots=True)
class ErrorRate:
    """The estimate, a normal-approximation interval of the Poisson binomial, and ``n`` tasks."""

    rate: float
    low: float
    high: float
    tasks: int

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
    return ErrorRate(rate, max(0.0, rate - z * sd), min(1.0, rate + z * sd), int(c.size))
