"""Proportions with honest uncertainty: gold accuracy under a Beta prior, Wilson intervals.

A worker who got 3 gold tasks of 3 right has not shown 100 % accuracy. Gold accuracy is the
mean of the Beta posterior ``Beta(a + right, b + wrong)``, with the equal-tailed credible
interval from its quantiles; partial credit (a gold score in [0, 1], e.g. span F1) adds its
score to ``right`` and the rest to ``wrong``. The default prior Beta(4, 1) says "workers who
passed qualification are usually right" (mean 0.8) while counting for only five gold answers,
so ten gold answers already outweigh it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.stats import beta as beta_distribution
from scipy.stats import norm

from crewline.quality.data import FloatArray
from crewline.quality.errors import QualityInputError

#: Prior pseudo-counts of right and wrong gold answers (mean 0.8, worth five answers).
PRIOR_RIGHT = 4.0
PRIOR_WRONG = 1.0


@dataclass(frozen=True, slots=True)
class Estimate:
    """Posterior means and equal-tailed credible bounds, one per entry of the input."""

    mean: FloatArray
    low: FloatArray
    high: FloatArray


def gold_accuracy(
    right: npt.ArrayLike,
    seen: npt.ArrayLike,
    *,
    prior_right: float = PRIOR_RIGHT,
    prior_wrong: float = PRIOR_WRONG,
    level: float = 0.95,
) -> Estimate:
    """Beta-posterior gold accuracy for each worker from their (possibly partial) right answers.

    ``right`` may hold fractional scores; it must lie in [0, ``seen``]. A worker with no gold
    gets the prior's mean and interval.
    """
    right_ = np.asarray(right, dtype=np.float64)
    seen_ = np.asarray(seen, dtype=np.float64)
    if right_.shape != seen_.shape:
        raise QualityInputError("right and seen differ in length")
    if not (np.all(np.isfinite(right_)) and np.all(np.isfinite(seen_))):
        raise QualityInputError("right and seen must be finite numbers")
    if np.any(right_ < 0) or np.any(right_ > seen_ + 1e-9):
        raise QualityInputError("right must lie between 0 and seen")
    if prior_right <= 0 or prior_wrong <= 0:
        raise QualityInputError("the prior's pseudo-counts must be positive")
    if not 0 < level < 1:
        raise QualityInputError("level must lie between 0 and 1")
    a = prior_right + right_
    b = prior_wrong + np.maximum(seen_ - right_, 0.0)
    tail = (1 - level) / 2
    return Estimate(
        mean=a / (a + b),
        low=np.asarray(beta_distribution.ppf(tail, a, b), dtype=np.float64),
        high=np.asarray(beta_distribution.ppf(1 - tail, a, b), dtype=np.float64),
    )


def wilson(successes: float, trials: float, level: float = 0.95) -> tuple[float, float]:
    """Wilson's score interval for a proportion (good at 0, 1 and small samples)."""
    if trials <= 0:
        raise QualityInputError("a proportion needs at least one trial")
    if not 0 <= successes <= trials:
        raise QualityInputError("successes must lie between 0 and trials")
    z = float(norm.ppf(1 - (1 - level) / 2))
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return max(0.0, centre - half), min(1.0, centre + half)
