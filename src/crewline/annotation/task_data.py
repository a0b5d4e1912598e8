"""What each annotation type needs from a task's data, checked before any value is.

A value can only be judged against sound data: span offsets need the text, boxes the image
size, a ranking the response ids. A task imported with those missing is refused here, naming
``data.<field>``, instead of failing later as a confusing complaint about a worker's answer.
Fields a type does not use are left alone, so a project may carry extra context.
"""

from __future__ import annotations

from collections.abc import Mapping

from crewline.annotation import _checks as check
from crewline.annotation.errors import ValueInvalid
from crewline.annotation.types import (
    BoxesSchema,
    FreeTextSchema,
    LabelSchema,
    LikertSchema,
    MultiLabelSchema,
    PairwiseSchema,
    RankingSchema,
    SingleLabelSchema,
    SpansSchema,
)

CONTENT_FIELDS = ("text", "image_url")
"""Labelling and free-text items show one of these; they are checked only when present."""
FREE_TEXT_FIELDS = ("text", "audio_url", "image_url")
RESPONSE_FIELDS = ("id", "text")


def validate_task_data(schema: LabelSchema, data: Mapping[str, object]) -> None:
    """Refuse task data that ``schema``'s type needs but is missing or malformed."""
    data = check.mapping(data, "data", ValueInvalid)
    match schema:
        case SingleLabelSchema() | MultiLabelSchema():
            _optional_strings(data, CONTENT_FIELDS)
        case SpansSchema():
            if not span_text(data):
                raise ValueInvalid("data.text", "must not be empty: there is nothing to mark")
        case BoxesSchema():
            image_size(data)
        case PairwiseSchema():
            for name in ("prompt", "response_a", "response_b"):
                _required_string(data, name, schema)
        case RankingSchema():
            response_ids(data, schema)
        case FreeTextSchema():
            _optional_strings(data, FREE_TEXT_FIELDS)
        case LikertSchema():
            pass  # a rating may be about anything


def span_text(data: Mapping[str, object]) -> str:
    """The text spans index into (``data.text``, required)."""
    return _required_string(data, "text", "spans")


def image_size(data: Mapping[str, object]) -> tuple[int, int]:
    """``(width, height)`` in pixels of the task's image, which boxes must lie inside."""
    url = _required_string(data, "image_url", "boxes")
    if not url.strip():
        raise ValueInvalid("data.image_url", "must not be empty")
    width = _pixels(data, "width")
    height = _pixels(data, "height")
    return width, height


def response_ids(data: Mapping[str, object], schema: RankingSchema) -> tuple[str, ...]:
    """The ids of the responses to rank, in task order; at least ``min_responses`` and unique."""
    _required_string(data, "prompt", "ranking")
    if "responses" not in data:
        raise ValueInvalid("data.responses", "is required for ranking tasks")
    items = check.sequence(data["responses"], "data.responses", ValueInvalid, "responses")
    if len(items) < schema.min_responses:
        raise ValueInvalid(
            "data.responses",
            f"has {len(items)} responses; this schema needs at least {schema.min_responses}",
        )
    ids: dict[str, int] = {}
    for i, item in enumerate(items):
        field = f"data.responses.{i}"
        response = check.mapping(item, field, ValueInvalid)
        check.known_keys(response, field, ValueInvalid, RESPONSE_FIELDS, RESPONSE_FIELDS)
        check.string(response["text"], f"{field}.text", ValueInvalid)
        response_id = check.string(response["id"], f"{field}.id", ValueInvalid)
        if not response_id:
            raise ValueInvalid(f"{field}.id", "must not be empty")
        if response_id in ids:
            raise ValueInvalid(
                f"{field}.id", f"{response_id!r} repeats data.responses.{ids[response_id]}.id"
            )
        ids[response_id] = i
    return tuple(ids)


def _required_string(data: Mapping[str, object], name: str, kind: LabelSchema | str) -> str:
    if name not in data:
        what = kind if isinstance(kind, str) else kind.type
        raise ValueInvalid(f"data.{name}", f"is required for {what} tasks")
    return check.string(data[name], f"data.{name}", ValueInvalid)


def _optional_strings(data: Mapping[str, object], names: tuple[str, ...]) -> None:
    for name in names:
        if name in data:
            check.string(data[name], f"data.{name}", ValueInvalid)


def _pixels(data: Mapping[str, object], name: str) -> int:
    if name not in data:
        raise ValueInvalid(f"data.{name}", "is required for boxes tasks: the image size in pixels")
    pixels = check.integer(data[name], f"data.{name}", ValueInvalid)
    if pixels < 1:
        raise ValueInvalid(f"data.{name}", f"must be at least 1 pixel, got {pixels}")
    return pixels
