"""Beta-posterior gold accuracy, Wilson intervals, control charts and the label error rate."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta as beta_distribution

from crewline.quality import beta, control, label_errors
from crewline.quality.errors import QualityInputError

# --- gold accuracy -------------------------------------------------------------------------------


def test_three_of_three_is_not_a_hundred_percent() -> None:
    estimate = beta.gold_accuracy([3.0], [3.0])
    assert estimate.mean[0] == pytest.approx(7 / 8)  # Beta(4 + 3, 1 + 0)
    assert estimate.low[0] == pytest.approx(beta_distribution.ppf(0.025, 7, 1))
    assert estimate.high[0] < 1.0


def test_no_gold_gives_the_prior_and_much_gold_overwhelms_it() -> None:
    estimate = beta.gold_accuracy([0.0, 450.0], [0.0, 500.0])
    assert estimate.mean[0] == pytest.approx(0.8)
    assert estimate.mean[1] == pytest.approx(454 / 505)
    assert estimate.high[1] - estimate.low[1] < 0.06 < estimate.high[0] - estimate.low[0]


@settings(max_examples=80, deadline=None)
@given(
    seen=st.integers(0, 1000),
    share=st.floats(0, 1),
    level=st.floats(0.5, 0.99),
)
def test_the_interval_holds_the_mean_and_narrows_with_more_gold(
    seen: int, share: float, level: float
) -> None:
    right = share * seen
    one = beta.gold_accuracy([right], [seen], level=level)
    assert 0 <= one.low[0] <= one.mean[0] <= one.high[0] <= 1
    more = beta.gold_accuracy([right * 4], [seen * 4], level=level)
    assert more.high[0] - more.low[0] <= one.high[0] - one.low[0] + 1e-12


@pytest.mark.parametrize(
    ("right", "seen", "message"),
    [
        ([1.0], [1.0, 2.0], "differ in length"),
        ([3.0], [2.0], "between 0 and seen"),
        ([-1.0], [2.0], "between 0 and seen"),
        ([np.nan], [1.0], "finite"),
    ],
)
def test_gold_accuracy_refuses_bad_counts(
    right: list[float], seen: list[float], message: str
) -> None:
    with pytest.raises(QualityInputError, match=message):
        beta.gold_accuracy(right, seen)


def test_wilson_matches_the_textbook_value() -> None:
    # Newcombe (1998), example: 81 of 263 -> 0.2553 to 0.3662 (95 %)
    low, high = beta.wilson(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    assert beta.wilson(0, 10)[0] == 0.0 and beta.wilson(10, 10)[1] == pytest.approx(1.0)
    with pytest.raises(QualityInputError):
        beta.wilson(1, 0)


# --- control charts ------------------------------------------------------------------------------


def test_cusum_by_hand() -> None:
    q0, q1 = 0.1, 0.2
    up, down = np.log(q1 / q0), np.log((1 - q1) / (1 - q0))
    chart = control.bernoulli_cusum([1, 1, 0, 1], q0, q1, h=1.5)
    expected = [up, 2 * up, 2 * up + down, 3 * up + down]
    assert chart.statistic.tolist() == pytest.approx(expected)
    assert chart.alarms.tolist() == [3] and chart.out_of_control


def test_cusum_rarely_alarms_in_control_and_catches_a_drop_quickly() -> None:
    rng = np.random.default_rng(0)
    in_control = [
        control.bernoulli_cusum((rng.random(200) < 0.1).astype(int), 0.1).alarms.size > 0
        for _ in range(200)
    ]
    assert np.mean(in_control) < 0.25
    delays = []
    for _ in range(100):
        errors = np.concatenate([rng.random(50) < 0.1, rng.random(100) < 0.4]).astype(int)
        alarms = control.bernoulli_cusum(errors, 0.1).alarms
        after = alarms[alarms >= 50]
        delays.append(after[0] - 50 if after.size else 100)
    assert np.median(delays) <= 15


def test_ewma_limits_widen_for_small_days_and_catch_a_fall() -> None:
    steady = control.ewma_lower([0.9] * 10, [100] * 10, target=0.9)
    assert steady.alarms.size == 0
    small = control.ewma_lower([0.9, 0.9], [100, 2], target=0.9)
    assert small.limit[1] < small.limit[0] - 0.01
    fall = control.ewma_lower([0.9] * 10 + [0.6] * 3, [100] * 13, target=0.9)
    assert fall.out_of_control
    # first value: z = lam x + (1 - lam) target, variance lam^2 p(1-p)/n
    one = control.ewma_lower([0.5], [25], target=0.8, lam=0.2, width=3)
    assert one.statistic[0] == pytest.approx(0.74)
    assert one.limit[0] == pytest.approx(0.8 - 3 * 0.2 * np.sqrt(0.16 / 25))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: control.bernoulli_cusum([0, 2], 0.1), "0 and 1"),
        (lambda: control.bernoulli_cusum([0, 1], 0.0), "q0"),
        (lambda: control.bernoulli_cusum([0, 1], 0.3, 0.2), "q1"),
        (lambda: control.ewma_lower([0.5], [1, 2], 0.5), "differ in length"),
        (lambda: control.ewma_lower([np.nan], [1], 0.5), "between 0 and 1"),
        (lambda: control.ewma_lower([0.5], [0], 0.5), "at least one"),
    ],
)
def test_charts_refuse_bad_input(call: object, message: str) -> None:
    with pytest.raises(QualityInputError, match=message):
        call()  # type: ignore[operator]


# --- label error rate ----------------------------------------------------------------------------


def test_error_rate_is_the_mean_doubt_with_a_poisson_binomial_interval() -> None:
    confidences = [1.0, 0.9, 0.6, 0.5]
    estimate = label_errors.estimate(confidences)
    assert estimate is not None
    assert estimate.rate == pytest.approx(0.25)
    sd = np.sqrt(0 + 0.09 + 0.24 + 0.25) / 4
    assert estimate.high == pytest.approx(0.25 + 1.959964 * sd, rel=1e-5)
    assert estimate.exceeds(0.2) and not estimate.exceeds(0.3)
    assert label_errors.estimate([]) is None
    with pytest.raises(QualityInputError):
        label_errors.estimate([1.2])


def test_calibrated_confidences_estimate_the_true_error_rate() -> None:
    rng = np.random.default_rng(3)
    confidence = rng.uniform(0.5, 1.0, 20_000)
    wrong = rng.random(confidence.size) > confidence
    estimate = label_errors.estimate(confidence)
    assert estimate is not None and estimate.low <= wrong.mean() <= estimate.high


def test_gold_based_error_rate_counts_missed_keys_with_wilson() -> None:
    estimate = label_errors.from_gold([True] * 8 + [False] * 2)
    assert estimate is not None
    assert (estimate.rate, estimate.basis, estimate.tasks) == (0.2, "gold", 10)
    assert (estimate.low, estimate.high) == pytest.approx(beta.wilson(2, 10))
    assert label_errors.from_gold([]) is None
