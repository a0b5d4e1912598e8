"""Checking a submitted annotation value against its schema and task, and normalising it.

Normal form exists so that two workers who gave the same answer store equal values: spans and
boxes sorted, selected labels in schema order, free text stripped with ``\\n`` line ends, a
pairwise answer with every key present. Normalising is idempotent. Errors point into the value
as submitted (``value.2.end`` is the third span the worker sent, whatever its sorted place).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise

from crewline.annotation import _checks as check
from crewline.annotation.errors import ValueInvalid
from crewline.annotation.task_data import (
    image_size,
    response_ids,
    span_text,
    validate_task_data,
)
from crewline.annotation.types import (
    AnnotationValue,
    Box,
    BoxesSchema,
    FreeTextSchema,
    LabelSchema,
    LikertSchema,
    MultiLabelSchema,
    PairwiseSchema,
    Preference,
    RankingSchema,
    SingleLabelSchema,
    Span,
    SpansSchema,
)

EDGE_TOLERANCE = 1e-4
"""Pixels a box may stick out of the image by (float error from percent conversions); the
normal form clamps it back inside."""

SPAN_FIELDS = ("start", "end", "label", "text")
BOX_FIELDS = ("x", "y", "w", "h", "label")
PREFERENCE_FIELDS = ("choice", "reason", "dimensions")


def validate_value(
    schema: LabelSchema, value: object, data: Mapping[str, object]
) -> AnnotationValue:
    """Check ``value`` against ``schema`` and the task's ``data``; return its normal form.

    Raises :class:`ValueInvalid` naming the field (``data.text`` for bad task data,
    ``value.2.end`` for the end of the third span submitted) and why it is refused.
    """
    validate_task_data(schema, data)
    match schema:
        case SingleLabelSchema():
            return _label(schema.label_values, value, "value")
        case MultiLabelSchema():
            return _multi_label(schema, value)
        case SpansSchema():
            return _spans(schema, value, span_text(data))
        case BoxesSchema():
            return _boxes(schema, value, image_size(data))
        case PairwiseSchema():
            return _preference(schema, value)
        case RankingSchema():
            return _ranking(value, response_ids(data, schema))
        case FreeTextSchema():
            return _free_text(schema, value)
        case LikertSchema():
            return _likert(schema, value)


def _label(labels: Sequence[str], raw: object, field: str) -> str:
    label = check.string(raw, field, ValueInvalid)
    if label not in labels:
        raise ValueInvalid(field, f"{label!r} is not a label; expected {check.one_of(labels)}")
    return label


def _multi_label(schema: MultiLabelSchema, raw: object) -> list[str]:
    items = check.sequence(raw, "value", ValueInvalid, "labels")
    labels = schema.label_values
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        label = _label(labels, item, f"value.{i}")
        if label in seen:
            raise ValueInvalid(f"value.{i}", f"{label!r} is already selected (value.{seen[label]})")
        seen[label] = i
    if len(seen) < schema.min_selected:
        raise ValueInvalid(
            "value", f"select at least {schema.min_selected} labels; got {len(seen)}"
        )
    if len(seen) > schema.max_selected:
        raise ValueInvalid("value", f"select at most {schema.max_selected} labels; got {len(seen)}")
    return [label for label in labels if label in seen]


# --- spans ------------------------------------------------------------------------------------


def _spans(schema: SpansSchema, raw: object, text: str) -> list[Span]:
    items = check.sequence(raw, "value", ValueInvalid, "spans")
    spans = [_span(schema, item, f"value.{i}", text) for i, item in enumerate(items)]
    order = sorted(range(len(spans)), key=lambda i: _span_key(spans[i]))
    for before, after in pairwise(order):
        if _span_key(spans[before]) == _span_key(spans[after]):
            later, earlier = max(before, after), min(before, after)
            raise ValueInvalid(f"value.{later}", f"repeats value.{earlier}")
    if not schema.allow_overlap:
        _refuse_overlap(spans, order)
    return [spans[i] for i in order]


def _span_key(span: Span) -> tuple[int, int, str]:
    return span["start"], span["end"], span["label"]


def _span(schema: SpansSchema, raw: object, field: str, text: str) -> Span:
    item = check.mapping(raw, field, ValueInvalid)
    check.known_keys(item, field, ValueInvalid, SPAN_FIELDS, required=SPAN_FIELDS[:3])
    start = check.integer(item["start"], f"{field}.start", ValueInvalid)
    end = check.integer(item["end"], f"{field}.end", ValueInvalid)
    if start < 0:
        raise ValueInvalid(f"{field}.start", f"must be at least 0, got {start}")
    if end > len(text):
        raise ValueInvalid(
            f"{field}.end", f"end {end} is past the end of the text ({len(text)} characters)"
        )
    if end <= start:
        raise ValueInvalid(f"{field}.end", f"end {end} must be more than start {start}")
    label = _label(schema.label_values, item["label"], f"{field}.label")
    if "text" in item:
        quoted = check.string(item["text"], f"{field}.text", ValueInvalid)
        if quoted != text[start:end]:
            raise ValueInvalid(
                f"{field}.text",
                f"{quoted!r} is not the text at {start}..{end}, which is {text[start:end]!r}",
            )
    return {"start": start, "end": end, "label": label}


def _refuse_overlap(spans: list[Span], order: list[int]) -> None:
    """Sweep in start order, remembering the span that reaches furthest right so far."""
    reach: int | None = None
    for i in order:
        if reach is not None and spans[i]["start"] < spans[reach]["end"]:
            other = spans[reach]
            raise ValueInvalid(
                f"value.{i}",
                f"overlaps value.{reach} ({other['start']}..{other['end']} {other['label']!r}); "
                "this schema does not allow overlapping spans",
            )
        if reach is None or spans[i]["end"] > spans[reach]["end"]:
            reach = i


# --- boxes ------------------------------------------------------------------------------------


def _boxes(schema: BoxesSchema, raw: object, size: tuple[int, int]) -> list[Box]:
    items = check.sequence(raw, "value", ValueInvalid, "boxes")
    boxes = [_box(schema, item, f"value.{i}", size) for i, item in enumerate(items)]
    seen: dict[tuple[float, float, float, float, str], int] = {}
    for i, box in enumerate(boxes):
        key = _box_key(box)
        if key in seen:
            raise ValueInvalid(f"value.{i}", f"repeats value.{seen[key]}")
        seen[key] = i
    return sorted(boxes, key=_box_key)


def _box_key(box: Box) -> tuple[float, float, float, float, str]:
    return box["x"], box["y"], box["w"], box["h"], box["label"]


def _box(schema: BoxesSchema, raw: object, field: str, size: tuple[int, int]) -> Box:
    item = check.mapping(raw, field, ValueInvalid)
    check.known_keys(item, field, ValueInvalid, BOX_FIELDS, required=BOX_FIELDS)
    x, w = _extent(schema, item, field, ("x", "w", "wide"), size[0])
    y, h = _extent(schema, item, field, ("y", "h", "high"), size[1])
    label = _label(schema.label_values, item["label"], f"{field}.label")
    return {"x": x, "y": y, "w": w, "h": h, "label": label}


def _extent(
    schema: BoxesSchema,
    item: Mapping[str, object],
    field: str,
    names: tuple[str, str, str],
    limit: int,
) -> tuple[float, float]:
    """The box's start and length on one axis, checked against the image and clamped inside."""
    at, length, adjective = names
    start = check.number(item[at], f"{field}.{at}", ValueInvalid)
    size = check.number(item[length], f"{field}.{length}", ValueInvalid)
    if start < -EDGE_TOLERANCE:
        raise ValueInvalid(f"{field}.{at}", f"must be at least 0, got {start:g}")
    if size < schema.min_size - EDGE_TOLERANCE:
        raise ValueInvalid(
            f"{field}.{length}",
            f"the box is {size:g} px {adjective}; the minimum is {schema.min_size:g} px",
        )
    if start + size > limit + EDGE_TOLERANCE:
        raise ValueInvalid(
            f"{field}.{length}",
            f"the box reaches {at} = {start + size:g} but the image is {limit} px {adjective}",
        )
    start = min(max(start, 0.0), float(limit))
    return start, min(size, limit - start)


# --- preferences and rankings -----------------------------------------------------------------


def _preference(schema: PairwiseSchema, raw: object) -> Preference:
    item = check.mapping(raw, "value", ValueInvalid)
    check.known_keys(item, "value", ValueInvalid, PREFERENCE_FIELDS, required=("choice",))
    choice = _choice(schema, item["choice"], "value.choice")
    reason = ""
    if "reason" in item:
        reason = check.string(item["reason"], "value.reason", ValueInvalid).strip()
    if schema.reason_required and not reason:
        raise ValueInvalid("value.reason", "is required: say why you prefer this response")
    if len(reason) > schema.reason_max_length:
        raise ValueInvalid(
            "value.reason",
            f"is {len(reason)} characters; the limit is {schema.reason_max_length}",
        )
    return {"choice": choice, "reason": reason, "dimensions": _dimensions(schema, item)}


def _choice(schema: PairwiseSchema, raw: object, field: str) -> str:
    choice = check.string(raw, field, ValueInvalid)
    if choice not in schema.choices:
        tie = "" if schema.allow_tie or choice != "tie" else " (this schema does not allow ties)"
        raise ValueInvalid(field, f"{choice!r} is not {check.one_of(schema.choices)}{tie}")
    return choice


def _dimensions(schema: PairwiseSchema, item: Mapping[str, object]) -> dict[str, str]:
    """Either no per-dimension picks or one for every dimension, in schema order.

    A partial answer is refused: a missing dimension would read as "no opinion" to one
    consumer and "skipped by mistake" to another.
    """
    if "dimensions" not in item:
        return {}
    picks = check.mapping(item["dimensions"], "value.dimensions", ValueInvalid)
    if picks and not schema.dimensions:
        raise ValueInvalid("value.dimensions", "this schema has no dimensions")
    for name in picks:
        if name not in schema.dimensions:
            raise ValueInvalid(
                f"value.dimensions.{name}",
                f"is not a dimension; expected {check.one_of(schema.dimensions)}",
            )
    missing = [name for name in schema.dimensions if name not in picks]
    if picks and missing:
        raise ValueInvalid(
            "value.dimensions",
            f"misses {', '.join(missing)}: answer every dimension or none",
        )
    return {
        name: _choice(schema, picks[name], f"value.dimensions.{name}")
        for name in schema.dimensions
        if name in picks
    }


def _ranking(raw: object, ids: tuple[str, ...]) -> list[str]:
    items = check.sequence(raw, "value", ValueInvalid, "response ids")
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        response = check.string(item, f"value.{i}", ValueInvalid)
        if response not in ids:
            raise ValueInvalid(
                f"value.{i}",
                f"{response!r} is not a response of this task; expected {check.one_of(ids)}",
            )
        if response in seen:
            raise ValueInvalid(
                f"value.{i}", f"{response!r} is already ranked (value.{seen[response]})"
            )
        seen[response] = i
    missing = [response for response in ids if response not in seen]
    if missing:
        raise ValueInvalid("value", f"rank every response; missing {check.one_of(missing)}")
    return list(seen)


# --- free text and likert ---------------------------------------------------------------------


def _free_text(schema: FreeTextSchema, raw: object) -> str:
    text = check.string(raw, "value", ValueInvalid)
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not schema.multiline and "\n" in text:
        raise ValueInvalid("value", "must be a single line")
    if len(text) < schema.min_length:
        raise ValueInvalid(
            "value", f"is {len(text)} characters; write at least {schema.min_length}"
        )
    if len(text) > schema.max_length:
        raise ValueInvalid("value", f"is {len(text)} characters; the limit is {schema.max_length}")
    return text


def _likert(schema: LikertSchema, raw: object) -> int:
    point = check.integer(raw, "value", ValueInvalid)
    if point not in schema.points:
        every = "" if schema.step == 1 else f" in steps of {schema.step}"
        raise ValueInvalid(
            "value", f"{point} is not on the scale {schema.min}..{schema.max}{every}"
        )
    return point
