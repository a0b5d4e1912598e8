"""Predictive validity: do assessment scores foretell the same people's live quality?

An assessment earns its place only if people who score higher go on to do better live work. For
each assessment, the people who took it and then did N live tasks give pairs (assessment score,
live outcome: gold accuracy or reliability). From those pairs:

- :func:`spearman`: the rank correlation with a confidence interval, because the relation need
  not be linear and live accuracy is bunched near the top;
- :func:`calibration`: mean live outcome per score band, for a calibration plot;
- :func:`recommend_cutoff`: the passing score that would have given the best live quality while
  still admitting the share of applicants the project needs.

Pure and vectorised with numpy; the same input always gives the same output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.stats import norm, rankdata
from scipy.stats import t as t_distribution

from crewline.quality.beta import wilson

DEFAULT_EDGES = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
"""Score bands of the calibration plot: one wide band of clear failures, then tenths."""

MIN_PAIRS = 4
"""The fewest people a correlation is reported for: the interval's standard error divides by
n - 3, so with three or fewer there is no interval at all."""

TIE_TOLERANCE = 1e-12
"""How close two mean outcomes (or a yield and its requirement) count as equal: sums taken in a
different order differ in the last bits, and that must not decide a cutoff."""

_Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Correlation:
    """Spearman's rho with a two-sided p-value and a ``level`` confidence interval."""

    rho: float
    low: float
    high: float
    p_value: float
    n: int
    level: float


@dataclass(frozen=True, slots=True)
class Band:
    """People whose score lies in ``[low, high)`` (the top band includes ``high``).

    ``mean`` and its interval are None when nobody scored in the band; the band is kept so that
    every plot of an assessment has the same x-axis.
    """

    low: float
    high: float
    n: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True, slots=True)
class Cutoff:
    """A recommended passing score and what it would have given, next to admitting everyone."""

    threshold: float
    yield_rate: float
    mean_passing: float
    mean_all: float
    n_passing: int
    n: int


def spearman(x: npt.ArrayLike, y: npt.ArrayLike, *, level: float = 0.95) -> Correlation | None:
    """Spearman's rank correlation of ``x`` and ``y``, tied values given their average rank.

    The interval is Fisher's z-transform with the Bonett-Wright standard error
    sqrt((1 + rho²/2) / (n - 3)), which unlike 1/sqrt(n - 3) holds its coverage for rank
    correlations; the p-value is the usual t-test with n - 2 degrees of freedom (as scipy's).
    At rho = ±1 the interval shrinks to the point, the transform's limit.

    Returns None when there are fewer than four pairs or one side is constant: a correlation is
    then undefined, and reporting 0 would read as "no relation" rather than "not measured".
    Raises ValueError for inputs of different lengths or with a NaN or infinite entry.
    """
    a, b = _paired(x, y, "x", "y")
    _check_level(level)
    n = a.size
    if n < MIN_PAIRS or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    ranks_a = rankdata(a) - (n + 1) / 2
    ranks_b = rankdata(b) - (n + 1) / 2
    rho = float(
        np.clip(ranks_a @ ranks_b / np.sqrt((ranks_a @ ranks_a) * (ranks_b @ ranks_b)), -1, 1)
    )
    low, high = _fisher_interval(rho, n, level)
    return Correlation(rho, low, high, _p_value(rho, n), n, level)


def _fisher_interval(rho: float, n: int, level: float) -> tuple[float, float]:
    if abs(rho) == 1:
        return rho, rho
    z = float(np.arctanh(rho))
    half = float(norm.ppf(0.5 + level / 2)) * np.sqrt((1 + rho * rho / 2) / (n - 3))
    return float(np.tanh(z - half)), float(np.tanh(z + half))


def _p_value(rho: float, n: int) -> float:
    if abs(rho) == 1:
        return 0.0
    t = abs(rho) * np.sqrt((n - 2) / ((1 - rho) * (1 + rho)))
    return float(2 * t_distribution.sf(t, n - 2))


def calibration(
    scores: npt.ArrayLike,
    outcomes: npt.ArrayLike,
    *,
    edges: Sequence[float] = DEFAULT_EDGES,
    level: float = 0.95,
) -> list[Band]:
    """Mean live outcome of the people in each score band, with a Wilson interval.

    Each outcome (a share in [0, 1], such as live gold accuracy) counts as that share of one
    success, so a band's interval is Wilson's on the band's summed outcome: unlike a t interval
    it stays inside [0, 1] and is honest for the small bands at the ends of the plot.

    Raises ValueError for edges that are not increasing, a score outside the edges (it would be
    counted in no band), or an outcome outside [0, 1].
    """
    s, o = _paired(scores, outcomes, "scores", "outcomes")
    bounds = np.asarray(edges, dtype=np.float64)
    _check_level(level)
    if bounds.ndim != 1 or bounds.size < 2 or not np.all(np.isfinite(bounds)):
        raise ValueError("edges must be at least two finite numbers")
    if np.any(np.diff(bounds) <= 0):
        raise ValueError("edges must increase strictly")
    if np.any((s < bounds[0]) | (s > bounds[-1])):
        raise ValueError(f"every score must lie within the edges [{bounds[0]}, {bounds[-1]}]")
    if np.any((o < 0) | (o > 1)):
        raise ValueError("outcomes must lie in [0, 1]")
    n_bands = bounds.size - 1
    band = np.minimum(np.searchsorted(bounds, s, side="right") - 1, n_bands - 1)
    counts = np.bincount(band, minlength=n_bands)
    sums = np.bincount(band, weights=o, minlength=n_bands)
    return [
        _band(float(bounds[i]), float(bounds[i + 1]), int(counts[i]), float(sums[i]), level)
        for i in range(n_bands)
    ]


def _band(low: float, high: float, n: int, total: float, level: float) -> Band:
    if n == 0:
        return Band(low, high, 0, None, None, None)
    ci_low, ci_high = wilson(min(total, n), n, level)
    return Band(low, high, n, total / n, ci_low, ci_high)


def recommend_cutoff(
    scores: npt.ArrayLike,
    outcomes: npt.ArrayLike,
    *,
    required_yield: float,
) -> Cutoff | None:
    """The passing score that maximises the passing people's mean live outcome at the yield.

    Every distinct score is a candidate threshold (passing is ``score >= threshold``); of those
    that admit at least ``required_yield`` of the people, the one whose passers did best live
    wins, and of equally good ones the lowest, which admits the most people. The lowest score
    admits everyone, so some threshold always qualifies. Returns None when there are no people.

    Raises ValueError for a yield outside [0, 1], inputs of different lengths or non-finite
    entries.
    """
    s, o = _paired(scores, outcomes, "scores", "outcomes")
    if not 0 <= required_yield <= 1:
        raise ValueError(f"required_yield must lie in [0, 1], got {required_yield}")
    n = s.size
    if n == 0:
        return None
    order = np.argsort(s, kind="stable")
    ranked_scores, ranked_outcomes = s[order], o[order]
    thresholds, first = np.unique(ranked_scores, return_index=True)
    passing = n - first
    at_or_above = np.cumsum(ranked_outcomes[::-1])[::-1]  # sum of outcomes from each place up
    means = at_or_above[first] / passing
    feasible = passing / n >= required_yield - TIE_TOLERANCE
    best = means[feasible].max()
    chosen = int(np.flatnonzero(feasible & (means >= best - TIE_TOLERANCE))[0])
    return Cutoff(
        threshold=float(thresholds[chosen]),
        yield_rate=float(passing[chosen] / n),
        mean_passing=float(means[chosen]),
        mean_all=float(o.mean()),
        n_passing=int(passing[chosen]),
        n=n,
    )


# --- checking input ---------------------------------------------------------------------------


def _paired(
    x: npt.ArrayLike, y: npt.ArrayLike, x_name: str, y_name: str
) -> tuple[_Floats, _Floats]:
    """Two equally long one-dimensional arrays of finite numbers, or a ValueError naming them."""
    a = np.asarray(x, dtype=np.float64)
    b = np.asarray(y, dtype=np.float64)
    for values, name in ((a, x_name), (b, y_name)):
        if values.ndim != 1:
            raise ValueError(f"{name} must be a flat list of numbers")
        if np.isnan(values).any():
            raise ValueError(f"{name} contains NaN; drop the people without a value first")
        if not np.isfinite(values).all():
            raise ValueError(f"{name} contains an infinite value")
    if a.size != b.size:
        raise ValueError(f"{x_name} and {y_name} differ in length ({a.size} and {b.size})")
    return a, b


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
