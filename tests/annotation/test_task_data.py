"""validate_task_data: what each type needs from the task, refused by ``data.<field>``."""

from __future__ import annotations

from typing import Any

import pytest

from crewline.annotation import ValueInvalid, validate_task_data, validate_value
from tests.annotation.support import IMAGE, PAIR, RESPONSES, TEXT, refused, schema

LABELS = ["a", "b"]
SCHEMAS = {
    "single_label": schema("single_label", labels=LABELS),
    "multi_label": schema("multi_label", labels=LABELS),
    "spans": schema("spans", labels=LABELS),
    "boxes": schema("boxes", labels=LABELS),
    "pairwise": schema("pairwise"),
    "ranking": schema("ranking"),
    "ranking of 3+": schema("ranking", min_responses=3),
    "free_text": schema("free_text"),
    "likert": schema("likert"),
}

GOOD: list[tuple[str, dict[str, Any]]] = [
    ("single_label", {"text": TEXT}),
    ("single_label", {"image_url": IMAGE["image_url"], "source": "crawl-7"}),
    ("single_label", {}),
    ("multi_label", {"text": TEXT}),
    ("spans", {"text": TEXT}),
    ("boxes", IMAGE),
    ("pairwise", PAIR),
    ("ranking", RESPONSES),
    ("ranking of 3+", RESPONSES),
    ("free_text", {"audio_url": "https://cdn.example/a.wav"}),
    ("likert", {}),
]


@pytest.mark.parametrize(("kind", "data"), GOOD)
def test_data_a_type_needs_is_accepted_and_extra_fields_are_left_alone(
    kind: str, data: dict[str, Any]
) -> None:
    validate_task_data(SCHEMAS[kind], data)


def _without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != key}


def _responses(*items: Any) -> dict[str, Any]:
    return {"prompt": "Name a prime.", "responses": list(items)}


R1, R2 = {"id": "r1", "text": "2"}, {"id": "r2", "text": "4"}

BAD: list[tuple[str, str, Any, str, str]] = [
    ("data a list", "spans", [TEXT], "data", "must be a mapping"),
    ("spans without text", "spans", {}, "data.text", "is required for spans"),
    ("spans text a number", "spans", {"text": 7}, "data.text", "must be a string"),
    ("spans empty text", "spans", {"text": ""}, "data.text", "must not be empty"),
    ("boxes without url", "boxes", _without(IMAGE, "image_url"), "data.image_url", "required"),
    ("boxes blank url", "boxes", {**IMAGE, "image_url": " "}, "data.image_url", "not be empty"),
    ("boxes without width", "boxes", _without(IMAGE, "width"), "data.width", "is required"),
    ("boxes float width", "boxes", {**IMAGE, "width": 640.0}, "data.width", "whole number"),
    ("boxes text height", "boxes", {**IMAGE, "height": "480"}, "data.height", "whole number"),
    ("boxes boolean width", "boxes", {**IMAGE, "width": True}, "data.width", "whole number"),
    ("boxes zero width", "boxes", {**IMAGE, "width": 0}, "data.width", "at least 1 pixel"),
    ("pairwise without b", "pairwise", _without(PAIR, "response_b"), "data.response_b", "pairwise"),
    ("pairwise prompt a list", "pairwise", {**PAIR, "prompt": ["hi"]}, "data.prompt", "a string"),
    ("ranking without prompt", "ranking", _without(RESPONSES, "prompt"), "data.prompt", "required"),
    ("ranking without responses", "ranking", {"prompt": "p"}, "data.responses", "is required"),
    ("responses a string", "ranking", _responses() | {"responses": "r1"}, "data.responses", "list"),
    ("one response", "ranking", _responses(R1), "data.responses", "at least 2"),
    ("under min_responses", "ranking of 3+", _responses(R1, R2), "data.responses", "at least 3"),
    ("response a string", "ranking", _responses(R1, "r2"), "data.responses.1", "a mapping"),
    ("response without text", "ranking", _responses(R1, {"id": "r2"}), "data.responses.1.text", ""),
    (
        "response extra field",
        "ranking",
        _responses(R1, R2 | {"score": 1}),
        "data.responses.1.score",
        "",
    ),
    (
        "empty response id",
        "ranking",
        _responses(R1, R2 | {"id": ""}),
        "data.responses.1.id",
        "empty",
    ),
    (
        "number response id",
        "ranking",
        _responses(R1, R2 | {"id": 2}),
        "data.responses.1.id",
        "string",
    ),
    ("repeated response id", "ranking", _responses(R1, R2, R1), "data.responses.2.id", "repeats"),
    ("label text a number", "single_label", {"text": 3}, "data.text", "must be a string"),
    ("label image a list", "multi_label", {"image_url": ["u"]}, "data.image_url", "a string"),
    ("free text audio a number", "free_text", {"audio_url": 1}, "data.audio_url", "a string"),
]


@pytest.mark.parametrize(
    ("kind", "data", "field", "reason"), [c[1:] for c in BAD], ids=[c[0] for c in BAD]
)
def test_bad_task_data_is_refused_naming_the_field(
    kind: str, data: Any, field: str, reason: str
) -> None:
    refused(lambda: validate_task_data(SCHEMAS[kind], data), ValueInvalid, field, reason)


def test_validate_value_checks_the_task_data_first() -> None:
    span = [{"start": 0, "end": 1, "label": "a"}]
    refused(lambda: validate_value(SCHEMAS["spans"], span, {}), ValueInvalid, "data.text")
