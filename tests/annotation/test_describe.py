"""describe: what the workspace widget gets, keyboard keys above all."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from hypothesis import given

from crewline.annotation import AnnotationType, describe, parse_schema
from tests.annotation.strategies import ANY_CASE, Case
from tests.annotation.support import schema


def keys(labels: Sequence[object]) -> list[str | None]:
    described = describe(schema("single_label", labels=labels))
    return [label["key"] for label in described["labels"]]  # type: ignore[attr-defined]


def test_labels_without_keys_get_digits_then_letters() -> None:
    assert keys([f"l{i}" for i in range(11)]) == [*"123456789", "a", "b"]


def test_keys_the_schema_gives_are_kept_and_not_handed_out_again() -> None:
    labels = ["spam", {"value": "ham", "key": "1"}, "eggs", {"value": "toast", "key": "b"}]
    assert keys(labels) == ["2", "1", "3", "b"]


def test_a_capital_key_blocks_its_lower_case_letter() -> None:
    given_keys = [{"value": f"l{i}", "key": str(i + 1)} for i in range(9)]
    assert keys([*given_keys, {"value": "x", "key": "A"}, "y"])[-1] == "b"


def test_labels_past_the_last_key_go_without_one() -> None:
    assert keys([f"l{i}" for i in range(36)])[-2:] == ["z", None]  # 9 digits + 26 letters


def test_labels_carry_their_hints() -> None:
    described = describe(schema("spans", labels=[{"value": "PER", "hint": "A person"}, "ORG"]))
    assert described == {
        "type": "spans",
        "labels": [
            {"value": "PER", "hint": "A person", "key": "1"},
            {"value": "ORG", "hint": None, "key": "2"},
        ],
        "allow_overlap": False,
    }


def test_likert_lists_every_point_with_its_caption() -> None:
    likert = parse_schema("likert", "question: Is it polite?\nlabels: {1: Rude, 3: Polite}\nmax: 3")
    assert describe(likert) == {
        "type": "likert",
        "min": 1,
        "max": 3,
        "step": 1,
        "question": "Is it polite?",
        "points": [
            {"value": 1, "caption": "Rude"},
            {"value": 2, "caption": None},
            {"value": 3, "caption": "Polite"},
        ],
    }


@pytest.mark.parametrize(("allow_tie", "choices"), [(False, ["a", "b"]), (True, ["a", "b", "tie"])])
def test_pairwise_offers_a_tie_only_when_allowed(allow_tie: bool, choices: list[str]) -> None:
    assert describe(schema("pairwise", allow_tie=allow_tie))["choices"] == choices


LIMITS = {
    AnnotationType.SINGLE_LABEL: {"labels"},
    AnnotationType.MULTI_LABEL: {"labels", "min_selected", "max_selected"},
    AnnotationType.SPANS: {"labels", "allow_overlap"},
    AnnotationType.BOXES: {"labels", "min_size"},
    AnnotationType.PAIRWISE: {"choices", "reason_required", "reason_max_length", "dimensions"},
    AnnotationType.RANKING: {"min_responses"},
    AnnotationType.FREE_TEXT: {"min_length", "max_length", "multiline"},
    AnnotationType.LIKERT: {"min", "max", "step", "question", "points"},
}


@given(ANY_CASE)
def test_every_type_describes_its_limits_as_json(case: Case) -> None:
    described = json.loads(json.dumps(describe(case.schema)))
    assert described.pop("type") == case.schema.type
    assert set(described) == LIMITS[case.schema.type]
