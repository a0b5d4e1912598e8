"""validate_value for single_label, multi_label, likert and free_text."""

from __future__ import annotations

from typing import Any

import pytest

from crewline.annotation import LabelSchema, ValueInvalid, validate_value
from tests.annotation.support import SENTIMENT, TEXT, refused, schema

SINGLE = schema("single_label", labels=SENTIMENT)
MULTI = schema("multi_label", labels=["a", "b", "c", "d"], min_selected=1, max_selected=3)
LIKERT = schema("likert")
ODD_LIKERT = schema("likert", min=1, max=9, step=2)
ONE_LINE = schema("free_text", min_length=2, max_length=10, multiline=False)
LINES = schema("free_text")
DATA = {"text": TEXT}

ACCEPTED: list[tuple[str, LabelSchema, Any, Any]] = [
    ("a label", SINGLE, "neutral", "neutral"),
    ("labels in schema order", MULTI, ["c", "a"], ["a", "c"]),
    ("a tuple of labels", MULTI, ("d",), ["d"]),
    ("the most labels", MULTI, ["a", "b", "c"], ["a", "b", "c"]),
    ("a point", LIKERT, 3, 3),
    ("the lowest point", LIKERT, 1, 1),
    ("a point on a stepped scale", ODD_LIKERT, 7, 7),
    ("text stripped", ONE_LINE, "  hello \n", "hello"),
    ("line ends made \\n", LINES, "one\r\ntwo\rthree", "one\ntwo\nthree"),
]


@pytest.mark.parametrize(
    ("kind", "value", "normal"), [c[1:] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED]
)
def test_a_good_value_is_accepted_in_normal_form(
    kind: LabelSchema, value: Any, normal: Any
) -> None:
    assert validate_value(kind, value, DATA) == normal


REFUSED: list[tuple[str, LabelSchema, Any, str, str]] = [
    ("label a number", SINGLE, 5, "value", "must be a string, got a whole number"),
    ("label missing", SINGLE, None, "value", "must be a string, got null"),
    ("label in a list", SINGLE, ["neutral"], "value", "must be a string, got a list"),
    ("label of another case", SINGLE, "Neutral", "value", "'Neutral' is not a label"),
    ("labels a string", MULTI, "a", "value", "must be a list of labels"),
    ("labels with a number", MULTI, ["a", 1], "value.1", "must be a string"),
    ("labels with an unknown", MULTI, ["a", "z"], "value.1", "'z' is not a label"),
    ("label picked twice", MULTI, ["a", "b", "a"], "value.2", "already selected (value.0)"),
    ("too few labels", MULTI, [], "value", "select at least 1 labels; got 0"),
    ("too many labels", MULTI, ["a", "b", "c", "d"], "value", "select at most 3 labels; got 4"),
    ("point a boolean", LIKERT, True, "value", "got a boolean"),
    ("point a float", LIKERT, 3.0, "value", "whole number, got a number"),
    ("point a string", LIKERT, "3", "value", "whole number, got a string"),
    ("point below", LIKERT, 0, "value", "0 is not on the scale 1..5"),
    ("point above", LIKERT, 6, "value", "6 is not on the scale 1..5"),
    ("point between steps", ODD_LIKERT, 4, "value", "in steps of 2"),
    ("text a number", ONE_LINE, 5, "value", "must be a string"),
    ("text too short", ONE_LINE, "a", "value", "is 1 characters; write at least 2"),
    ("text only spaces", ONE_LINE, "    ", "value", "is 0 characters"),
    ("text too long", ONE_LINE, "x" * 11, "value", "is 11 characters; the limit is 10"),
    ("text on two lines", ONE_LINE, "one\ntwo", "value", "must be a single line"),
]


@pytest.mark.parametrize(
    ("kind", "value", "field", "reason"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_a_bad_value_is_refused_naming_the_field(
    kind: LabelSchema, value: Any, field: str, reason: str
) -> None:
    refused(lambda: validate_value(kind, value, DATA), ValueInvalid, field, reason)


def test_a_long_label_list_is_cut_short_in_the_message() -> None:
    many = schema("single_label", labels=[f"label{i}" for i in range(30)])
    refused(lambda: validate_value(many, "nope", DATA), ValueInvalid, "value", "(30 in all)")
