"""Truth inference: hand-worked cases, properties, recovery of a known truth, gold, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crewline.quality import inference
from crewline.quality.data import LabelTable
from crewline.quality.errors import QualityInputError

METHODS = inference.METHODS


def table_of(
    rows: list[tuple[object, object, object]], classes: tuple[object, ...] | None = None
) -> LabelTable:
    tasks, workers, labels = zip(*rows, strict=True)
    return LabelTable.from_triples(list(tasks), list(workers), list(labels), classes=classes)


def synthetic(
    seed: int,
    *,
    tasks: int = 600,
    workers: int = 30,
    classes: int = 4,
    overlap: int = 5,
    adversaries: float = 0.0,
    spammers: float = 0.0,
) -> tuple[LabelTable, np.ndarray]:
    """Dawid-Skene data: each worker right with their own accuracy, else a random other class;
    ``adversaries`` of the workers answer a fixed wrong class (a shifted truth), ``spammers``
    answer any class at random."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, classes, tasks)
    accuracy = rng.uniform(0.55, 0.95, workers)
    bad = rng.random(workers) < adversaries
    task = np.repeat(np.arange(tasks), overlap)
    worker = np.concatenate([rng.choice(workers, overlap, replace=False) for _ in range(tasks)])
    right = rng.random(task.size) < accuracy[worker]
    other = (truth[task] + rng.integers(1, classes, task.size)) % classes
    label = np.where(right, truth[task], other)
    label = np.where(bad[worker], (truth[task] + 1) % classes, label)
    spam = (rng.random(workers) < spammers) & ~bad
    label = np.where(spam[worker], rng.integers(0, classes, task.size), label)
    table = LabelTable(
        task.astype(np.int64),
        worker.astype(np.int64),
        label.astype(np.int64),
        tuple(range(tasks)),
        tuple(range(workers)),
        tuple(range(classes)),
    )
    return table, truth


# --- hand-worked -------------------------------------------------------------------------------


def test_majority_vote_share_and_lowest_code_tie_break() -> None:
    table = table_of(
        [
            ("t1", "a", "cat"),
            ("t1", "b", "cat"),
            ("t1", "c", "dog"),
            ("t2", "a", "dog"),
            ("t2", "b", "cat"),
        ]
    )
    answers = inference.majority_vote(table)
    assert [table.classes[c] for c in answers.label] == ["cat", "cat"]  # t2 ties: cat < dog
    assert answers.confidence.tolist() == pytest.approx([2 / 3, 0.5])
    assert answers.posterior.sum(axis=1).tolist() == pytest.approx([1.0, 1.0])


def test_weighted_vote_trusts_the_worker_who_agrees_with_the_rest() -> None:
    rows = [(f"t{i}", w, "x") for i in range(6) for w in ("a", "b")]
    rows += [(f"t{i}", "c", "y") for i in range(6)]
    rows += [("q", "a", "x"), ("q", "c", "y")]  # a tie that only the weights break
    answers = inference.weighted_majority_vote(table_of(rows))
    table = table_of(rows)
    q = table.tasks.index("q")
    assert table.classes[answers.label[q]] == "x"
    assert answers.converged


def test_every_method_agrees_with_a_unanimous_crowd() -> None:
    rows = [(f"t{i}", w, "yes" if i % 2 else "no") for i in range(10) for w in "abc"]
    table = table_of(rows)
    for method in METHODS:
        answers = inference.aggregate(table, method)
        assert [table.classes[c] for c in answers.label] == [
            "yes" if i % 2 else "no" for i in range(10)
        ], method
        assert (answers.confidence > 0.5).all(), method


# --- recovery ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_recovers_the_truth_of_dawid_skene_data(method: str) -> None:
    table, truth = synthetic(1)
    answers = inference.aggregate(table, method)
    # 100 labels a worker: Dawid-Skene's 12 free parameters each cost it a little here
    assert (answers.label == truth).mean() > 0.88
    assert np.allclose(answers.posterior.sum(axis=1), 1.0)
    assert ((answers.accuracy > 0) & (answers.accuracy < 1)).all()


def test_dawid_skene_sees_through_a_third_of_adversaries() -> None:
    # Adversaries always answer the next class: only a full confusion matrix can model a
    # systematic swap (one-coin, GLAD and MACE cannot, and trust them as if they were right).
    table, truth = synthetic(2, overlap=6, adversaries=0.33)
    mv = (inference.majority_vote(table).label == truth).mean()
    model = (inference.dawid_skene(table).label == truth).mean()
    assert model > 0.95 and model > mv + 0.2


@pytest.mark.parametrize("method", ["wmv", "dawid-skene", "one-coin", "glad", "mace"])
def test_models_beat_majority_vote_when_a_third_spam(method: str) -> None:
    table, truth = synthetic(6, tasks=1000, overlap=5, spammers=0.33)
    mv = (inference.majority_vote(table).label == truth).mean()
    model = (inference.aggregate(table, method).label == truth).mean()
    assert model > mv + 0.01


def test_dawid_skene_estimates_the_confusion_and_accuracy() -> None:
    table, truth = synthetic(3, tasks=2000, workers=10, overlap=6)
    answers = inference.dawid_skene(table)
    assert answers.confusion is not None
    assert answers.confusion.shape == (10, 4, 4)
    assert np.allclose(answers.confusion.sum(axis=2), 1.0)
    observed = np.array(
        [
            (table.label[table.worker == w] == truth[table.task[table.worker == w]]).mean()
            for w in range(10)
        ]
    )
    assert np.abs(answers.accuracy - observed).max() < 0.05


def test_one_coin_confusion_has_the_accuracy_on_its_diagonal() -> None:
    table, _ = synthetic(4)
    answers = inference.one_coin(table)
    assert answers.confusion is not None
    diagonal = answers.confusion[:, np.arange(4), np.arange(4)]
    assert np.allclose(diagonal, answers.accuracy[:, None])


# --- gold --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_gold_is_clamped_and_returned(method: str) -> None:
    table, truth = synthetic(5, tasks=200)
    wrong = {0: int((truth[0] + 1) % 4), 1: int((truth[1] + 2) % 4)}
    answers = inference.aggregate(table, method, gold=wrong)
    assert answers.label[0] == wrong[0] and answers.label[1] == wrong[1]
    assert answers.confidence[[0, 1]].tolist() == [1.0, 1.0]


def test_gold_teaches_dawid_skene_who_to_trust() -> None:
    # Two workers always disagree; gold on half the tasks shows which one is right.
    rows = []
    for i in range(40):
        rows += [(i, "good", i % 2), (i, "bad", 1 - i % 2)]
    table = LabelTable.from_triples(*map(list, zip(*rows, strict=True)))
    gold = {i: i % 2 for i in range(20)}
    answers = inference.dawid_skene(table, gold=gold)
    assert (answers.label[20:] == np.arange(20, 40) % 2).all()


# --- properties --------------------------------------------------------------------------------

rows_strategy = st.lists(
    st.tuples(st.integers(0, 7), st.integers(0, 4), st.integers(0, 2)),
    min_size=1,
    max_size=40,
    unique_by=lambda r: (r[0], r[1]),
)


@settings(max_examples=60, deadline=None)
@given(rows=rows_strategy, method=st.sampled_from(METHODS))
def test_posteriors_are_distributions_and_answers_their_argmax(
    rows: list[tuple[int, int, int]], method: str
) -> None:
    table = LabelTable.from_triples(*map(list, zip(*rows, strict=True)))
    answers = inference.aggregate(table, method)
    assert answers.posterior.shape == (table.n_tasks, table.n_classes)
    assert np.all(np.isfinite(answers.posterior))
    assert np.allclose(answers.posterior.sum(axis=1), 1.0)
    top = answers.posterior.max(axis=1)
    assert (answers.posterior[np.arange(table.n_tasks), answers.label] == top).all()
    assert np.allclose(answers.confidence, top)


@settings(max_examples=40, deadline=None)
@given(rows=rows_strategy, seed=st.integers(0, 1000))
def test_majority_vote_is_the_count_argmax_whatever_the_row_order(
    rows: list[tuple[int, int, int]], seed: int
) -> None:
    table = LabelTable.from_triples(*map(list, zip(*rows, strict=True)))
    shuffled = list(rows)
    np.random.default_rng(seed).shuffle(shuffled)
    other = LabelTable.from_triples(*map(list, zip(*shuffled, strict=True)))
    first = dict(
        zip(
            table.tasks,
            (table.classes[c] for c in inference.majority_vote(table).label),
            strict=True,
        )
    )
    second = dict(
        zip(
            other.tasks,
            (other.classes[c] for c in inference.majority_vote(other).label),
            strict=True,
        )
    )
    assert first == second
    counts = table.counts()
    shares = np.round((counts / counts.sum(axis=1, keepdims=True)).mean(axis=0), 9)
    for task, label in enumerate(inference.majority_vote(table).label):
        tied = np.flatnonzero(counts[task] == counts[task].max())
        # The most votes; on a tie, the class with the larger share overall, then the first.
        assert label == tied[np.argmax(shares[tied])]


def test_majority_vote_ties_go_to_the_class_given_more_overall() -> None:
    rows = [("a", "w1", "x"), ("a", "w2", "y")]  # a tie on task a ...
    rows += [("b", "w1", "y"), ("b", "w2", "y"), ("c", "w1", "x"), ("c", "w2", "y")]
    table = LabelTable.from_triples(*map(list, zip(*rows, strict=True)))
    answers = inference.majority_vote(table)
    # ... which y wins: it has 2 of b's labels and half of a's and c's; x only halves.
    assert [table.classes[c] for c in answers.label] == ["y", "y", "y"]
    assert answers.confidence.tolist() == [0.5, 1.0, 0.5]
    even = LabelTable.from_triples(["a", "a"], ["w1", "w2"], ["y", "x"])
    assert even.classes[inference.majority_vote(even).label[0]] == "x"  # even: the first


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_dawid_skene_does_not_depend_on_the_row_order(seed: int) -> None:
    table, _ = synthetic(seed % 7, tasks=60, workers=8, overlap=3)
    order = np.random.default_rng(seed).permutation(table.n_labels)
    shuffled = LabelTable(
        table.task[order],
        table.worker[order],
        table.label[order],
        table.tasks,
        table.workers,
        table.classes,
    )
    a = inference.dawid_skene(table)
    b = inference.dawid_skene(shuffled)
    assert np.allclose(a.posterior, b.posterior, atol=1e-9)


# --- bad input ---------------------------------------------------------------------------------


def test_an_unknown_method_is_refused_naming_the_choices() -> None:
    with pytest.raises(QualityInputError, match="'em' is not one of mv, wmv"):
        inference.aggregate(table_of([("t", "a", "x")]), "em")


def test_an_empty_table_is_refused() -> None:
    empty = LabelTable(
        np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), (), (), ()
    )
    for method in METHODS:
        with pytest.raises(QualityInputError, match="no labels"):
            inference.aggregate(empty, method)


@pytest.mark.parametrize(
    ("gold", "message"), [({5: 0}, "task that has no labels"), ({0: 9}, "not one of the classes")]
)
def test_bad_gold_is_refused(gold: dict[int, int], message: str) -> None:
    with pytest.raises(QualityInputError, match=message):
        inference.dawid_skene(table_of([("t", "a", "x"), ("t", "b", "y")]), gold=gold)


@pytest.mark.parametrize("method", METHODS)
def test_a_single_rater_and_a_single_class_give_defined_answers(method: str) -> None:
    with np.errstate(all="raise"):  # no numpy warning may leak out
        answers = inference.aggregate(table_of([("t1", "a", "x"), ("t2", "a", "x")]), method)
    assert answers.label.tolist() == [0, 0]
    assert np.all(np.isfinite(answers.confidence))


@pytest.mark.parametrize("concentration", [0.3, 2.0, 30.0])
def test_mace_fits_the_spam_prior_that_made_the_counts(concentration: float) -> None:
    """Workers' spam counts drawn from Dirichlet-multinomials of a known pseudo-count give
    back about that pseudo-count: small when each worker's spam is peaked, large when even."""
    rng = np.random.default_rng(11)
    xi = rng.dirichlet(np.full(8, concentration), size=400)
    counts = np.array([rng.multinomial(120, p) for p in xi], dtype=np.float64)
    fitted = inference._dirichlet_concentration(counts)
    assert concentration / 1.5 < fitted < concentration * 1.5


def test_mace_spam_prior_is_defined_without_spam() -> None:
    with np.errstate(all="raise"):
        fitted = inference._dirichlet_concentration(np.zeros((3, 4)))
    low, high = inference.MACE_XI_PRIOR_RANGE
    assert low <= fitted <= high
