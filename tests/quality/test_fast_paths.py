"""The refresh's fast paths give exactly what the plain numpy they replace gives."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.stats import binom

from crewline.quality import signals
from crewline.quality.data import SortedGroups, group_medians, unique_ints


@given(
    st.lists(st.integers(-50, 50))
    | st.lists(st.integers(-(10**12), 10**12), max_size=30)
    | st.lists(st.integers(-5, 5)).map(sorted)  # in order: the sorted path
    | st.integers(1, 30).flatmap(lambda n: st.permutations(range(-3, n)))  # no gaps
)
def test_unique_ints_is_numpys_unique_with_inverse(values: list[int]) -> None:
    array = np.array(values, dtype=np.int64)
    distinct, inverse = unique_ints(array)
    expected, expected_inverse = np.unique(array, return_inverse=True)
    assert distinct.dtype == inverse.dtype == np.int64
    assert distinct.tolist() == expected.tolist()
    assert inverse.tolist() == expected_inverse.reshape(-1).tolist()


@given(
    st.lists(st.tuples(st.integers(0, 9), st.floats(-1e6, 1e6, allow_nan=False)), max_size=80),
    st.sampled_from([10, 70_000]),  # 16-bit codes (radix sort) and wider ones
)
def test_group_medians_are_numpys_median_per_group(
    rows: list[tuple[int, float]], n_groups: int
) -> None:
    codes = np.array([c for c, _ in rows], dtype=np.int64)
    values = np.array([v for _, v in rows], dtype=np.float64)
    got = group_medians(codes, values, n_groups)
    assert got.shape == (n_groups,)
    for group in range(10):
        mine = values[codes == group]
        if mine.size:
            assert got[group] == np.median(mine)
        else:
            assert np.isnan(got[group])
    assert np.isnan(got[10:]).all()
    # Any value in the same order has its medians from the same sort (signals.fast_answers).
    rising = np.exp(values / 1e6)
    assert np.array_equal(
        SortedGroups.of(codes, values, n_groups).medians(rising),
        group_medians(codes, rising, n_groups),
        equal_nan=True,
    )


def _collusion_over_every_pair(
    person: npt.NDArray[np.int64],
    task: npt.NDArray[np.int64],
    label: npt.NDArray[np.int64],
    is_gold: npt.NDArray[np.bool_],
    gold_label: npt.NDArray[np.int64],
    accuracy: dict[int, float],
    n_classes: int,
) -> list[tuple[int, str, str, float, dict[str, Any]]]:
    """The collusion signal as first written: dense counts over every pair of workers."""
    people, codes = np.unique(person, return_inverse=True)
    n_tasks = int(task.max()) + 1

    def gram(rows: npt.NDArray[np.bool_], columns: npt.NDArray[np.int64], width: int) -> Any:
        ones = np.ones(int(rows.sum()))
        m = sparse.csr_matrix((ones, (codes[rows], columns[rows])), shape=(people.size, width))
        return np.asarray((m @ m.T).toarray(), dtype=np.float64)

    live = ~is_gold
    shared = gram(live, task, n_tasks)
    agreed = gram(live, task * n_classes + label, n_tasks * n_classes)
    wrong = is_gold & (label != gold_label)
    together = gram(wrong, task * n_classes + label, n_tasks * n_classes)
    upper = np.triu(np.ones_like(shared, dtype=bool), k=1)
    out = []
    pairs = np.nonzero(upper & (shared >= signals.MIN_SHARED) & (together >= 2))
    for a, b in zip(*pairs, strict=True):
        n, agree = int(shared[a, b]), int(agreed[a, b])
        pa = accuracy.get(int(people[a]), 0.7)
        pb = accuracy.get(int(people[b]), 0.7)
        chance = pa * pb + (1 - pa) * (1 - pb) / (n_classes - 1)
        tail = float(binom.sf(agree - 1, n, min(max(chance, 1e-9), 1 - 1e-9)))
        if tail < 1e-6:
            evidence = {
                "shared_tasks": n,
                "agreement": round(agree / n, 3),
                "expected_agreement": round(chance, 3),
                "identical_wrong_gold": int(together[a, b]),
                "p_value": tail,
            }
            for me, other in ((a, b), (b, a)):
                score = float(-np.log10(max(tail, 1e-300)))
                extra = {**evidence, "with_person_id": int(people[other])}
                out.append((int(people[me]), "collusion", "high", score, extra))
    return out


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), copiers=st.integers(0, 4), gold_share=st.floats(0.05, 0.5))
def test_collusion_checks_only_pairs_with_shared_gold_errors_and_finds_the_same(
    seed: int, copiers: int, gold_share: float
) -> None:
    rng = np.random.default_rng(seed)
    n_people, n_tasks, classes = 9, 80, 3
    truth = rng.integers(0, classes, n_tasks)
    copied = rng.integers(0, classes, n_tasks)
    rows = []
    for t in range(n_tasks):
        for p in rng.choice(n_people, 6, replace=False).tolist():
            if p < copiers:
                given_label = int(copied[t])
            elif rng.random() < 0.75:
                given_label = int(truth[t])
            else:
                given_label = int(rng.integers(0, classes))
            rows.append((p * 7 + 3, t, given_label, t < gold_share * n_tasks))
    person, task, label, is_gold = (np.array(c) for c in zip(*rows, strict=True))
    gold_label = np.where(is_gold, truth[task], -1)
    accuracy = {p * 7 + 3: float(rng.uniform(0.3, 0.9)) for p in range(n_people)}
    found = signals.collusion(person, task, label, is_gold, gold_label, accuracy, classes)
    expected = _collusion_over_every_pair(
        person, task, label, is_gold, gold_label, accuracy, classes
    )
    assert [(s.person_id, s.signal, s.severity, s.score, s.evidence) for s in found] == expected
