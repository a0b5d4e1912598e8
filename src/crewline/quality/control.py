"""Control charts that say when a worker's or a project's quality has drifted.

* **Bernoulli CUSUM** (Reynolds & Stoumbos 1999) on a worker's gold answers in time order:
  each answer adds the log-likelihood ratio of "error rate ``q1``" against the in-control
  ``q0``, and the sum (floored at 0) signals once it passes ``h``. It reacts to a drop in
  accuracy within a few gold answers and forgets old ones, which a running average never
  does.
* **EWMA** on a daily proportion (agreement with consensus), with the exact variance of the
  exponentially weighted mean for days of different sizes, signalling below
  ``target - L·sd``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from crewline.quality.data import FloatArray
from crewline.quality.errors import QualityInputError

#: CUSUM decision limit: about one false alarm per several hundred in-control gold answers.
CUSUM_LIMIT = 4.0


@dataclass(frozen=True, slots=True)
class Chart:
    """The chart statistic after each observation, its limit(s) and where it signalled."""

    statistic: FloatArray
    limit: FloatArray
    alarms: npt.NDArray[np.int64]

    @property
    def out_of_control(self) -> bool:
        """Whether the last observation is beyond the limit (the drift is current)."""
        return bool(self.alarms.size) and int(self.alarms[-1]) == self.statistic.size - 1


def bernoulli_cusum(
    errors: npt.ArrayLike, q0: float, q1: float | None = None, h: float = CUSUM_LIMIT
) -> Chart:
    """Upper CUSUM of 0/1 ``errors`` (1 = a wrong gold answer) against error rate ``q0``.

    ``q1`` is the error rate worth detecting (default: twice ``q0``, at least ``q0 + 0.1``).
    """
    x = np.asarray(errors, dtype=np.float64)
    if x.ndim != 1 or not np.all((x == 0) | (x == 1)):
        raise QualityInputError("errors must be a list of 0 and 1")
    if not 0 < q0 < 1:
        raise QualityInputError("q0 must lie strictly between 0 and 1")
    q1 = min(max(2 * q0, q0 + 0.1), 0.99) if q1 is None else q1
    if not q0 < q1 < 1:
        raise QualityInputError("q1 must lie between q0 and 1")
    if h <= 0:
        raise QualityInputError("h must be positive")
    step = x * np.log(q1 / q0) + (1 - x) * np.log((1 - q1) / (1 - q0))
    statistic = np.empty_like(step)
    total = 0.0
    for i, s in enumerate(step.tolist()):  # a running max-with-floor has no closed form
        total = max(0.0, total + s)
        statistic[i] = total
    limit = np.full_like(statistic, h)
    return Chart(statistic, limit, np.flatnonzero(statistic > h).astype(np.int64))


def ewma_lower(
    proportions: npt.ArrayLike,
    sizes: npt.ArrayLike,
    target: float,
    lam: float = 0.2,
    width: float = 3.0,
) -> Chart:
    """Lower EWMA chart of daily proportions with ``sizes`` observations each.

    Day ``t`` has variance ``p(1-p)/n_t`` under the target ``p``; the EWMA's variance follows
    ``V_t = lam² s_t² + (1 - lam)² V_(t-1)``, so a small day widens the limit rather than
    raising a false alarm. ``limit`` holds the lower control limit per day.
    """
    x = np.asarray(proportions, dtype=np.float64)
    n = np.asarray(sizes, dtype=np.float64)
    if x.shape != n.shape or x.ndim != 1:
        raise QualityInputError("proportions and sizes differ in length")
    if not (np.all(np.isfinite(x)) and np.all((x >= 0) & (x <= 1))):
        raise QualityInputError("proportions must lie between 0 and 1")
    if np.any(n <= 0):
        raise QualityInputError("every day needs at least one observation")
    if not 0 < target < 1:
        raise QualityInputError("target must lie strictly between 0 and 1")
    if not 0 < lam <= 1:
        raise QualityInputError("lam must lie in (0, 1]")
    statistic = np.empty_like(x)
    limit = np.empty_like(x)
    z, variance = target, 0.0
    for i in range(x.size):
        z = lam * x[i] + (1 - lam) * z
        variance = lam * lam * target * (1 - target) / n[i] + (1 - lam) ** 2 * variance
        statistic[i] = z
        limit[i] = target - width * np.sqrt(variance)
    return Chart(statistic, limit, np.flatnonzero(statistic < limit).astype(np.int64))
