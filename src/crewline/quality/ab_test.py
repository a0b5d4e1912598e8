"""Comparing two arms of a guideline experiment: difference, interval and permutation p-value.

Outcomes are per item (1/0 for a gold answer right or wrong; 1/0 for a label agreeing with
the final answer; or any score). The interval is a percentile bootstrap of the difference of
means (B minus A); the p-value is a two-sided permutation test of "the arm makes no
difference", Monte Carlo with the +1 correction (Phipson & Smyth 2010) so it is never 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from crewline.quality.errors import QualityInputError


@dataclass(frozen=True, slots=True)
class Comparison:
    """Arm means, their difference (B - A), its interval and the permutation p-value."""

    mean_a: float
    mean_b: float
    n_a: int
    n_b: int
    difference: float
    low: float
    high: float
    p_value: float


def compare_arms(
    a: npt.ArrayLike,
    b: npt.ArrayLike,
    *,
    resamples: int = 5000,
    level: float = 0.95,
    seed: int = 0,
) -> Comparison:
    """Compare the outcomes of arm A and arm B (each needs at least one)."""
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.ndim != 1 or y.ndim != 1 or not x.size or not y.size:
        raise QualityInputError("each arm needs at least one outcome")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise QualityInputError("outcomes must be finite numbers")
    if resamples < 100:
        raise QualityInputError("resamples must be at least 100")
    rng = np.random.default_rng(seed)
    observed = float(y.mean() - x.mean())
    boot = y[rng.integers(0, y.size, (resamples, y.size))].mean(axis=1) - x[
        rng.integers(0, x.size, (resamples, x.size))
    ].mean(axis=1)
    tail = (1 - level) / 2
    pooled = np.concatenate([x, y])
    shuffled = np.argsort(rng.random((resamples, pooled.size)), axis=1)
    perm = pooled[shuffled]
    diffs = perm[:, x.size :].mean(axis=1) - perm[:, : x.size].mean(axis=1)
    extreme = int(np.sum(np.abs(diffs) >= abs(observed) - 1e-12))
    return Comparison(
        mean_a=float(x.mean()),
        mean_b=float(y.mean()),
        n_a=int(x.size),
        n_b=int(y.size),
        difference=observed,
        low=float(np.quantile(boot, tail)),
        high=float(np.quantile(boot, 1 - tail)),
        p_value=(extreme + 1) / (resamples + 1),
    )
