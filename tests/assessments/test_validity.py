"""Predictive validity: Spearman against scipy, calibration bands, and the recommended cutoff."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator

import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

from crewline.assessments.validity import (
    Band,
    Correlation,
    calibration,
    recommend_cutoff,
    spearman,
)
from crewline.quality.beta import wilson


@pytest.fixture(autouse=True)
def warnings_are_errors() -> Iterator[None]:
    """No numpy or scipy warning may leak out of the validity functions."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


SHARES = st.floats(0, 1)
COARSE = st.integers(0, 8).map(lambda i: i / 8)  # ties on purpose


@st.composite
def pairs(
    draw: st.DrawFn, values: st.SearchStrategy[float], min_size: int = 0
) -> tuple[list[float], list[float]]:
    n = draw(st.integers(min_size, 30))
    return draw(st.lists(values, min_size=n, max_size=n)), draw(
        st.lists(values, min_size=n, max_size=n)
    )


# --- spearman ---------------------------------------------------------------------------------


@given(pairs(st.one_of(COARSE, SHARES), min_size=4))
def test_rho_and_p_value_equal_scipys(data: tuple[list[float], list[float]]) -> None:
    x, y = data
    result = spearman(x, y)
    if len(set(x)) == 1 or len(set(y)) == 1:
        assert result is None
        return
    assert result is not None
    expected = scipy.stats.spearmanr(x, y)
    assert result.rho == pytest.approx(expected.statistic, abs=1e-9)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-6, abs=1e-12)
    assert result.low - 1e-12 <= result.rho <= result.high + 1e-12
    assert -1 <= result.low <= result.high <= 1
    assert result.n == len(x)


def test_a_worked_interval() -> None:
    x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    y = [2, 1, 4, 3, 6, 5, 8, 7, 10, 9]
    result = spearman(x, y)
    assert result is not None
    rho = 1 - 6 * 10 / (10 * 99)  # ten neighbours swapped: sum of d² = 10
    se = math.sqrt((1 + rho**2 / 2) / 7)
    z = math.atanh(rho)
    assert result.rho == pytest.approx(rho)
    assert result.low == pytest.approx(math.tanh(z - 1.959963984540054 * se))
    assert result.high == pytest.approx(math.tanh(z + 1.959963984540054 * se))
    assert result.level == 0.95
    wider = spearman(x, y, level=0.99)
    assert wider is not None
    assert wider.low < result.low and wider.high > result.high


@given(pairs(SHARES, min_size=5))
def test_the_interval_narrows_with_more_people_at_the_same_rho(
    data: tuple[list[float], list[float]],
) -> None:
    x, y = data
    once = spearman(x, y)
    if once is None or abs(once.rho) > 0.999:
        return
    twice = spearman(x * 2, y * 2)  # every person twice: same ranks up to scale, n doubled
    assert twice is not None
    assert twice.rho == pytest.approx(once.rho, abs=1e-9)
    assert twice.high - twice.low < once.high - once.low


def test_a_perfect_correlation_has_a_point_interval_and_zero_p() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == Correlation(1.0, 1.0, 1.0, 0.0, 4, 0.95)
    down = spearman([1, 2, 3, 4, 5], [5, 4, 3, 2, 1])
    assert down is not None
    assert (down.rho, down.low, down.high, down.p_value) == (-1.0, -1.0, -1.0, 0.0)


@pytest.mark.parametrize(
    ("x", "y"),
    [
        ([1, 2, 3], [3, 2, 1]),  # too few for an interval
        ([1, 1, 1, 1, 1], [1, 2, 3, 4, 5]),  # constant scores
        ([1, 2, 3, 4, 5], [0.5] * 5),  # constant outcomes
        ([], []),
    ],
)
def test_undefined_correlations_are_none(x: list[float], y: list[float]) -> None:
    assert spearman(x, y) is None


@pytest.mark.parametrize(
    ("x", "y", "level", "message"),
    [
        ([1, 2, 3, 4], [1, 2, 3], 0.95, "differ in length"),
        ([1, 2, float("nan"), 4], [1, 2, 3, 4], 0.95, "x contains NaN"),
        ([1, 2, 3, 4], [1, 2, 3, float("nan")], 0.95, "y contains NaN"),
        ([1, 2, 3, math.inf], [1, 2, 3, 4], 0.95, "infinite"),
        ([[1, 2], [3, 4]], [[1, 2], [3, 4]], 0.95, "flat list"),
        ([1, 2, 3, 4], [1, 2, 3, 4], 1.0, "level"),
        ([1, 2, 3, 4], [1, 2, 3, 4], 0.0, "level"),
    ],
)
def test_spearman_refuses_bad_input(x: object, y: object, level: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        spearman(x, y, level=level)  # type: ignore[arg-type]


# --- calibration ------------------------------------------------------------------------------


@given(pairs(st.one_of(SHARES, st.sampled_from([0.0, 0.5, 0.6, 0.9, 1.0]))))
def test_every_score_is_counted_in_exactly_one_band(data: tuple[list[float], list[float]]) -> None:
    scores, outcomes = data
    bands = calibration(scores, outcomes)
    assert [(b.low, b.high) for b in bands] == [
        (0.0, 0.5),
        (0.5, 0.6),
        (0.6, 0.7),
        (0.7, 0.8),
        (0.8, 0.9),
        (0.9, 1.0),
    ]
    assert sum(b.n for b in bands) == len(scores)
    for b in bands:
        inside = [
            o
            for s, o in zip(scores, outcomes, strict=True)
            if b.low <= s < b.high or s == b.high == 1.0
        ]
        assert b.n == len(inside)
        if inside:
            assert b.mean == pytest.approx(sum(inside) / len(inside))
            assert b.ci_low is not None and b.ci_high is not None
            assert 0 <= b.ci_low <= b.mean + 1e-12 and b.mean - 1e-12 <= b.ci_high <= 1
        else:
            assert (b.mean, b.ci_low, b.ci_high) == (None, None, None)


def test_a_worked_calibration() -> None:
    bands = calibration([0.55, 0.95, 1.0, 0.5], [0.5, 1.0, 0.8, 0.7], edges=(0.0, 0.5, 0.9, 1.0))
    assert [b.n for b in bands] == [0, 2, 2]
    assert bands[0] == Band(0.0, 0.5, 0, None, None, None)
    assert bands[1].mean == pytest.approx(0.6)
    assert bands[2].mean == pytest.approx(0.9)
    assert (bands[1].ci_low, bands[1].ci_high) == wilson(1.2, 2)  # outcomes summed as successes


@pytest.mark.parametrize(
    ("scores", "outcomes", "edges", "message"),
    [
        ([1.2], [0.5], (0.0, 1.0), "within the edges"),
        ([-0.1], [0.5], (0.0, 1.0), "within the edges"),
        ([0.5], [1.5], (0.0, 1.0), r"outcomes must lie in \[0, 1\]"),
        ([0.5], [0.5], (0.0, 0.5, 0.5, 1.0), "increase strictly"),
        ([0.5], [0.5], (1.0,), "at least two"),
        ([0.5, 0.6], [0.5], (0.0, 1.0), "differ in length"),
        ([float("nan")], [0.5], (0.0, 1.0), "NaN"),
    ],
)
def test_calibration_refuses_bad_input(
    scores: list[float], outcomes: list[float], edges: tuple[float, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        calibration(scores, outcomes, edges=edges)


# --- recommended cutoff -----------------------------------------------------------------------


def brute_force(
    scores: list[float], outcomes: list[float], threshold: float
) -> tuple[float, float]:
    """Share passing and their mean outcome, the slow obvious way."""
    passing = [o for s, o in zip(scores, outcomes, strict=True) if s >= threshold]
    return len(passing) / len(scores), sum(passing) / len(passing)


@given(pairs(st.one_of(COARSE, SHARES), min_size=1), st.floats(0, 1))
def test_the_cutoff_respects_the_yield_and_is_the_best_and_lowest(
    data: tuple[list[float], list[float]], required: float
) -> None:
    scores, outcomes = data
    cutoff = recommend_cutoff(scores, outcomes, required_yield=required)
    assert cutoff is not None
    assert cutoff.threshold in scores
    assert cutoff.yield_rate >= required - 1e-9
    assert (cutoff.yield_rate, cutoff.mean_passing) == pytest.approx(
        brute_force(scores, outcomes, cutoff.threshold)
    )
    assert cutoff.mean_all == pytest.approx(np.mean(outcomes))
    assert cutoff.n == len(scores)
    assert cutoff.n_passing == sum(s >= cutoff.threshold for s in scores)
    for threshold in set(scores):
        share, mean = brute_force(scores, outcomes, threshold)
        if share < required - 1e-9:
            continue
        assert mean <= cutoff.mean_passing + 1e-9  # nothing feasible is better
        if threshold < cutoff.threshold:  # a lower one as good would have been chosen
            assert mean < cutoff.mean_passing - 1e-15


def test_a_worked_cutoff() -> None:
    scores = [0.5, 0.6, 0.7, 0.8, 0.9]
    outcomes = [0.6, 0.9, 0.7, 0.95, 0.85]
    # at least 60 % must pass: 0.7 gives mean(0.7, 0.95, 0.85) = 0.8333, 0.6 gives 0.85
    cutoff = recommend_cutoff(scores, outcomes, required_yield=0.6)
    assert cutoff is not None
    assert (cutoff.threshold, cutoff.yield_rate, cutoff.n_passing, cutoff.n) == (0.6, 0.8, 4, 5)
    assert (cutoff.mean_passing, cutoff.mean_all) == pytest.approx((0.85, 0.8))
    top = recommend_cutoff(scores, outcomes, required_yield=0.2)
    assert top is not None
    assert (top.threshold, top.n_passing) == (0.8, 2)  # 0.9 passes one at 0.85; 0.8 two at 0.9


def test_of_equally_good_cutoffs_the_lowest_admits_more() -> None:
    cutoff = recommend_cutoff([0.1, 0.5, 0.9], [1.0, 1.0, 1.0], required_yield=0.0)
    assert cutoff is not None
    assert (cutoff.threshold, cutoff.yield_rate) == (0.1, 1.0)


def test_no_people_no_cutoff() -> None:
    assert recommend_cutoff([], [], required_yield=0.5) is None


@pytest.mark.parametrize(
    ("scores", "outcomes", "required", "message"),
    [
        ([0.5], [0.5], 1.5, "required_yield"),
        ([0.5], [0.5], -0.1, "required_yield"),
        ([0.5], [0.5, 0.6], 0.5, "differ in length"),
        ([0.5], [float("nan")], 0.5, "outcomes contains NaN"),
    ],
)
def test_recommend_cutoff_refuses_bad_input(
    scores: list[float], outcomes: list[float], required: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        recommend_cutoff(scores, outcomes, required_yield=required)


def test_calibration_of_nobody_keeps_every_band_empty() -> None:
    bands = calibration([], [])
    assert len(bands) == 6
    assert all((b.n, b.mean, b.ci_low, b.ci_high) == (0, None, None, None) for b in bands)
