"""Aggregators for structured annotations: hand-computed cases, properties, every refusal.

Every test here runs with warnings as errors, so a numpy RuntimeWarning (0/0, log of 0, an
overflow) fails it: the aggregators promise none escapes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import pairwise
from typing import Any, cast

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crewline.annotation import (
    Box,
    BoxesSchema,
    FreeTextSchema,
    LabelSchema,
    LikertSchema,
    MultiLabelSchema,
    PairwiseSchema,
    Preference,
    RankingSchema,
    Span,
    SpansSchema,
    gold_matches,
    parse_schema,
    validate_value,
)
from crewline.quality.errors import QualityInputError
from crewline.quality.structured import (
    Aggregate,
    aggregate_boxes,
    aggregate_likert,
    aggregate_multi_label,
    aggregate_preferences,
    aggregate_spans,
    borda,
    bradley_terry,
    medoid,
)
from tests.annotation import strategies
from tests.annotation.strategies import BY_TYPE, Case

pytestmark = pytest.mark.filterwarnings("error")

TIES = cast(PairwiseSchema, parse_schema("pairwise", {"allow_tie": True, "dimensions": ["safe"]}))
NO_TIES = cast(PairwiseSchema, parse_schema("pairwise", {"allow_tie": False}))
FIVE = cast(LikertSchema, parse_schema("likert", {"min": 1, "max": 5}))
ODD = cast(LikertSchema, parse_schema("likert", {"min": 1, "max": 5, "step": 2}))
TAGS = cast(
    MultiLabelSchema,
    parse_schema("multi_label", {"labels": ["c", "b", "a"], "min_selected": 1, "max_selected": 1}),
)


def span(start: int, end: int, label: str = "PER") -> Span:
    return {"start": start, "end": end, "label": label}


def box(x: float, y: float, w: float = 10, h: float = 10, label: str = "cat") -> Box:
    return {"x": x, "y": y, "w": w, "h": h, "label": label}


def prefer(choice: str, reason: str = "", **dimensions: str) -> Preference:
    return {"choice": choice, "reason": reason, "dimensions": dimensions}


# --- multi-label ------------------------------------------------------------------------------


def test_multi_label_keeps_the_labels_a_majority_chose() -> None:
    result = aggregate_multi_label([["a", "b"], ["a"], ["a", "c"]])
    assert result.value == ["a"]
    assert result.shares == pytest.approx({"a": 1.0, "b": 1 / 3, "c": 1 / 3})
    assert result.label_confidence == pytest.approx({"a": 1.0, "b": 2 / 3, "c": 2 / 3})
    assert result.confidence == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)
    assert result.n_workers == 3


def test_multi_label_threshold_and_weights_decide_together() -> None:
    values = [["a", "b"], ["a"], ["a", "c"]]
    assert aggregate_multi_label(values, threshold=0.3).value == ["a", "b", "c"]
    weighted = aggregate_multi_label(values, weights=[1, 1, 4])
    assert weighted.value == ["a", "c"]
    assert weighted.shares["c"] == pytest.approx(4 / 6)
    assert aggregate_multi_label(values, weights=[1, 1, 0]).value == ["a"]


def test_multi_label_a_half_is_not_a_majority() -> None:
    assert aggregate_multi_label([["a"], []]).value == []
    assert aggregate_multi_label([["a"], []], threshold=0.49).value == ["a"]


def test_multi_label_schema_fixes_order_and_bounds() -> None:
    free = cast(MultiLabelSchema, parse_schema("multi_label", {"labels": ["c", "b", "a"]}))
    assert aggregate_multi_label([["a", "c"]] * 2, schema=free).value == ["c", "a"]
    # nobody chose anything, but one label is required: the first in schema order, share 0
    forced = aggregate_multi_label([[], []], schema=TAGS)
    assert forced.value == ["c"] and forced.confidence == 0.0
    # two labels pass, one is allowed: the one with the higher share
    capped = aggregate_multi_label([["a", "b"], ["a", "b"], ["a"]], schema=TAGS)
    assert capped.value == ["a"]
    assert capped.confidence == pytest.approx((1 + 1 / 3) / 2)


def test_multi_label_empty_sets_agree_on_nothing() -> None:
    result = aggregate_multi_label([[], [], []])
    assert (result.value, result.confidence, result.shares) == ([], 1.0, {})


# --- spans ------------------------------------------------------------------------------------


def test_spans_vote_per_character() -> None:
    result = aggregate_spans([[span(0, 4)], [span(0, 4)], [span(1, 4)]], 10)
    assert result.value == [span(0, 4)]
    assert result.span_agreement == pytest.approx(((2 / 3 + 3) / 4,))
    assert result.confidence == pytest.approx((2 / 3 + 3) / 4)


def test_spans_one_one_split_keeps_nothing_and_two_of_three_keeps_the_overlap() -> None:
    assert aggregate_spans([[span(0, 4)], []], 10).value == []
    result = aggregate_spans([[span(0, 6)], [span(2, 8)], [span(4, 10)]], 10)
    assert result.value == [span(2, 8)]  # characters 2..7 are marked by two of the three


def test_adjacent_spans_stay_apart_when_most_workers_split_them() -> None:
    split = [span(0, 3), span(3, 5)]
    result = aggregate_spans([split, split, [span(0, 5)]], 10)
    assert result.value == split
    merged = aggregate_spans([split, [span(0, 5)], [span(0, 5)]], 10)
    assert merged.value == [span(0, 5)]


def test_spans_of_different_labels_are_voted_separately() -> None:
    nested = [span(0, 2, "PER"), span(0, 5, "ORG")]  # normal form: by start, then end
    result = aggregate_spans([nested, nested, [span(0, 5, "ORG")]], 10)
    assert result.value == nested
    assert result.span_agreement == pytest.approx((2 / 3, 1.0))
    split = aggregate_spans([[span(0, 4, "ORG")], [span(0, 4, "PER")], []], 10)
    assert split.value == [] and split.confidence == pytest.approx(2 / 3)


def test_no_spans_from_anyone_is_an_agreed_empty_answer() -> None:
    result = aggregate_spans([[], []], 5)
    assert (result.value, result.confidence, result.span_agreement) == ([], 1.0, ())


# --- boxes ------------------------------------------------------------------------------------


def test_boxes_cluster_by_iou_and_average() -> None:
    result = aggregate_boxes([[box(0, 0)], [box(1, 1)], [box(50, 50)]])
    assert result.value == [box(0.5, 0.5)]
    assert result.box_support == pytest.approx((2 / 3,))
    assert result.confidence == pytest.approx(2 / 3)  # kept at 2/3, dropped at 1 - 1/3


def test_boxes_use_complete_linkage_so_a_chain_does_not_collapse() -> None:
    # IoU(A, B) = IoU(B, C) = 70/130; IoU(A, C) = 40/160: single linkage would average all three
    result = aggregate_boxes([[box(0, 0)], [box(3, 0)], [box(6, 0)]])
    assert result.value == [box(1.5, 0)]


def test_a_worker_never_has_two_boxes_in_one_cluster() -> None:
    result = aggregate_boxes([[box(0, 0), box(1, 0)], [box(0, 0)]])
    assert result.value == [box(0, 0)]
    assert result.confidence == pytest.approx((1 + 0.5) / 2)


def test_boxes_of_other_labels_never_cluster_and_weights_count() -> None:
    values = [[box(0, 0, label="cat")], [box(0, 0, label="dog")], [box(0, 0, label="dog")]]
    assert aggregate_boxes(values).value == [box(0, 0, label="dog")]
    assert aggregate_boxes(values, weights=[3, 1, 1]).value == [box(0, 0, label="cat")]
    assert aggregate_boxes(values, threshold=0.3).value == [
        box(0, 0, label="cat"),
        box(0, 0, label="dog"),
    ]


def test_boxes_weighted_mean_and_iou_threshold() -> None:
    result = aggregate_boxes([[box(0, 0)], [box(4, 0)]], weights=[3, 1], iou_threshold=0.4)
    assert result.value == [box(1, 0)]  # IoU 60/140 = 0.43
    assert aggregate_boxes([[box(0, 0)], [box(4, 0)]]).value == []


def test_identical_zero_area_boxes_still_agree() -> None:
    flat = [box(5, 5, 0, 0)]
    result = aggregate_boxes([flat, flat])
    assert result.value == flat and result.confidence == 1.0


# --- pairwise ---------------------------------------------------------------------------------


def test_preference_majority_with_the_most_telling_reason() -> None:
    result = aggregate_preferences(
        [prefer("a", "short"), prefer("a", "much longer"), prefer("b", "no")], schema=TIES
    )
    assert result.value == prefer("a", "much longer")
    assert result.confidence == pytest.approx(2 / 3)
    assert result.shares == pytest.approx({"a": 2 / 3, "b": 1 / 3, "tie": 0.0})
    heavy = aggregate_preferences(
        [prefer("a", "short"), prefer("a", "much longer")], schema=TIES, weights=[2, 1]
    )
    assert heavy.value["reason"] == "short"


def test_a_split_is_a_tie_when_ties_are_allowed_and_a_otherwise() -> None:
    split = [prefer("a", "x"), prefer("b", "y")]
    tie = aggregate_preferences(split, schema=TIES)
    assert tie.value["choice"] == "tie" and tie.confidence == 0.0
    assert tie.value["reason"] == "No majority among the workers (a 50%, b 50%, tie 0%)."
    fixed = aggregate_preferences(split, schema=NO_TIES)
    assert fixed.value == prefer("a", "x") and fixed.confidence == 0.5


def test_dimensions_are_decided_among_those_who_answered_them() -> None:
    values = [prefer("a", safe="b"), prefer("b", safe="b"), prefer("a")]
    result = aggregate_preferences(values, schema=TIES)
    assert result.value["choice"] == "a"
    assert result.value["dimensions"] == {"safe": "b"}
    assert result.dimension_confidence == {"safe": 1.0}
    nobody = aggregate_preferences([prefer("a"), prefer("a")], schema=TIES)
    assert nobody.value["dimensions"] == {} and nobody.dimension_confidence == {}


# --- Bradley-Terry ----------------------------------------------------------------------------


def test_bradley_terry_two_items_is_the_win_ratio() -> None:
    fit = bradley_terry([("A", "B", "a")] * 3 + [("A", "B", "b")])
    assert fit.converged and fit.items == ("A", "B")
    assert fit.strength("A") / fit.strength("B") == pytest.approx(3.0)
    assert fit.probability("A", "B") == pytest.approx(0.75)
    choice, probability = fit.preference("B", "A")
    assert choice == "b" and probability == pytest.approx(0.75)
    assert math.prod(fit.strengths) == pytest.approx(1.0)  # geometric mean 1


def test_a_tie_is_half_a_win_and_weights_are_counts() -> None:
    ties = bradley_terry([("A", "B", "tie"), ("A", "B", "tie"), ("B", "A", "b")])
    assert ties.probability("A", "B") == pytest.approx(2 / 3)  # A: 2 wins of 3
    weighted = bradley_terry([("A", "B", "a"), ("A", "B", "b")], weights=[3, 1])
    assert weighted.probability("A", "B") == pytest.approx(0.75)
    even = bradley_terry([("A", "B", "a"), ("B", "A", "a")])
    assert even.preference("A", "B") == ("tie", 0.5)


def test_bradley_terry_with_a_prior_exists_for_an_unbeaten_item() -> None:
    fit = bradley_terry([("A", "B", "a"), ("B", "C", "a")], prior=1.0)
    assert fit.converged
    assert fit.strength("A") > fit.strength("B") > fit.strength("C")
    assert fit.probability("A", "C") < 1.0


COMPARISONS = st.lists(
    st.tuples(
        st.sampled_from("ABCD"), st.sampled_from("ABCD"), st.sampled_from(["a", "b", "tie"])
    ).filter(lambda c: c[0] != c[1]),
    min_size=1,
    max_size=30,
)


@given(COMPARISONS, st.sampled_from([0.0, 0.5, 2.0]))
def test_bradley_terry_solves_the_likelihood_equations(
    comparisons: list[tuple[str, str, str]], prior: float
) -> None:
    """At the maximum, each item's expected wins equal its observed ones (plus the prior's)."""
    try:
        fit = bradley_terry(comparisons, prior=prior)
    except QualityInputError as exc:
        assert prior == 0 and "do not exist" in str(exc)
        return
    assert fit.converged
    won = dict.fromkeys(fit.items, prior / 2)
    expected = {item: prior * fit.strength(item) / (fit.strength(item) + 1) for item in fit.items}
    for a, b, choice in comparisons:
        score = {"a": 1.0, "tie": 0.5, "b": 0.0}[choice]
        won[a] += score
        won[b] += 1 - score
        expected[a] += fit.probability(a, b)
        expected[b] += fit.probability(b, a)
    assert expected == pytest.approx(won, abs=1e-6)
    again = bradley_terry(comparisons[::-1], prior=prior)
    for item in fit.items:
        assert again.strength(item) == pytest.approx(fit.strength(item), rel=1e-6)


# --- rankings ---------------------------------------------------------------------------------


def test_borda_and_kendalls_w() -> None:
    result = borda([["a", "b", "c"], ["a", "c", "b"], ["b", "a", "c"]])
    assert result.value == ["a", "b", "c"]
    assert result.scores == pytest.approx({"a": 5 / 3, "b": 1.0, "c": 1 / 3})
    # rank sums 4, 6, 8 around 6: W = 12 * 8 / (3^2 * (3^3 - 3)) = 4/9
    assert result.confidence == pytest.approx(4 / 9)


def test_borda_ties_go_to_the_head_to_head_winner_then_the_id() -> None:
    # a and b both score 4: b beats a on two rankings of three
    assert borda([["a", "c", "b"], ["b", "a", "c"], ["b", "a", "c"]]).value == ["b", "a", "c"]
    opposite = borda([["b", "a"], ["a", "b"]])
    assert opposite.value == ["a", "b"] and opposite.confidence == 0.0


def test_borda_weights_from_gold_follow_the_accurate_worker() -> None:
    ranking = cast(RankingSchema, parse_schema("ranking", {}))
    gold = ["x", "y", "z"]
    answers = [["z", "y", "x"], ["z", "y", "x"], ["x", "y", "z"]]
    weights = [gold_matches(ranking, answer, gold) for answer in answers]
    assert weights == [0.0, 0.0, 1.0]
    assert borda(answers).value == ["z", "y", "x"]
    assert borda(answers, weights).value == gold


# --- free text --------------------------------------------------------------------------------


def test_medoid_picks_the_answer_closest_to_the_others() -> None:
    result = medoid(["the cat", "a cat", "dog"], np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]))
    assert (result.value, result.index) == ("a cat", 1)
    assert result.confidence == pytest.approx(0.7)  # (0.8 + 0.6) / 2
    assert result.support == pytest.approx((0.4, 0.7, 0.3))


def test_medoid_weights_and_negative_similarity() -> None:
    vectors = [[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]
    assert medoid(["p", "q", "r"], vectors, weights=[0, 1, 1]).value == "q"
    assert medoid(["p", "q", "r"], vectors, weights=[1, 0, 0]).value == "p"  # others can't win
    opposed = medoid(["yes", "no"], [[1.0, 0.0], [-1.0, 0.0]])
    assert opposed.value == "no" and opposed.confidence == 0.0  # tie: alphabetical, floored


def test_identical_texts_agree_whatever_their_embeddings() -> None:
    result = medoid(["same", "same"], [[1.0, 0.0], [0.0, 1.0]])
    assert (result.value, result.confidence) == ("same", 1.0)


# --- Likert -----------------------------------------------------------------------------------


def test_likert_median_mean_and_consensus() -> None:
    result = aggregate_likert([1, 2, 2, 5], schema=FIVE)
    assert (result.value, result.median, result.mean) == (2, 2.0, 2.5)
    consensus = 1 + sum(
        p * math.log2(1 - abs(x - 2.5) / 4) for p, x in ((0.25, 1), (0.5, 2), (0.25, 5))
    )
    assert result.confidence == pytest.approx(consensus)
    assert result.confidence == pytest.approx(0.3804, abs=1e-4)


def test_likert_extremes_give_zero_consensus_without_a_warning() -> None:
    result = aggregate_likert([1, 5], schema=FIVE)
    assert (result.value, result.confidence) == (3, 0.0)
    lopsided = aggregate_likert([1, 5], schema=FIVE, weights=[0, 1])
    assert (lopsided.value, lopsided.confidence) == (5, 1.0)


def test_likert_median_between_points_goes_to_the_nearer_one() -> None:
    assert aggregate_likert([1, 3], schema=ODD).value == 1  # median 2: equally near 1 and 3
    assert aggregate_likert([1, 3, 3, 1, 5], schema=ODD).value == 3
    assert aggregate_likert([1, 3], schema=ODD, weights=[1, 2]).value == 3
    assert aggregate_likert([1, 1, 5, 5, 5, 3], schema=ODD, weights=[1, 1, 1, 1, 1, 0]).median == 5


# --- bad input --------------------------------------------------------------------------------

Call = Callable[[], object]
BAD: list[tuple[str, Call, str]] = [
    ("no answers", lambda: aggregate_multi_label([]), "no answers"),
    ("a string", lambda: aggregate_multi_label(cast(Any, ["ab"])), "list of labels"),
    ("threshold 1", lambda: aggregate_multi_label([["a"]], threshold=1.0), r"\[0, 1\)"),
    ("threshold NaN", lambda: aggregate_multi_label([["a"]], threshold=math.nan), "threshold"),
    ("label off schema", lambda: aggregate_multi_label([["z"]], schema=TAGS), "'z' is not"),
    ("weights short", lambda: aggregate_multi_label([["a"], []], weights=[1]), "1 weights for 2"),
    ("weight NaN", lambda: aggregate_multi_label([["a"]], weights=[math.nan]), "finite"),
    ("weight inf", lambda: aggregate_multi_label([["a"]], weights=[math.inf]), "finite"),
    ("weight < 0", lambda: aggregate_multi_label([["a"], []], weights=[2, -1]), "at least 0"),
    ("weights 0", lambda: aggregate_multi_label([["a"], []], weights=[0, 0]), "every weight"),
    ("weights text", lambda: aggregate_multi_label([["a"]], weights=cast(Any, ["x"])), "numbers"),
    ("span no workers", lambda: aggregate_spans([], 5), "no answers"),
    ("span past end", lambda: aggregate_spans([[span(3, 6)]], 5), "3..6"),
    ("span backwards", lambda: aggregate_spans([[span(3, 3)]], 5), "3..3"),
    ("span bool", lambda: aggregate_spans([[span(True, 2)]], 5), "whole-number"),
    ("span keys", lambda: aggregate_spans([[cast(Span, {"start": 0})]], 5), "start, end and"),
    ("no text", lambda: aggregate_spans([[]], 0), "text_length"),
    ("box NaN", lambda: aggregate_boxes([[box(math.nan, 0)]]), "NaN"),
    ("box infinite", lambda: aggregate_boxes([[box(0, 0, math.inf)]]), "infinite"),
    ("box huge", lambda: aggregate_boxes([[box(1e12, 0)]]), "beyond"),
    ("box negative", lambda: aggregate_boxes([[box(0, 0, -1)]]), "negative width"),
    ("box text", lambda: aggregate_boxes([[box(cast(Any, "1"), 0)]]), "not a number"),
    ("box keys", lambda: aggregate_boxes([[cast(Box, {"x": 0})]]), "x, y, w, h"),
    ("iou 0", lambda: aggregate_boxes([[box(0, 0)]], iou_threshold=0), r"\(0, 1\]"),
    ("tie refused", lambda: aggregate_preferences([prefer("tie")], schema=NO_TIES), "chose"),
    ("no dims", lambda: aggregate_preferences([prefer("a", other="a")], schema=TIES), "every"),
    ("bad dim", lambda: aggregate_preferences([prefer("a", safe="c")], schema=TIES), "every"),
    ("no prefs", lambda: aggregate_preferences([], schema=TIES), "no answers"),
    ("no comparisons", lambda: bradley_terry([]), "no comparisons"),
    ("self", lambda: bradley_terry([("A", "A", "a")]), "with itself"),
    ("outcome", lambda: bradley_terry([("A", "B", "win")]), "not a, b or tie"),
    ("not a triple", lambda: bradley_terry([cast(Any, ("A", "B"))]), "item_a, item_b"),
    ("unbeaten", lambda: bradley_terry([("A", "B", "a"), ("B", "C", "a")]), "never lose to"),
    ("apart", lambda: bradley_terry([("A", "B", "tie"), ("C", "D", "tie")]), "never beat"),
    ("zero weight", lambda: bradley_terry([("A", "B", "a"), ("B", "A", "a")], [1, 0]), "never"),
    ("prior < 0", lambda: bradley_terry([("A", "B", "tie")], prior=-1), "prior must be 0 or"),
    ("prior tiny", lambda: bradley_terry([("A", "B", "a")], prior=1e-300), "prior must be 0 or"),
    ("weight huge", lambda: bradley_terry([("A", "B", "a")], [1e300]), "at most"),
    ("weights huge", lambda: aggregate_likert([1, 5], schema=FIVE, weights=[1e308] * 2), "most"),
    ("max_iter 0", lambda: bradley_terry([("A", "B", "tie")], max_iter=0), "max_iter"),
    ("stranger", lambda: bradley_terry([("A", "B", "tie")]).strength("C"), "'C' was not"),
    ("lengths", lambda: borda([["a", "b"], ["a", "b", "c"]]), "answer 1 ranks"),
    ("other ids", lambda: borda([["a", "b"], ["a", "c"]]), r"\['b', 'c'\]"),
    ("repeated id", lambda: borda([["a", "b"], ["a", "a"]]), "more than once"),
    ("ranking string", lambda: borda(cast(Any, ["ab"])), "list of response ids"),
    ("no rankings", lambda: borda([]), "no answers"),
    ("rows", lambda: medoid(["a", "b"], [[1.0, 0.0]]), r"shape \(1, 2\)"),
    ("flat", lambda: medoid(["a", "b"], [1.0, 0.0]), r"shape \(2,\)"),
    ("no columns", lambda: medoid(["a"], np.zeros((1, 0))), "at least 1 column"),
    ("NaN vector", lambda: medoid(["a"], [[math.nan]]), "NaN"),
    ("zero vector", lambda: medoid(["a", "b"], [[1.0], [0.0]]), "embedding 1 is all zeros"),
    ("texts string", lambda: medoid(cast(Any, "ab"), [[1.0], [1.0]]), "list of strings"),
    ("no texts", lambda: medoid([], np.zeros((0, 2))), "no answers"),
    ("vector text", lambda: medoid(["a"], [["x"]]), "numeric"),
    ("off scale", lambda: aggregate_likert([2], schema=ODD), r"\(2\) is not a point"),
    ("likert bool", lambda: aggregate_likert([True], schema=FIVE), "True"),
    ("no ratings", lambda: aggregate_likert([], schema=FIVE), "no answers"),
]


@pytest.mark.parametrize(("call", "message"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_input_is_refused_with_a_reason(call: Call, message: str) -> None:
    with pytest.raises(QualityInputError, match=message):
        call()


def test_a_single_worker_comes_back_unchanged_with_confidence_one() -> None:
    results: list[tuple[Aggregate[Any], object]] = [
        (aggregate_multi_label([["b", "a"]]), ["a", "b"]),
        (aggregate_spans([[span(1, 3)]], 5), [span(1, 3)]),
        (aggregate_boxes([[box(1, 2)]]), [box(1, 2)]),
        (aggregate_preferences([prefer("b", "why")], schema=TIES), prefer("b", "why")),
        (borda([["y", "x"]]), ["y", "x"]),
        (medoid(["only"], [[3.0, 4.0]]), "only"),
        (aggregate_likert([4], schema=FIVE), 4),
    ]
    for result, value in results:
        assert (result.value, result.confidence, result.n_workers) == (value, 1.0, 1)


def test_a_ranking_of_one_response_is_fully_concordant() -> None:
    assert borda([["x"], ["x"]]).confidence == 1.0


# --- properties over every type ---------------------------------------------------------------

AGGREGATED = [t for t in BY_TYPE if t != "single_label"]


def _answers(case: Case) -> st.SearchStrategy[Any]:
    """Raw answers for the case's schema and task data (normalised by the caller)."""
    schema, data = case.schema, case.data
    match schema:
        case MultiLabelSchema():
            low, high = schema.min_selected, schema.max_selected
            return st.lists(
                st.sampled_from(schema.label_values), min_size=low, max_size=high, unique=True
            )
        case SpansSchema():
            return strategies._spans(data["text"], list(schema.label_values), schema.allow_overlap)
        case BoxesSchema():
            one = strategies._box(
                data["width"], data["height"], schema.min_size, list(schema.label_values)
            )
            return st.lists(one, max_size=4, unique_by=strategies._box_identity)
        case PairwiseSchema():
            spec = {
                "allow_tie": schema.allow_tie,
                "reason_required": schema.reason_required,
                "dimensions": list(schema.dimensions),
            }
            return strategies._preference(spec)
        case RankingSchema():
            return st.permutations([response["id"] for response in data["responses"]])
        case FreeTextSchema():
            pool = strategies._text(schema.min_length, schema.max_length, schema.multiline)
            return st.sampled_from(["shared answer"]) | pool if schema.max_length >= 13 else pool
        case LikertSchema():
            return st.sampled_from(schema.points)
    raise AssertionError(f"no answers for {schema.type}")


def _aggregate(
    schema: LabelSchema,
    data: dict[str, Any],
    answers: list[Any],
    weights: list[float] | None,
    vectors: list[list[float]],
) -> Aggregate[Any]:
    match schema:
        case MultiLabelSchema():
            return aggregate_multi_label(answers, weights=weights, schema=schema)
        case SpansSchema():
            return aggregate_spans(answers, len(data["text"]), weights)
        case BoxesSchema():
            return aggregate_boxes(answers, weights=weights)
        case PairwiseSchema():
            return aggregate_preferences(answers, schema=schema, weights=weights)
        case RankingSchema():
            return borda(answers, weights)
        case FreeTextSchema():
            return medoid(answers, vectors, weights)
        case LikertSchema():
            return aggregate_likert(answers, schema=schema, weights=weights)
    raise AssertionError(f"no aggregator for {schema.type}")


VECTOR = st.lists(st.floats(-1, 1), min_size=3, max_size=3).filter(any)


@st.composite
def _workers(draw: st.DrawFn, same: bool = False) -> tuple[Case, list[Any], Any, Any]:
    """A case, 1-5 normalised answers (all one answer when ``same``), weights, embeddings."""
    case = draw(st.sampled_from(AGGREGATED).flatmap(lambda t: BY_TYPE[t]))
    count = draw(st.integers(1, 5))
    one = st.builds(lambda raw: validate_value(case.schema, raw, case.data), _answers(case))
    answers = [draw(one)] * count if same else draw(st.lists(one, min_size=count, max_size=count))
    weights = draw(
        st.none()
        | st.lists(st.floats(0, 10), min_size=count, max_size=count).filter(lambda w: sum(w) > 0)
    )
    vectors = draw(st.lists(VECTOR, min_size=count, max_size=count))
    return case, answers, weights, vectors


def _comparable(result: Aggregate[Any]) -> dict[str, Any]:
    """The result without the parts that name answers by their input position."""
    fields = {name: getattr(result, name) for name in type(result).__dataclass_fields__}
    fields.pop("index", None)
    fields.pop("support", None)
    return fields


@given(_workers(), st.randoms(use_true_random=False))
def test_aggregates_have_the_submitted_shape_and_ignore_worker_order(
    drawn: tuple[Case, list[Any], Any, Any], random: Any
) -> None:
    case, answers, weights, vectors = drawn
    result = _aggregate(case.schema, case.data, answers, weights, vectors)
    assert validate_value(case.schema, result.value, case.data) == result.value
    assert 0.0 <= result.confidence <= 1.0
    assert result.n_workers == len(answers)
    order = list(range(len(answers)))
    random.shuffle(order)
    shuffled = _aggregate(
        case.schema,
        case.data,
        [answers[i] for i in order],
        None if weights is None else [weights[i] for i in order],
        [vectors[i] for i in order],
    )
    assert _comparable(shuffled) == _comparable(result)


def _same_label_overlap(value: list[Span]) -> bool:
    spans = sorted(value, key=lambda s: (s["label"], s["start"]))
    return any(a["label"] == b["label"] and b["start"] < a["end"] for a, b in pairwise(spans))


@given(_workers(same=True))
def test_unanimous_answers_come_back_unchanged_with_confidence_one(
    drawn: tuple[Case, list[Any], Any, Any],
) -> None:
    case, answers, weights, vectors = drawn
    if isinstance(case.schema, SpansSchema):
        assume(not _same_label_overlap(answers[0]))  # documented: these merge into one span
    result = _aggregate(case.schema, case.data, answers, weights, vectors)
    assert result.value == answers[0]
    assert result.confidence == 1.0
