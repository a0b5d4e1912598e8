"""Aggregating the annotation types that are not one label: label sets, spans, boxes,
preferences, rankings, free text and ratings.

Each aggregator reads one task's answers from several workers, in the normal form that
:func:`crewline.annotation.validate_value` stores, and returns an :class:`Aggregate`: a value of
the *same shape* as one worker's answer (so it is stored, exported and gold-scored like any
annotation) and a confidence in [0, 1], with per-part confidences where the value has parts.
Single labels belong to truth inference; :func:`bradley_terry` is the one function here that
works across tasks.

Rules every aggregator keeps:

* ``weights`` are per worker, in the order of the answers: finite, at least 0, not all 0. They
  are how gold is used here: pass each worker's mean
  :func:`~crewline.annotation.gold_matches` score on gold tasks (or any reliability from truth
  inference) rather than re-estimating reliabilities per type.
* Answers are put in a canonical order (by answer, then weight) before any arithmetic, so the
  result never depends on the order the answers arrived in, not even in the last bit of a float.
* A majority is strict: a share must pass a threshold by more than :data:`TOLERANCE`, so a 50-50
  split (or one that rounding made 50.000000000000001-50) is never a majority.
* Confidence measures agreement, not correctness. One worker always agrees with themself, so a
  single answer comes back unchanged with confidence 1; ``n_workers`` says how many answered.
* Input that cannot be aggregated (no answers, NaN, answers about different items, a label
  outside the schema) raises :class:`QualityInputError` naming the answer; numpy never warns.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

from crewline.annotation.types import (
    PAIR_CHOICES,
    Box,
    LikertSchema,
    MultiLabelSchema,
    PairwiseSchema,
    Preference,
    Span,
)
from crewline.quality.data import FloatArray, IntArray
from crewline.quality.errors import QualityInputError

BoolArray = npt.NDArray[np.bool_]
V = TypeVar("V")
T = TypeVar("T")

TOLERANCE = 1e-9
"""How far a share must pass a threshold to count: float rounding never makes a majority."""
MAX_WEIGHT = 1e12
"""Largest weight accepted: weights are relative, and sums of larger ones could overflow."""
MIN_PRIOR = 1e-6
"""Smallest positive Bradley-Terry prior: an unbeaten item's strength grows like 1 / prior."""
MAX_COORDINATE = 1e9
"""Largest box coordinate accepted, in pixels; far beyond any image, and small enough that
areas and intersections stay finite."""

__all__ = [
    "MAX_COORDINATE",
    "MAX_WEIGHT",
    "MIN_PRIOR",
    "TOLERANCE",
    "Aggregate",
    "BoxesAggregate",
    "BradleyTerryFit",
    "LikertAggregate",
    "MultiLabelAggregate",
    "PreferenceAggregate",
    "RankingAggregate",
    "SpansAggregate",
    "TextAggregate",
    "aggregate_boxes",
    "aggregate_likert",
    "aggregate_multi_label",
    "aggregate_preferences",
    "aggregate_spans",
    "borda",
    "bradley_terry",
    "medoid",
]


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Aggregate(Generic[V]):
    """One task's aggregated answer, shaped like a submitted one, and the workers' agreement.

    ``confidence`` is in [0, 1]; 1 means every worker (with weight) agrees with ``value``.
    ``n_workers`` counts the answers read, zero-weight ones included.
    """

    value: V
    confidence: float
    n_workers: int


@dataclass(frozen=True, slots=True)
class MultiLabelAggregate(Aggregate[list[str]]):
    """Selected labels; ``shares`` is each label's weighted share of workers who chose it."""

    shares: dict[str, float]

    @property
    def label_confidence(self) -> dict[str, float]:
        """Per label, the share of workers agreeing with the decision to keep or drop it."""
        kept = set(self.value)
        return {label: s if label in kept else 1.0 - s for label, s in self.shares.items()}


@dataclass(frozen=True, slots=True)
class SpansAggregate(Aggregate[list[Span]]):
    """Spans; ``span_agreement[i]`` is the mean share of workers marking span i's characters
    with its label."""

    span_agreement: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class BoxesAggregate(Aggregate[list[Box]]):
    """Boxes; ``box_support[i]`` is the weighted share of workers who drew box i's cluster."""

    box_support: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class PreferenceAggregate(Aggregate[Preference]):
    """A preference; ``shares`` of each choice, and the confidence of each dimension's pick."""

    shares: dict[str, float]
    dimension_confidence: dict[str, float]


@dataclass(frozen=True, slots=True)
class RankingAggregate(Aggregate[list[str]]):
    """A ranking; ``scores`` are weighted mean Borda points (``n - 1`` for a first place)."""

    scores: dict[str, float]


@dataclass(frozen=True, slots=True)
class TextAggregate(Aggregate[str]):
    """The chosen text, which answer it was (``index``, in input order), and ``support``: each
    answer's weighted mean cosine similarity to the other answers, in input order."""

    index: int
    support: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class LikertAggregate(Aggregate[int]):
    """A scale point (the weighted median, on the scale), the exact median and the mean."""

    median: float
    mean: float


# --- shared machinery -------------------------------------------------------------------------


def _weights(weights: Sequence[float] | None, count: int) -> FloatArray:
    """Per-answer weights as an array: ones when none are given, else checked."""
    if weights is None:
        return np.ones(count, dtype=np.float64)
    try:
        array = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise QualityInputError("weights must be numbers") from None
    if array.shape != (count,):
        raise QualityInputError(f"there are {array.size} weights for {count} answers")
    if not np.all(np.isfinite(array)) or np.any(array < 0) or np.any(array > MAX_WEIGHT):
        raise QualityInputError(f"weights must be finite, at least 0 and at most {MAX_WEIGHT:g}")
    if not array.sum() > 0:
        raise QualityInputError("every weight is 0: at least one worker must count")
    return array


def _workers(
    values: Sequence[T], weights: Sequence[float] | None, key: Callable[[T], tuple[object, ...]]
) -> tuple[list[T], FloatArray, list[int]]:
    """Answers in canonical order, their weights normalised to sum 1, and their input positions.

    Sorting by ``(key(answer), weight)`` makes every later float sum independent of the input
    order; answers tied on both are interchangeable, so their relative order cannot matter.
    """
    if not values:
        raise QualityInputError("there are no answers to aggregate")
    array = _weights(weights, len(values))
    keys = [key(value) for value in values]
    order = sorted(range(len(values)), key=lambda i: (keys[i], float(array[i])))
    ordered = array[order]
    return [values[i] for i in order], ordered / ordered.sum(), order


def _mean(weights: FloatArray, rows: FloatArray) -> FloatArray:
    """Weighted mean of ``rows`` along the first axis (``weights`` sum to 1).

    Computed as an offset from the first row, so rows that are all equal give that row back
    exactly: unanimous answers must yield shares of exactly 1 and coordinates unchanged.
    """
    first = rows[0]
    return np.asarray(first + np.tensordot(weights, rows - first, axes=1), dtype=np.float64)


def _clip(values: FloatArray) -> FloatArray:
    return np.asarray(np.clip(values, 0.0, 1.0), dtype=np.float64)


def _unit(value: float) -> float:
    return min(max(float(value), 0.0), 1.0)


def _agreement(shares: FloatArray, kept: BoolArray) -> float:
    """Mean share of workers agreeing with each keep-or-drop decision; 1 when there were none.

    A kept part is agreed with by those who marked it, a dropped one by those who did not.
    """
    if shares.size == 0:
        return 1.0
    return _unit(float(np.mean(np.where(kept, shares, 1.0 - shares))))


def _passes(shares: FloatArray, threshold: float) -> BoolArray:
    return np.asarray(shares > threshold + TOLERANCE, dtype=np.bool_)


def _fraction(name: str, value: float, *, zero: bool, one: bool) -> None:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    inside = number and (value >= 0 if zero else value > 0) and (value <= 1 if one else value < 1)
    if not inside:
        interval = f"{'[' if zero else '('}0, 1{']' if one else ')'}"
        raise QualityInputError(f"{name} must be in {interval}, got {value!r}")


def _is_int(raw: object) -> bool:
    return isinstance(raw, int) and not isinstance(raw, bool)


def _not_a_string(value: object, i: int, what: str) -> None:
    """A string is a sequence too, but never a list of labels or ids; refuse it by name."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise QualityInputError(f"answer {i} must be a list of {what}, got {type(value).__name__}")


# --- multi-label ------------------------------------------------------------------------------


def aggregate_multi_label(
    values: Sequence[Sequence[str]],
    threshold: float = 0.5,
    weights: Sequence[float] | None = None,
    *,
    schema: MultiLabelSchema | None = None,
) -> MultiLabelAggregate:
    """Per-label voting: keep each label whose weighted share of workers passes ``threshold``.

    Each label is an independent yes/no question (binary relevance, the usual reduction of
    multi-label problems: Zhang & Zhou, "A review on multi-label learning algorithms", IEEE
    TKDE 26(8), 2014), so a label's share is simply the weight of the workers who chose it.
    With ``schema`` the answer is in the schema's label order and within its
    ``min_selected``..``max_selected`` (the schema wins over the threshold: the labels with the
    highest shares are added or kept, ties in schema order), and a label outside it is refused;
    without it labels are sorted. Confidence is the mean share of workers agreeing with each
    decision, over the labels anyone chose or the answer holds; every worker choosing nothing
    gives ``[]`` with confidence 1.
    """
    _fraction("threshold", threshold, zero=True, one=False)
    sets = []
    for i, value in enumerate(values):
        _not_a_string(value, i, "labels")
        if not all(isinstance(label, str) for label in value):
            raise QualityInputError(f"answer {i} has a label that is not a string")
        sets.append(frozenset(value))
    ordered, weight, _ = _workers(sets, weights, lambda chosen: tuple(sorted(chosen)))
    seen = set[str]().union(*sets)
    if schema is None:
        labels = sorted(seen)
    else:
        labels = list(schema.label_values)
        unknown = sorted(seen.difference(labels))
        if unknown:
            raise QualityInputError(f"{unknown[0]!r} is not a label of the schema")
    chosen = np.array([[label in s for label in labels] for s in ordered], dtype=np.float64)
    chosen = chosen.reshape(len(ordered), len(labels))
    shares = _clip(_mean(weight, chosen))
    count = int(np.count_nonzero(_passes(shares, threshold)))
    if schema is not None:
        count = min(max(count, schema.min_selected), schema.max_selected)
    by_share = np.lexsort((np.arange(len(labels)), -shares))  # highest share, then label order
    kept = np.zeros(len(labels), dtype=np.bool_)
    kept[by_share[:count]] = True
    counted = kept | chosen.any(axis=0)
    return MultiLabelAggregate(
        value=[label for label, keep in zip(labels, kept, strict=True) if keep],
        confidence=_agreement(shares[counted], kept[counted]),
        n_workers=len(ordered),
        shares={label: float(share) for label, share in zip(labels, shares, strict=True)},
    )


# --- spans ------------------------------------------------------------------------------------

_SpanKey = tuple[int, int, str]


def aggregate_spans(
    values: Sequence[Sequence[Span]], text_length: int, weights: Sequence[float] | None = None
) -> SpansAggregate:
    """Character-level voting per label, then spans rebuilt from the positions that won.

    Spans are ranges of Unicode code points (``crewline.annotation``), so the vote is per
    character rather than per token: no tokeniser can disagree with the workers' offsets. This
    is the token-level majority vote used as the baseline for crowd sequence labels (Nguyen et
    al., "Aggregating and Predicting Sequence Labels from Crowd Annotations", ACL 2017), with
    each label voted on separately:

    1. Each worker tags every character, per label, B (a span of theirs starts here), I (one
       of theirs started earlier and still covers it) or O, as in BIO tagging.
    2. A character carries the label when the weighted share of workers covering it with that
       label is a strict majority. Each worker covers a character with at most one label
       unless the schema allows overlap, so a non-overlapping input gives a non-overlapping
       answer; where overlap is allowed, different labels may overlap in the answer too.
    3. Within a run of such characters a new span starts where the workers covering the
       character say B by more weight than I, so two adjacent spans stay two.

    ``span_agreement`` is the mean share over a span's characters; the confidence is the mean
    share of workers agreeing with the decision on every (character, label) anyone marked.
    Limits: overlapping or nested spans of the *same* label merge into one (a per-character
    vote cannot tell them apart), and boundary disagreements lower ``span_agreement`` but not
    whether the span is kept.
    """
    if not _is_int(text_length) or text_length < 1:
        raise QualityInputError(
            f"text_length must be a whole number of at least 1, got {text_length!r}"
        )
    parsed = [_span_keys(value, i, text_length) for i, value in enumerate(values)]
    ordered, weight, _ = _workers(parsed, weights, lambda spans: tuple(sorted(spans)))
    found: list[tuple[_SpanKey, float]] = []
    shares: list[FloatArray] = []
    decisions: list[BoolArray] = []
    for label in sorted({label for spans in ordered for _, _, label in spans}):
        cover, begins, carries, marked = _span_votes(ordered, weight, label, text_length)
        kept = _passes(cover, 0.5)
        before = np.concatenate(([False], kept[:-1]))
        starts = kept & (~before | (begins > carries))
        after_start = np.concatenate((starts[1:], [False]))
        after_kept = np.concatenate((kept[1:], [False]))
        ends = kept & (~after_kept | after_start)
        total = np.concatenate(([0.0], np.cumsum(cover)))
        for start, end in zip(np.flatnonzero(starts), np.flatnonzero(ends) + 1, strict=True):
            agreement = (total[end] - total[start]) / (end - start)
            found.append(((int(start), int(end), label), _unit(agreement)))
        shares.append(cover[marked])
        decisions.append(kept[marked])
    found.sort()
    return SpansAggregate(
        value=[{"start": start, "end": end, "label": label} for (start, end, label), _ in found],
        confidence=_agreement(
            np.concatenate([np.zeros(0), *shares]),
            np.concatenate([np.zeros(0, dtype=np.bool_), *decisions]),
        ),
        n_workers=len(ordered),
        span_agreement=tuple(agreement for _, agreement in found),
    )


def _span_keys(value: Sequence[Span], i: int, length: int) -> list[_SpanKey]:
    _not_a_string(value, i, "spans")
    keys = []
    for j, span in enumerate(value):
        if not isinstance(span, Mapping) or not {"start", "end", "label"} <= span.keys():
            raise QualityInputError(f"answer {i}, span {j} is not a start, end and label")
        start, end, label = span["start"], span["end"], span["label"]
        if not (_is_int(start) and _is_int(end) and isinstance(label, str)):
            raise QualityInputError(
                f"answer {i}, span {j} needs whole-number start and end and a string label"
            )
        if not 0 <= start < end <= length:
            raise QualityInputError(
                f"answer {i}, span {j} ({start}..{end}) is not a range of a text of {length} "
                "characters"
            )
        keys.append((start, end, label))
    return keys


def _span_votes(
    answers: list[list[_SpanKey]], weight: FloatArray, label: str, length: int
) -> tuple[FloatArray, FloatArray, FloatArray, BoolArray]:
    """Per character: the shares of workers covering it with ``label``, saying B, saying I;
    and whether anyone (weight or not) covers it."""
    covered = np.zeros((len(answers), length), dtype=np.float64)
    carried = np.zeros((len(answers), length), dtype=np.float64)  # covered since before
    for row, spans in enumerate(answers):
        mine = [(start, end) for start, end, other in spans if other == label]
        if not mine:
            continue
        starts = np.array([start for start, _ in mine], dtype=np.int64)
        ends = np.array([end for _, end in mine], dtype=np.int64)
        opened = np.bincount(starts, minlength=length + 1)
        depth = np.cumsum(opened - np.bincount(ends, minlength=length + 1))[:length]
        covered[row] = depth > 0
        carried[row] = depth - opened[:length] > 0
    return (
        _clip(_mean(weight, covered)),
        _clip(_mean(weight, covered - carried)),
        _clip(_mean(weight, carried)),
        np.asarray(covered.any(axis=0), dtype=np.bool_),
    )


# --- boxes ------------------------------------------------------------------------------------

_BoxKey = tuple[float, float, float, float, str]


def aggregate_boxes(
    values: Sequence[Sequence[Box]],
    iou_threshold: float = 0.5,
    threshold: float = 0.5,
    weights: Sequence[float] | None = None,
) -> BoxesAggregate:
    """Cluster boxes of the same label across workers by IoU, keep the well-supported clusters,
    and average each into one box.

    Clustering is greedy agglomerative with complete linkage: the two clusters whose *least*
    overlapping pair of boxes has the highest IoU merge first, as long as that IoU is at least
    ``iou_threshold`` and no worker would have two boxes in the cluster. So every two boxes in
    a cluster overlap by ``iou_threshold`` and each worker contributes at most one, whatever the
    order; a chain of boxes each overlapping the next does not collapse into one cluster as
    single linkage would let it. (The Hungarian algorithm matches two workers' boxes optimally,
    but chaining it over more workers needs an order of workers, which the answer would then
    depend on.)
    Ties go to the canonical order. The cost is O(n^3) in the boxes of one label, fine for the
    tens of boxes an image holds and slow past a few hundred.

    A cluster is kept when the weighted share of workers in it passes ``threshold`` (a strict
    majority by default; this plays the part of a minimum vote count); its box is the weighted
    mean of ``x``, ``y``, ``w`` and ``h``, which stays inside the image and above the schema's
    minimum size because every member does (as in weighted boxes fusion: Solovyev, Wang &
    Gabruseva, Image and Vision Computing 107, 2021). ``box_support`` is each kept cluster's
    share; the confidence is the mean share of workers agreeing with the keep-or-drop decision
    over all clusters. No boxes from anyone gives ``[]`` with confidence 1.
    """
    _fraction("iou_threshold", iou_threshold, zero=False, one=True)
    _fraction("threshold", threshold, zero=True, one=False)
    parsed = [_box_keys(value, i) for i, value in enumerate(values)]
    ordered, weight, _ = _workers(parsed, weights, lambda boxes: tuple(sorted(boxes)))
    clusters: list[tuple[str, FloatArray, FloatArray]] = []  # label, boxes, their weights
    supports: list[float] = []
    for label in sorted({box[4] for boxes in ordered for box in boxes}):
        members = [
            (row, box[:4])
            for row, boxes in enumerate(ordered)
            for box in sorted(boxes)
            if box[4] == label
        ]
        owners = np.array([row for row, _ in members], dtype=np.int64)
        sizes = np.array([box for _, box in members], dtype=np.float64)
        for cluster in _cluster_boxes(sizes, owners, iou_threshold):
            drew = np.zeros(len(ordered), dtype=np.float64)
            drew[owners[cluster]] = 1.0
            supports.append(_unit(float(_mean(weight, drew))))
            clusters.append((label, sizes[cluster], weight[owners[cluster]]))
    shares = np.array(supports, dtype=np.float64)
    kept = _passes(shares, threshold)
    found: list[tuple[_BoxKey, float]] = []
    for (label, sizes, among), support, keep in zip(clusters, supports, kept, strict=True):
        if keep:  # a share above the threshold, so the members' weights sum to more than 0
            x, y, w, h = (float(c) for c in _mean(among / among.sum(), sizes))
            found.append(((x, y, w, h, label), support))
    found.sort()
    return BoxesAggregate(
        value=[
            {"x": x, "y": y, "w": w, "h": h, "label": label} for (x, y, w, h, label), _ in found
        ],
        confidence=_agreement(shares, kept),
        n_workers=len(ordered),
        box_support=tuple(support for _, support in found),
    )


def _box_keys(value: Sequence[Box], i: int) -> list[_BoxKey]:
    _not_a_string(value, i, "boxes")
    keys = []
    for j, box in enumerate(value):
        if not isinstance(box, Mapping) or not {"x", "y", "w", "h", "label"} <= box.keys():
            raise QualityInputError(f"answer {i}, box {j} is not an x, y, w, h and label")
        sizes = [box["x"], box["y"], box["w"], box["h"]]
        if not all(isinstance(c, int | float) and not isinstance(c, bool) for c in sizes):
            raise QualityInputError(f"answer {i}, box {j} has a coordinate that is not a number")
        x, y, w, h = (float(c) for c in sizes)
        if not all(math.isfinite(c) and abs(c) <= MAX_COORDINATE for c in (x, y, w, h)):
            raise QualityInputError(
                f"answer {i}, box {j} has a coordinate that is NaN, infinite or beyond "
                f"{MAX_COORDINATE:g} px"
            )
        if w < 0 or h < 0:
            raise QualityInputError(f"answer {i}, box {j} has a negative width or height")
        if not isinstance(box["label"], str):
            raise QualityInputError(f"answer {i}, box {j} has a label that is not a string")
        keys.append((x, y, w, h, box["label"]))
    return keys


def _iou_matrix(sizes: FloatArray) -> FloatArray:
    """IoU of every pair of ``(x, y, w, h)`` rows; identical boxes score 1 even with no area."""
    low = sizes[:, :2]
    high = sizes[:, :2] + sizes[:, 2:]
    span = np.minimum(high[:, None], high[None]) - np.maximum(low[:, None], low[None])
    overlap = np.prod(np.clip(span, 0.0, None), axis=2)
    area = np.prod(sizes[:, 2:], axis=1)
    union = area[:, None] + area[None] - overlap
    same = np.all(sizes[:, None] == sizes[None], axis=2).astype(np.float64)
    return np.asarray(np.divide(overlap, union, out=same, where=union > 0), dtype=np.float64)


def _cluster_boxes(sizes: FloatArray, owners: IntArray, iou_threshold: float) -> list[IntArray]:
    """Complete-linkage clusters (member indexes), no two members from one worker."""
    link = _iou_matrix(sizes)
    link[owners[:, None] == owners[None]] = -1.0  # the diagonal too
    members = [[i] for i in range(len(sizes))]
    active = np.ones(len(sizes), dtype=np.bool_)
    while len(sizes) > 1:
        live = np.where(active[:, None] & active[None], link, -1.0)
        first, second = divmod(int(np.argmax(live)), len(sizes))
        if live[first, second] < iou_threshold:
            break
        keep, gone = min(first, second), max(first, second)
        merged = np.minimum(link[keep], link[gone])  # the least IoU between the two clusters
        link[keep], link[:, keep] = merged, merged
        link[keep, keep] = -1.0
        active[gone] = False
        members[keep].extend(members[gone])
    return [np.array(sorted(members[i]), dtype=np.int64) for i in np.flatnonzero(active)]


# --- pairwise preferences ---------------------------------------------------------------------


def aggregate_preferences(
    values: Sequence[Preference],
    *,
    schema: PairwiseSchema,
    weights: Sequence[float] | None = None,
) -> PreferenceAggregate:
    """One pairwise task's preference: the weighted majority choice, dimension by dimension.

    The overall ``choice`` is the one with the largest weighted share of workers; confidence is
    that share. When choices tie for the top the workers are split, and the answer is ``tie``
    if the schema allows ties, else ``a`` (a fixed choice so the result is reproducible; its
    confidence of at most 0.5 marks the task as contested). Each dimension is decided the same
    way among the workers who answered dimensions; if none did, the answer has none either.

    ``reason`` is a worker's words wherever possible: it is the reason of the worker who chose the
    answer with the most weight (then the longest reason, then the first alphabetically). When
    no worker with weight chose it (a split resolved to ``tie``), the reason says so and gives
    the shares, so a schema that requires a reason still accepts the answer.

    Across tasks, use :func:`bradley_terry`: a pairwise task's data holds only the prompt and
    the two responses, so ranking the *models* behind them needs ids the caller supplies.
    """
    choices = schema.choices
    for i, value in enumerate(values):
        _check_preference(value, i, schema)
    ordered, weight, _ = _workers(list(values), weights, _preference_key)
    shares = _choice_shares([value["choice"] for value in ordered], weight, choices)
    choice = _majority(shares, schema.allow_tie)
    dimensions: dict[str, str] = {}
    dimension_confidence: dict[str, float] = {}
    answered = [k for k, value in enumerate(ordered) if value["dimensions"]]
    among = weight[answered]
    if answered and among.sum() > 0:
        among = among / among.sum()
        for name in schema.dimensions:
            picks = [ordered[k]["dimensions"][name] for k in answered]
            dimension_shares = _choice_shares(picks, among, choices)
            dimensions[name] = _majority(dimension_shares, schema.allow_tie)
            dimension_confidence[name] = dimension_shares[dimensions[name]]
    return PreferenceAggregate(
        value={
            "choice": choice,
            "reason": _reason(ordered, weight, choice, shares),
            "dimensions": dimensions,
        },
        confidence=shares[choice],
        n_workers=len(ordered),
        shares=shares,
        dimension_confidence=dimension_confidence,
    )


def _check_preference(value: Preference, i: int, schema: PairwiseSchema) -> None:
    if not isinstance(value, Mapping) or not {"choice", "reason", "dimensions"} <= value.keys():
        raise QualityInputError(f"answer {i} is not a choice, reason and dimensions")
    if value["choice"] not in schema.choices:
        raise QualityInputError(
            f"answer {i} chose {value['choice']!r}, not one of {', '.join(schema.choices)}"
        )
    if not isinstance(value["reason"], str):
        raise QualityInputError(f"answer {i} has a reason that is not a string")
    picks = value["dimensions"]
    if not isinstance(picks, Mapping):
        raise QualityInputError(f"answer {i} has dimensions that are not a mapping")
    if picks and (
        set(picks) != set(schema.dimensions) or any(p not in schema.choices for p in picks.values())
    ):
        raise QualityInputError(
            f"answer {i} must pick one of {', '.join(schema.choices)} for every dimension or none"
        )


def _preference_key(value: Preference) -> tuple[object, ...]:
    return value["choice"], value["reason"], tuple(sorted(value["dimensions"].items()))


def _choice_shares(
    picks: list[str], weight: FloatArray, choices: tuple[str, ...]
) -> dict[str, float]:
    chose = np.array([[pick == choice for choice in choices] for pick in picks], dtype=np.float64)
    return {c: float(s) for c, s in zip(choices, _clip(_mean(weight, chose)), strict=True)}


def _majority(shares: dict[str, float], allow_tie: bool) -> str:
    top = max(shares.values())
    leaders = [choice for choice, share in shares.items() if share >= top - TOLERANCE]
    if len(leaders) == 1:
        return leaders[0]
    return "tie" if allow_tie else leaders[0]


def _reason(
    ordered: list[Preference], weight: FloatArray, choice: str, shares: dict[str, float]
) -> str:
    agreeing = [k for k, value in enumerate(ordered) if value["choice"] == choice and weight[k] > 0]
    if agreeing:
        best = min(
            agreeing, key=lambda k: (-weight[k], -len(ordered[k]["reason"]), ordered[k]["reason"])
        )
        return ordered[best]["reason"]
    split = ", ".join(f"{c} {share:.0%}" for c, share in shares.items())
    return f"No majority among the workers ({split})."


# --- Bradley-Terry ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class BradleyTerryFit:
    """Bradley-Terry strengths: item ``i`` is preferred to ``j`` with probability
    ``s_i / (s_i + s_j)``.

    ``strengths`` follow ``items`` and have geometric mean 1 (the model fixes only their
    ratios); with a prior they are on the scale of the virtual reference item, strength 1.
    ``converged`` is false if ``max_iter`` ran out first.
    """

    items: tuple[Hashable, ...]
    strengths: FloatArray
    iterations: int
    converged: bool
    _index: dict[Hashable, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {item: k for k, item in enumerate(self.items)})

    def strength(self, item: Hashable) -> float:
        """The strength of ``item``."""
        return float(self.strengths[self._position(item)])

    def probability(self, a: Hashable, b: Hashable) -> float:
        """The probability that ``a`` is preferred to ``b``."""
        sa, sb = self.strengths[self._position(a)], self.strengths[self._position(b)]
        return float(sa / (sa + sb))

    def preference(self, a: Hashable, b: Hashable) -> tuple[str, float]:
        """The model's pick between ``a`` and ``b`` (``"a"``, ``"b"``, or ``"tie"`` when they
        are equally strong) and the probability of that pick."""
        p = self.probability(a, b)
        if p > 0.5:
            return "a", p
        if p < 0.5:
            return "b", 1.0 - p
        return "tie", 0.5

    def _position(self, item: Hashable) -> int:
        try:
            return self._index[item]
        except KeyError:
            raise QualityInputError(f"{item!r} was not in any comparison") from None


def bradley_terry(
    comparisons: Sequence[tuple[Hashable, Hashable, str]],
    weights: Sequence[float] | None = None,
    *,
    prior: float = 0.0,
    max_iter: int = 10_000,
    tol: float = 1e-10,
) -> BradleyTerryFit:
    """Maximum-likelihood Bradley-Terry strengths from pairwise comparisons across tasks.

    Each comparison is ``(item_a, item_b, choice)`` with ``choice`` a pairwise answer's
    ``"a"``, ``"b"`` or ``"tie"``; items are any hashable ids, such as the model names behind
    ``response_a`` and ``response_b`` when the caller's task data carries them (the pairwise
    type itself does not require them). ``weights`` scale comparisons like counts (a weight of 2
    is the same comparison twice), so a worker's gold accuracy can discount their votes.

    The model (Bradley & Terry, Biometrika 39, 1952) is fitted with the MM algorithm of Hunter
    ("MM algorithms for generalized Bradley-Terry models", Annals of Statistics 32(1), 2004):
    ``s_i <- W_i / sum_j N_ij / (s_i + s_j)``, where ``W_i`` is ``i``'s wins and ``N_ij`` the
    comparisons of ``i`` with ``j``; it raises the likelihood at every step and converges to the
    maximum whenever one exists. A tie counts as half a win to each side, the usual convention
    for drawn games; the tie rate itself is not modelled (Rao-Kupper or Davidson would).

    The maximum-likelihood strengths exist only if, for every split of the items in two, some
    item of each side beats one of the other (Hunter's Assumption 1): an item that never lost
    would be infinitely strong. Without ``prior`` that is checked and refused with the reason.
    ``prior > 0`` adds, for every item, ``prior`` virtual comparisons drawn against a reference
    item of strength 1, which shrinks strengths towards 1 and makes them exist for any data;
    the MM step then adds ``prior / 2`` to ``W_i`` and ``prior / (s_i + 1)`` to the sum.
    Iteration stops when no log-strength moves by more than ``tol``.
    """
    if not (isinstance(prior, int | float) and (prior == 0 or MIN_PRIOR <= prior <= MAX_WEIGHT)):
        raise QualityInputError(
            f"prior must be 0 or between {MIN_PRIOR:g} and {MAX_WEIGHT:g}, got {prior!r}"
        )
    if not _is_int(max_iter) or max_iter < 1:
        raise QualityInputError(f"max_iter must be a whole number of at least 1, got {max_iter!r}")
    if not (isinstance(tol, int | float) and tol > 0):
        raise QualityInputError(f"tol must be more than 0, got {tol!r}")
    if not comparisons:
        raise QualityInputError("there are no comparisons")
    weight = _weights(weights, len(comparisons))
    index: dict[Hashable, int] = {}
    first = np.zeros(len(comparisons), dtype=np.int64)
    second = np.zeros(len(comparisons), dtype=np.int64)
    score = np.zeros(len(comparisons), dtype=np.float64)  # what the first item won: 1, 0.5, 0
    for k, comparison in enumerate(comparisons):
        if not (isinstance(comparison, tuple) and len(comparison) == 3):
            raise QualityInputError(f"comparison {k} is not (item_a, item_b, choice)")
        a, b, choice = comparison
        if choice not in PAIR_CHOICES:
            raise QualityInputError(f"comparison {k} chose {choice!r}, not a, b or tie")
        if a == b:
            raise QualityInputError(f"comparison {k} compares {a!r} with itself")
        first[k] = index.setdefault(a, len(index))
        second[k] = index.setdefault(b, len(index))
        score[k] = {"a": 1.0, "tie": 0.5, "b": 0.0}[choice]
    items = tuple(index)
    size = len(items)
    wins = np.bincount(first, weight * score, size) + np.bincount(
        second, weight * (1 - score), size
    )
    if prior == 0:
        _require_connected(first, second, weight * score, weight * (1 - score), items)
    strengths = np.ones(size, dtype=np.float64)
    converged = False
    iterations = 0
    while iterations < max_iter and not converged:
        iterations += 1
        per_pair = weight / (strengths[first] + strengths[second])
        spread = np.bincount(first, per_pair, size) + np.bincount(second, per_pair, size)
        updated = (wins + prior / 2) / (spread + prior / (strengths + 1))
        if prior == 0:
            updated = updated / _geometric_mean(updated)
        converged = bool(np.max(np.abs(np.log(updated) - np.log(strengths))) < tol)
        strengths = updated
    if prior == 0:
        strengths = strengths / _geometric_mean(strengths)
    return BradleyTerryFit(items, strengths, iterations, converged)


def _geometric_mean(values: FloatArray) -> float:
    return float(np.exp(np.mean(np.log(values))))


def _require_connected(
    first: IntArray,
    second: IntArray,
    first_won: FloatArray,
    second_won: FloatArray,
    items: tuple[Hashable, ...],
) -> None:
    """Refuse comparisons whose "beats" graph is not strongly connected (Hunter's Assumption 1).

    A graph is strongly connected when every item is reached from one item both along the
    edges and against them.
    """
    beats: list[list[int]] = [[] for _ in items]
    beaten_by: list[list[int]] = [[] for _ in items]
    for a, b, a_won, b_won in zip(first, second, first_won, second_won, strict=True):
        if a_won > 0:
            beats[a].append(b)
            beaten_by[b].append(a)
        if b_won > 0:
            beats[b].append(a)
            beaten_by[a].append(b)
    chains = (
        (beats, "every item it beats, directly or through others,", "never beat"),
        (beaten_by, "every item that beats it, directly or through others,", "never lose to"),
    )
    for edges, group, verb in chains:
        reached = _reached(edges)
        if len(reached) < len(items):
            stranded = ", ".join(repr(item) for k, item in enumerate(items) if k not in reached)
            raise QualityInputError(
                f"{items[0]!r} and {group} {verb} {stranded}, so maximum-likelihood strengths "
                "do not exist (Hunter 2004, Assumption 1); pass prior > 0 to shrink strengths "
                "towards a reference item instead"
            )


def _reached(edges: list[list[int]]) -> set[int]:
    """The items reached from item 0 along ``edges`` (breadth first)."""
    seen = {0}
    queue = deque([0])
    while queue:
        for nxt in edges[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


# --- rankings ---------------------------------------------------------------------------------


def borda(
    rankings: Sequence[Sequence[str]], weights: Sequence[float] | None = None
) -> RankingAggregate:
    """Borda count: a response ranked at position ``p`` of ``n`` (0 first) earns ``n - 1 - p``
    points from each worker; the answer orders responses by weighted mean points.

    Borda's rule (1781) uses every position, not only first places as plurality does, which
    suits rankings where the middle carries information. Ties in points are broken by the
    head-to-head record among the tied responses (how many of them a response beats by
    weighted majority, Copeland's rule), then by response id, so the order is deterministic.

    Confidence is Kendall's coefficient of concordance W (Kendall & Babington Smith, "The
    problem of m rankings", Annals of Mathematical Statistics 10(3), 1939):
    ``12 * sum_i (r_i - (n - 1) / 2)^2 / (n^3 - n)`` with ``r_i`` the weighted mean position of
    response ``i``. It is 1 when all workers give the same order, and 0 when the positions
    cancel out (two opposite orders); no tie correction is needed because rankings have no
    ties. Every ranking must order the same responses; fewer than two responses give W = 1.
    """
    parsed: list[tuple[str, ...]] = []
    for i, ranking in enumerate(rankings):
        _not_a_string(ranking, i, "response ids")
        parsed.append(tuple(ranking))
        if len(set(ranking)) != len(ranking):
            raise QualityInputError(f"answer {i} ranks a response more than once")
        if parsed[0] and set(ranking) != set(parsed[0]):
            raise QualityInputError(
                f"answer {i} ranks {sorted(set(ranking) ^ set(parsed[0]))} differently from "
                f"answer 0: every ranking must order the same {len(parsed[0])} responses"
            )
        if len(ranking) != len(parsed[0]):
            raise QualityInputError(
                f"answer {i} ranks {len(ranking)} responses, answer 0 ranks {len(parsed[0])}"
            )
    ordered, weight, _ = _workers(parsed, weights, lambda ranking: ranking)
    ids = sorted(ordered[0])
    column = {response: k for k, response in enumerate(ids)}
    size = len(ids)
    place = np.zeros((len(ordered), size), dtype=np.float64)
    for row, ranking in enumerate(ordered):
        place[row, [column[response] for response in ranking]] = np.arange(size)
    mean_place = _mean(weight, place)
    points = (size - 1) - mean_place
    level = np.round(points, 9)  # equal up to float rounding: tied
    above = _mean(weight, (place[:, :, None] < place[:, None, :]).astype(np.float64))
    beats = np.sign(np.round(above - above.T, 9))
    copeland = (beats * (level[:, None] == level[None, :])).sum(axis=1)
    order = sorted(range(size), key=lambda k: (-level[k], -copeland[k], ids[k]))
    return RankingAggregate(
        value=[ids[k] for k in order],
        confidence=_kendall_w(mean_place),
        n_workers=len(ordered),
        scores={response: float(points[k]) for k, response in enumerate(ids)},
    )


def _kendall_w(mean_place: FloatArray) -> float:
    size = mean_place.size
    if size < 2:
        return 1.0
    spread = float(np.sum((mean_place - (size - 1) / 2) ** 2))
    return _unit(12 * spread / (size**3 - size))


# --- free text --------------------------------------------------------------------------------


def medoid(
    texts: Sequence[str], embeddings: npt.ArrayLike, weights: Sequence[float] | None = None
) -> TextAggregate:
    """The free-text answer most similar to the others: the medoid by cosine similarity.

    Free text cannot be averaged, so the answer is one worker's text: the one whose embedding
    has the highest weighted mean cosine similarity to the *other* answers (a medoid, as in
    Kaufman & Rousseeuw's PAM, 1990; for crowd annotations compared through a distance, see
    Braylan & Lease, "Modeling and Aggregation of Complex Annotations via Annotation
    Distances", WWW 2020). Embeddings are the caller's, one row per text: this library never
    loads a model. Identical texts count as similarity 1 whatever their embeddings. Only
    answers with weight may be chosen; ties go to the alphabetically first text.

    Confidence is the chosen answer's mean similarity to the others, floored at 0 (negative
    cosine means disagreement, not less than none). It is on the embedding model's scale:
    unrelated sentences often score 0.2-0.5, so compare confidences from one model only. A
    single answer, or one whose peers all have weight 0, has confidence 1.
    """
    if isinstance(texts, str) or not all(isinstance(text, str) for text in texts):
        raise QualityInputError("texts must be a list of strings")
    if not texts:
        raise QualityInputError("there are no answers to aggregate")
    try:
        rows = np.asarray(embeddings, dtype=np.float64)
    except (TypeError, ValueError):
        raise QualityInputError("embeddings must be a numeric matrix") from None
    if rows.ndim != 2 or rows.shape[0] != len(texts) or rows.shape[1] == 0:
        raise QualityInputError(
            f"embeddings must be one row per text ({len(texts)} rows, at least 1 column); "
            f"got shape {rows.shape}"
        )
    if not np.all(np.isfinite(rows)):
        raise QualityInputError("an embedding has a NaN or infinite entry")
    scale = np.max(np.abs(rows), axis=1)
    if np.any(scale == 0):
        raise QualityInputError(
            f"embedding {int(np.argmin(scale))} is all zeros: it has no direction"
        )
    ordered, weight, order = _workers(
        list(range(len(texts))), weights, lambda k: (texts[k], rows[k].tobytes())
    )
    scaled = rows[order] / scale[order, None]  # no overflow in the norm for huge entries
    unit = scaled / np.linalg.norm(scaled, axis=1)[:, None]
    words = [texts[k] for k in ordered]
    similarity = np.clip(unit @ unit.T, -1.0, 1.0)
    similarity[np.array([[a == b for b in words] for a in words], dtype=np.bool_)] = 1.0
    support = np.array([_support(similarity[k], weight, k) for k in range(len(words))])
    candidates = [k for k in range(len(words)) if weight[k] > 0]
    best = min(candidates, key=lambda k: (-support[k], words[k]))
    in_input_order = np.empty(len(words), dtype=np.float64)
    in_input_order[order] = support
    return TextAggregate(
        value=words[best],
        confidence=_unit(support[best]),
        n_workers=len(words),
        index=order[best],
        support=tuple(float(s) for s in in_input_order),
    )


def _support(similarity: FloatArray, weight: FloatArray, k: int) -> float:
    """Weighted mean of ``similarity`` over the other answers; 1 when none of them counts."""
    others = np.arange(similarity.size) != k
    among = weight[others]
    if not among.sum() > 0:
        return 1.0
    return float(_mean(among / among.sum(), similarity[others]))


# --- Likert -----------------------------------------------------------------------------------


def aggregate_likert(
    values: Sequence[int], *, schema: LikertSchema, weights: Sequence[float] | None = None
) -> LikertAggregate:
    """A Likert rating: the weighted median, placed on the scale, and a consensus confidence.

    The median, not the mean, because the points are ordered but their spacing is not known to
    be equal; when the weight splits exactly in half it is the midpoint of the two middle
    points, and the answer is the scale point nearest to it (a tie goes to the point nearer the
    mean, then to the lower one). The mean is reported too.

    Confidence is Tastle & Wierman's consensus ("Consensus and dissention: A measure of ordinal
    dispersion", International Journal of Approximate Reasoning 45(3), 2007):
    ``1 + sum_k p_k * log2(1 - |x_k - mean| / (max - min))`` over the points ``x_k`` given with
    weighted share ``p_k``. It is 1 when everyone gives the same point and 0 when the workers
    split evenly between the two ends of the scale, and it weighs disagreement by distance on
    the scale, which a categorical agreement would not.
    """
    points = schema.points
    for i, value in enumerate(values):
        if not _is_int(value) or value not in points:
            raise QualityInputError(
                f"answer {i} ({value!r}) is not a point of the scale {schema.min}..{schema.max} "
                f"in steps of {schema.step}"
            )
    ordered, weight, _ = _workers(list(values), weights, lambda value: (value,))
    given = np.array(ordered, dtype=np.float64)  # sorted: the canonical order sorts by value
    mean = float(_mean(weight, given))
    cumulative = np.cumsum(weight)
    half = cumulative[-1] / 2
    lower = given[np.searchsorted(cumulative, half, side="left")]
    upper = given[min(np.searchsorted(cumulative, half, side="right"), given.size - 1)]
    median = float((lower + upper) / 2)
    distinct = np.unique(given)
    shares = _clip(_mean(weight, (given[:, None] == distinct[None]).astype(np.float64)))
    closeness = np.maximum(
        1 - np.abs(distinct - mean) / (schema.max - schema.min), np.finfo(np.float64).tiny
    )
    consensus = 1 + float(np.sum(shares * np.log2(closeness)))
    return LikertAggregate(
        value=_nearest_point(median, mean, points),
        confidence=_unit(consensus),
        n_workers=len(ordered),
        median=median,
        mean=mean,
    )


def _nearest_point(median: float, mean: float, points: range) -> int:
    below = points[min(int((median - points.start) // points.step), len(points) - 1)]
    candidates = [below, min(below + points.step, points[-1])]
    return min(candidates, key=lambda point: (abs(point - median), abs(point - mean), point))
