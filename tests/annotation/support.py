"""Helpers for the annotation tests: build schemas tersely and assert on refusals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from crewline.annotation import AnnotationError, LabelSchema, parse_schema

SENTIMENT = ["positive", "negative", "neutral"]
TEXT = "John Smith met Ada at Acme Corp in Paris."
IMAGE = {"image_url": "https://cdn.example/cat.jpg", "width": 640, "height": 480}
PAIR = {"prompt": "Explain tides.", "response_a": "The moon pulls.", "response_b": "Wind."}
RESPONSES = {
    "prompt": "Name a prime.",
    "responses": [{"id": "r1", "text": "2"}, {"id": "r2", "text": "4"}, {"id": "r3", "text": "7"}],
}


def schema(annotation_type: str, **spec: Any) -> LabelSchema:
    """A schema of ``annotation_type`` from keyword fields."""
    return parse_schema(annotation_type, spec)


def refused(
    call: Callable[[], object], error: type[AnnotationError], field: str, *reason: str
) -> None:
    """``call`` raises ``error`` naming ``field``, with every ``reason`` fragment in its reason."""
    with pytest.raises(error) as info:
        call()
    assert info.value.field == field, info.value.reason
    for fragment in reason:
        assert fragment in info.value.reason
