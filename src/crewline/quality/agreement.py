"""How much workers agree: percent agreement, Cohen's and Fleiss' kappa, Krippendorff's alpha,
Gwet's AC1, per-label figures and bootstrap intervals, all over a :class:`LabelTable`.

Every figure is computed with array operations over the labels (bincounts over integer keys,
never a Python loop over labels or tasks), so a project of a million labels takes a fraction
of a second per metric.

Conventions every metric keeps:

* **Which tasks count.** Only a task with labels from two or more workers shows agreement or
  disagreement, so observed agreement reads those tasks alone. Gwet's handbook estimates the
  class propensities of Fleiss' kappa and AC1 from *every* task, singly labelled ones
  included; those two follow it (so they reproduce its published examples).
* **Nothing to measure raises.** No labels, or no task with two labels (a single worker, or
  every task labelled once), raises :class:`QualityInputError`, as do labels the level
  cannot read (words for interval data, negative numbers for ratio data) and unknown workers.
* **Undefined is NaN.** When the labels are fine but a chance-corrected coefficient is 0/0 --
  every label is the same class, so the expected agreement is 1 -- the result is
  ``float("nan")``: the data are valid, the coefficient simply has no value, and percent
  agreement (or AC1, which stays defined) says how much the workers agree. The reference
  packages disagree with one another here (scikit-learn and statsmodels return NaN with a
  RuntimeWarning, the ``krippendorff`` package raises); NaN without a warning lets a project
  page show "undefined" instead of failing. No numpy warning ever escapes.

Sources: Cohen (1960) and Cohen (1968) for kappa and weighted kappa; Fleiss (1971) for Fleiss'
and the per-category kappa; Gwet (2008) and Gwet, *Handbook of Inter-Rater Reliability*, 4th
ed. (2014), for AC1 and both coefficients with missing ratings; Krippendorff, "Computing
Krippendorff's Alpha-Reliability" (2011), for alpha; Uebersax (1982) for specific agreement;
Efron & Tibshirani, *An Introduction to the Bootstrap* (1993), ch. 13, for the percentile
interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, get_args

import numpy as np

from crewline.quality.data import FloatArray, IntArray, LabelTable
from crewline.quality.errors import QualityInputError

Weights = Literal["linear", "quadratic"]
"""Cohen's weighted kappa: disagreement |i - j| or (i - j)^2 between class positions."""
Level = Literal["nominal", "ordinal", "interval", "ratio"]
"""Krippendorff's levels of measurement."""

PAIR_CHUNK = 1 << 20
"""Most within-task pairs enumerated at once: bounds memory when one task has many labels (a
gold task every worker saw), at no cost in speed."""

__all__ = [
    "PAIR_CHUNK",
    "Interval",
    "LabelAgreement",
    "Level",
    "PairKappa",
    "Weights",
    "bootstrap_ci",
    "cohen_kappa",
    "fleiss_kappa",
    "gwet_ac1",
    "krippendorff_alpha",
    "pairwise_cohen",
    "per_label",
    "percent_agreement",
]


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairKappa:
    """Cohen's kappa of two workers over the ``n_shared`` tasks both labelled (NaN if undefined).

    ``worker_a`` and ``worker_b`` are original ids, ``worker_a`` the one seen first.
    """

    worker_a: Any
    worker_b: Any
    n_shared: int
    kappa: float


@dataclass(frozen=True, slots=True)
class LabelAgreement:
    """Agreement on one class, over the tasks with two or more labels.

    ``specific_agreement``: given one worker chose this class for a task, the share of the
    other workers on that task who chose it too (pairs counted, as in Fleiss 1971's P_j).
    ``kappa``: Fleiss' (1971) category kappa, the same corrected for the class's share of
    labels. ``n_labels``: labels of this class on those tasks. A class nobody chose there has
    NaN for both; a class that is every label has specific agreement 1 and kappa NaN.
    """

    specific_agreement: float
    kappa: float
    n_labels: int


class Interval(NamedTuple):
    """A metric's value and its bootstrap percentile interval (NaN bounds if not available)."""

    estimate: float
    low: float
    high: float


# --- metrics ----------------------------------------------------------------------------------


def percent_agreement(table: LabelTable) -> float:
    """Mean share of agreeing worker pairs per task, over tasks with two or more labels.

    For a task with ``m`` labels, ``n_k`` of them class ``k``, the share is
    ``sum_k n_k (n_k - 1) / (m (m - 1))`` (Fleiss 1971's P_i; Gwet 2014's p_a with missing
    ratings). It is not corrected for chance: two workers choosing at random between two classes
    agree half the time.
    """
    return _observed_agreement(_cells(table))


def cohen_kappa(
    table: LabelTable, worker_a: Hashable, worker_b: Hashable, *, weights: Weights | None = None
) -> float:
    """Cohen's kappa between two workers over the tasks both labelled.

    ``1 - sum(w * observed) / sum(w * expected)`` over the confusion matrix of their labels,
    where ``expected`` is the product of the two workers' own class shares (Cohen 1960), and
    ``w`` is 1 off the diagonal, or ``|i - j|`` (``"linear"``) or ``(i - j)^2``
    (``"quadratic"``) between positions in ``table.classes`` (Cohen 1968's weighted kappa).
    Equal to ``sklearn.metrics.cohen_kappa_score(..., labels=table.classes, weights=...)``.
    NaN when the expected disagreement is 0 (both workers gave one and the same class
    throughout); unknown workers, a worker compared with themself, or no shared task raise.
    """
    index = {worker: code for code, worker in enumerate(table.workers)}
    codes: list[int] = []
    for worker in (worker_a, worker_b):
        if worker not in index:
            raise QualityInputError(f"worker {worker!r} has no labels")
        codes.append(index[worker])
    if codes[0] == codes[1]:
        raise QualityInputError("Cohen's kappa compares two different workers")
    _check(table)
    first, second = sorted(codes)  # one canonical order, so kappa(a, b) == kappa(b, a) exactly
    rows = (table.worker == first) | (table.worker == second)
    pairs = _pair_statistics(
        table.task[rows],
        (table.worker[rows] == second).astype(np.int64),
        table.label[rows],
        n_workers=2,
        n_classes=table.n_classes,
        weights=_disagreement_weights(table.n_classes, weights),
    )
    if pairs.n_shared.size == 0:
        raise QualityInputError(f"workers {worker_a!r} and {worker_b!r} share no task")
    return float(pairs.kappas()[0])


def pairwise_cohen(
    table: LabelTable, *, weights: Weights | None = None, min_shared: int = 20
) -> list[PairKappa]:
    """Cohen's kappa for every pair of workers who labelled at least ``min_shared`` tasks in
    common, ordered by the workers' first appearance.

    Each value equals :func:`cohen_kappa` on that pair. The default of 20 leaves out pairs
    whose kappa would rest on a handful of tasks; pass 1 for every pair. The work grows with
    the number of (task, worker pair) co-labellings, ``sum m (m - 1) / 2`` over tasks, and is
    done in chunks of :data:`PAIR_CHUNK` pairs. A table with no shared task gives ``[]``.
    """
    if isinstance(min_shared, bool) or not isinstance(min_shared, int) or min_shared < 1:
        raise QualityInputError("min_shared must be a whole number of at least 1")
    _check(table)
    pairs = _pair_statistics(
        table.task,
        table.worker,
        table.label,
        n_workers=table.n_workers,
        n_classes=table.n_classes,
        weights=_disagreement_weights(table.n_classes, weights),
    ).at_least(min_shared)
    return [
        PairKappa(table.workers[a], table.workers[b], int(n), float(k))
        for a, b, n, k in zip(
            pairs.worker_a.tolist(),
            pairs.worker_b.tolist(),
            pairs.n_shared.tolist(),
            pairs.kappas().tolist(),
            strict=True,
        )
    ]


def fleiss_kappa(table: LabelTable) -> float:
    """Fleiss' kappa: agreement among many workers, corrected for chance from the class shares.

    ``(p_a - p_e) / (1 - p_e)`` with ``p_a`` the percent agreement and ``p_e = sum_k pi_k^2``,
    where ``pi_k`` is the mean over tasks of the share of a task's labels that are class ``k``
    (Fleiss 1971). When every task has the same number of labels this is Fleiss' own kappa,
    equal to ``statsmodels.stats.inter_rater.fleiss_kappa(table.counts())``. When the number
    varies, it is Gwet's generalisation to missing ratings (Handbook, 4th ed., 2014, as in his
    irrCAC package): ``p_a`` averages the tasks with two or more labels, and ``pi_k`` every
    task, a singly labelled one included (it says nothing about agreement but does say how
    often the class is chosen). NaN when every label is one class (``p_e = 1``).
    """
    cells = _cells(table)
    observed = _observed_agreement(cells)
    shares = _class_propensities(cells, table.n_classes)
    return _chance_corrected(observed, float(np.sum(shares * shares)))


def gwet_ac1(table: LabelTable) -> float:
    """Gwet's AC1: agreement corrected for chance the way that stays stable under skew.

    ``(p_a - p_e) / (1 - p_e)`` with the same ``p_a`` and ``pi_k`` as :func:`fleiss_kappa`, but
    ``p_e = sum_k pi_k (1 - pi_k) / (q - 1)`` with ``q = table.n_classes`` (Gwet 2008, eq. for
    multiple raters; Handbook, 4th ed., 2014, with missing ratings). Kappa falls towards 0 when
    almost every label is one class even if the workers almost always agree (the "kappa
    paradox"); AC1 does not, and stays defined when every label is the same class (then it is
    1). ``q`` counts the classes of the scale, so build the table with ``classes=`` listing
    every class a worker could choose; NaN if there is only one class.
    """
    cells = _cells(table)
    observed = _observed_agreement(cells)
    q = table.n_classes
    if q < 2:
        return math.nan
    shares = _class_propensities(cells, q)
    return _chance_corrected(observed, float(np.sum(shares * (1.0 - shares))) / (q - 1))


def krippendorff_alpha(table: LabelTable, level: Level = "nominal") -> float:
    """Krippendorff's alpha: ``1 - observed disagreement / expected disagreement``.

    Built from the coincidence matrix ``o_ck = sum_u (n_uc n_uk - [c = k] n_uc) / (m_u - 1)``
    over tasks ``u`` with ``m_u >= 2`` labels, as in Krippendorff (2011):
    ``alpha = 1 - (n - 1) sum o_ck d_ck / sum n_c n_k d_ck`` with ``n_c`` the pairable labels of
    class ``c`` and ``n`` their total. A worker who did not label a task is simply missing.
    The distance ``d_ck`` is, by ``level``: nominal, 1 for different classes; ordinal, the
    squared number of pairable labels between the two classes in ``table.classes`` order
    (``(sum_{g=c..k} n_g - (n_c + n_k) / 2)^2``); interval, ``(v_c - v_k)^2``; ratio,
    ``((v_c - v_k) / (v_c + v_k))^2``, with ``v = table.values()``. Interval and ratio refuse
    labels that are not finite numbers, and ratio negative ones. Equal to
    ``krippendorff.alpha`` (version 0.9), except that where it raises or warns because every
    pairable label has the same value, this returns NaN.
    """
    if level not in get_args(Level):
        raise QualityInputError(f"level must be one of {', '.join(get_args(Level))}")
    cells = _cells(table)
    _require_pairable(cells)
    coincidences = _coincidences(cells, table.n_classes)
    totals = coincidences.sum(axis=1)
    distances = _distances(table, level, totals)
    observed = float(np.sum(coincidences * distances))
    expected = float(np.sum(np.outer(totals, totals) * distances)) / (float(totals.sum()) - 1.0)
    if expected <= 0.0:
        return math.nan
    return 1.0 - observed / expected


def per_label(table: LabelTable) -> dict[Any, LabelAgreement]:
    """Agreement on each class (keyed by the original class id, in ``table.classes`` order).

    Over tasks with two or more labels, with ``n_ik`` labels of class ``k`` among a task's
    ``m_i``: specific agreement ``sum_i n_ik (n_ik - 1) / sum_i n_ik (m_i - 1)`` (Fleiss
    1971's P_k; Uebersax 1982's specific agreement for many raters, which for two raters is
    ``2a / (2a + b + c)``), and the category kappa ``(P_k - p_k) / (1 - p_k)`` with ``p_k`` the
    class's share of those labels (Fleiss 1971, whose p_k q_k-weighted mean is Fleiss' kappa
    when every task has the same number of labels). Shows which classes the guidelines leave
    unclear, which one overall figure hides.
    """
    cells = _cells(table)
    _require_pairable(cells)
    size = cells.size[cells.task]
    keep = size >= 2
    q = table.n_classes
    cls, count, size = cells.cls[keep], cells.count[keep].astype(np.float64), size[keep]
    agreeing = _sum_by(cls, count * (count - 1.0), q)
    paired = _sum_by(cls, count * (size - 1.0), q)
    labels = _sum_by(cls, count, q)
    share = labels / labels.sum()
    specific = _divide(agreeing, paired)
    kappa = _divide(specific - share, 1.0 - share)
    return {
        table.classes[k]: LabelAgreement(float(specific[k]), float(kappa[k]), int(labels[k]))
        for k in range(q)
    }


def bootstrap_ci(
    table: LabelTable,
    metric: Callable[[LabelTable], float],
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval:
    """``metric`` on ``table`` and its percentile bootstrap interval, resampling tasks.

    Each resample draws ``n_tasks`` tasks with replacement (``rng.integers(0, n_tasks,
    n_tasks)`` from ``numpy.random.default_rng(seed)``, one call per resample) and keeps all
    of each drawn task's labels; a task drawn twice becomes two distinct tasks, so its labels
    count twice and never look like one worker labelling a task twice. Tasks, not labels, are
    resampled because labels of one task are not independent. The bounds are the
    ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of the resampled values
    (Efron & Tibshirani 1993, ch. 13). Same seed, same interval.

    The resampled tables are built from index arrays (no Python objects per label), so the cost
    is ``n_resamples`` calls of ``metric`` on a table of the same size. If the metric is
    undefined (NaN, or :class:`QualityInputError`) on any resample -- few tasks, nearly all
    one class -- the bounds are NaN rather than an interval that silently skipped those
    resamples; if it raises on ``table`` itself, so does this.
    """
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 1:
        raise QualityInputError("n_resamples must be a whole number of at least 1")
    if not 0.0 < confidence < 1.0:
        raise QualityInputError("confidence must be between 0 and 1")
    _check(table)
    estimate = float(metric(table))
    if math.isnan(estimate):
        return Interval(estimate, math.nan, math.nan)
    n_tasks = table.n_tasks
    order = np.argsort(table.task, kind="stable")
    worker, label = table.worker[order], table.label[order]
    sizes = np.bincount(table.task, minlength=n_tasks)
    starts = np.cumsum(sizes) - sizes
    task_ids = tuple(range(n_tasks))
    rng = np.random.default_rng(seed)
    values = np.empty(n_resamples)
    for r in range(n_resamples):
        drawn = rng.integers(0, n_tasks, n_tasks)
        taken = sizes[drawn]
        rows = _expand(starts[drawn], taken)
        sample = LabelTable(
            task=np.repeat(np.arange(n_tasks, dtype=np.int64), taken),
            worker=worker[rows],
            label=label[rows],
            tasks=task_ids,
            workers=table.workers,
            classes=table.classes,
        )
        try:
            values[r] = metric(sample)
        except QualityInputError:
            values[r] = math.nan
    if np.isnan(values).any():
        return Interval(estimate, math.nan, math.nan)
    low, high = np.quantile(values, [(1.0 - confidence) / 2.0, (1.0 + confidence) / 2.0])
    return Interval(estimate, float(low), float(high))


# --- shared pieces ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Cells:
    """The non-zero cells of the tasks-by-classes count table, sorted by task then class.

    ``count[i]`` workers gave class ``cls[i]`` to task ``task[i]``; ``size[t]`` is how many
    labels task ``t`` has. Sparse, so it stays small with many tasks and many classes.
    """

    task: IntArray
    cls: IntArray
    count: IntArray
    size: IntArray


def _check(table: LabelTable) -> None:
    """Refuse a table built by hand whose arrays disagree (``from_triples`` never makes one)."""
    n = table.task.size
    if table.worker.size != n or table.label.size != n:
        raise QualityInputError(
            f"task, worker and label differ in length ({n}, {table.worker.size}, "
            f"{table.label.size})"
        )
    for name, codes, bound in (
        ("task", table.task, table.n_tasks),
        ("worker", table.worker, table.n_workers),
        ("label", table.label, table.n_classes),
    ):
        if n and (int(codes.min()) < 0 or int(codes.max()) >= bound):
            raise QualityInputError(f"a {name} code is outside the table's {name} ids")


def _cells(table: LabelTable) -> _Cells:
    _check(table)
    if table.n_labels == 0:
        raise QualityInputError("there are no labels")
    q = table.n_classes
    keys, counts = _distinct(table.task * q + table.label, table.n_tasks * q)
    size = np.bincount(table.task, minlength=table.n_tasks).astype(np.int64)
    return _Cells(keys // q, keys % q, counts, size)


def _require_pairable(cells: _Cells) -> None:
    if int(cells.size.max()) < 2:
        raise QualityInputError(
            "no task has labels from two workers, so there is no agreement to measure"
        )


def _observed_agreement(cells: _Cells) -> float:
    """Percent agreement: the mean over tasks with two or more labels of their agreeing pairs."""
    _require_pairable(cells)
    pairable = cells.size >= 2
    agreeing = _sum_by(cells.task, cells.count * (cells.count - 1.0), cells.size.size)[pairable]
    size = cells.size[pairable].astype(np.float64)
    return float(np.mean(agreeing / (size * (size - 1.0))))


def _class_propensities(cells: _Cells, n_classes: int) -> FloatArray:
    """``pi_k``: the mean over all tasks of the share of a task's labels that are class ``k``."""
    shares = cells.count / cells.size[cells.task]
    labelled = np.count_nonzero(cells.size)
    return _sum_by(cells.cls, shares, n_classes) / labelled


def _chance_corrected(observed: float, expected: float) -> float:
    """``(observed - expected) / (1 - expected)``; NaN when chance alone gives full agreement."""
    if expected >= 1.0:
        return math.nan
    return (observed - expected) / (1.0 - expected)


def _sum_by(index: IntArray, weights: FloatArray, length: int) -> FloatArray:
    """``out[i] = sum(weights[index == i])`` for ``i < length``: one bincount."""
    return np.bincount(index, weights=weights, minlength=length).astype(np.float64, copy=False)


def _divide(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """Elementwise quotient, NaN where the denominator is 0 (and no warning)."""
    out = np.full(numerator.shape, math.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _distinct(keys: IntArray, bound: int) -> tuple[IntArray, IntArray]:
    """The sorted distinct keys (all in ``[0, bound)``) and how often each occurs:
    ``np.unique(keys, return_counts=True)``, by a linear bincount when the key range is small
    and by sorting otherwise."""
    if _small(bound, keys):
        counts = np.bincount(keys, minlength=bound)
        distinct = np.flatnonzero(counts)
        return distinct.astype(np.int64), counts[distinct].astype(np.int64)
    distinct, counts = np.unique(keys, return_counts=True)
    return distinct.astype(np.int64), counts.astype(np.int64)


def _distinct_inverse(keys: IntArray, bound: int) -> tuple[IntArray, IntArray, IntArray]:
    """:func:`_distinct`, and also each key's index among the distinct keys."""
    if _small(bound, keys):
        distinct, counts = _distinct(keys, bound)
        lookup = np.zeros(bound, dtype=np.int64)
        lookup[distinct] = np.arange(distinct.size)
        return distinct, lookup[keys], counts
    distinct, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return distinct.astype(np.int64), inverse.astype(np.int64), counts.astype(np.int64)


def _small(bound: int, keys: IntArray) -> bool:
    """Whether counting over the whole key range is cheaper than sorting the keys."""
    return bound <= max(4 * keys.size, 1 << 16)


def _expand(starts: IntArray, lengths: IntArray) -> IntArray:
    """``concatenate([arange(s, s + n) for s, n in zip(starts, lengths)])``, without the loop."""
    total = int(lengths.sum())
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(total, dtype=np.int64)


def _pairs_within_groups(group_end: IntArray) -> Iterator[tuple[IntArray, IntArray]]:
    """Every pair ``i < j`` of items in the same group, as index arrays, in chunks.

    Items are sorted by group and ``group_end[i]`` is one past the last item of ``i``'s group,
    so item ``i`` pairs with ``i + 1 .. group_end[i] - 1``. Chunks split the items so each
    holds about :data:`PAIR_CHUNK` pairs (a single item never has more than its group's size).
    """
    n = group_end.size
    partners = group_end - np.arange(n, dtype=np.int64) - 1
    total = np.cumsum(partners)
    if n == 0 or int(total[-1]) == 0:
        return
    cuts = np.searchsorted(total, np.arange(PAIR_CHUNK, int(total[-1]), PAIR_CHUNK), "right")
    bounds = np.unique(np.concatenate(([0], cuts, [n])))
    for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        count = partners[start:stop]
        left = np.repeat(np.arange(start, stop, dtype=np.int64), count)
        yield left, left + 1 + _expand(np.zeros(count.size, dtype=np.int64), count)


def _group_ends(group: IntArray) -> IntArray:
    """For items sorted by ``group``, one past the index of the last item of each one's group."""
    if group.size == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.flatnonzero(np.diff(group)) + 1
    ends = np.append(change, group.size)
    return np.repeat(ends, np.diff(np.concatenate(([0], ends)))).astype(np.int64)


def _coincidences(cells: _Cells, n_classes: int) -> FloatArray:
    """Krippendorff's coincidence matrix from the cells of tasks with two or more labels."""
    keep = cells.size[cells.task] >= 2
    cls, count = cells.cls[keep], cells.count[keep].astype(np.float64)
    weight = count / (cells.size[cells.task[keep]] - 1.0)  # n_uc / (m_u - 1)
    q = n_classes
    flat = np.zeros(q * q)
    for left, right in _pairs_within_groups(_group_ends(cells.task[keep])):
        flat += _sum_by(cls[left] * q + cls[right], weight[left] * count[right], q * q)
    matrix = flat.reshape(q, q)
    matrix = matrix + matrix.T  # two cells of one task never share a class: off-diagonal only
    matrix[np.diag_indices(q)] = _sum_by(cls, weight * (count - 1.0), q)
    return matrix


def _distances(table: LabelTable, level: Level, totals: FloatArray) -> FloatArray:
    """Krippendorff's squared distance ``d_ck`` between classes for a level of measurement."""
    q = table.n_classes
    if level == "nominal":
        return 1.0 - np.eye(q)
    if level == "ordinal":
        # sum_{g=c..k} n_g - (n_c + n_k)/2 is the gap between the classes' mid-ranks
        midrank = np.cumsum(totals) - totals / 2.0
        return np.subtract.outer(midrank, midrank) ** 2
    values = table.values()
    if not np.isfinite(values).all():
        raise QualityInputError(f"{level} data need finite numbers as labels")
    if level == "ratio" and (values < 0).any():
        raise QualityInputError("ratio data cannot be negative")
    scale = float(np.max(np.abs(values)))
    if scale > 0.0:
        values = values / scale  # alpha is scale-free; this keeps squares of huge labels finite
    difference = np.subtract.outer(values, values)
    if level == "ratio":  # 0 between two zeros, the one place the sum is 0 (no negatives)
        total = np.add.outer(values, values)
        difference = np.divide(difference, total, out=np.zeros_like(total), where=total != 0)
    return difference**2


def _disagreement_weights(n_classes: int, weights: Weights | None) -> FloatArray:
    """Cohen's disagreement weights between class positions: 0/1, |i - j| or (i - j)^2."""
    position = np.arange(n_classes)
    gap = np.abs(np.subtract.outer(position, position)).astype(np.float64)
    if weights is None:
        return (gap > 0).astype(np.float64)
    if weights == "linear":
        return gap
    if weights == "quadratic":
        return gap**2
    raise QualityInputError(f"weights must be None, 'linear' or 'quadratic', not {weights!r}")


@dataclass(frozen=True, slots=True)
class _PairStatistics:
    """Per worker pair (``worker_a < worker_b``, codes): shared tasks, the weighted disagreement
    summed over them, and each worker's class counts on them -- all Cohen's kappa needs."""

    worker_a: IntArray
    worker_b: IntArray
    n_shared: IntArray
    disagreement: FloatArray
    classes_a: FloatArray
    classes_b: FloatArray
    weights: FloatArray

    def at_least(self, min_shared: int) -> _PairStatistics:
        keep = self.n_shared >= min_shared
        return _PairStatistics(
            self.worker_a[keep],
            self.worker_b[keep],
            self.n_shared[keep],
            self.disagreement[keep],
            self.classes_a[keep],
            self.classes_b[keep],
            self.weights,
        )

    def kappas(self) -> FloatArray:
        """``1 - sum(w * observed) / sum(w * expected)``, expected = outer(a, b) / n."""
        expected = np.sum((self.classes_a @ self.weights) * self.classes_b, axis=1)
        return 1.0 - _divide(self.disagreement * self.n_shared, expected)


def _pair_statistics(
    task: IntArray,
    worker: IntArray,
    label: IntArray,
    *,
    n_workers: int,
    n_classes: int,
    weights: FloatArray,
) -> _PairStatistics:
    """Enumerate every two labels of one task and sum them up per worker pair, in chunks."""
    q = n_classes
    order = np.argsort(task * max(n_workers, 1) + worker, kind="stable")
    worker, label = worker[order], label[order]
    parts: list[tuple[IntArray, FloatArray]] = []
    for left, right in _pairs_within_groups(_group_ends(task[order])):
        keys, inverse, counts = _distinct_inverse(
            worker[left] * n_workers + worker[right], n_workers**2
        )
        columns = [
            counts.astype(np.float64),
            _sum_by(inverse, weights[label[left], label[right]], keys.size),
        ]
        for side in (left, right):
            by_class = np.bincount(inverse * q + label[side], minlength=keys.size * q)
            columns.extend(by_class.reshape(keys.size, q).T.astype(np.float64))
        parts.append((keys, np.column_stack(columns)))
    if not parts:
        keys, sums = np.zeros(0, dtype=np.int64), np.zeros((0, 2 + 2 * q))
    elif len(parts) == 1:
        keys, sums = parts[0]
    else:  # the same pair may appear in several chunks: add their sums up
        keys, inverse, _ = _distinct_inverse(np.concatenate([p[0] for p in parts]), n_workers**2)
        sums = np.zeros((keys.size, 2 + 2 * q))
        np.add.at(sums, inverse, np.concatenate([p[1] for p in parts]))
    return _PairStatistics(
        worker_a=keys // max(n_workers, 1),
        worker_b=keys % max(n_workers, 1),
        n_shared=np.rint(sums[:, 0]).astype(np.int64),
        disagreement=sums[:, 1],
        classes_a=sums[:, 2 : 2 + q],
        classes_b=sums[:, 2 + q :],
        weights=weights,
    )
