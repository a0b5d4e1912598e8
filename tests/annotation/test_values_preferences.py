"""validate_value for pairwise preferences (RLHF) and rankings of responses."""

from __future__ import annotations

from typing import Any

import pytest

from crewline.annotation import LabelSchema, ValueInvalid, validate_value
from tests.annotation.support import PAIR, RESPONSES, refused, schema

STRICT = schema("pairwise", reason_max_length=10)
LENIENT = schema("pairwise", allow_tie=True, reason_required=False)
RUBRIC = schema("pairwise", dimensions=["helpfulness", "harmlessness"])
RANKING = schema("ranking")

ACCEPTED: list[tuple[str, LabelSchema, Any, Any]] = [
    (
        "reason stripped, no dimensions",
        STRICT,
        {"choice": "a", "reason": " clearer "},
        {"choice": "a", "reason": "clearer", "dimensions": {}},
    ),
    ("reason optional", LENIENT, {"choice": "b"}, {"choice": "b", "reason": "", "dimensions": {}}),
    (
        "a tie when allowed",
        LENIENT,
        {"choice": "tie"},
        {"choice": "tie", "reason": "", "dimensions": {}},
    ),
    (
        "dimensions in schema order",
        RUBRIC,
        {"choice": "a", "reason": "safer", "dimensions": {"harmlessness": "a", "helpfulness": "b"}},
        {"choice": "a", "reason": "safer", "dimensions": {"helpfulness": "b", "harmlessness": "a"}},
    ),
    (
        "no dimensions on a rubric",
        RUBRIC,
        {"choice": "b", "reason": "ok", "dimensions": {}},
        {"choice": "b", "reason": "ok", "dimensions": {}},
    ),
    ("a full ranking", RANKING, ["r3", "r1", "r2"], ["r3", "r1", "r2"]),
]


@pytest.mark.parametrize(
    ("kind", "value", "normal"), [c[1:] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED]
)
def test_a_good_value_is_accepted_in_normal_form(
    kind: LabelSchema, value: Any, normal: Any
) -> None:
    data = RESPONSES if kind is RANKING else PAIR
    assert validate_value(kind, value, data) == normal


BOTH = {"helpfulness": "a", "harmlessness": "b"}
REFUSED: list[tuple[str, LabelSchema, Any, str, str]] = [
    ("not a mapping", STRICT, "a", "value", "must be a mapping, got a string"),
    ("no choice", STRICT, {"reason": "x"}, "value.choice", "is required"),
    (
        "choice upper case",
        STRICT,
        {"choice": "A", "reason": "x"},
        "value.choice",
        "'A' is not 'a' or 'b'",
    ),
    (
        "tie not allowed",
        STRICT,
        {"choice": "tie", "reason": "x"},
        "value.choice",
        "does not allow ties",
    ),
    ("choice a number", STRICT, {"choice": 1, "reason": "x"}, "value.choice", "must be a string"),
    ("reason missing", STRICT, {"choice": "a"}, "value.reason", "is required"),
    ("reason blank", STRICT, {"choice": "a", "reason": "  "}, "value.reason", "is required"),
    ("reason a list", STRICT, {"choice": "a", "reason": ["x"]}, "value.reason", "must be a string"),
    (
        "reason too long",
        STRICT,
        {"choice": "a", "reason": "x" * 11},
        "value.reason",
        "is 11 characters; the limit is 10",
    ),
    (
        "unknown field",
        STRICT,
        {"choice": "a", "reason": "x", "confidence": 3},
        "value.confidence",
        "unknown field",
    ),
    (
        "dimensions a list",
        RUBRIC,
        {"choice": "a", "reason": "x", "dimensions": ["a"]},
        "value.dimensions",
        "must be a mapping",
    ),
    (
        "dimensions unasked",
        STRICT,
        {"choice": "a", "reason": "x", "dimensions": {"speed": "a"}},
        "value.dimensions",
        "has no dimensions",
    ),
    (
        "unknown dimension",
        RUBRIC,
        {"choice": "a", "reason": "x", "dimensions": BOTH | {"speed": "a"}},
        "value.dimensions.speed",
        "is not a dimension",
    ),
    (
        "a dimension missing",
        RUBRIC,
        {"choice": "a", "reason": "x", "dimensions": {"helpfulness": "a"}},
        "value.dimensions",
        "misses harmlessness",
    ),
    (
        "dimension choice bad",
        RUBRIC,
        {"choice": "a", "reason": "x", "dimensions": BOTH | {"helpfulness": "c"}},
        "value.dimensions.helpfulness",
        "is not 'a' or 'b'",
    ),
    (
        "dimension tie",
        RUBRIC,
        {"choice": "a", "reason": "x", "dimensions": BOTH | {"harmlessness": "tie"}},
        "value.dimensions.harmlessness",
        "does not allow ties",
    ),
    ("ranking a string", RANKING, "r1", "value", "must be a list of response ids"),
    ("ranking with a number", RANKING, ["r1", 2, "r3"], "value.1", "must be a string"),
    (
        "unknown response",
        RANKING,
        ["r1", "r9", "r3"],
        "value.1",
        "'r9' is not a response of this task",
    ),
    ("response twice", RANKING, ["r1", "r1", "r3"], "value.1", "'r1' is already ranked (value.0)"),
    ("response left out", RANKING, ["r1", "r3"], "value", "rank every response; missing 'r2'"),
]


@pytest.mark.parametrize(
    ("kind", "value", "field", "reason"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_a_bad_value_is_refused_naming_the_field(
    kind: LabelSchema, value: Any, field: str, reason: str
) -> None:
    data = RESPONSES if kind is RANKING else PAIR
    refused(lambda: validate_value(kind, value, data), ValueInvalid, field, reason)
