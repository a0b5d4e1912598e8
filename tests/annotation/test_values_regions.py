"""validate_value for spans (character ranges of text) and boxes (pixel rectangles)."""

from __future__ import annotations

from typing import Any

import pytest

from crewline.annotation import ValueInvalid, validate_value
from tests.annotation.support import IMAGE, TEXT, refused, schema

NER = schema("spans", labels=["PER", "ORG", "LOC"])
NESTED_NER = schema("spans", labels=["PER", "ORG", "LOC"], allow_overlap=True)
DATA = {"text": TEXT}  # "John Smith met Ada at Acme Corp in Paris." (41 characters)


def span(start: int, end: int, label: str = "PER", **extra: Any) -> dict[str, Any]:
    return {"start": start, "end": end, "label": label, **extra}


JOHN, ADA, ACME, PARIS = span(0, 10), span(15, 18), span(22, 31, "ORG"), span(35, 40, "LOC")

# --- spans ------------------------------------------------------------------------------------


def test_spans_are_sorted_by_start() -> None:
    assert validate_value(NER, [PARIS, JOHN, ACME, ADA], DATA) == [JOHN, ADA, ACME, PARIS]


def test_no_spans_is_an_answer() -> None:
    assert validate_value(NER, [], DATA) == []


def test_a_quoted_text_that_matches_is_accepted_and_dropped() -> None:
    assert validate_value(NER, [span(0, 4, text="John")], DATA) == [span(0, 4)]


def test_touching_spans_do_not_overlap() -> None:
    assert validate_value(NER, [span(0, 4), span(4, 10, "ORG")], DATA) == [
        span(0, 4),
        span(4, 10, "ORG"),
    ]


def test_nested_spans_are_accepted_when_the_schema_allows_overlap() -> None:
    nested = [span(22, 31, "ORG"), span(22, 26, "LOC")]
    assert validate_value(NESTED_NER, nested, DATA) == [span(22, 26, "LOC"), span(22, 31, "ORG")]


def test_offsets_count_code_points_so_an_emoji_is_one_character() -> None:
    text = "I 🙂 Paris"
    assert validate_value(NER, [span(4, 9, "LOC", text="Paris")], {"text": text}) == [
        span(4, 9, "LOC")
    ]


SPANS_REFUSED: list[tuple[str, Any, str, str]] = [
    ("not a list", JOHN, "value", "must be a list of spans"),
    ("a string item", ["John"], "value.0", "must be a mapping"),
    ("no end", [{"start": 0, "label": "PER"}], "value.0.end", "is required"),
    ("no label", [{"start": 0, "end": 4}], "value.0.label", "is required"),
    ("an extra field", [span(0, 4, score=0.9)], "value.0.score", "unknown field"),
    ("negative start", [span(-1, 4)], "value.0.start", "must be at least 0, got -1"),
    ("string start", [span("0", 4)], "value.0.start", "whole number, got a string"),  # type: ignore[arg-type]
    ("boolean end", [span(0, True)], "value.0.end", "whole number, got a boolean"),
    ("float end", [span(0, 4.0)], "value.0.end", "whole number, got a number"),  # type: ignore[arg-type]
    (
        "end past text",
        [JOHN, span(50, 57)],
        "value.1.end",
        "end 57 is past the end of the text (41",
    ),
    ("empty span", [span(4, 4)], "value.0.end", "end 4 must be more than start 4"),
    ("reversed span", [span(10, 4)], "value.0.end", "end 4 must be more than start 10"),
    ("unknown label", [span(0, 4, "PERSON")], "value.0.label", "'PERSON' is not a label"),
    ("quoted text differs", [span(0, 4, text="Jon")], "value.0.text", "which is 'John'"),
    ("quoted text a number", [span(0, 4, text=4)], "value.0.text", "must be a string"),
    ("repeated span", [JOHN, ADA, JOHN], "value.2", "repeats value.0"),
    ("overlapping spans", [ADA, span(0, 4), span(2, 6, "ORG")], "value.2", "overlaps value.1"),
    ("same range, two labels", [JOHN, span(0, 10, "ORG")], "value.0", "overlaps value.1"),
    ("inside a longer span", [span(0, 40, "LOC"), ACME, ADA], "value.2", "overlaps value.0"),
]


@pytest.mark.parametrize(
    ("value", "field", "reason"), [c[1:] for c in SPANS_REFUSED], ids=[c[0] for c in SPANS_REFUSED]
)
def test_a_bad_span_is_refused_naming_the_field(value: Any, field: str, reason: str) -> None:
    refused(lambda: validate_value(NER, value, DATA), ValueInvalid, field, reason)


def test_the_overlap_message_shows_the_other_span() -> None:
    refused(
        lambda: validate_value(NER, [span(0, 4), span(2, 6, "ORG")], DATA),
        ValueInvalid,
        "value.1",
        "(0..4 'PER')",
        "does not allow overlapping spans",
    )


# --- boxes ------------------------------------------------------------------------------------

PETS = schema("boxes", labels=["cat", "dog"], min_size=2)


def box(x: Any, y: Any, w: Any, h: Any, label: str = "cat", **extra: Any) -> dict[str, Any]:
    return {"x": x, "y": y, "w": w, "h": h, "label": label, **extra}


def test_boxes_become_floats_sorted_by_position() -> None:
    assert validate_value(PETS, [box(300, 10, 50, 60, "dog"), box(10, 20, 30, 40)], IMAGE) == [
        box(10.0, 20.0, 30.0, 40.0),
        box(300.0, 10.0, 50.0, 60.0, "dog"),
    ]


def test_a_box_may_fill_the_image() -> None:
    assert validate_value(PETS, [box(0, 0, 640, 480)], IMAGE) == [box(0.0, 0.0, 640.0, 480.0)]


def test_float_error_past_the_edge_is_clamped_back_inside() -> None:
    clamped = validate_value(PETS, [box(-1e-9, 100, 640.00000001, 20)], IMAGE)
    assert clamped == [box(0.0, 100.0, 640.0, 20.0)]


def test_overlapping_boxes_are_fine() -> None:
    assert len(validate_value(PETS, [box(0, 0, 50, 50), box(10, 10, 50, 50)], IMAGE)) == 2  # type: ignore[arg-type]


BOXES_REFUSED: list[tuple[str, Any, str, str]] = [
    ("not a list", box(0, 0, 5, 5), "value", "must be a list of boxes"),
    ("a list item", [[0, 0, 5, 5]], "value.0", "must be a mapping"),
    ("no height", [{"x": 0, "y": 0, "w": 5, "label": "cat"}], "value.0.h", "is required"),
    ("an extra field", [box(0, 0, 5, 5, score=1)], "value.0.score", "unknown field"),
    ("string x", [box("0", 0, 5, 5)], "value.0.x", "finite number, got a string"),
    ("infinite y", [box(0, float("inf"), 5, 5)], "value.0.y", "finite number"),
    ("boolean w", [box(0, 0, True, 5)], "value.0.w", "got a boolean"),
    ("negative x", [box(-3, 0, 5, 5)], "value.0.x", "must be at least 0, got -3"),
    ("negative y", [box(0, -0.5, 5, 5)], "value.0.y", "must be at least 0, got -0.5"),
    ("too narrow", [box(0, 0, 1, 5)], "value.0.w", "the box is 1 px wide; the minimum is 2 px"),
    ("too low", [box(0, 0, 5, 1.5)], "value.0.h", "the box is 1.5 px high"),
    ("zero width", [box(0, 0, 0, 5)], "value.0.w", "the box is 0 px wide"),
    (
        "past the right edge",
        [box(600, 0, 50, 5)],
        "value.0.w",
        "reaches x = 650 but the image is 640 px wide",
    ),
    (
        "past the bottom",
        [box(0, 470, 5, 20)],
        "value.0.h",
        "reaches y = 490 but the image is 480 px high",
    ),
    ("unknown label", [box(0, 0, 5, 5, "cow")], "value.0.label", "'cow' is not a label"),
    ("repeated box", [box(0, 0, 5, 5), box(0, 0, 5.0, 5)], "value.1", "repeats value.0"),
]


@pytest.mark.parametrize(
    ("value", "field", "reason"), [c[1:] for c in BOXES_REFUSED], ids=[c[0] for c in BOXES_REFUSED]
)
def test_a_bad_box_is_refused_naming_the_field(value: Any, field: str, reason: str) -> None:
    refused(lambda: validate_value(PETS, value, IMAGE), ValueInvalid, field, reason)
