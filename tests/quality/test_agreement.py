"""Agreement metrics: published worked examples, the reference packages to 1e-9, independent
loop implementations written from the formulas, properties, and every undefined case.

Every test here runs with warnings as errors, so a numpy RuntimeWarning (0/0 in a kappa whose
expected agreement is 1, an overflow) fails it: the metrics promise none escapes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Hashable, Sequence
from fractions import Fraction
from typing import Any

import krippendorff
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score  # type: ignore[import-untyped]
from statsmodels.stats.inter_rater import (  # type: ignore[import-untyped]
    fleiss_kappa as statsmodels_fleiss,
)

from crewline.quality import agreement
from crewline.quality.agreement import (
    Interval,
    LabelAgreement,
    Level,
    PairKappa,
    bootstrap_ci,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    pairwise_cohen,
    per_label,
    percent_agreement,
)
from crewline.quality.data import FloatArray, LabelTable
from crewline.quality.errors import QualityInputError

pytestmark = pytest.mark.filterwarnings("error")

LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")
WEIGHTS: tuple[Any, ...] = (None, "linear", "quadratic")
TOLERANCE = 1e-9
Grid = Sequence[Sequence[Hashable | None]]


# --- building tables --------------------------------------------------------------------------


def from_units(units: Grid, classes: Sequence[Hashable] | None = None) -> LabelTable:
    """Rows are tasks, columns are workers ``w0, w1, ...``; None is a missing label."""
    triples = [
        (task, f"w{worker}", value)
        for task, row in enumerate(units)
        for worker, value in enumerate(row)
        if value is not None
    ]
    return LabelTable.from_triples(
        [t for t, _, _ in triples], [w for _, w, _ in triples], [v for _, _, v in triples], classes
    )


def from_coders(coders: Grid) -> LabelTable:
    """Krippendorff's layout: rows are coders, columns units."""
    return from_units([list(unit) for unit in zip(*coders, strict=True)])


def from_counts(counts: Sequence[Sequence[int]]) -> LabelTable:
    """A tasks-by-classes count table (classes 0, 1, ...), each label from a different worker."""
    units = [[k for k, n in enumerate(row) for _ in range(n)] for row in counts]
    return from_units(units)


def from_confusion(confusion: Sequence[Sequence[int]]) -> LabelTable:
    """Two workers; ``confusion[i][j]`` tasks where the first said class i and the second j."""
    units = [[i, j] for i, row in enumerate(confusion) for j, n in enumerate(row) for _ in range(n)]
    return from_units(units, classes=range(len(confusion)))


def random_grid(
    rng: np.random.Generator, n_tasks: int, n_workers: int, classes: Sequence[int], missing: float
) -> list[list[int | None]]:
    """Labels that mostly follow a per-task truth, with some missing."""
    truth = rng.choice(classes, n_tasks)
    grid: list[list[int | None]] = []
    for t in range(n_tasks):
        row: list[int | None] = []
        for _ in range(n_workers):
            if rng.random() < missing:
                row.append(None)
            else:
                row.append(int(truth[t] if rng.random() < 0.6 else rng.choice(classes)))
        grid.append(row)
    return grid


def reliability_data(table: LabelTable, numeric: bool) -> FloatArray:
    """The ``krippendorff`` package's coders-by-units matrix, NaN where a label is missing."""
    data = np.full((table.n_workers, table.n_tasks), np.nan)
    data[table.worker, table.task] = table.values()[table.label] if numeric else table.label
    return data


def units_of(table: LabelTable) -> list[list[int]]:
    """Each task's label codes, the plain-Python view the loop implementations read."""
    units: list[list[int]] = [[] for _ in range(table.n_tasks)]
    for task, label in zip(table.task.tolist(), table.label.tolist(), strict=True):
        units[task].append(label)
    return units


def worker_labels(table: LabelTable, a: int, b: int) -> tuple[list[Any], list[Any]]:
    """The two workers' labels (original classes) on the tasks both labelled."""
    matrix = table.matrix()
    shared = (matrix[:, a] >= 0) & (matrix[:, b] >= 0)
    return (
        [table.classes[c] for c in matrix[shared, a]],
        [table.classes[c] for c in matrix[shared, b]],
    )


# --- independent implementations, loops written from the formulas -----------------------------


def loop_agreement(units: list[list[int]], q: int) -> tuple[Fraction, list[Fraction]]:
    """Gwet (2014): p_a over tasks with >= 2 labels, pi_k over every labelled task."""
    pairable = [u for u in units if len(u) >= 2]
    rated = [u for u in units if u]
    p_a = Fraction(0)
    for u in pairable:
        m = len(u)
        p_a += sum(Fraction(u.count(k) * (u.count(k) - 1), m * (m - 1)) for k in range(q))
    p_a /= len(pairable)
    pi = [
        sum((Fraction(u.count(k), len(u)) for u in rated), Fraction(0)) / len(rated)
        for k in range(q)
    ]
    return p_a, pi


def loop_fleiss(units: list[list[int]], q: int) -> float:
    p_a, pi = loop_agreement(units, q)
    p_e = sum(p * p for p in pi)
    return float((p_a - p_e) / (1 - p_e))


def loop_ac1(units: list[list[int]], q: int) -> float:
    p_a, pi = loop_agreement(units, q)
    p_e = sum(p * (1 - p) for p in pi) / (q - 1)
    return float((p_a - p_e) / (1 - p_e))


def loop_per_label(units: list[list[int]], q: int) -> list[tuple[float, float, int]]:
    """Fleiss (1971): P_k = sum n_k (n_k - 1) / sum n_k (m - 1); kappa_k = (P_k - p_k)/(1 - p_k)."""
    pairable = [u for u in units if len(u) >= 2]
    total = sum(len(u) for u in pairable)
    out = []
    for k in range(q):
        agreeing = sum(u.count(k) * (u.count(k) - 1) for u in pairable)
        paired = sum(u.count(k) * (len(u) - 1) for u in pairable)
        labels = sum(u.count(k) for u in pairable)
        share = Fraction(labels, total)
        if paired == 0:
            out.append((math.nan, math.nan, labels))
            continue
        specific = Fraction(agreeing, paired)
        kappa = float((specific - share) / (1 - share)) if share != 1 else math.nan
        out.append((float(specific), kappa, labels))
    return out


def loop_alpha_nominal(units: list[list[int]]) -> float:
    """Krippendorff (2011), nominal: count ordered pairs of values within units, weight 1/(m-1)."""
    coincidence: dict[tuple[int, int], Fraction] = {}
    for u in units:
        if len(u) < 2:
            continue
        for i, c in enumerate(u):
            for j, k in enumerate(u):
                if i != j:
                    coincidence[c, k] = coincidence.get((c, k), Fraction(0)) + Fraction(
                        1, len(u) - 1
                    )
    n_c: dict[int, Fraction] = {}
    for (c, _), value in coincidence.items():
        n_c[c] = n_c.get(c, Fraction(0)) + value
    n = sum(n_c.values())
    observed = sum(v for (c, k), v in coincidence.items() if c != k)
    expected = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k) / (n - 1)
    return float(1 - observed / expected)


# --- published worked examples ----------------------------------------------------------------

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers,
# 12 units, values 1-5, missing values (unit 12 has a single value, so it is not pairable).
KRIPPENDORFF_C: list[list[int | None]] = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]
# Krippendorff (2011), section A: binary data, two observers, no missing values.
KRIPPENDORFF_A = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]

# Fleiss (1971), table 1: 30 patients, 6 psychiatrists each, 5 diagnoses (depression,
# personality disorder, schizophrenia, neurosis, other), as counts per patient.
FLEISS_1971 = [
    (0, 0, 0, 6, 0), (0, 3, 0, 0, 3), (0, 1, 4, 0, 1), (0, 0, 0, 0, 6), (0, 3, 0, 3, 0),
    (2, 0, 4, 0, 0), (0, 0, 4, 0, 2), (2, 0, 3, 1, 0), (2, 0, 0, 4, 0), (0, 0, 0, 0, 6),
    (1, 0, 0, 5, 0), (1, 1, 0, 4, 0), (0, 3, 3, 0, 0), (1, 0, 0, 5, 0), (0, 2, 0, 3, 1),
    (0, 0, 5, 0, 1), (3, 0, 0, 1, 2), (5, 1, 0, 0, 0), (0, 2, 0, 4, 0), (1, 0, 2, 0, 3),
    (0, 0, 0, 0, 6), (0, 1, 0, 5, 0), (0, 2, 0, 1, 3), (2, 0, 0, 4, 0), (1, 0, 0, 4, 1),
    (0, 5, 0, 1, 0), (4, 0, 0, 0, 2), (0, 2, 0, 4, 0), (1, 0, 5, 0, 0), (0, 0, 0, 0, 6),
]  # fmt: skip

# The worked example of Wikipedia's "Fleiss' kappa" article: 10 subjects, 14 raters, 5 classes.
WIKIPEDIA_FLEISS = [
    (0, 0, 0, 0, 14), (0, 2, 6, 4, 2), (0, 0, 3, 5, 6), (0, 3, 9, 2, 0), (2, 2, 8, 1, 1),
    (7, 7, 0, 0, 0), (3, 2, 6, 3, 0), (2, 5, 3, 2, 2), (6, 5, 2, 1, 0), (0, 2, 2, 3, 7),
]  # fmt: skip
WIKIPEDIA_P_I = (1.000, 0.253, 0.308, 0.440, 0.330, 0.462, 0.242, 0.176, 0.286, 0.286)

# Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed., p. 120 (the irrCAC package's
# raw_4raters): 4 raters, 12 subjects, 5 categories; rows are subjects.
GWET_P120: list[list[int | None]] = [
    [1, 1, None, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
    [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [None, 5, 5, 5], [None, None, 1, 1],
    [None, None, 3, None],
]  # fmt: skip


def test_krippendorff_2011_nominal_example_with_missing_values() -> None:
    table = from_coders(KRIPPENDORFF_C)
    assert krippendorff_alpha(table, "nominal") == pytest.approx(0.743, abs=5e-4)
    # the paper's nominal form: n = 40 pairable values, n_c = 9, 13, 10, 5, 3, and 32 of the
    # coincidences on the diagonal; ((n - 1) sum o_cc - sum n_c (n_c - 1)) / (n (n - 1) - ...)
    same_class = 9 * 8 + 13 * 12 + 10 * 9 + 5 * 4 + 3 * 2
    exact = (39 * 32 - same_class) / (40 * 39 - same_class)
    assert krippendorff_alpha(table, "nominal") == pytest.approx(exact, abs=1e-15)
    assert [v.n_labels for v in per_label(table).values()] == [9, 13, 10, 5, 3]
    assert krippendorff_alpha(table) == pytest.approx(
        loop_alpha_nominal(units_of(table)), abs=1e-12
    )


@pytest.mark.parametrize(
    ("level", "published"),
    [("interval", 0.849), ("ordinal", 0.815), ("ratio", 0.797)],
)
def test_krippendorff_2011_example_at_other_levels(level: Level, published: float) -> None:
    # interval as in Krippendorff (2011); ordinal and ratio as in the krippendorff package's
    # documentation of the same data
    assert krippendorff_alpha(from_coders(KRIPPENDORFF_C), level) == pytest.approx(
        published, abs=5e-4
    )


def test_krippendorff_2011_binary_example() -> None:
    table = from_coders(KRIPPENDORFF_A)
    assert krippendorff_alpha(table) == pytest.approx(0.095, abs=5e-4)
    # four units disagree; 14 zeros and 6 ones: 1 - (n - 1) o_01 / (n_0 n_1)
    assert krippendorff_alpha(table) == pytest.approx(1 - 19 * 4 / (14 * 6), abs=1e-15)


def test_fleiss_1971_kappa_and_category_kappas() -> None:
    table = from_counts(FLEISS_1971)
    assert fleiss_kappa(table) == pytest.approx(0.430, abs=5e-4)
    published = (0.245, 0.245, 0.520, 0.471, 0.566)
    result = per_label(table)
    assert [result[k].kappa for k in range(5)] == pytest.approx(published, abs=5e-4)
    # Fleiss (1971): overall kappa is the p_k q_k-weighted mean of the category kappas
    share = np.array(FLEISS_1971).sum(axis=0) / (30 * 6)
    weights = share * (1 - share)
    mean = sum(w * result[k].kappa for k, w in enumerate(weights)) / weights.sum()
    assert mean == pytest.approx(fleiss_kappa(table), abs=1e-12)


def test_wikipedia_fleiss_example() -> None:
    table = from_counts(WIKIPEDIA_FLEISS)
    assert fleiss_kappa(table) == pytest.approx(0.210, abs=5e-4)
    assert percent_agreement(table) == pytest.approx(0.378, abs=5e-4)
    assert percent_agreement(table) == pytest.approx(np.mean(WIKIPEDIA_P_I), abs=5e-4)
    one = from_counts([WIKIPEDIA_FLEISS[1]])
    assert percent_agreement(one) == pytest.approx(WIKIPEDIA_P_I[1], abs=5e-4)


def test_gwet_handbook_example_with_missing_ratings() -> None:
    table = from_units(GWET_P120)
    # published (irrCAC, after Gwet 2014): p_a 0.818; AC1 p_e 0.190, AC1 0.775;
    # Fleiss p_e 0.239, kappa 0.761
    assert percent_agreement(table) == pytest.approx(0.818, abs=5e-4)
    assert percent_agreement(table) == pytest.approx(9 / 11, abs=1e-15)
    assert gwet_ac1(table) == pytest.approx(0.775, abs=5e-4)
    assert fleiss_kappa(table) == pytest.approx(0.761, abs=5e-4)
    units = units_of(table)
    assert gwet_ac1(table) == pytest.approx(loop_ac1(units, 5), abs=1e-12)
    assert fleiss_kappa(table) == pytest.approx(loop_fleiss(units, 5), abs=1e-12)
    # the single rating of subject 12 counts in pi_k (Gwet's n), not in p_a (his n')
    without = from_units(GWET_P120[:11])
    assert percent_agreement(without) == percent_agreement(table)
    assert gwet_ac1(without) != pytest.approx(gwet_ac1(table), abs=1e-6)


def test_two_by_two_by_hand() -> None:
    # Wikipedia's "Cohen's kappa" example: 50 proposals, both yes 20, A yes/B no 5,
    # A no/B yes 10, both no 15. p_o = 0.7, p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5, kappa = 0.4.
    table = from_confusion([[20, 5], [10, 15]])
    assert cohen_kappa(table, "w0", "w1") == pytest.approx(0.4, abs=1e-15)
    # Gwet (2008), two raters: pi = (25 + 30) / 100 = 0.55, p_e = 2 pi (1 - pi) = 0.495,
    # AC1 = (0.7 - 0.495) / (1 - 0.495) = 41 / 101
    assert gwet_ac1(table) == pytest.approx(41 / 101, abs=1e-15)
    # Fleiss with two raters is Scott's pi: p_e = 0.55^2 + 0.45^2 = 0.505
    assert fleiss_kappa(table) == pytest.approx((0.7 - 0.505) / 0.495, abs=1e-15)
    # specific agreement (Cicchetti & Feinstein 1990): 2a / (2a + b + c), 2d / (2d + b + c)
    result = per_label(table)
    assert result[0].specific_agreement == pytest.approx(40 / 55, abs=1e-15)
    assert result[1].specific_agreement == pytest.approx(30 / 45, abs=1e-15)
    assert (result[0].n_labels, result[1].n_labels) == (55, 45)


def test_sas_weighted_kappa_example() -> None:
    # SAS PROC FREQ printout reproduced in statsmodels' tests: kappa 0.4842, and with
    # Cicchetti-Allison (linear) weights 0.4701
    table = from_confusion([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    assert cohen_kappa(table, "w0", "w1") == pytest.approx(0.4842, abs=5e-5)
    assert cohen_kappa(table, "w0", "w1", weights="linear") == pytest.approx(0.4701, abs=5e-5)


# --- the reference packages, to 1e-9 ----------------------------------------------------------


def check_against_references(table: LabelTable) -> None:
    """Every metric the reference packages compute, where they compute it without warning."""
    numeric = all(isinstance(c, int | float) for c in table.classes)
    pairable = bool((np.bincount(table.task) >= 2).any())
    if pairable and table.n_classes > 1:
        for level in LEVELS:
            if not numeric and level != "nominal":
                continue
            mine = krippendorff_alpha(table, level)
            if math.isnan(mine):
                continue
            by_data = krippendorff.alpha(
                reliability_data=reliability_data(table, numeric), level_of_measurement=level
            )
            domain = table.values() if level in ("interval", "ratio") else None
            by_counts = krippendorff.alpha(
                value_counts=table.counts(), value_domain=domain, level_of_measurement=level
            )
            assert mine == pytest.approx(by_data, abs=TOLERANCE)
            assert mine == pytest.approx(by_counts, abs=TOLERANCE)
    sizes = np.bincount(table.task)
    if pairable and sizes.min() == sizes.max() and not math.isnan(fleiss_kappa(table)):
        assert fleiss_kappa(table) == pytest.approx(
            statsmodels_fleiss(table.counts()), abs=TOLERANCE
        )
    for weights in WEIGHTS:
        for pair in pairwise_cohen(table, weights=weights, min_shared=1):
            if math.isnan(pair.kappa):
                continue
            a, b = table.workers.index(pair.worker_a), table.workers.index(pair.worker_b)
            first, second = worker_labels(table, a, b)
            expected = cohen_kappa_score(first, second, labels=list(table.classes), weights=weights)
            assert pair.kappa == pytest.approx(expected, abs=TOLERANCE)
            assert cohen_kappa(table, pair.worker_a, pair.worker_b, weights=weights) == pair.kappa


@pytest.mark.parametrize("seed", range(6))
def test_matches_the_reference_packages_with_missing_labels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    classes = [1, 2, 4, 7, 11]  # unevenly spaced, so interval differs from ordinal
    table = from_units(random_grid(rng, 60, 5, classes, missing=0.3))
    check_against_references(table)


@pytest.mark.parametrize("seed", range(4))
def test_matches_statsmodels_when_every_task_has_the_same_number_of_labels(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    table = from_units(random_grid(rng, 50, 4 + seed, [0, 1, 2, 3], missing=0.0))
    assert fleiss_kappa(table) == pytest.approx(statsmodels_fleiss(table.counts()), abs=TOLERANCE)
    check_against_references(table)


def test_matches_references_with_many_workers_and_sparse_overlap() -> None:
    # 400 workers and 3,000 tasks x 5 classes take the sorting paths, not the bincount ones
    rng = np.random.default_rng(7)
    n_tasks, n_workers = 3000, 400
    tasks, workers, labels = [], [], []
    for task in range(n_tasks):
        chosen = rng.choice(n_workers, size=int(rng.integers(1, 4)), replace=False)
        truth = int(rng.integers(0, 5))
        for worker in chosen.tolist():
            tasks.append(task)
            workers.append(worker)
            labels.append(truth if rng.random() < 0.7 else int(rng.integers(0, 5)))
    table = LabelTable.from_triples(tasks, workers, labels)
    for level in LEVELS:
        expected = krippendorff.alpha(
            value_counts=table.counts(),
            value_domain=table.values(),
            level_of_measurement=level,
        )
        assert krippendorff_alpha(table, level) == pytest.approx(expected, abs=TOLERANCE)
    pairs = pairwise_cohen(table, min_shared=3)
    assert pairs
    for pair in pairs:
        a, b = table.workers.index(pair.worker_a), table.workers.index(pair.worker_b)
        first, second = worker_labels(table, a, b)
        assert pair.n_shared == len(first)
        if not math.isnan(pair.kappa):
            expected = cohen_kappa_score(first, second, labels=list(table.classes))
            assert pair.kappa == pytest.approx(expected, abs=TOLERANCE)


def test_chunked_pairs_give_the_same_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    grid = random_grid(rng, 40, 6, [0, 1, 2], missing=0.2)
    grid.append([0, 1, 2, 0, 1, 2])  # one task with more pairs than a chunk holds
    table = from_units(grid)
    whole = (
        pairwise_cohen(table, min_shared=1, weights="quadratic"),
        [krippendorff_alpha(table, level) for level in LEVELS],
    )
    monkeypatch.setattr(agreement, "PAIR_CHUNK", 4)
    chunked = (
        pairwise_cohen(table, min_shared=1, weights="quadratic"),
        [krippendorff_alpha(table, level) for level in LEVELS],
    )
    assert [p.n_shared for p in chunked[0]] == [p.n_shared for p in whole[0]]
    assert [p.kappa for p in chunked[0]] == pytest.approx([p.kappa for p in whole[0]], abs=1e-12)
    assert chunked[1] == pytest.approx(whole[1], abs=1e-12)


# --- undefined cases and bad input ------------------------------------------------------------


def alpha_at(level: Level) -> Callable[[LabelTable], float]:
    return lambda table: krippendorff_alpha(table, level)


COUNT_METRICS: dict[str, Callable[[LabelTable], Any]] = {
    "percent_agreement": percent_agreement,
    "fleiss_kappa": fleiss_kappa,
    "gwet_ac1": gwet_ac1,
    "per_label": per_label,
    **{f"alpha_{level}": alpha_at(level) for level in LEVELS},
}


@pytest.mark.parametrize("name", COUNT_METRICS)
def test_an_empty_table_is_refused(name: str) -> None:
    empty = LabelTable.from_triples([], [], [])
    with pytest.raises(QualityInputError, match="no labels"):
        COUNT_METRICS[name](empty)
    assert pairwise_cohen(empty) == []


@pytest.mark.parametrize("name", COUNT_METRICS)
@pytest.mark.parametrize(
    "grid",
    [
        [[1], [2], [1]],  # a single worker
        [[1, None], [None, 2], [None, 1]],  # two workers who never labelled the same task
    ],
)
def test_no_task_with_two_labels_is_refused(name: str, grid: Grid) -> None:
    with pytest.raises(QualityInputError, match="no task has labels from two workers"):
        COUNT_METRICS[name](from_units(grid))


def test_everyone_choosing_one_class_leaves_chance_corrected_figures_undefined() -> None:
    table = from_units([[3, 3, None], [3, 3, 3], [None, 3, 3]])
    assert percent_agreement(table) == 1.0
    assert math.isnan(fleiss_kappa(table))
    assert math.isnan(cohen_kappa(table, "w0", "w1"))
    for level in LEVELS:
        assert math.isnan(krippendorff_alpha(table, level))
    assert math.isnan(gwet_ac1(table))  # one class on the scale: q - 1 = 0
    only = per_label(table)[3]
    assert (only.specific_agreement, only.n_labels) == (1.0, 7) and math.isnan(only.kappa)
    # the reference packages: NaN with a RuntimeWarning (statsmodels, scikit-learn) or an error
    with pytest.warns(RuntimeWarning):
        assert math.isnan(statsmodels_fleiss([[3, 0], [3, 0]]))
    with pytest.warns(RuntimeWarning):
        assert math.isnan(cohen_kappa_score([3, 3], [3, 3], labels=[3, 4]))
    with pytest.raises(ValueError, match="more than one value"):
        krippendorff.alpha(reliability_data(table, True), level_of_measurement="nominal")


def test_one_class_used_on_a_scale_of_two() -> None:
    table = from_units([["yes", "yes"], ["yes", "yes"]], classes=["no", "yes"])
    assert gwet_ac1(table) == 1.0  # AC1 stays defined: that is its point
    assert math.isnan(fleiss_kappa(table))
    assert math.isnan(krippendorff_alpha(table))
    assert math.isnan(cohen_kappa(table, "w0", "w1"))
    result = per_label(table)
    assert result["no"].n_labels == 0
    assert math.isnan(result["no"].specific_agreement) and math.isnan(result["no"].kappa)
    assert pairwise_cohen(table, min_shared=1)[0].n_shared == 2


def test_kappa_is_defined_when_the_two_workers_each_use_one_different_class() -> None:
    table = from_units([["a", "b"], ["a", "b"]])
    assert cohen_kappa(table, "w0", "w1") == 0.0
    assert percent_agreement(table) == 0.0


@pytest.mark.parametrize(
    ("tasks", "workers", "labels", "message"),
    [
        (["a", "b"], ["x"], [1, 2], "differ in length"),
        (["a", "a"], ["x", "y"], [1.0, float("nan")], "NaN"),
        (["a", "a"], ["x", "x"], [1, 2], "more than once"),
    ],
)
def test_labels_that_cannot_make_a_table_are_refused(
    tasks: list[str], workers: list[str], labels: list[Any], message: str
) -> None:
    with pytest.raises(QualityInputError, match=message):
        LabelTable.from_triples(tasks, workers, labels)


def test_a_hand_built_table_with_inconsistent_arrays_is_refused() -> None:
    codes = np.array([0, 0, 1], dtype=np.int64)
    short = LabelTable(codes, codes[:2], codes, ("t", "u"), ("x",), ("a", "b"))
    outside = LabelTable(codes, codes, codes + 1, ("t", "u"), ("x", "y"), ("a", "b"))
    for metric in COUNT_METRICS.values():
        with pytest.raises(QualityInputError, match="differ in length"):
            metric(short)
        with pytest.raises(QualityInputError, match="label code is outside"):
            metric(outside)
    with pytest.raises(QualityInputError, match="differ in length"):
        pairwise_cohen(short)
    with pytest.raises(QualityInputError, match="differ in length"):
        bootstrap_ci(short, percent_agreement)


@pytest.mark.parametrize("level", ["interval", "ratio"])
def test_words_are_not_interval_or_ratio_data(level: Level) -> None:
    table = from_units([["low", "high"], ["low", "low"]])
    with pytest.raises(QualityInputError, match="not numbers"):
        krippendorff_alpha(table, level)
    krippendorff_alpha(table, "ordinal")  # order alone is fine


def test_ratio_data_cannot_be_negative_but_interval_data_can() -> None:
    table = from_units([[-1, 2], [3, 3], [-1, -1]])
    with pytest.raises(QualityInputError, match="cannot be negative"):
        krippendorff_alpha(table, "ratio")
    expected = krippendorff.alpha(reliability_data(table, True), level_of_measurement="interval")
    assert krippendorff_alpha(table, "interval") == pytest.approx(expected, abs=TOLERANCE)


def test_ratio_distance_between_two_zeros_is_zero() -> None:
    table = from_units([[0, 0], [0, 2], [3, 3], [1, 2]])
    expected = krippendorff.alpha(reliability_data(table, True), level_of_measurement="ratio")
    assert krippendorff_alpha(table, "ratio") == pytest.approx(expected, abs=TOLERANCE)


def test_infinite_labels_are_refused_and_huge_ones_do_not_overflow() -> None:
    with pytest.raises(QualityInputError, match="finite"):
        krippendorff_alpha(from_units([[1.0, math.inf], [1.0, 1.0]]), "interval")
    huge = from_units([[1e200, -1e200], [0.0, 1e200], [-1e200, -1e200]])
    small = from_units([[1, -1], [0, 1], [-1, -1]])
    assert krippendorff_alpha(huge, "interval") == pytest.approx(
        krippendorff_alpha(small, "interval"), abs=1e-12
    )


def test_unknown_levels_and_weights_are_refused() -> None:
    table = from_units([[1, 2], [2, 2]])
    with pytest.raises(QualityInputError, match="level must be one of"):
        krippendorff_alpha(table, "cardinal")  # type: ignore[arg-type]
    with pytest.raises(QualityInputError, match="weights must be"):
        cohen_kappa(table, "w0", "w1", weights="cubic")  # type: ignore[arg-type]
    with pytest.raises(QualityInputError, match="weights must be"):
        pairwise_cohen(table, weights="cubic")  # type: ignore[arg-type]


def test_cohen_kappa_refuses_what_it_cannot_compare() -> None:
    table = from_units([[1, 2, None], [2, 2, None], [None, None, 1]])
    with pytest.raises(QualityInputError, match="'w9' has no labels"):
        cohen_kappa(table, "w0", "w9")
    with pytest.raises(QualityInputError, match="two different workers"):
        cohen_kappa(table, "w1", "w1")
    with pytest.raises(QualityInputError, match="share no task"):
        cohen_kappa(table, "w0", "w2")


@pytest.mark.parametrize("min_shared", [0, -1, 1.5, True])
def test_pairwise_cohen_needs_a_positive_whole_minimum(min_shared: Any) -> None:
    with pytest.raises(QualityInputError, match="min_shared"):
        pairwise_cohen(from_units([[1, 2]]), min_shared=min_shared)


def test_pairwise_cohen_keeps_pairs_with_enough_shared_tasks_in_first_seen_order() -> None:
    table = from_units([[1, 1, 2], [2, 2, None], [1, 2, None], [None, 1, 1]])
    pairs = pairwise_cohen(table, min_shared=2)
    assert [(p.worker_a, p.worker_b, p.n_shared) for p in pairs] == [
        ("w0", "w1", 3),
        ("w1", "w2", 2),
    ]
    assert pairs[0] == PairKappa("w0", "w1", 3, cohen_kappa(table, "w0", "w1"))
    assert len(pairwise_cohen(table, min_shared=1)) == 3
    assert pairwise_cohen(table) == []  # the default asks for 20


# --- bootstrap --------------------------------------------------------------------------------


def test_bootstrap_is_deterministic_given_the_seed() -> None:
    table = from_units(random_grid(np.random.default_rng(1), 40, 4, [0, 1, 2], missing=0.2))
    first = bootstrap_ci(table, fleiss_kappa, n_resamples=200, seed=5)
    assert bootstrap_ci(table, fleiss_kappa, n_resamples=200, seed=5) == first
    assert bootstrap_ci(table, fleiss_kappa, n_resamples=200, seed=6) != first
    assert isinstance(first, Interval) and first.estimate == fleiss_kappa(table)
    assert first.low < first.estimate < first.high


def test_bootstrap_matches_resampling_written_out_with_python_objects() -> None:
    grid = random_grid(np.random.default_rng(2), 25, 4, [0, 1, 2], missing=0.3)
    table = from_units(grid)
    rng = np.random.default_rng(11)
    values = []
    for _ in range(60):
        drawn = rng.integers(0, table.n_tasks, table.n_tasks)
        units = units_of(table)
        rows = [
            (position, worker, label)
            for position, task in enumerate(drawn.tolist())
            for worker, label in zip(
                table.worker[table.task == task].tolist(), units[task], strict=True
            )
        ]
        resample = LabelTable.from_triples(
            [r[0] for r in rows],
            [table.workers[r[1]] for r in rows],
            [r[2] for r in rows],
            classes=range(table.n_classes),
        )
        values.append(gwet_ac1(resample))
    low, high = np.quantile(values, [0.05, 0.95])
    result = bootstrap_ci(table, gwet_ac1, n_resamples=60, confidence=0.9, seed=11)
    assert result == pytest.approx((gwet_ac1(table), low, high), abs=1e-12)


def test_bootstrap_relabels_a_task_drawn_twice_as_two_tasks() -> None:
    table = from_units([[1, 2, 1], [2, 2, None], [1, 1, 2], [None, 1, 1]])
    seen: list[LabelTable] = []

    def record(sample: LabelTable) -> float:
        seen.append(sample)
        return percent_agreement(sample)

    bootstrap_ci(table, record, n_resamples=30, seed=3)
    assert len(seen) == 31  # the table itself, then each resample
    for sample in seen[1:]:
        assert sample.n_tasks == table.n_tasks and sample.workers == table.workers
        pairs = sample.task * sample.n_workers + sample.worker
        assert np.unique(pairs).size == pairs.size  # no worker twice on one task
    # the four tasks' labels are all different, so fewer distinct ones means a task drawn twice
    assert any(len(set(map(tuple, units_of(s)))) < 4 for s in seen[1:])


def test_bootstrap_bounds_are_nan_when_a_resample_is_undefined() -> None:
    # two unanimous tasks and one split: some resamples hold only "a", where kappa is 0/0
    table = from_units([["a", "a"], ["a", "a"], ["a", "b"]])
    result = bootstrap_ci(table, fleiss_kappa, n_resamples=100)
    assert result.estimate == fleiss_kappa(table)
    assert math.isnan(result.low) and math.isnan(result.high)
    # one task labelled twice among singles: resamples without it raise, and count as undefined
    sparse = from_units([[1, 1], [1, None], [2, None], [None, 2]])
    assert math.isnan(bootstrap_ci(sparse, percent_agreement, n_resamples=50).low)
    # an undefined estimate is not resampled at all
    flat = from_units([["a", "a"], ["a", "a"]])
    assert all(math.isnan(v) for v in bootstrap_ci(flat, fleiss_kappa))


def test_bootstrap_of_a_worker_pair_and_its_refusals() -> None:
    table = from_units(random_grid(np.random.default_rng(4), 50, 3, [0, 1], missing=0.1))
    result = bootstrap_ci(table, lambda t: cohen_kappa(t, "w0", "w1"), n_resamples=100)
    assert result.low <= result.estimate <= result.high
    with pytest.raises(QualityInputError, match="no labels"):
        bootstrap_ci(LabelTable.from_triples([], [], []), percent_agreement)
    for bad in ({"n_resamples": 0}, {"n_resamples": 2.5}, {"confidence": 1.0}, {"confidence": 0}):
        with pytest.raises(QualityInputError, match=r"n_resamples|confidence"):
            bootstrap_ci(table, percent_agreement, **bad)


# --- properties -------------------------------------------------------------------------------


@st.composite
def tables(draw: st.DrawFn, perfect: bool = False) -> LabelTable:
    """Up to 12 tasks, 5 workers, classes from an unevenly spaced numeric scale."""
    scale = draw(
        st.lists(st.sampled_from([0, 1, 2, 3, 5, 8, 13]), min_size=1, max_size=5, unique=True)
    )
    n_tasks = draw(st.integers(1, 12))
    n_workers = draw(st.integers(1, 5))
    grid: list[list[int | None]] = []
    for _ in range(n_tasks):
        truth = draw(st.sampled_from(scale))
        value = st.just(truth) if perfect else st.sampled_from(scale)
        grid.append([draw(st.none() | value) for _ in range(n_workers)])
    assume(any(v is not None for row in grid for v in row))
    return from_units(grid)


def all_figures(table: LabelTable) -> dict[str, Any]:
    """Every metric, or the refusal message, so two tables can be compared in one assert."""
    metrics = dict(COUNT_METRICS)
    for weights in WEIGHTS:
        metrics[f"pairs_{weights}"] = pairs_with(weights)
    figures: dict[str, Any] = {}
    for name, metric in metrics.items():
        try:
            figures[name] = metric(table)
        except QualityInputError as exc:
            figures[name] = f"refused: {exc}"
    return figures


def pairs_with(weights: Any) -> Callable[[LabelTable], list[PairKappa]]:
    return lambda table: pairwise_cohen(table, weights=weights, min_shared=1)


def same(a: Any, b: Any) -> bool:
    """Equal up to float rounding, NaN equal to NaN, through dicts, sequences, dataclasses."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-12
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, LabelAgreement | PairKappa) and type(a) is type(b):
        return all(same(getattr(a, f), getattr(b, f)) for f in a.__slots__)
    return bool(a == b)


def pairs_by_workers(pairs: list[PairKappa], rename: dict[Any, Any]) -> dict[Any, Any]:
    return {
        frozenset((rename[p.worker_a], rename[p.worker_b])): (p.n_shared, p.kappa) for p in pairs
    }


@settings(max_examples=60, deadline=None)
@given(tables(), st.randoms(use_true_random=False))
def test_shuffling_and_renaming_tasks_and_workers_changes_nothing(
    table: LabelTable, rnd: random.Random
) -> None:
    rows = list(range(table.n_labels))
    rnd.shuffle(rows)
    names = {w: f"renamed-{w}" for w in table.workers}
    shuffled = LabelTable.from_triples(
        [f"task-{table.tasks[table.task[r]]}" for r in rows],
        [names[table.workers[table.worker[r]]] for r in rows],
        [table.classes[table.label[r]] for r in rows],
    )
    before, after = all_figures(table), all_figures(shuffled)
    assert before.keys() == after.keys()
    for name in before:
        if name.startswith("pairs_"):  # listed in first-seen order, which shuffling changes
            kept = {n: n for n in names.values()}
            assert same(
                pairs_by_workers(before[name], names), pairs_by_workers(after[name], kept)
            ), name
        else:
            assert same(before[name], after[name]), name


@settings(max_examples=60, deadline=None)
@given(tables(), st.randoms(use_true_random=False))
def test_renaming_classes_changes_no_nominal_figure(table: LabelTable, rnd: random.Random) -> None:
    names = [f"class-{c}" for c in table.classes]
    order = names[:]
    rnd.shuffle(order)
    codes = np.array([order.index(names[c]) for c in table.label.tolist()], dtype=np.int64)
    renamed = LabelTable(table.task, table.worker, codes, table.tasks, table.workers, tuple(order))
    before, after = all_figures(table), all_figures(renamed)
    for name in ("percent_agreement", "fleiss_kappa", "gwet_ac1", "alpha_nominal", "pairs_None"):
        assert same(before[name], after[name]), name
    if isinstance(before["per_label"], dict):
        relabelled = {f"class-{c}": v for c, v in before["per_label"].items()}
        assert same(relabelled, after["per_label"])


@settings(max_examples=60, deadline=None)
@given(tables(perfect=True))
def test_perfect_agreement_scores_one_where_defined(table: LabelTable) -> None:
    figures = all_figures(table)
    if isinstance(figures["percent_agreement"], str):
        return  # nothing pairable: refused, as tested above
    assert figures["percent_agreement"] == 1.0
    for name in ("fleiss_kappa", "gwet_ac1", *(f"alpha_{lv}" for lv in LEVELS)):
        assert math.isnan(figures[name]) or figures[name] == pytest.approx(1.0, abs=1e-12), name
    for pairs in (figures[f"pairs_{w}"] for w in WEIGHTS):
        assert all(math.isnan(p.kappa) or p.kappa == pytest.approx(1.0, abs=1e-12) for p in pairs)
    for value in figures["per_label"].values():
        assert value.n_labels == 0 or value.specific_agreement == 1.0
        assert math.isnan(value.kappa) or value.kappa == pytest.approx(1.0, abs=1e-12)
    pairable_classes = {c for u in units_of(table) if len(u) >= 2 for c in u}
    if len(pairable_classes) >= 2:  # kappa and alpha are defined, and exactly 1
        assert figures["fleiss_kappa"] == pytest.approx(1.0, abs=1e-12)
        assert figures["alpha_nominal"] == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=80, deadline=None)
@given(tables())
def test_figures_stay_within_their_bounds(table: LabelTable) -> None:
    figures = all_figures(table)
    if isinstance(figures["percent_agreement"], str):
        return
    eps = 1e-12
    assert 0.0 <= figures["percent_agreement"] <= 1.0
    q = table.n_classes
    if q >= 2:  # AC1's p_e is at most 1/q, so AC1 >= -1/(q - 1)
        assert -1.0 / (q - 1) - eps <= figures["gwet_ac1"] <= 1.0 + eps
    kappa = figures["fleiss_kappa"]
    sizes = np.bincount(table.task)
    if not math.isnan(kappa):
        assert kappa <= 1.0 + eps
        if sizes.min() == sizes.max():  # Fleiss' kappa with m raters is at least -1/(m - 1)
            assert kappa >= -1.0 / (sizes[0] - 1) - eps
    for level in LEVELS:
        alpha = figures[f"alpha_{level}"]
        assert math.isnan(alpha) or alpha <= 1.0 + eps
    for pair in figures["pairs_None"]:
        assert math.isnan(pair.kappa) or -1.0 - eps <= pair.kappa <= 1.0 + eps
    for weights in WEIGHTS[1:]:
        assert all(math.isnan(p.kappa) or p.kappa <= 1.0 + eps for p in figures[f"pairs_{weights}"])
    for value in figures["per_label"].values():
        assert math.isnan(value.specific_agreement) or 0.0 <= value.specific_agreement <= 1.0
        assert math.isnan(value.kappa) or value.kappa <= 1.0 + eps


@settings(max_examples=60, deadline=None)
@given(tables())
def test_cohen_kappa_is_symmetric_and_matches_the_pairwise_list(table: LabelTable) -> None:
    for weights in WEIGHTS:
        for pair in pairwise_cohen(table, weights=weights, min_shared=1):
            forward = cohen_kappa(table, pair.worker_a, pair.worker_b, weights=weights)
            backward = cohen_kappa(table, pair.worker_b, pair.worker_a, weights=weights)
            assert same(forward, backward) and same(forward, pair.kappa)
            if not math.isnan(forward):
                assert forward == backward


@settings(max_examples=80, deadline=None)
@given(tables())
def test_random_tables_match_references_and_loop_implementations(table: LabelTable) -> None:
    check_against_references(table)
    units = units_of(table)
    if max(len(u) for u in units) < 2:
        return
    q = table.n_classes
    assert percent_agreement(table) == pytest.approx(float(loop_agreement(units, q)[0]), abs=1e-12)
    fleiss = fleiss_kappa(table)
    if not math.isnan(fleiss):
        assert fleiss == pytest.approx(loop_fleiss(units, q), abs=1e-12)
    if q >= 2:
        assert gwet_ac1(table) == pytest.approx(loop_ac1(units, q), abs=1e-12)
    alpha = krippendorff_alpha(table)
    if not math.isnan(alpha):
        assert alpha == pytest.approx(loop_alpha_nominal(units), abs=1e-12)
    expected = loop_per_label(units, q)
    for k, value in enumerate(per_label(table).values()):
        assert same([value.specific_agreement, value.kappa], list(expected[k][:2]))
        assert value.n_labels == expected[k][2]
