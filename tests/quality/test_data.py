"""LabelTable: coding labels once, and refusing what no metric can use."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crewline.quality.data import LabelTable
from crewline.quality.errors import QualityInputError


def test_ids_are_coded_in_first_seen_order_and_classes_sorted() -> None:
    table = LabelTable.from_triples(
        ["t2", "t1", "t2"], ["ann", "bob", "bob"], ["dog", "cat", "dog"]
    )
    assert table.tasks == ("t2", "t1") and table.workers == ("ann", "bob")
    assert table.classes == ("cat", "dog")
    assert table.task.tolist() == [0, 1, 0]
    assert table.label.tolist() == [1, 0, 1]
    assert table.counts().tolist() == [[0, 2], [1, 0]]
    assert table.matrix().tolist() == [[1, 1], [-1, 0]]


def test_numbers_sort_as_numbers_and_give_values() -> None:
    table = LabelTable.from_triples(["a", "a", "b"], ["x", "y", "x"], [10, 2, 1.5])
    assert table.classes == (1.5, 2, 10)
    assert table.values().tolist() == [1.5, 2.0, 10.0]
    words = LabelTable.from_triples(["a"], ["x"], ["low"])
    with pytest.raises(QualityInputError, match="not numbers"):
        words.values()


def test_a_fixed_class_list_keeps_its_order_and_refuses_strangers() -> None:
    table = LabelTable.from_triples(["a", "b"], ["x", "x"], ["high", "low"], ["low", "high"])
    assert table.label.tolist() == [1, 0] and table.n_classes == 2
    with pytest.raises(QualityInputError, match="'mid' is not one of the classes"):
        LabelTable.from_triples(["a"], ["x"], ["mid"], ["low", "high"])
    with pytest.raises(QualityInputError, match="duplicates"):
        LabelTable.from_triples(["a"], ["x"], ["low"], ["low", "low"])


@pytest.mark.parametrize(
    ("tasks", "workers", "labels", "message"),
    [
        (["a", "b"], ["x"], ["1", "2"], "differ in length"),
        (["a"], ["x"], [float("nan")], "NaN"),
        (["a", "a"], ["x", "x"], ["1", "2"], "more than once"),
    ],
)
def test_bad_input_is_refused_with_a_reason(
    tasks: list[str], workers: list[str], labels: list[object], message: str
) -> None:
    with pytest.raises(QualityInputError, match=message):
        LabelTable.from_triples(tasks, workers, labels)


def test_an_empty_table_is_a_valid_empty_table() -> None:
    table = LabelTable.from_triples([], [], [])
    assert (table.n_labels, table.n_tasks, table.n_workers, table.n_classes) == (0, 0, 0, 0)
    assert table.counts().shape == (0, 0)


@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 8), st.sampled_from("abcde")),
        unique_by=lambda row: (row[0], row[1]),
        max_size=120,
    )
)
def test_coding_round_trips(rows: list[tuple[int, int, str]]) -> None:
    table = LabelTable.from_triples(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
    )
    decoded = [
        (table.tasks[t], table.workers[w], table.classes[c])
        for t, w, c in zip(table.task, table.worker, table.label, strict=True)
    ]
    assert decoded == rows
    assert int(table.counts().sum()) == len(rows)
    assert int(np.count_nonzero(table.matrix() >= 0)) == len(rows)


@given(
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 6)), min_size=0, max_size=60),
    st.booleans(),
)
def test_a_repeated_pair_is_refused_whatever_the_row_order(
    pairs: list[tuple[int, int]], in_task_order: bool
) -> None:
    """The duplicate check sorts differently for files in task order (a stable sort that
    merges per-task runs) and in any other order; both must find exactly the repeats."""
    if in_task_order:
        pairs = sorted(pairs, key=lambda p: p[0])  # tasks in order, workers in any order
    task = np.array([t for t, _ in pairs], dtype=np.int64)
    worker = np.array([w for _, w in pairs], dtype=np.int64)
    n_tasks = int(task.max()) + 1 if pairs else 0
    n_workers = int(worker.max()) + 1 if pairs else 0

    def build() -> LabelTable:
        return LabelTable.from_codes(
            task,
            worker,
            np.zeros(len(pairs), dtype=np.int64),
            range(n_tasks),
            range(n_workers),
            ["x"],
        )

    if len(set(pairs)) < len(pairs):
        with pytest.raises(QualityInputError, match="more than once"):
            build()
    else:
        assert build().n_labels == len(pairs)
