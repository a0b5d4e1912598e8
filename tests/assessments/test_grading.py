"""Grading one answer per type (worked examples, properties, references) and rolling grades up."""

from __future__ import annotations

from typing import Any

import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from crewline.annotation import AnnotationType, ValueInvalid, gold_matches, validate_value
from crewline.assessments.grading import (
    CORRECT_AT,
    Dimensions,
    GradedItem,
    ItemGrade,
    Learning,
    dimensions,
    grade,
    learning,
    overall,
)
from tests.annotation.strategies import ANY_CASE, BY_TYPE, Case
from tests.annotation.support import refused, schema

SINGLE = schema("single_label", labels=["spam", "not spam"])
LIKERT = schema("likert", min=1, max=5, labels={"4": "Agree", "5": "Strongly agree"})
MULTI = schema("multi_label", labels=["a", "b", "c", "d"])
NER = schema("spans", labels=["PER", "ORG", "LOC"])
PETS = schema("boxes", labels=["cat", "dog"])
PAIRWISE = schema("pairwise", allow_tie=True, dimensions=["clarity", "safety"])
RANKING = schema("ranking")
FREE = schema("free_text")


def span(start: int, end: int, label: str = "PER") -> dict[str, Any]:
    return {"start": start, "end": end, "label": label}


def box(x: float, y: float, w: float, h: float, label: str = "cat") -> dict[str, Any]:
    return {"x": x, "y": y, "w": w, "h": h, "label": label}


def prefer(choice: str, **dimension_picks: str) -> dict[str, Any]:
    return {"choice": choice, "reason": "", "dimensions": dimension_picks}


def normal(case: Case, value: Any) -> Any:
    return validate_value(case.schema, value, case.data)


# --- worked examples, by hand -------------------------------------------------------------------


def test_single_label_exact_with_feedback() -> None:
    wrong = grade(SINGLE, "spam", "not spam")
    assert wrong == ItemGrade(0.0, False, {}, "You chose 'spam'; the answer is 'not spam'.")
    right = grade(SINGLE, "spam", "spam")
    assert (right.score, right.correct, right.feedback) == (
        1.0,
        True,
        "You chose 'spam', which is right.",
    )


def test_likert_exact_and_feedback_names_captions() -> None:
    result = grade(LIKERT, 4, 5)
    assert (result.score, result.correct) == (0.0, False)
    assert result.feedback == "You rated 4 (Agree); the answer is 5 (Strongly agree)."
    assert grade(LIKERT, 3, 3).feedback == "You rated 3, which is right."


def test_multi_label_f1_two_of_three_each_way() -> None:
    # TP = {b, c}, FP = {a}, FN = {d}: F1 = 4 / 6
    result = grade(MULTI, ["a", "b", "c"], ["b", "c", "d"])
    assert result.score == pytest.approx(2 / 3)
    assert result.measures == pytest.approx({"precision": 2 / 3, "recall": 2 / 3})
    assert not result.correct
    assert result.feedback == "You found 2 of 3 labels; missed 'd'; 1 extra: 'a'."


def test_multi_label_one_missed_of_three_is_exactly_at_the_bar() -> None:
    result = grade(MULTI, ["a", "b"], ["a", "b", "c"])  # 2·2 / (2·2 + 0 + 1) = 0.8
    assert result.score == pytest.approx(0.8)
    assert result.correct
    assert result.measures == pytest.approx({"precision": 1.0, "recall": 2 / 3})


def test_multi_label_both_empty_is_perfect() -> None:
    result = grade(MULTI, [], [])
    assert (result.score, result.correct) == (1.0, True)
    assert result.measures == {"precision": 1.0, "recall": 1.0}
    assert result.feedback == "Right: there are no labels."


def test_spans_exact_and_overlap_f1() -> None:
    answer = [span(0, 4), span(10, 13, "ORG")]
    key = [span(0, 4), span(10, 14, "ORG"), span(20, 24)]
    result = grade(NER, answer, key)
    # exact: 1 shared, P = 1/2, R = 1/3, F1 = 2/5; overlap: 2 matched, F1 = 4/5
    assert result.score == pytest.approx(0.4)
    assert result.measures == pytest.approx({"precision": 0.5, "recall": 1 / 3, "overlap_f1": 0.8})
    assert result.feedback == (
        "You found 1 of 3 entities; ORG at 10\N{EN DASH}14 marked at 10\N{EN DASH}13; "
        "missed PER at 20\N{EN DASH}24."
    )


def test_spans_feedback_names_misses_and_extras() -> None:
    answer = [span(0, 4), span(5, 9, "LOC"), span(20, 25), span(30, 35)]
    key = [span(0, 4), span(10, 14, "ORG"), span(20, 25), span(30, 35)]
    result = grade(NER, answer, key)
    assert result.score == pytest.approx(6 / 8)
    assert result.feedback == (
        "You found 3 of 4 entities; missed ORG at 10\N{EN DASH}14; 1 extra: LOC at 5\N{EN DASH}9."
    )
    assert not result.correct  # 0.75 < 0.8


def test_spans_overlap_needs_the_same_label_and_is_one_to_one() -> None:
    # two answer spans overlap the one key span: only one may match
    result = grade(NER, [span(0, 3), span(2, 6)], [span(1, 5)])
    assert result.score == 0.0
    assert result.measures["overlap_f1"] == pytest.approx(2 / 3)
    assert grade(NER, [span(0, 4, "ORG")], [span(0, 4)]).measures["overlap_f1"] == 0.0


def test_boxes_one_iou_06_match_and_one_miss() -> None:
    key = [box(0, 0, 100, 100), box(200, 0, 10, 10, "dog")]
    result = grade(PETS, [box(0, 0, 100, 60)], key)  # IoU 6000 / 10000
    assert result.score == pytest.approx(2 / 3)
    assert result.measures == pytest.approx({"precision": 1.0, "recall": 0.5, "mean_iou": 0.6})
    assert not result.correct
    assert result.feedback == (
        "You found 1 of 2 boxes (mean overlap 60%); "
        "missed dog at (200, 0) 10\N{MULTIPLICATION SIGN}10."
    )


def test_boxes_below_the_iou_bar_or_of_another_label_do_not_match() -> None:
    result = grade(PETS, [box(50, 0, 100, 100), box(0, 0, 100, 100, "dog")], [box(0, 0, 100, 100)])
    assert result.score == 0.0
    assert result.measures == {"precision": 0.0, "recall": 0.0}  # no mean IoU without a match


def test_boxes_mean_iou_takes_the_best_of_the_maximum_matchings() -> None:
    # both pairings match both boxes (IoU 0.9 + 0.82 or 0.61 + 0.82): the closer one counts
    key = [box(0, 0, 100, 100), box(20, 0, 100, 100)]
    drawn = [box(0, 0, 100, 90), box(10, 0, 100, 100)]
    result = grade(PETS, drawn, key)
    assert result.score == 1.0
    assert result.measures["mean_iou"] == pytest.approx((0.9 + 90 / 110) / 2)


def test_pairwise_choice_and_dimension_agreement() -> None:
    result = grade(
        PAIRWISE, prefer("a", clarity="a", safety="b"), prefer("b", clarity="a", safety="a")
    )
    assert (result.score, result.correct) == (0.0, False)
    assert result.measures == {"dimension_agreement": 0.5}
    assert result.feedback == (
        "You preferred A; the answer prefers B. You agreed on 1 of 2 dimensions."
    )
    tie = grade(PAIRWISE, prefer("tie"), prefer("tie", clarity="a", safety="a"))
    assert (tie.score, tie.measures, tie.feedback) == (
        1.0,
        {},
        "You called it a tie, which is right.",
    )
    assert grade(PAIRWISE, prefer("tie"), prefer("a")).feedback == (
        "You called it a tie; the answer prefers A."
    )


def test_ranking_one_swap_of_five_is_tau_08_and_passes() -> None:
    result = grade(RANKING, ["r1", "r2", "r3", "r4", "r5"], ["r2", "r1", "r3", "r4", "r5"])
    assert result.score == pytest.approx(0.9)
    assert result.measures["tau"] == pytest.approx(0.8)
    assert result.correct
    assert result.feedback == (
        "You put 9 of 10 pairs in the key's order (tau 0.80); "
        "the key's order is r2, r1, r3, r4, r5."
    )


def test_ranking_one_swap_of_three_fails() -> None:
    result = grade(RANKING, ["r1", "r2", "r3"], ["r2", "r1", "r3"])
    assert result.score == pytest.approx(2 / 3)
    assert result.measures["tau"] == pytest.approx(1 / 3)
    assert not result.correct
    reversed_ = grade(RANKING, ["r1", "r2", "r3"], ["r3", "r2", "r1"])
    assert (reversed_.score, reversed_.measures["tau"]) == (0.0, -1.0)


def test_free_text_error_rates() -> None:
    # one word deleted: 3 characters (" on") of 14, one word of 4
    result = grade(FREE, "the cat sat", "the cat sat on")
    assert result.measures == pytest.approx({"cer": 3 / 14, "wer": 0.25})
    assert result.score == pytest.approx(1 - 3 / 14)
    assert result.feedback == "Character error rate 21% (1 word error)."
    assert not result.correct


def test_free_text_one_typo_in_a_long_line_passes() -> None:
    key = "the quick brown fox jumps over the lazy dog"
    result = grade(FREE, key.replace("quick", "quack"), key)
    assert result.measures == pytest.approx({"cer": 1 / 43, "wer": 1 / 9})
    assert result.correct
    assert result.feedback == "Character error rate 2% (1 word error)."
    assert grade(FREE, key, key).feedback == "Your text matches the key exactly."


def test_free_text_against_an_empty_key() -> None:
    assert grade(FREE, "", "").measures == {"cer": 0.0, "wer": 0.0}
    wrote = grade(FREE, "noise", "")
    assert (wrote.score, wrote.measures) == (0.0, {"cer": 1.0, "wer": 1.0})


def test_free_text_score_is_floored_at_zero_when_the_answer_is_much_longer() -> None:
    result = grade(FREE, "a much longer answer", "a")
    assert result.measures["cer"] > 1
    assert result.score == 0.0


def test_correct_bars() -> None:
    assert CORRECT_AT[AnnotationType.RANKING] == 0.9
    assert CORRECT_AT[AnnotationType.FREE_TEXT] == 0.9
    assert all(0 < bar <= 1 for bar in CORRECT_AT.values())
    assert set(CORRECT_AT) == set(AnnotationType)


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label_schema", "answer", "key", "field"),
    [
        (SINGLE, 3, "spam", "answer"),
        (SINGLE, "spam", None, "key"),
        (LIKERT, "4", 4, "answer"),
        (LIKERT, 4, True, "key"),
        (MULTI, "a", ["a"], "answer"),
        (MULTI, ["a"], ["a", 2], "key.1"),
        (NER, [span(0, 4)], [{"start": 0, "end": "4", "label": "PER"}], "key.0.end"),
        (NER, {"start": 0}, [], "answer"),
        (PETS, [box(0, 0, float("nan"), 1)], [], "answer.0.w"),
        (PETS, [], [[0, 0, 1, 1]], "key.0"),
        (PAIRWISE, {"reason": "x"}, prefer("a"), "answer.choice"),
        (PAIRWISE, prefer("a"), "a", "key"),
        (PAIRWISE, {"choice": "a", "dimensions": []}, prefer("a"), "answer.dimensions"),
        (PAIRWISE, prefer("a", clarity=1), prefer("a"), "answer.dimensions.clarity"),
        (RANKING, "r1", ["r1"], "answer"),
        (RANKING, ["r1", "r2"], ["r1", None], "key.1"),
        (FREE, ["text"], "text", "answer"),
        (FREE, "text", 1, "key"),
    ],
)
def test_a_value_of_the_wrong_shape_is_refused_naming_the_field(
    label_schema: Any, answer: Any, key: Any, field: str
) -> None:
    refused(lambda: grade(label_schema, answer, key), ValueInvalid, field)


def test_a_ranking_of_other_responses_than_the_key_is_refused() -> None:
    refused(lambda: grade(RANKING, ["r1", "r9"], ["r1", "r2"]), ValueInvalid, "answer.1", "'r9'")
    refused(lambda: grade(RANKING, ["r1"], ["r1", "r2"]), ValueInvalid, "answer", "leaves out 'r2'")
    refused(lambda: grade(RANKING, ["r1", "r1"], ["r1", "r2"]), ValueInvalid, "answer.1", "'r1'")
    refused(lambda: grade(RANKING, ["r1", "r1"], ["r1", "r1"]), ValueInvalid, "answer.1")


# --- properties -------------------------------------------------------------------------------


@given(ANY_CASE)
def test_scores_lie_in_zero_to_one_and_the_key_itself_is_correct(case: Case) -> None:
    value, other = normal(case, case.value), normal(case, case.other)
    result = grade(case.schema, value, other)
    assert 0.0 <= result.score <= 1.0
    assert result.correct == (result.score >= CORRECT_AT[case.schema.type] - 1e-9)
    assert result.feedback.endswith(".")
    for name, measure in result.measures.items():
        low = -1.0 if name == "tau" else 0.0
        high = float("inf") if name in {"cer", "wer"} else 1.0
        assert low <= measure <= high, name
    itself = grade(case.schema, value, value)
    assert (itself.score, itself.correct) == (1.0, True)


@given(st.one_of(*(BY_TYPE[t] for t in AnnotationType if t is not AnnotationType.FREE_TEXT)))
def test_scores_are_symmetric_except_error_rates(case: Case) -> None:
    value, other = normal(case, case.value), normal(case, case.other)
    assert grade(case.schema, value, other).score == grade(case.schema, other, value).score


@given(
    st.one_of(
        BY_TYPE[AnnotationType.SPANS],
        BY_TYPE[AnnotationType.BOXES],
        BY_TYPE[AnnotationType.RANKING],
    )
)
def test_headline_equals_the_gold_check_where_they_share_a_definition(case: Case) -> None:
    """Span and box F1 and ranking agreement are the same numbers gold checks use."""
    value, other = normal(case, case.value), normal(case, case.other)
    assert grade(case.schema, value, other).score == pytest.approx(
        gold_matches(case.schema, value, other), abs=1e-12
    )


@given(BY_TYPE[AnnotationType.SPANS])
def test_overlap_f1_is_at_least_exact_f1(case: Case) -> None:
    result = grade(case.schema, normal(case, case.value), normal(case, case.other))
    assert result.measures["overlap_f1"] >= result.score - 1e-12


@given(st.integers(2, 9).flatmap(lambda n: st.tuples(st.permutations(range(n)), st.just(n))))
def test_tau_equals_scipys_kendall_tau(drawn: tuple[list[int], int]) -> None:
    order, n = drawn
    answer = [f"r{i}" for i in order]
    key = [f"r{i}" for i in range(n)]
    expected = scipy.stats.kendalltau(range(n), order).statistic
    result = grade(RANKING, answer, key)
    assert result.measures["tau"] == pytest.approx(expected, abs=1e-12)
    assert result.score == pytest.approx((expected + 1) / 2, abs=1e-12)


@settings(deadline=None)  # the first example imports scikit-learn, which takes a second
@given(BY_TYPE[AnnotationType.MULTI_LABEL])
def test_multi_label_f1_equals_sklearn_on_the_binarized_item(case: Case) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    value, other = normal(case, case.value), normal(case, case.other)
    labels = case.schema.label_values
    predicted = [int(label in value) for label in labels]
    truth = [int(label in other) for label in labels]
    expected = metrics.f1_score(truth, predicted, zero_division=1.0)
    assert grade(case.schema, value, other).score == pytest.approx(expected, abs=1e-12)


def textbook_distance(a: list[str] | str, b: list[str] | str) -> int:
    """Wagner-Fischer over a full table: slow, obviously right."""
    table = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            table[i][j] = min(
                table[i - 1][j] + 1,
                table[i][j - 1] + 1,
                table[i - 1][j - 1] + (a[i - 1] != b[j - 1]),
            )
    return table[len(a)][len(b)]


WORDY = st.text(alphabet="ab cé漢\n", max_size=30)


@given(WORDY, WORDY)
def test_error_rates_against_the_textbook_algorithm(answer: str, key: str) -> None:
    measures = grade(FREE, answer, key).measures
    if key:
        assert measures["cer"] == pytest.approx(textbook_distance(answer, key) / len(key))
    words, key_words = answer.split(), key.split()
    if key_words:
        expected_wer = textbook_distance(words, key_words) / len(key_words)
        assert measures["wer"] == pytest.approx(expected_wer)
    else:
        assert measures["wer"] == float(bool(words))


# --- an attempt -------------------------------------------------------------------------------


def item(
    item_id: int,
    answer: str,
    key: str,
    *tags: str,
    repeat_of: int | None = None,
    seconds: float | None = 60.0,
) -> GradedItem:
    return GradedItem(
        item_id, frozenset(tags), repeat_of, grade(SINGLE, answer, key), answer, seconds
    )


def test_dimensions_of_a_small_attempt() -> None:
    items = [
        item(1, "spam", "spam", "domain"),
        item(2, "spam", "not spam", "guideline", "consistency"),
        item(3, "not spam", "not spam", "edge_case", "guideline"),
        item(4, "spam", "not spam", repeat_of=2),  # wrong again, but the same answer
        item(5, "spam", "spam", repeat_of=1, seconds=None),
    ]
    result = dimensions(SINGLE, items)
    assert result == Dimensions(
        accuracy=3 / 5,
        domain=1.0,
        guideline=0.5,
        edge_case=1.0,
        consistency=1.0,
        throughput=2 / (240 / 3600),  # items 1 and 3 right in four timed minutes
        n_items=5,
        n_correct=3,
    )
    assert overall(result) == pytest.approx(0.6)


def test_unmeasured_dimensions_are_none_not_zero() -> None:
    result = dimensions(SINGLE, [item(1, "spam", "not spam", seconds=None)])
    assert result == Dimensions(0.0, None, None, None, None, None, 1, 0)
    empty = dimensions(SINGLE, [])
    assert empty == Dimensions(None, None, None, None, None, None, 0, 0)


def test_consistency_grades_the_repeat_against_the_first_answer() -> None:
    items = [item(1, "spam", "spam"), item(1, "not spam", "spam", repeat_of=1)]
    assert dimensions(SINGLE, items).consistency == 0.0


def test_a_stricter_bar_counts_fewer_correct() -> None:
    graded = grade(MULTI, ["a", "b"], ["a", "b", "c"])  # F1 0.8, correct at the default bar
    items = [GradedItem(1, frozenset(), None, graded, ["a", "b"], 1800.0)]
    assert dimensions(MULTI, items).n_correct == 1
    assert dimensions(MULTI, items).throughput == pytest.approx(2.0)
    strict = dimensions(MULTI, items, bar=0.9)
    assert (strict.n_correct, strict.throughput) == (0, 0.0)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([item(1, "spam", "spam", "speed")], "unknown tag 'speed'"),
        ([item(1, "spam", "spam"), item(1, "spam", "spam")], "appears twice"),
        ([item(2, "spam", "spam", repeat_of=1)], "not in the attempt"),
        ([item(1, "spam", "spam", seconds=-1.0)], "seconds"),
        ([item(1, "spam", "spam", seconds=float("inf"))], "seconds"),
    ],
)
def test_dimensions_refuse_inconsistent_items(items: list[GradedItem], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dimensions(SINGLE, items)


def test_overall_weighs_measured_dimensions_only() -> None:
    d = Dimensions(0.8, None, 0.5, 1.0, None, 30.0, 10, 8)
    assert overall(d) == 0.8
    assert overall(d, {"accuracy": 2, "guideline": 1, "edge_case": 1}) == pytest.approx(0.775)
    assert overall(d, {"accuracy": 1, "consistency": 5}) == 0.8  # consistency unmeasured


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"throughput": 1.0}, "cannot weigh 'throughput'"),
        ({"speed": 1.0}, "cannot weigh 'speed'"),
        ({"accuracy": -1.0}, "at least 0"),
        ({"accuracy": float("nan")}, "at least 0"),
        ({"consistency": 1.0}, "nothing to score"),
        ({"accuracy": 0.0}, "nothing to score"),
    ],
)
def test_overall_refuses_bad_weights(weights: dict[str, float], message: str) -> None:
    d = Dimensions(0.8, None, None, None, None, None, 1, 1)
    with pytest.raises(ValueError, match=message):
        overall(d, weights)


def test_overall_of_an_empty_attempt_is_refused() -> None:
    with pytest.raises(ValueError, match="nothing to score"):
        overall(Dimensions(None, None, None, None, None, None, 0, 0))


# --- learning between rounds ------------------------------------------------------------------


def test_learning_gain_and_hakes_normalized_gain() -> None:
    result = learning([0.5, 0.7], [0.8, 0.9])
    assert result.first == pytest.approx(0.6)
    assert result.second == pytest.approx(0.85)
    assert result.gain == pytest.approx(0.25)
    assert result.normalized_gain == pytest.approx(0.625)
    assert learning([1.0], [0.5]) == Learning(1.0, 0.5, -0.5, None)
    assert learning([0.5], [0.25]).normalized_gain == pytest.approx(-0.5)


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [([], [0.5], "first round has no scores"), ([0.5], [1.5], "second round's scores")],
)
def test_learning_refuses_empty_or_out_of_range_rounds(
    first: list[float], second: list[float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        learning(first, second)
