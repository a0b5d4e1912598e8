"""Labels as integer codes: the one representation every quality function reads.

Annotations arrive as ``(task, worker, label)`` triples with arbitrary ids (database ids,
strings from a CSV). Each is coded once into dense integer indexes, so the algorithms work on
numpy arrays and never on Python objects; the original ids stay alongside for the answer.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from crewline.quality.errors import QualityInputError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class LabelTable:
    """One row per label: which task, which worker, which class (all integer codes).

    ``tasks``, ``workers`` and ``classes`` hold the original ids, indexed by code. Classes are
    sorted (numerically when they are all numbers), so ordinal and interval metrics can read
    the order and the values from them.
    """

    task: IntArray
    worker: IntArray
    label: IntArray
    tasks: tuple[Any, ...]
    workers: tuple[Any, ...]
    classes: tuple[Any, ...]

    @property
    def n_labels(self) -> int:
        """How many labels (rows) there are."""
        return int(self.task.size)

    @property
    def n_tasks(self) -> int:
        """How many distinct tasks."""
        return len(self.tasks)

    @property
    def n_workers(self) -> int:
        """How many distinct workers."""
        return len(self.workers)

    @property
    def n_classes(self) -> int:
        """How many distinct classes."""
        return len(self.classes)

    @classmethod
    def from_triples(
        cls,
        tasks: Sequence[Hashable],
        workers: Sequence[Hashable],
        labels: Sequence[Hashable],
        classes: Sequence[Hashable] | None = None,
    ) -> LabelTable:
        """Code parallel sequences of task ids, worker ids and labels.

        ``classes`` fixes the class list and its order (labels outside it are refused);
        otherwise it is every label seen, sorted. A worker labelling a task twice is refused:
        every metric here assumes one label per worker per task.
        """
        if not len(tasks) == len(workers) == len(labels):
            raise QualityInputError(
                f"tasks, workers and labels differ in length "
                f"({len(tasks)}, {len(workers)}, {len(labels)})"
            )
        for value in labels:
            if isinstance(value, float) and np.isnan(value):
                raise QualityInputError("a label is NaN; leave a missing label out instead")
        task_ids, task_codes = _code(tasks)
        worker_ids, worker_codes = _code(workers)
        if classes is None:
            class_ids = _sorted_classes(labels)
        else:
            class_ids = tuple(classes)
            if len(set(class_ids)) != len(class_ids):
                raise QualityInputError("classes has duplicates")
        index = {value: code for code, value in enumerate(class_ids)}
        try:
            label_codes = np.fromiter((index[v] for v in labels), np.int64, len(labels))
        except KeyError as exc:
            raise QualityInputError(f"label {exc.args[0]!r} is not one of the classes") from None
        return cls.from_codes(
            task_codes, worker_codes, label_codes, task_ids, worker_ids, class_ids
        )

    @classmethod
    def from_codes(
        cls,
        task: IntArray,
        worker: IntArray,
        label: IntArray,
        tasks: Sequence[Any],
        workers: Sequence[Any],
        classes: Sequence[Any],
    ) -> LabelTable:
        """Columns that are already codes (a fast reader coded them), with their ids.

        The same one-label-per-worker-per-task rule as ``from_triples`` is checked here.
        """
        table = cls(task, worker, label, tuple(tasks), tuple(workers), tuple(classes))
        if _repeated_pair(table.task, table.worker, table.n_tasks, table.n_workers):
            raise QualityInputError("a worker labelled the same task more than once")
        return table

    def counts(self) -> IntArray:
        """Tasks by classes: how many workers gave each class to each task."""
        out = np.zeros((self.n_tasks, self.n_classes), dtype=np.int64)
        np.add.at(out, (self.task, self.label), 1)
        return out

    def matrix(self) -> IntArray:
        """Tasks by workers: the class code each worker gave each task, -1 where none."""
        out = np.full((self.n_tasks, self.n_workers), -1, dtype=np.int64)
        out[self.task, self.worker] = self.label
        return out

    def values(self) -> FloatArray:
        """The classes as numbers (for interval and ratio data); refused if they are not."""
        try:
            return np.array([float(c) for c in self.classes], dtype=np.float64)
        except (TypeError, ValueError):
            raise QualityInputError("the labels are not numbers") from None


def _repeated_pair(task: IntArray, worker: IntArray, n_tasks: int, n_workers: int) -> bool:
    """Whether some (task, worker) pair occurs twice: equal neighbours among the sorted pairs.

    Sorted neighbours, not np.unique: numpy's hash-based unique took 0.5 s at a million
    labels, a sort 0.03 s; 32-bit keys where they fit. Files are usually in task order, and
    then each task's keys are one short run above the last task's: the stable sort (timsort)
    merges those runs in 9 ms where quicksort takes 29 ms. It is 2x slower on keys in no
    order, so it is chosen only when the tasks are in order.
    """
    if task.size < 2:
        return False
    width = max(n_workers, 1)
    narrow = n_tasks * width <= np.iinfo(np.int32).max
    key_type: type[np.signedinteger[Any]] = np.int32 if narrow else np.int64
    pairs: npt.NDArray[np.signedinteger[Any]] = task.astype(key_type)
    pairs *= width
    pairs += worker.astype(key_type)
    in_task_order = bool((task[1:] >= task[:-1]).all())
    pairs.sort(kind="stable" if in_task_order else "quicksort")
    return bool((pairs[1:] == pairs[:-1]).any())


def _code(ids: Sequence[Hashable]) -> tuple[tuple[Any, ...], IntArray]:
    """Distinct ids in first-seen order, and each position's code."""
    index: dict[Hashable, int] = {}
    codes = np.fromiter((index.setdefault(i, len(index)) for i in ids), np.int64, len(ids))
    return tuple(index), codes


def _sorted_classes(labels: Sequence[Hashable]) -> tuple[Any, ...]:
    distinct = set(labels)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in distinct):
        return tuple(sorted(distinct, key=float))
    return tuple(sorted(distinct, key=str))


def unique_ints(values: IntArray) -> tuple[IntArray, IntArray]:
    """``np.unique(values, return_inverse=True)`` for integer ids: the sorted distinct values
    and each value's index among them.

    Ids (people, tasks) span a range about as wide as their count, so marking them in a
    boolean array over that range and counting is linear; numpy sorts all million values
    (0.1 s each time, and a refresh asked five times). A wide range falls back to numpy.
    """
    if not values.size:
        return values.astype(np.int64), np.zeros(0, dtype=np.int64)
    if values.size > 1 and (values[1:] >= values[:-1]).all():
        # Already in order (a file sorted by task): each run of equal values is one id.
        starts = np.empty(values.size, dtype=np.bool_)
        starts[0] = True
        np.not_equal(values[1:], values[:-1], out=starts[1:])
        return values[starts].astype(np.int64), np.cumsum(starts, dtype=np.int64) - 1
    low, high = int(values.min()), int(values.max())
    if high - low > max(4 * values.size, 1 << 16):
        distinct, inverse = np.unique(values, return_inverse=True)
        return distinct.astype(np.int64), inverse.reshape(-1).astype(np.int64)
    shifted = values.astype(np.int64) - low
    present = np.zeros(high - low + 1, dtype=np.bool_)
    present[shifted] = True
    if present.all():  # ids without gaps (labels 0..k-1, workers 1..n): each is its rank
        return np.arange(low, high + 1, dtype=np.int64), shifted
    rank = np.cumsum(present, dtype=np.int64) - 1
    return np.flatnonzero(present).astype(np.int64) + low, rank[shifted]


@dataclass(frozen=True, slots=True)
class SortedGroups:
    """Rows put in order by group code, and within a group by a value: the medians of that
    value per group, or of any other value in the same order (a monotone function of it),
    from one sort."""

    order: IntArray
    present: IntArray
    starts: IntArray
    counts: IntArray
    n_groups: int

    @classmethod
    def of(cls, codes: IntArray, values: FloatArray, n_groups: int) -> SortedGroups:
        """Group codes ``0..n_groups-1``, ordered within each group by ``values``."""
        # By value (any order among equal values: they have the same median), then stably by
        # code: numpy's stable sort is a radix sort on 16-bit keys, 15 ms against 63 ms for
        # a million int64 codes (people in a project fit; tasks may not).
        order = np.argsort(values)
        ordered_codes = codes[order]
        if n_groups <= np.iinfo(np.uint16).max + 1:
            ordered_codes = ordered_codes.astype(np.uint16)
        order = order[np.argsort(ordered_codes, kind="stable")]
        present, starts, counts = np.unique(codes[order], return_index=True, return_counts=True)
        return cls(order, present, starts, counts, n_groups)

    def medians(self, values: FloatArray) -> FloatArray:
        """The median of ``values`` in each group (nan for an empty group); ``values`` must
        be in the order the groups were sorted by."""
        out = np.full(self.n_groups, np.nan)
        if not self.order.size:
            return out
        ordered = values[self.order]
        low = ordered[self.starts + (self.counts - 1) // 2]
        high = ordered[self.starts + self.counts // 2]
        out[self.present] = (low + high) / 2
        return out


def group_medians(codes: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """The median of ``values`` in each group ``0..n_groups-1`` (nan for an empty group)."""
    return SortedGroups.of(codes, values, n_groups).medians(values)
