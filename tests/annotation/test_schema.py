"""parse_schema: what each type's schema accepts, its defaults, and every refusal by field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given

from crewline.annotation import (
    AnnotationType,
    Label,
    LikertSchema,
    SchemaError,
    SingleLabelSchema,
    SpansSchema,
    parse_schema,
)
from tests.annotation.strategies import ANY_CASE, Case
from tests.annotation.support import SENTIMENT, refused

# --- accepted ---------------------------------------------------------------------------------

DEFAULTS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "single_label": ({"labels": ["a", "b"]}, {"labels": ["a", "b"]}),
    "multi_label": (
        {"labels": ["a", "b", "c"]},
        {"labels": ["a", "b", "c"], "min_selected": 0, "max_selected": 3},
    ),
    "spans": ({"labels": ["a", "b"]}, {"labels": ["a", "b"], "allow_overlap": False}),
    "boxes": ({"labels": ["a", "b"]}, {"labels": ["a", "b"], "min_size": 1.0}),
    "pairwise": (
        {},
        {"allow_tie": False, "reason_required": True, "reason_max_length": 2000, "dimensions": []},
    ),
    "ranking": ({}, {"min_responses": 2}),
    "free_text": ({}, {"min_length": 1, "max_length": 10_000, "multiline": True}),
    "likert": ({}, {"min": 1, "max": 5, "step": 1, "labels": {}, "question": None}),
}


@pytest.mark.parametrize("annotation_type", list(AnnotationType))
def test_missing_fields_take_their_defaults_and_to_dict_writes_them_out(
    annotation_type: AnnotationType,
) -> None:
    spec, written = DEFAULTS[annotation_type]
    schema = parse_schema(annotation_type, spec)
    assert schema.type is annotation_type
    assert schema.to_dict() == {"type": annotation_type.value, **written}


def test_yaml_text_with_hints_and_keys_is_read() -> None:
    schema = parse_schema(
        "single_label",
        """
        labels:
          - positive
          - {value: negative, hint: "Complaints, anger", key: n}
          - value: neutral
            key: 3
        """,
    )
    assert isinstance(schema, SingleLabelSchema)
    assert schema.labels == (
        Label("positive"),
        Label("negative", hint="Complaints, anger", key="n"),
        Label("neutral", key="3"),
    )


def test_json_text_is_read_even_with_tab_indentation() -> None:
    text = '{\n\t"labels": ["PER", "ORG"],\n\t"allow_overlap": true\n}'
    assert parse_schema("spans", text) == SpansSchema(
        labels=(Label("PER"), Label("ORG")), allow_overlap=True
    )


def test_yaml_flow_mapping_that_is_not_json_is_read() -> None:
    assert parse_schema("spans", "{labels: [PER, ORG]}").to_dict()["labels"] == ["PER", "ORG"]


def test_an_empty_document_means_every_default() -> None:
    assert parse_schema("likert", "") == parse_schema("likert", {})


def test_likert_captions_accept_yaml_number_keys_and_json_string_keys() -> None:
    from_yaml = parse_schema("likert", "labels:\n  1: Strongly disagree\n  5: Strongly agree")
    from_json = parse_schema(
        "likert", '{"labels": {"5": "Strongly agree", "1": "Strongly disagree"}}'
    )
    assert from_yaml == from_json
    assert isinstance(from_yaml, LikertSchema)
    assert from_yaml.caption(1) == "Strongly disagree"
    assert from_yaml.caption(3) is None


def test_labels_are_stripped() -> None:
    assert parse_schema("single_label", {"labels": [" cat ", "dog\n"]}).to_dict()["labels"] == [
        "cat",
        "dog",
    ]


def test_a_type_field_that_agrees_is_accepted() -> None:
    assert parse_schema("ranking", {"type": "ranking"}) == parse_schema(AnnotationType.RANKING, {})


@given(ANY_CASE)
def test_to_dict_is_json_and_parses_back_to_the_same_schema(case: Case) -> None:
    stored = json.loads(json.dumps(case.schema.to_dict()))
    assert parse_schema(case.schema.type, stored) == case.schema


# --- refused ----------------------------------------------------------------------------------

TWO = ["a", "b"]
BAD_SCHEMAS: list[tuple[str, str, Any, str, str]] = [
    # (id, type, spec, field, reason fragment)
    ("unknown type", "sentiment", {}, "type", "not an annotation type"),
    ("type field disagrees", "single_label", {"type": "spans", "labels": TWO}, "type", "'spans'"),
    ("text is a list", "single_label", "[a, b]", "schema", "must be a mapping"),
    ("mapping is a list", "single_label", ["a", "b"], "schema", "must be a mapping"),
    ("broken yaml", "single_label", "labels: [a, b", "schema", "not valid YAML"),
    ("yaml key twice", "single_label", "labels: [a, b]\nlabels: [c, d]", "schema", "twice"),
    ("yaml flow key twice", "single_label", "{labels: [a, b], labels: [c]}", "schema", "twice"),
    (
        "json key twice",
        "single_label",
        '{"labels": ["a","b"], "labels": ["c","d"]}',
        "schema",
        "twice",
    ),
    ("text too long", "likert", "#" * 70_000, "schema", "the limit is 65536"),
    (
        "unknown field",
        "single_label",
        {"labels": TWO, "allow_overlap": True},
        "allow_overlap",
        "unknown field",
    ),
    (
        "misspelt field",
        "spans",
        {"labels": TWO, "allow_overlaps": True},
        "allow_overlaps",
        "expected",
    ),
    ("labels on pairwise", "pairwise", {"labels": TWO}, "labels", "unknown field"),
    # labels
    ("labels missing", "single_label", {}, "labels", "is required"),
    ("labels null", "spans", {"labels": None}, "labels", "is null"),
    ("labels a string", "single_label", {"labels": "a, b"}, "labels", "must be a list"),
    ("one label", "single_label", {"labels": ["a"]}, "labels", "at least 2 labels, got 1"),
    (
        "too many labels",
        "single_label",
        {"labels": [str(i) for i in range(501)]},
        "labels",
        "limit is 500",
    ),
    ("empty label", "single_label", {"labels": ["a", ""]}, "labels.1", "must not be empty"),
    ("blank label", "single_label", {"labels": ["a", "  "]}, "labels.1", "must not be empty"),
    (
        "duplicate label",
        "single_label",
        {"labels": ["a", "b", "a"]},
        "labels.2",
        "repeats labels.0",
    ),
    (
        "duplicate after strip",
        "single_label",
        {"labels": ["a", " a "]},
        "labels.1",
        "repeats labels.0",
    ),
    ("yaml boolean label", "single_label", "labels: [yes, no]", "labels.0", "YAML reads yes/no"),
    ("number label", "single_label", {"labels": ["a", 2]}, "labels.1", "quote it"),
    (
        "nested list label",
        "single_label",
        {"labels": [["a"], "b"]},
        "labels.0",
        "string or a mapping",
    ),
    ("label too long", "single_label", {"labels": ["x" * 201, "b"]}, "labels.0", "limit is 200"),
    (
        "label unknown key",
        "single_label",
        {"labels": [{"value": "a", "colour": "red"}, "b"]},
        "labels.0.colour",
        "unknown field",
    ),
    (
        "label without value",
        "single_label",
        {"labels": [{"hint": "h"}, "b"]},
        "labels.0.value",
        "is required",
    ),
    (
        "empty hint",
        "single_label",
        {"labels": [{"value": "a", "hint": ""}, "b"]},
        "labels.0.hint",
        "must not be empty",
    ),
    (
        "long key",
        "single_label",
        {"labels": [{"value": "a", "key": "ctrl+1"}, "b"]},
        "labels.0.key",
        "single visible character",
    ),
    (
        "space key",
        "single_label",
        {"labels": [{"value": "a", "key": " "}, "b"]},
        "labels.0.key",
        "single visible character",
    ),
    (
        "duplicate key",
        "single_label",
        {"labels": [{"value": "a", "key": "x"}, {"value": "b", "key": "x"}]},
        "labels.1.key",
        "already the key of labels.0",
    ),
    # multi_label
    (
        "min_selected negative",
        "multi_label",
        {"labels": TWO, "min_selected": -1},
        "min_selected",
        "at least 0",
    ),
    (
        "max_selected zero",
        "multi_label",
        {"labels": TWO, "max_selected": 0},
        "max_selected",
        "at least 1",
    ),
    (
        "max_selected over labels",
        "multi_label",
        {"labels": TWO, "max_selected": 3},
        "max_selected",
        "only 2 labels",
    ),
    (
        "min over max",
        "multi_label",
        {"labels": ["a", "b", "c"], "min_selected": 3, "max_selected": 2},
        "min_selected",
        "more than max_selected (2)",
    ),
    (
        "min_selected a string",
        "multi_label",
        {"labels": TWO, "min_selected": "1"},
        "min_selected",
        "whole number, got a string",
    ),
    (
        "min_selected a boolean",
        "multi_label",
        {"labels": TWO, "min_selected": True},
        "min_selected",
        "got a boolean",
    ),
    (
        "min_selected a float",
        "multi_label",
        {"labels": TWO, "min_selected": 1.0},
        "min_selected",
        "got a number",
    ),
    (
        "max_selected null",
        "multi_label",
        {"labels": TWO, "max_selected": None},
        "max_selected",
        "leave the field out",
    ),
    # spans and boxes
    (
        "allow_overlap a string",
        "spans",
        {"labels": TWO, "allow_overlap": "yes"},
        "allow_overlap",
        "true or false",
    ),
    (
        "allow_overlap a number",
        "spans",
        {"labels": TWO, "allow_overlap": 1},
        "allow_overlap",
        "true or false",
    ),
    ("min_size zero", "boxes", {"labels": TWO, "min_size": 0}, "min_size", "more than 0"),
    ("min_size negative", "boxes", {"labels": TWO, "min_size": -2.5}, "min_size", "more than 0"),
    ("min_size a string", "boxes", {"labels": TWO, "min_size": "big"}, "min_size", "finite number"),
    (
        "min_size not a number",
        "boxes",
        {"labels": TWO, "min_size": float("nan")},
        "min_size",
        "finite number",
    ),
    # pairwise
    (
        "reason_max_length zero",
        "pairwise",
        {"reason_max_length": 0},
        "reason_max_length",
        "at least 1",
    ),
    ("allow_tie a string", "pairwise", {"allow_tie": "no"}, "allow_tie", "true or false"),
    (
        "dimensions a string",
        "pairwise",
        {"dimensions": "helpfulness"},
        "dimensions",
        "must be a list",
    ),
    (
        "duplicate dimension",
        "pairwise",
        {"dimensions": ["honesty", "honesty"]},
        "dimensions.1",
        "repeats dimensions.0",
    ),
    ("empty dimension", "pairwise", {"dimensions": [""]}, "dimensions.0", "must not be empty"),
    # ranking
    ("min_responses one", "ranking", {"min_responses": 1}, "min_responses", "at least 2"),
    ("min_responses huge", "ranking", {"min_responses": 101}, "min_responses", "at most 100"),
    # free_text
    (
        "min_length over max_length",
        "free_text",
        {"min_length": 10, "max_length": 5},
        "min_length",
        "more than max_length (5)",
    ),
    ("max_length zero", "free_text", {"max_length": 0}, "max_length", "at least 1"),
    ("max_length huge", "free_text", {"max_length": 100_001}, "max_length", "at most 100000"),
    ("multiline a string", "free_text", {"multiline": "true"}, "multiline", "true or false"),
    # likert
    ("max equals min", "likert", {"min": 3, "max": 3}, "max", "more than min (3)"),
    ("max below min", "likert", {"min": 5, "max": 1}, "max", "more than min (5)"),
    ("step zero", "likert", {"step": 0}, "step", "at least 1"),
    ("step does not divide", "likert", {"min": 1, "max": 5, "step": 3}, "step", "does not divide"),
    ("too many points", "likert", {"min": 0, "max": 200}, "max", "the limit is 101"),
    ("min a boolean", "likert", {"min": False}, "min", "got a boolean"),
    (
        "caption off the scale",
        "likert",
        {"labels": {"7": "x"}},
        "labels.7",
        "not a point on the scale 1..5",
    ),
    (
        "caption off the steps",
        "likert",
        {"max": 5, "step": 2, "labels": {"2": "x"}},
        "labels.2",
        "in steps of 2",
    ),
    (
        "caption key not a number",
        "likert",
        {"labels": {"low": "x"}},
        "labels.low",
        "not a whole number",
    ),
    (
        "caption point twice",
        "likert",
        {"labels": {1: "a", "1": "b"}},
        "labels.1",
        "repeats the caption",
    ),
    ("empty caption", "likert", {"labels": {"1": ""}}, "labels.1", "must not be empty"),
    ("captions a list", "likert", {"labels": ["bad", "good"]}, "labels", "must be a mapping"),
    ("empty question", "likert", {"question": " "}, "question", "must not be empty"),
]


@pytest.mark.parametrize(
    ("annotation_type", "spec", "field", "reason"),
    [case[1:] for case in BAD_SCHEMAS],
    ids=[case[0] for case in BAD_SCHEMAS],
)
def test_a_bad_schema_is_refused_naming_the_field(
    annotation_type: str, spec: Any, field: str, reason: str
) -> None:
    refused(lambda: parse_schema(annotation_type, spec), SchemaError, field, reason)


def test_the_unknown_type_message_lists_the_types() -> None:
    with pytest.raises(SchemaError) as info:
        parse_schema("ner", {})
    assert "'spans'" in info.value.reason


def test_a_schema_error_reads_field_then_reason() -> None:
    with pytest.raises(SchemaError) as info:
        parse_schema("single_label", {"labels": SENTIMENT[:1]})
    assert str(info.value) == "labels: needs at least 2 labels, got 1"
