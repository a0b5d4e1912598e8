"""Carelessness and fraud signals, each with a score, a severity and the numbers behind it.

Every signal compares a worker with the project's own norm, so one bar serves projects with
short and long tasks. A signal is evidence for a human, never a verdict: the flag queue shows
it and a person confirms or dismisses it.

=================  ============================================================================
signal             what fires it
=================  ============================================================================
``fast``           median robust z-score of log time on task (median/MAD of the project) at or
                   under -2.5 (medium) or -3.5 (high)
``straight_line``  one label far more often than the project gives it: share at least 0.6 and a
                   binomial tail probability under 1e-4 (high under 1e-8)
``duplicate_text`` free-text answers that are near copies (cosine >= 0.95) of answers on
                   other tasks, and closer to them than to their own task's other answers: at
                   least 30 % of a worker's answers (high from 60 %)
``bot_timing``     gaps between consecutive submissions too regular for a person: coefficient
                   of variation under 0.15 (high under 0.05), over at least 20 gaps
``collusion``      a pair agreeing on non-gold tasks far more than their accuracies explain
                   (binomial tail under 1e-6) and sharing at least two identical wrong gold
                   answers
=================  ============================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.stats import binom

from crewline.quality.data import FloatArray, IntArray, SortedGroups, unique_ints
from crewline.quality.errors import QualityInputError

#: Robust z-scores use the MAD scaled to a normal standard deviation.
MAD_SCALE = 1.4826
MIN_TIMED = 10
MIN_LABELS = 20
MIN_TEXTS = 5
MIN_GAPS = 20
MIN_SHARED = 10
#: Gaps longer than this start a new sitting and are not timing evidence.
SITTING_BREAK_SECONDS = 30 * 60


@dataclass(frozen=True, slots=True)
class Signal:
    """One worker's signal: ``score`` (bigger is more suspicious), severity and evidence."""

    person_id: int
    signal: str
    severity: str
    score: float
    evidence: dict[str, Any] = field(default_factory=dict)


def _check_lengths(**arrays: npt.NDArray[Any]) -> None:
    sizes = {name: a.shape[0] for name, a in arrays.items()}
    if len(set(sizes.values())) > 1:
        raise QualityInputError(f"arrays differ in length: {sizes}")


def fast_answers(person: IntArray, seconds: FloatArray) -> list[Signal]:
    """Workers whose typical time on task is far below the project's (robust z of log time)."""
    _check_lengths(person=person, seconds=seconds)
    timed = np.isfinite(seconds) & (seconds > 0)
    if timed.sum() < MIN_TIMED:
        return []
    logs = np.log(seconds[timed])
    centre = float(np.median(logs))
    spread = MAD_SCALE * float(np.median(np.abs(logs - centre)))
    if spread <= 0:
        return []
    z = (logs - centre) / spread
    people, codes = unique_ints(person[timed])
    counts = np.bincount(codes, minlength=people.size)
    groups = SortedGroups.of(codes, z, people.size)  # z rises with the seconds: one sort
    scores = groups.medians(z)
    typical = groups.medians(seconds[timed])
    out = []
    for i in np.flatnonzero((counts >= MIN_TIMED) & (scores <= -2.5)).tolist():
        out.append(
            Signal(
                int(people[i]),
                "fast",
                "high" if scores[i] <= -3.5 else "medium",
                float(-scores[i]),
                {
                    "median_seconds": round(float(typical[i]), 2),
                    "project_median_seconds": round(float(np.exp(centre)), 2),
                    "robust_z": round(float(scores[i]), 2),
                    "labels": int(counts[i]),
                },
            )
        )
    return out


def straight_lining(person: IntArray, label: IntArray, n_classes: int) -> list[Signal]:
    """Workers who give one label far more often than the project's label shares predict."""
    _check_lengths(person=person, label=label)
    if not label.size:
        return []
    shares = np.bincount(label, minlength=n_classes) / label.size
    people, codes = unique_ints(person)
    counts = np.bincount(codes * n_classes + label, minlength=people.size * n_classes)
    counts = counts.reshape(people.size, n_classes)
    totals = counts.sum(axis=1)
    top = counts.argmax(axis=1)
    top_count = counts[np.arange(people.size), top]
    share = top_count / np.maximum(totals, 1)
    tail = binom.sf(top_count - 1, totals, shares[top])
    out = []
    for i in np.flatnonzero((totals >= MIN_LABELS) & (share >= 0.6) & (tail < 1e-4)).tolist():
        out.append(
            Signal(
                int(people[i]),
                "straight_line",
                "high" if tail[i] < 1e-8 else "medium",
                float(-np.log10(max(float(tail[i]), 1e-300))),
                {
                    "label_code": int(top[i]),
                    "share": round(float(share[i]), 3),
                    "project_share": round(float(shares[top[i]]), 3),
                    "labels": int(totals[i]),
                    "p_value": float(tail[i]),
                },
            )
        )
    return out


def duplicate_text(
    person: IntArray, task: IntArray, embeddings: FloatArray, threshold: float = 0.95
) -> list[Signal]:
    """Workers whose free-text answers are near copies of answers to other tasks.

    An answer counts as copied when it is at least ``threshold`` similar to an answer on
    another task *and* closer to it than to every other worker's answer on its own task: two
    tasks that truly say the same thing (the same sentence recorded twice) get the same right
    answer from everyone, which is agreement, not copying. ``embeddings`` are L2-normalised
    rows, one per answer; similarities are computed in blocks of rows, so memory stays at
    ``block x n`` whatever the number of answers.
    """
    _check_lengths(person=person, task=task, embeddings=embeddings)
    n = embeddings.shape[0]
    copied = np.zeros(n, dtype=bool)
    block = 2048
    for start in range(0, n, block):
        rows = slice(start, start + block)
        sims = embeddings[rows] @ embeddings.T
        same_task = task[rows, None] == task[None, :]
        same_task_others = np.where(same_task, sims, -1.0)
        same_task_others[np.arange(sims.shape[0]), np.arange(start, start + sims.shape[0])] = -1.0
        elsewhere = np.where(same_task, -1.0, sims).max(axis=1)
        copied[rows] = (elsewhere >= threshold) & (elsewhere > same_task_others.max(axis=1) + 0.01)
    people, codes = unique_ints(person)
    answers = np.bincount(codes, minlength=people.size)
    copies = np.bincount(codes, weights=copied.astype(np.float64), minlength=people.size)
    share = copies / np.maximum(answers, 1)
    out = []
    for i in np.flatnonzero((answers >= MIN_TEXTS) & (share >= 0.3)).tolist():
        out.append(
            Signal(
                int(people[i]),
                "duplicate_text",
                "high" if share[i] >= 0.6 else "medium",
                float(share[i]),
                {
                    "near_copies": int(copies[i]),
                    "answers": int(answers[i]),
                    "threshold": threshold,
                },
            )
        )
    return out


def bot_timing(person: IntArray, finished: FloatArray) -> list[Signal]:
    """Workers whose gaps between submissions (within a sitting) are machine-regular."""
    _check_lengths(person=person, finished=finished)
    keep = np.isfinite(finished)
    people, codes = unique_ints(person[keep])
    order = np.lexsort((finished[keep], codes))
    codes, times = codes[order], finished[keep][order]
    gaps = np.diff(times)
    same = codes[1:] == codes[:-1]
    valid = same & (gaps > 0) & (gaps < SITTING_BREAK_SECONDS)
    owner, gaps = codes[1:][valid], gaps[valid]
    n = np.bincount(owner, minlength=people.size)
    total = np.bincount(owner, weights=gaps, minlength=people.size)
    squares = np.bincount(owner, weights=gaps * gaps, minlength=people.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        cv = np.sqrt(np.maximum(squares / n - mean * mean, 0.0)) / mean
    out = []
    for i in np.flatnonzero((n >= MIN_GAPS) & (cv < 0.15)).tolist():
        out.append(
            Signal(
                int(people[i]),
                "bot_timing",
                "high" if cv[i] < 0.05 else "medium",
                float(1.0 - cv[i]),
                {
                    "coefficient_of_variation": round(float(cv[i]), 4),
                    "mean_gap_seconds": round(float(mean[i]), 2),
                    "gaps": int(n[i]),
                },
            )
        )
    return out


def collusion(
    person: IntArray,
    task: IntArray,
    label: IntArray,
    is_gold: npt.NDArray[np.bool_],
    gold_label: IntArray,
    accuracy: dict[int, float],
    n_classes: int,
) -> list[Signal]:
    """Pairs who agree on non-gold tasks far beyond chance given their accuracies and share
    identical wrong answers on gold; both workers of a pair get the signal.

    ``gold_label`` is the key's class code on gold rows (-1 elsewhere); ``accuracy`` maps a
    person to their estimated accuracy (truth inference).
    """
    _check_lengths(person=person, task=task, label=label, is_gold=is_gold, gold_label=gold_label)
    if n_classes < 2 or not person.size:
        return []
    people, codes = unique_ints(person)
    n_tasks = int(task.max()) + 1

    def gram(
        rows: npt.NDArray[np.bool_], columns: IntArray, width: int, members: IntArray
    ) -> FloatArray:
        """Counts of the columns each two of ``members`` (worker codes) share among ``rows``
        (dense: one float per pair of members)."""
        index = np.full(people.size, -1, dtype=np.int64)
        index[members] = np.arange(members.size)
        rows = rows & (index[codes] >= 0)
        ones = np.ones(int(rows.sum()))
        m = sparse.csr_matrix(
            (ones, (index[codes[rows]], columns[rows])), shape=(members.size, width)
        )
        return np.asarray((m @ m.T).toarray(), dtype=np.float64)

    # Identical wrong gold answers first: they are few, and only the pairs with two or more
    # need the task counts, which over every pair of workers took a second at a million labels.
    everyone = np.arange(people.size)
    wrong = is_gold & (label != gold_label)
    together = gram(wrong, task * n_classes + label, n_tasks * n_classes, everyone)
    first, second = np.nonzero(np.triu(together >= 2, k=1))
    members, pair = unique_ints(np.concatenate([first, second]))
    a_in, b_in = pair[: first.size], pair[first.size :]
    live = ~is_gold
    shared = gram(live, task, n_tasks, members)[a_in, b_in]
    agreed = gram(live, task * n_classes + label, n_tasks * n_classes, members)[a_in, b_in]
    out = []
    for a, b, n_shared, n_agreed in zip(
        first.tolist(), second.tolist(), shared.tolist(), agreed.tolist(), strict=True
    ):
        if n_shared < MIN_SHARED:
            continue
        n, agree = int(n_shared), int(n_agreed)
        wrong_together = int(together[a, b])
        pa = accuracy.get(int(people[a]), 0.7)
        pb = accuracy.get(int(people[b]), 0.7)
        chance = pa * pb + (1 - pa) * (1 - pb) / (n_classes - 1)
        tail = float(binom.sf(agree - 1, n, min(max(chance, 1e-9), 1 - 1e-9)))
        if tail < 1e-6:
            evidence = {
                "shared_tasks": n,
                "agreement": round(agree / n, 3),
                "expected_agreement": round(chance, 3),
                "identical_wrong_gold": wrong_together,
                "p_value": tail,
            }
            for me, other in ((a, b), (b, a)):
                out.append(
                    Signal(
                        int(people[me]),
                        "collusion",
                        "high",
                        float(-np.log10(max(tail, 1e-300))),
                        {**evidence, "with_person_id": int(people[other])},
                    )
                )
    return out
