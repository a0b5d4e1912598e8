"""How close a worker's value is to a gold answer, as one number in [0, 1].

Used for gold checks in routing and probation, where a simple, explainable score is worth more
than a perfect one; the quality domain will build proper agreement metrics. Both arguments are
normal-form values (from :func:`validate_value` against the same task), and every score is
symmetric, so it does not matter which one is the gold.

=============  ==========================================================================
type           score
=============  ==========================================================================
single_label   1 if the labels are equal, else 0
likert         1 if the points are equal, else 0
multi_label    Jaccard index: shared labels / labels in either (1 when both are empty)
spans          F1 of exact (start, end, label) matches: 2·shared / (|A| + |B|)
boxes          F1 where a match is one-to-one, same label, IoU >= 0.5; the matching is a
               maximum one (augmenting paths), so the score does not depend on order
pairwise       1 if the overall choices are equal, else 0
ranking        Kendall's tau mapped to [0, 1]: the share of response pairs put in the
               same order, (tau + 1) / 2
free_text      1 - Levenshtein distance / length of the longer text (1 when both empty)
=============  ==========================================================================
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from itertools import combinations

from crewline.annotation import _checks as check
from crewline.annotation.errors import ValueInvalid
from crewline.annotation.types import (
    BoxesSchema,
    FreeTextSchema,
    LabelSchema,
    LikertSchema,
    MultiLabelSchema,
    PairwiseSchema,
    RankingSchema,
    SingleLabelSchema,
    SpansSchema,
)

IOU_THRESHOLD = 0.5

Rect = tuple[float, float, float, float, str]
"""A box read from a value: x, y, w, h in pixels, and its label."""


def gold_matches(schema: LabelSchema, value: object, gold: object) -> float:
    """Score ``value`` against ``gold`` (both in normal form) in [0, 1]; 1 means the same."""
    match schema:
        case SingleLabelSchema() | LikertSchema():
            return float(value == gold)
        case MultiLabelSchema():
            return _jaccard(read_strings(value, "value"), read_strings(gold, "gold"))
        case SpansSchema():
            return _f1_exact(read_spans(value, "value"), read_spans(gold, "gold"))
        case BoxesSchema():
            return _box_f1(read_rects(value, "value"), read_rects(gold, "gold"))
        case PairwiseSchema():
            return float(read_choice(value, "value") == read_choice(gold, "gold"))
        case RankingSchema():
            return _kendall_agreement(read_strings(value, "value"), read_strings(gold, "gold"))
        case FreeTextSchema():
            return _text_similarity(
                check.string(value, "value", ValueInvalid),
                check.string(gold, "gold", ValueInvalid),
            )


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between ``a`` and ``b`` (insert, delete, substitute; code points).

    Myers' bit-parallel algorithm in Hyyrö's formulation for global distance: one column of the
    dynamic-programming matrix is held as bit vectors of +1/-1 vertical deltas in Python ints,
    so the cost is len(a) big-int operations on len(b)-bit numbers, fast enough for two
    10,000-character transcriptions where the textbook O(n·m) loop is not.
    """
    if len(a) < len(b):
        a, b = b, a
    m = len(b)
    if m == 0:
        return len(a)
    full = (1 << m) - 1
    last = 1 << (m - 1)
    match_bits: dict[str, int] = {}
    for i, char in enumerate(b):
        match_bits[char] = match_bits.get(char, 0) | (1 << i)
    positive, negative, distance = full, 0, m
    for char in a:
        eq = match_bits.get(char, 0)
        vertical = eq | negative
        horizontal = ((((eq & positive) + positive) ^ positive) | eq) & full
        h_positive = (negative | ~(horizontal | positive)) & full
        h_negative = positive & horizontal
        if h_positive & last:
            distance += 1
        elif h_negative & last:
            distance -= 1
        h_positive = ((h_positive << 1) | 1) & full
        h_negative = (h_negative << 1) & full
        positive = (h_negative | ~(vertical | h_positive)) & full
        negative = h_positive & vertical
    return distance


def box_iou(a: Mapping[str, object], b: Mapping[str, object]) -> float:
    """Intersection over union of two boxes given as ``{"x", "y", "w", "h"}`` in pixels."""
    return rect_iou(_rect(a, "a"), _rect(b, "b"))


# --- per type ---------------------------------------------------------------------------------


def _jaccard(a: Sequence[str], b: Sequence[str]) -> float:
    left, right = set(a), set(b)
    union = left | right
    return 1.0 if not union else len(left & right) / len(union)


def _f1_exact(a: set[tuple[int, int, str]], b: set[tuple[int, int, str]]) -> float:
    if not a and not b:
        return 1.0
    return 2 * len(a & b) / (len(a) + len(b))


def _box_f1(a: list[Rect], b: list[Rect]) -> float:
    if not a and not b:
        return 1.0
    pairs = [
        [
            j
            for j, other in enumerate(b)
            if box[4] == other[4] and rect_iou(box, other) >= IOU_THRESHOLD
        ]
        for box in a
    ]
    return 2 * _max_matching(pairs, len(b)) / (len(a) + len(b))


def _max_matching(candidates: list[list[int]], right_size: int) -> int:
    """Size of a maximum bipartite matching, by breadth-first augmenting paths.

    Iterative, so an image with thousands of boxes cannot exhaust the recursion limit.
    """
    owner: list[int | None] = [None] * right_size
    partner: list[int | None] = [None] * len(candidates)
    matched = 0
    for root in range(len(candidates)):
        reached_from: dict[int, int] = {}
        queue = deque([root])
        free: int | None = None
        while queue and free is None:
            left = queue.popleft()
            for right in candidates[left]:
                if right in reached_from:
                    continue
                reached_from[right] = left
                holder = owner[right]
                if holder is None:
                    free = right
                    break
                queue.append(holder)
        right_end = free
        while right_end is not None:  # flip the path back to the root
            left = reached_from[right_end]
            previous = partner[left]
            owner[right_end], partner[left] = left, right_end
            right_end = previous
        matched += free is not None
    return matched


def rect_iou(a: Rect, b: Rect) -> float:
    """Intersection over union of two read boxes (0 when both are empty); labels are ignored."""
    ax, ay, aw, ah, _ = a
    bx, by, bw, bh, _ = b
    across = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    down = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    overlap = across * down
    union = aw * ah + bw * bh - overlap
    return 0.0 if union <= 0 else min(1.0, overlap / union)  # rounding can pass 1


def _kendall_agreement(a: Sequence[str], b: Sequence[str]) -> float:
    if set(a) != set(b) or len(a) != len(b):
        raise ValueInvalid("gold", "ranks different responses from the value; cannot compare")
    if len(a) < 2:
        return 1.0
    place = {response: i for i, response in enumerate(b)}
    pairs = list(combinations(a, 2))  # each (better, worse) in a's order
    concordant = sum(place[better] < place[worse] for better, worse in pairs)
    return concordant / len(pairs)


def _text_similarity(a: str, b: str) -> float:
    longest = max(len(a), len(b))
    return 1.0 if longest == 0 else 1.0 - edit_distance(a, b) / longest


# --- reading normal-form values ---------------------------------------------------------------
# Public so that assessment grading reads values exactly as gold checks do; each names the
# offending field (under ``field``) in a ValueInvalid.


def read_strings(raw: object, field: str) -> list[str]:
    """A list of strings: selected labels, or a ranking of response ids."""
    items = check.sequence(raw, field, ValueInvalid, "strings")
    return [check.string(item, f"{field}.{i}", ValueInvalid) for i, item in enumerate(items)]


def read_spans(raw: object, field: str) -> set[tuple[int, int, str]]:
    """Spans as a set of (start, end, label), since a span either matches exactly or not."""
    spans = set()
    for i, item in enumerate(check.sequence(raw, field, ValueInvalid, "spans")):
        span = check.mapping(item, f"{field}.{i}", ValueInvalid)
        spans.add(
            (
                check.integer(span.get("start"), f"{field}.{i}.start", ValueInvalid),
                check.integer(span.get("end"), f"{field}.{i}.end", ValueInvalid),
                check.string(span.get("label"), f"{field}.{i}.label", ValueInvalid),
            )
        )
    return spans


def read_rects(raw: object, field: str) -> list[Rect]:
    """Boxes as :data:`Rect` tuples, in the value's order."""
    items = check.sequence(raw, field, ValueInvalid, "boxes")
    return [_rect(item, f"{field}.{i}") for i, item in enumerate(items)]


def _rect(raw: object, field: str) -> Rect:
    box = check.mapping(raw, field, ValueInvalid)
    x, y, w, h = (
        check.number(box.get(name), f"{field}.{name}", ValueInvalid)
        for name in ("x", "y", "w", "h")
    )
    label = box.get("label", "")
    return x, y, w, h, check.string(label, f"{field}.label", ValueInvalid)


def read_choice(raw: object, field: str) -> str:
    """The overall pick of a pairwise preference."""
    return check.string(
        check.mapping(raw, field, ValueInvalid).get("choice"), f"{field}.choice", ValueInvalid
    )
