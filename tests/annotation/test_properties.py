"""Properties every type keeps: normal form is stable and stored as JSON, scores are sane."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crewline.annotation import AnnotationType, gold_matches, validate_value
from tests.annotation.strategies import ANY_CASE, BY_TYPE, Case

UNORDERED = (AnnotationType.MULTI_LABEL, AnnotationType.SPANS, AnnotationType.BOXES)


@given(ANY_CASE)
def test_normalising_twice_changes_nothing(case: Case) -> None:
    normal = validate_value(case.schema, case.value, case.data)
    assert validate_value(case.schema, normal, case.data) == normal


@given(ANY_CASE)
def test_the_normal_form_survives_a_json_round_trip(case: Case) -> None:
    normal = validate_value(case.schema, case.value, case.data)
    assert json.loads(json.dumps(normal)) == normal


@pytest.mark.parametrize("annotation_type", UNORDERED)
@given(data=st.data())
def test_the_order_of_a_set_valued_answer_does_not_matter(
    annotation_type: AnnotationType, data: st.DataObject
) -> None:
    case = data.draw(BY_TYPE[annotation_type])
    shuffled = data.draw(st.permutations(case.value))
    assert validate_value(case.schema, shuffled, case.data) == validate_value(
        case.schema, case.value, case.data
    )


@given(ANY_CASE)
def test_a_value_matches_itself_with_score_one(case: Case) -> None:
    normal = validate_value(case.schema, case.value, case.data)
    assert gold_matches(case.schema, normal, normal) == 1.0


@given(ANY_CASE)
def test_scores_lie_in_zero_to_one_and_are_symmetric(case: Case) -> None:
    value = validate_value(case.schema, case.value, case.data)
    other = validate_value(case.schema, case.other, case.data)
    score = gold_matches(case.schema, value, other)
    assert 0.0 <= score <= 1.0
    assert gold_matches(case.schema, other, value) == score
