"""Grading a candidate's answers against an assessment's gold keys, and rolling grades up.

``annotation.gold_matches`` gives routing one symmetric number per gold task. An assessment needs
more: the measure each type's practitioners actually use, a pass/fail per item, the parts behind
the number, and a sentence the candidate can learn from after a trial round. Both the answer and
the key are normal-form values (``validate_value`` against the item's task).

=============  =================================================  ======  =====================
type           score (headline)                                   bar     measures
=============  =================================================  ======  =====================
single_label   1 if the label is the key's, else 0                1.0
likert         1 if the point is the key's, else 0                1.0
multi_label    F1 over the item's labels, 2TP / (2TP + FP + FN)   0.8     precision, recall
spans          F1 of exact (start, end, label) matches            0.8     precision, recall,
                                                                          overlap_f1
boxes          F1 of one-to-one, same-label, IoU >= 0.5 matches   0.8     precision, recall,
                                                                          mean_iou
pairwise       1 if the overall choice is the key's, else 0       1.0     dimension_agreement
ranking        (tau + 1) / 2, the share of pairs in key order     0.9     tau
free_text      1 - min(1, CER)                                    0.9     cer, wer
=============  =================================================  ======  =====================

Why these bars (``CORRECT_AT``): the exact types have nothing between right and wrong. F1 0.8
lets one slip among several labels, entities or boxes (3 of 4 entities found with nothing extra
is 0.86) but not half of a small item (1 of 2 is 0.67). A ranking passes at tau >= 0.8: of five
or more responses one neighbouring swap is forgiven, a shorter ranking must be exact. A
transcription passes at a character error rate of at most 10 %, the usual bar for usable
human transcription; word error rate is reported but not the bar, since one wrong letter costs
a whole word and short keys would swing on it.

Precision with nothing marked, and recall with nothing to find, count as 1 (nothing wrong was
claimed, nothing was missed), so both-empty is a perfect answer on every measure.

``dimensions`` rolls an attempt's item grades into the issue's dimensions: accuracy, the tagged
sub-scores, consistency on repeated items, and throughput among correct answers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from crewline.annotation import _checks as check
from crewline.annotation.errors import ValueInvalid
from crewline.annotation.scoring import (
    IOU_THRESHOLD,
    Rect,
    edit_distance,
    read_choice,
    read_rects,
    read_spans,
    read_strings,
    rect_iou,
)
from crewline.annotation.types import (
    AnnotationType,
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

CORRECT_AT: Mapping[AnnotationType, float] = MappingProxyType(
    {
        AnnotationType.SINGLE_LABEL: 1.0,
        AnnotationType.LIKERT: 1.0,
        AnnotationType.PAIRWISE: 1.0,
        AnnotationType.MULTI_LABEL: 0.8,
        AnnotationType.SPANS: 0.8,
        AnnotationType.BOXES: 0.8,
        AnnotationType.RANKING: 0.9,  # tau >= 0.8
        AnnotationType.FREE_TEXT: 0.9,  # CER <= 10 %
    }
)
"""The score at which an item counts as correct, per type (see the module docstring for why)."""

TAGS = ("domain", "guideline", "edge_case", "consistency")
"""What an assessment item may be tagged as testing; the first three have their own dimension,
``consistency`` marks items that are shown again (their repeats carry ``repeat_of``)."""

WEIGHTABLE = ("accuracy", "domain", "guideline", "edge_case", "consistency")
"""Dimensions ``overall`` may weigh: the ones on the [0, 1] score scale (not throughput)."""

TOLERANCE = 1e-9
"""Slack when comparing a score with a bar, so that 4/5 meets 0.8 however it was computed."""

MAX_LISTED = 3
"""How many missed or extra things feedback names before it only counts the rest."""

_Span = tuple[int, int, str]
_Matrix = npt.NDArray[np.float64]
_Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class ItemGrade:
    """One answer against its key: headline score in [0, 1], pass/fail, parts, and feedback."""

    score: float
    correct: bool
    measures: dict[str, float]
    feedback: str


@dataclass(frozen=True, slots=True)
class GradedItem:
    """A graded answer in an attempt, with what the item tests and how long it took.

    ``repeat_of`` is the ``item_id`` of the earlier item this one shows again (for consistency);
    ``seconds`` is the time spent on it, None when not measured.
    """

    item_id: int
    tags: frozenset[str]
    repeat_of: int | None
    grade: ItemGrade
    answer: object
    seconds: float | None


@dataclass(frozen=True, slots=True)
class Dimensions:
    """An attempt's scores per dimension; None means nothing in the attempt measured it.

    ``throughput`` is correct items per hour of timed work; the others are in [0, 1].
    """

    accuracy: float | None
    domain: float | None
    guideline: float | None
    edge_case: float | None
    consistency: float | None
    throughput: float | None
    n_items: int
    n_correct: int


@dataclass(frozen=True, slots=True)
class Learning:
    """Mean score in a first and second round, the raw gain and Hake's normalised gain.

    The normalised gain is the share of the possible improvement that was made, so a candidate
    going from 0.9 to 0.95 (g = 0.5) is not ranked below one going from 0.4 to 0.6 (g = 0.33);
    None when the first round was already perfect.
    """

    first: float
    second: float
    gain: float
    normalized_gain: float | None


# --- one item ---------------------------------------------------------------------------------


def grade(schema: LabelSchema, answer: object, key: object) -> ItemGrade:
    """Grade ``answer`` against ``key`` (both normal-form values of ``schema``).

    Raises :class:`ValueInvalid` naming ``answer...`` or ``key...`` when a value has the wrong
    shape, or when a ranking orders other responses than its key.
    """
    match schema:
        case SingleLabelSchema():
            return _single_label(answer, key)
        case LikertSchema():
            return _likert(schema, answer, key)
        case MultiLabelSchema():
            return _multi_label(answer, key)
        case SpansSchema():
            return _spans(answer, key)
        case BoxesSchema():
            return _boxes(answer, key)
        case PairwiseSchema():
            return _pairwise(answer, key)
        case RankingSchema():
            return _ranking(answer, key)
        case FreeTextSchema():
            return _free_text(answer, key)


def _graded(
    kind: AnnotationType, score: float, measures: dict[str, float], feedback: str
) -> ItemGrade:
    return ItemGrade(score, score >= CORRECT_AT[kind] - TOLERANCE, measures, feedback)


def _single_label(answer: object, key: object) -> ItemGrade:
    chosen = check.string(answer, "answer", ValueInvalid)
    right = check.string(key, "key", ValueInvalid)
    if chosen == right:
        feedback = f"You chose {chosen!r}, which is right."
    else:
        feedback = f"You chose {chosen!r}; the answer is {right!r}."
    return _graded(AnnotationType.SINGLE_LABEL, float(chosen == right), {}, feedback)


def _likert(schema: LikertSchema, answer: object, key: object) -> ItemGrade:
    rated = check.integer(answer, "answer", ValueInvalid)
    right = check.integer(key, "key", ValueInvalid)

    def point(value: int) -> str:
        caption = schema.caption(value)
        return str(value) if caption is None else f"{value} ({caption})"

    if rated == right:
        feedback = f"You rated {point(rated)}, which is right."
    else:
        feedback = f"You rated {point(rated)}; the answer is {point(right)}."
    return _graded(AnnotationType.LIKERT, float(rated == right), {}, feedback)


def _multi_label(answer: object, key: object) -> ItemGrade:
    chosen = read_strings(answer, "answer")
    right = read_strings(key, "key")
    chosen_set, right_set = set(chosen), set(right)
    found = len(chosen_set & right_set)
    precision, recall, f1 = _precision_recall_f1(found, len(chosen_set), len(right_set))
    feedback = _found_feedback(
        "labels",
        found,
        len(right_set),
        missed=[repr(label) for label in _unique(right) if label not in chosen_set],
        extra=[repr(label) for label in _unique(chosen) if label not in right_set],
    )
    measures = {"precision": precision, "recall": recall}
    return _graded(AnnotationType.MULTI_LABEL, f1, measures, feedback)


def _spans(answer: object, key: object) -> ItemGrade:
    """Exact-match F1 is the score; overlap F1 shows how much was found with loose boundaries."""
    marked = sorted(read_spans(answer, "answer"))
    right = sorted(read_spans(key, "key"))
    exact = set(marked) & set(right)
    precision, recall, f1 = _precision_recall_f1(len(exact), len(marked), len(right))
    loose = len(_best_pairs(*_span_overlaps(marked, right)))
    measures = {
        "precision": precision,
        "recall": recall,
        "overlap_f1": _precision_recall_f1(loose, len(marked), len(right))[2],
    }
    missed = [span for span in right if span not in exact]
    extra = [span for span in marked if span not in exact]
    near = _best_pairs(*_span_overlaps(extra, missed))  # right label, boundaries off
    near_extra, near_missed = {a for a, _ in near}, {k for _, k in near}
    feedback = _found_feedback(
        "entities",
        len(exact),
        len(right),
        missed=[_span_text(s) for k, s in enumerate(missed) if k not in near_missed],
        extra=[_span_text(s) for a, s in enumerate(extra) if a not in near_extra],
        shifted=[
            f"{_span_text(missed[k])} marked at {extra[a][0]}\N{EN DASH}{extra[a][1]}"
            for a, k in near
        ],
    )
    return _graded(AnnotationType.SPANS, f1, measures, feedback)


def _span_overlaps(a: Sequence[_Span], b: Sequence[_Span]) -> tuple[_Mask, _Matrix]:
    """Which pairs share a label and a character, and their overlap as a share of their union."""
    a_start, a_end = _column(a, 0), _column(a, 1)
    b_start, b_end = _column(b, 0), _column(b, 1)
    inter = np.minimum(a_end[:, None], b_end[None, :]) - np.maximum(a_start[:, None], b_start)
    union = np.maximum(a_end[:, None], b_end[None, :]) - np.minimum(a_start[:, None], b_start)
    same_label = np.array([[x[2] == y[2] for y in b] for x in a], dtype=bool).reshape(inter.shape)
    eligible = same_label & (inter > 0)
    return eligible, np.where(eligible, inter / np.maximum(union, 1.0), 0.0)


def _column(spans: Sequence[_Span], index: int) -> _Matrix:
    return np.array([span[index] for span in spans], dtype=np.float64)


def _span_text(span: _Span) -> str:
    start, end, label = span
    return f"{label} at {start}\N{EN DASH}{end}"


def _boxes(answer: object, key: object) -> ItemGrade:
    drawn = read_rects(answer, "answer")
    right = read_rects(key, "key")
    iou = np.array([[rect_iou(a, k) for k in right] for a in drawn], dtype=np.float64)
    iou = iou.reshape(len(drawn), len(right))
    same_label = np.array([[a[4] == k[4] for k in right] for a in drawn], dtype=bool)
    eligible = same_label.reshape(iou.shape) & (iou >= IOU_THRESHOLD)
    pairs = _best_pairs(eligible, iou)
    precision, recall, f1 = _precision_recall_f1(len(pairs), len(drawn), len(right))
    measures = {"precision": precision, "recall": recall}
    if pairs:
        measures["mean_iou"] = fmean(iou[a, k] for a, k in pairs)
    matched_drawn, matched_right = {a for a, _ in pairs}, {k for _, k in pairs}
    feedback = _found_feedback(
        "boxes",
        len(pairs),
        len(right),
        missed=[_box_text(r) for k, r in enumerate(right) if k not in matched_right],
        extra=[_box_text(r) for a, r in enumerate(drawn) if a not in matched_drawn],
        note=f" (mean overlap {measures['mean_iou']:.0%})" if pairs else "",
    )
    return _graded(AnnotationType.BOXES, f1, measures, feedback)


def _box_text(rect: Rect) -> str:
    x, y, w, h, label = rect
    return f"{label or 'box'} at ({x:.0f}, {y:.0f}) {w:.0f}\N{MULTIPLICATION SIGN}{h:.0f}"


def _pairwise(answer: object, key: object) -> ItemGrade:
    chosen = read_choice(answer, "answer")
    right = read_choice(key, "key")
    if chosen == right:
        feedback = f"You {_pick_text(chosen)}, which is right."
    else:
        feedback = f"You {_pick_text(chosen)}; the answer {_pick_text(right, key=True)}."
    measures: dict[str, float] = {}
    picks = _dimension_picks(answer, "answer")
    keyed = _dimension_picks(key, "key")
    shared = [name for name in keyed if name in picks]
    if shared:
        agreed = sum(picks[name] == keyed[name] for name in shared)
        measures["dimension_agreement"] = agreed / len(shared)
        feedback += f" You agreed on {agreed} of {len(shared)} dimensions."
    return _graded(AnnotationType.PAIRWISE, float(chosen == right), measures, feedback)


def _pick_text(choice: str, *, key: bool = False) -> str:
    if choice == "tie":
        return "is a tie" if key else "called it a tie"
    return f"prefers {choice.upper()}" if key else f"preferred {choice.upper()}"


def _dimension_picks(raw: object, field: str) -> dict[str, str]:
    picks = check.mapping(
        check.mapping(raw, field, ValueInvalid).get("dimensions", {}),
        f"{field}.dimensions",
        ValueInvalid,
    )
    return {
        name: check.string(pick, f"{field}.dimensions.{name}", ValueInvalid)
        for name, pick in picks.items()
    }


def _ranking(answer: object, key: object) -> ItemGrade:
    """Kendall's tau between the two orders; a ranking has no ties, so tau-b is (C - D) / P."""
    order = _distinct(read_strings(answer, "answer"), "answer")
    right = _distinct(read_strings(key, "key"), "key")
    place = {response: i for i, response in enumerate(right)}
    for i, response in enumerate(order):
        if response not in place:
            raise ValueInvalid(f"answer.{i}", f"{response!r} is not ranked in the key")
    missing = [response for response in right if response not in set(order)]
    if missing:
        raise ValueInvalid("answer", f"leaves out {check.one_of(missing)}, which the key ranks")
    pairs = len(order) * (len(order) - 1) // 2
    if pairs == 0:  # one response can only be ranked one way
        return _graded(AnnotationType.RANKING, 1.0, {"tau": 1.0}, "Your order matches the key.")
    positions = np.array([place[response] for response in order])
    concordant = int(np.triu(positions[None, :] > positions[:, None], k=1).sum())
    tau = (2 * concordant - pairs) / pairs
    if concordant == pairs:
        feedback = "Your order matches the key."
    else:
        feedback = (
            f"You put {concordant} of {pairs} pairs in the key's order (tau {tau:.2f}); "
            f"the key's order is {_listed(right, limit=8)}."
        )
    return _graded(AnnotationType.RANKING, concordant / pairs, {"tau": tau}, feedback)


def _distinct(items: list[str], field: str) -> list[str]:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if item in seen:
            raise ValueInvalid(f"{field}.{i}", f"{item!r} is already ranked ({field}.{seen[item]})")
        seen[item] = i
    return items


def _free_text(answer: object, key: object) -> ItemGrade:
    """Error rates against the key as the reference: edits needed, per reference character/word.

    Words are compared by mapping each distinct word to one code point and reusing the
    character edit distance; the code points only stand for words and are never shown.
    """
    text = check.string(answer, "answer", ValueInvalid)
    reference = check.string(key, "key", ValueInvalid)
    cer = _error_rate(edit_distance(text, reference), len(reference), bool(text))
    words, reference_words = text.split(), reference.split()
    code = {word: chr(i) for i, word in enumerate(dict.fromkeys(words + reference_words))}
    word_errors = edit_distance(
        "".join(code[w] for w in words), "".join(code[w] for w in reference_words)
    )
    wer = _error_rate(word_errors, len(reference_words), bool(words))
    if text == reference:
        feedback = "Your text matches the key exactly."
    else:
        plural = "" if word_errors == 1 else "s"
        feedback = f"Character error rate {cer:.0%} ({word_errors} word error{plural})."
    measures = {"cer": cer, "wer": wer}
    return _graded(AnnotationType.FREE_TEXT, 1.0 - min(1.0, cer), measures, feedback)


def _error_rate(errors: int, reference_length: int, answered: bool) -> float:
    """Errors per reference unit; against an empty reference anything written is all wrong."""
    if reference_length == 0:
        return float(answered)
    return errors / reference_length


# --- shared pieces ------------------------------------------------------------------------------


def _precision_recall_f1(found: int, claimed: int, expected: int) -> tuple[float, float, float]:
    """Precision, recall and F1 = 2TP / (2TP + FP + FN), each 1 when its denominator is empty."""
    precision = found / claimed if claimed else 1.0
    recall = found / expected if expected else 1.0
    f1 = 2 * found / (claimed + expected) if claimed + expected else 1.0
    return precision, recall, f1


def _best_pairs(eligible: _Mask, quality: _Matrix) -> list[tuple[int, int]]:
    """A one-to-one matching with the most pairs, and among those the most total ``quality``.

    A maximum matching alone is what the F1 counts (as in ``gold_matches``), but the mean IoU
    and the feedback need the pairs themselves, and which maximum matching a search finds
    depends on input order. Giving every eligible pair a bonus larger than any matching's total
    quality makes the assignment solver maximise the count first, then the quality, which is
    one well-defined answer. ``quality`` must lie in [0, 1].
    """
    if eligible.size == 0:
        return []
    bonus = min(eligible.shape) + 1
    rows, cols = linear_sum_assignment(np.where(eligible, bonus + quality, 0.0), maximize=True)
    keep = eligible[rows, cols]
    return list(zip(rows[keep].tolist(), cols[keep].tolist(), strict=True))


def _found_feedback(
    noun: str,
    found: int,
    total: int,
    *,
    missed: Sequence[str],
    extra: Sequence[str],
    shifted: Sequence[str] = (),
    note: str = "",
) -> str:
    """What was found of how many, then what was near, missed and extra, a few of each named."""
    if not missed and not extra and not shifted:
        return f"You found all {total} {noun}{note}." if total else f"Right: there are no {noun}."
    parts = [f"You found {found} of {total} {noun}{note}"]
    if shifted:
        parts.append(_listed(shifted))
    if missed:
        parts.append(f"missed {_listed(missed)}")
    if extra:
        parts.append(f"{len(extra)} extra: {_listed(extra)}")
    return "; ".join(parts) + "."


def _listed(things: Sequence[str], limit: int = MAX_LISTED) -> str:
    if len(things) <= limit:
        return ", ".join(things)
    return ", ".join(things[:limit]) + f" and {len(things) - limit} more"


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --- an attempt -------------------------------------------------------------------------------


def dimensions(
    schema: LabelSchema, items: Sequence[GradedItem], *, bar: float | None = None
) -> Dimensions:
    """Roll an attempt's graded items into its dimension scores.

    ``bar``, when given, replaces each type's ``CORRECT_AT`` for what counts as correct here
    (``n_correct`` and throughput), so a project can ask for a stricter quality bar than the
    item grades used. Consistency grades each repeat's answer against the answer given to its
    original (the original is the reference), since a candidate who is consistently wrong in
    the same way is still consistent. Throughput counts correct timed items per hour of timed
    work, so untimed items neither add answers nor hide time.

    Raises ValueError for an unknown tag, two originals with one ``item_id``, or a repeat of an
    item that is not in ``items``.
    """
    originals = _originals(items)
    passed = [_passes(item.grade, bar) for item in items]
    repeats = [
        (item.answer, originals[item.repeat_of].answer)
        for item in items
        if item.repeat_of is not None
    ]
    return Dimensions(
        accuracy=_mean([item.grade.score for item in items]),
        domain=_tagged_mean(items, "domain"),
        guideline=_tagged_mean(items, "guideline"),
        edge_case=_tagged_mean(items, "edge_case"),
        consistency=_mean([grade(schema, again, first).score for again, first in repeats]),
        throughput=_throughput(items, passed),
        n_items=len(items),
        n_correct=sum(passed),
    )


def _originals(items: Sequence[GradedItem]) -> dict[int, GradedItem]:
    """The items that are not repeats, by id, after checking every item's tags and time."""
    originals: dict[int, GradedItem] = {}
    for item in items:
        unknown = sorted(item.tags - set(TAGS))
        if unknown:
            raise ValueError(f"item {item.item_id}: unknown tag {unknown[0]!r}; tags are {TAGS}")
        if item.seconds is not None and not 0 <= item.seconds < math.inf:
            raise ValueError(f"item {item.item_id}: seconds must be a finite number >= 0")
        if item.repeat_of is None:
            if item.item_id in originals:
                raise ValueError(f"item {item.item_id} appears twice without being a repeat")
            originals[item.item_id] = item
    for item in items:
        if item.repeat_of is not None and item.repeat_of not in originals:
            raise ValueError(
                f"item {item.item_id} repeats item {item.repeat_of}, which is not in the attempt"
            )
    return originals


def _passes(item_grade: ItemGrade, bar: float | None) -> bool:
    return item_grade.correct if bar is None else item_grade.score >= bar - TOLERANCE


def _tagged_mean(items: Sequence[GradedItem], tag: str) -> float | None:
    return _mean([item.grade.score for item in items if tag in item.tags])


def _mean(scores: Sequence[float]) -> float | None:
    return fmean(scores) if scores else None


def _throughput(items: Sequence[GradedItem], passed: Sequence[bool]) -> float | None:
    timed = [
        (item.seconds, ok)
        for item, ok in zip(items, passed, strict=True)
        if item.seconds is not None
    ]
    hours = sum(seconds for seconds, _ in timed) / 3600
    if hours <= 0:
        return None
    return sum(ok for _, ok in timed) / hours


def overall(d: Dimensions, weights: Mapping[str, float] | None = None) -> float:
    """One number for the pass mark: by default the accuracy.

    The pass mark is set on accuracy because that is what the gold keys measure directly and
    what live gold accuracy is compared with; the other dimensions are reported, and a project
    may weigh them in (``{"accuracy": 3, "edge_case": 1}``). Dimensions the attempt did not
    measure drop out and the remaining weights are rescaled, so an attempt without repeats is
    not marked down for lacking a consistency score. Throughput is not on the score scale and
    cannot be weighted.

    Raises ValueError for an unknown dimension, a negative weight, or nothing to score.
    """
    chosen = {"accuracy": 1.0} if weights is None else dict(weights)
    for name, weight in chosen.items():
        if name not in WEIGHTABLE:
            raise ValueError(f"cannot weigh {name!r}; choose from {WEIGHTABLE}")
        if not weight >= 0:
            raise ValueError(f"the weight of {name!r} must be at least 0, got {weight}")
    scores = {
        "accuracy": d.accuracy,
        "domain": d.domain,
        "guideline": d.guideline,
        "edge_case": d.edge_case,
        "consistency": d.consistency,
    }
    measured = [(w, score) for name, w in chosen.items() if (score := scores[name]) is not None]
    total = sum(w for w, _ in measured)
    if total <= 0:
        raise ValueError("no weighted dimension was measured; there is nothing to score")
    return sum(w * score for w, score in measured) / total


def learning(first: Sequence[float], second: Sequence[float]) -> Learning:
    """How much a candidate improved from one trial round to the next, from item scores.

    Raises ValueError when a round has no scores or a score lies outside [0, 1].
    """
    before, after = _round_mean(first, "first"), _round_mean(second, "second")
    gain = after - before
    return Learning(before, after, gain, None if before >= 1 else gain / (1 - before))


def _round_mean(scores: Sequence[float], name: str) -> float:
    if not scores:
        raise ValueError(f"the {name} round has no scores")
    if not all(0 <= score <= 1 for score in scores):
        raise ValueError(f"the {name} round's scores must lie in [0, 1]")
    return fmean(scores)
