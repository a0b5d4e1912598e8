"""gold_matches on hand-checked examples, and edit distance against the textbook algorithm."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crewline.annotation import ValueInvalid, box_iou, edit_distance, gold_matches
from tests.annotation.support import SENTIMENT, refused, schema

SINGLE = schema("single_label", labels=SENTIMENT)
MULTI = schema("multi_label", labels=["a", "b", "c", "d"])
NER = schema("spans", labels=["PER", "ORG", "LOC"])
PETS = schema("boxes", labels=["cat", "dog"])
PAIRWISE = schema("pairwise", allow_tie=True)
RANKING = schema("ranking")
FREE = schema("free_text")
LIKERT = schema("likert")


def span(start: int, end: int, label: str = "PER") -> dict[str, Any]:
    return {"start": start, "end": end, "label": label}


def box(x: float, y: float, w: float, h: float, label: str = "cat") -> dict[str, Any]:
    return {"x": x, "y": y, "w": w, "h": h, "label": label}


def prefer(choice: str, reason: str = "") -> dict[str, Any]:
    return {"choice": choice, "reason": reason, "dimensions": {}}


GOLD = box(0, 0, 100, 100)
EXAMPLES: list[tuple[str, Any, Any, Any, float]] = [
    ("same label", SINGLE, "positive", "positive", 1.0),
    ("other label", SINGLE, "positive", "neutral", 0.0),
    ("same point", LIKERT, 4, 4, 1.0),
    ("neighbouring point", LIKERT, 4, 5, 0.0),
    ("jaccard 2 of 4", MULTI, ["a", "b", "c"], ["b", "c", "d"], 0.5),
    ("jaccard one empty", MULTI, [], ["a"], 0.0),
    ("jaccard both empty", MULTI, [], [], 1.0),
    (
        "span f1 1 of 2 and 3",
        NER,
        [span(0, 4), span(5, 9)],
        [span(0, 4), span(10, 12), span(20, 25)],
        0.4,
    ),
    ("span label differs", NER, [span(0, 4, "ORG")], [span(0, 4)], 0.0),
    ("span end differs", NER, [span(0, 5)], [span(0, 4)], 0.0),
    ("no spans on either side", NER, [], [], 1.0),
    ("box iou 0.82 matches", PETS, [box(10, 0, 100, 100)], [GOLD], 1.0),
    ("box iou 0.33 misses", PETS, [box(50, 0, 100, 100)], [GOLD], 0.0),
    ("box label differs", PETS, [box(0, 0, 100, 100, "dog")], [GOLD], 0.0),
    ("two boxes on one gold", PETS, [GOLD, box(5, 5, 100, 100)], [GOLD], 2 / 3),
    ("no boxes on either side", PETS, [], [], 1.0),
    ("same choice, other reason", PAIRWISE, prefer("a", "clearer"), prefer("a", "shorter"), 1.0),
    ("other choice", PAIRWISE, prefer("a"), prefer("tie"), 0.0),
    ("same ranking", RANKING, ["r1", "r2", "r3"], ["r1", "r2", "r3"], 1.0),
    ("reversed ranking", RANKING, ["r3", "r2", "r1"], ["r1", "r2", "r3"], 0.0),
    ("one swap of three", RANKING, ["r2", "r1", "r3"], ["r1", "r2", "r3"], 2 / 3),
    ("kitten and sitting", FREE, "kitten", "sitting", 1 - 3 / 7),
    ("same text", FREE, "same", "same", 1.0),
    ("both texts empty", FREE, "", "", 1.0),
]


@pytest.mark.parametrize(
    ("kind", "value", "gold", "score"), [c[1:] for c in EXAMPLES], ids=[c[0] for c in EXAMPLES]
)
def test_worked_examples(kind: Any, value: Any, gold: Any, score: float) -> None:
    assert gold_matches(kind, value, gold) == pytest.approx(score)


def test_box_matching_is_maximal_not_first_come() -> None:
    """A overlaps both golds, B only the first: greedy A→X would strand B; the best pairs both."""
    golds = [box(0, 0, 100, 100), box(20, 0, 100, 100)]
    first_a = [box(10, 0, 100, 100), box(0, 0, 60, 100)]
    assert gold_matches(PETS, first_a, golds) == 1.0
    assert gold_matches(PETS, first_a[::-1], golds) == 1.0


def test_box_iou_worked_example() -> None:
    assert box_iou(box(0, 0, 100, 100), box(10, 0, 100, 100)) == pytest.approx(9000 / 11000)
    assert box_iou(box(0, 0, 10, 10), box(10, 10, 5, 5)) == 0.0


def test_rankings_of_different_responses_cannot_be_compared() -> None:
    refused(lambda: gold_matches(RANKING, ["r1", "r2"], ["r1", "r3"]), ValueInvalid, "gold")


MALFORMED: list[tuple[str, Any, Any, Any, str]] = [
    ("labels not a list", MULTI, "a", ["a"], "value"),
    ("span without end", NER, [{"start": 0, "label": "PER"}], [], "value.0.end"),
    ("gold box x a string", PETS, [], [box("0", 0, 1, 1)], "gold.0.x"),  # type: ignore[arg-type]
    ("preference without choice", PAIRWISE, {"reason": "x"}, prefer("a"), "value.choice"),
    ("free text a number", FREE, "x", 3, "gold"),
]


@pytest.mark.parametrize(
    ("kind", "value", "gold", "field"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED]
)
def test_a_malformed_value_is_refused_not_scored(
    kind: Any, value: Any, gold: Any, field: str
) -> None:
    refused(lambda: gold_matches(kind, value, gold), ValueInvalid, field)


# --- edit distance ----------------------------------------------------------------------------


def reference_distance(a: str, b: str) -> int:
    """Wagner-Fischer, the O(len(a)·len(b)) table everyone can check by hand."""
    row = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, char_b in enumerate(b, 1):
            previous, row[j] = (
                row[j],
                min(row[j] + 1, row[j - 1] + 1, previous + (char_a != char_b)),
            )
    return row[-1]


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("", "", 0),
        ("abc", "", 3),
        ("", "abc", 3),
        ("kitten", "sitting", 3),
        ("flaw", "lawn", 2),
        ("intention", "execution", 5),
        ("naïve 🙂", "naive 🙃", 2),
    ],
)
def test_edit_distance_published_examples(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance


SHORT = st.text(alphabet="abcd🙂", max_size=90)  # a small alphabet makes many matches


@given(SHORT, SHORT)
def test_edit_distance_agrees_with_the_textbook_table(a: str, b: str) -> None:
    assert edit_distance(a, b) == reference_distance(a, b)


@given(SHORT, SHORT, SHORT)
def test_edit_distance_is_a_metric(a: str, b: str, c: str) -> None:
    assert edit_distance(a, b) == edit_distance(b, a)
    assert edit_distance(a, c) <= edit_distance(a, b) + edit_distance(b, c)
    assert abs(len(a) - len(b)) <= edit_distance(a, b) <= max(len(a), len(b))


def test_edit_distance_handles_two_full_length_transcriptions() -> None:
    a = "the quick brown fox jumps over the lazy dog " * 230  # 10,120 characters
    b = a.replace("fox", "cat")
    assert edit_distance(a, b) == 3 * 230
