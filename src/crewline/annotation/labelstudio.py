"""Label Studio interop: one Crewline task and its values as a Label Studio JSON task, and back.

Label Studio's export (https://labelstud.io/guide/task_format) is a task with ``data`` and
``annotations[].result[]``; each result region names its control (``from_name``), the object it
labels (``to_name``), its ``type`` and a ``value``:

============  ====================  ================================================================
Crewline      result ``type``       ``value``
============  ====================  ================================================================
single_label  ``choices``           ``{"choices": [label]}``
multi_label   ``choices``           ``{"choices": [label, ...]}`` (no region when nothing is chosen)
spans         ``labels``            ``{"start", "end", "text", "labels": [label]}``, one per span
boxes         ``rectanglelabels``   ``{"x", "y", "width", "height"`` in percent of the image,
                                    ``"rotation": 0, "rectanglelabels": [label]}``, with
                                    ``original_width``/``original_height`` on the region
============  ====================  ================================================================

The export names its control ``label`` and its object ``text`` or ``image``, so a matching
labelling config is ``<Text name="text" value="$text"/>`` or
``<Image name="image" value="$image_url"/>`` plus ``<Choices|Labels|RectangleLabels
name="label" toName="...">``. Task data keys are kept as they are.

Span offsets are Unicode code points, as in Python; Label Studio has stored code points rather
than JavaScript's UTF-16 units since 2021 (label-studio PR #1559). An older export whose offsets
are off after an emoji is caught by the span ``text`` check, not silently shifted.

Import is strict: every value goes through :func:`validate_value`, and a region of a type the
schema cannot hold (a ``textarea``, a ``relation``, a rotated box) is refused with its field,
because dropping part of someone's annotation silently is worse than refusing the file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

from crewline.annotation import _checks as check
from crewline.annotation.errors import AnnotationError, ValueInvalid
from crewline.annotation.task_data import image_size, validate_task_data
from crewline.annotation.types import (
    AnnotationValue,
    Box,
    BoxesSchema,
    LabelSchema,
    MultiLabelSchema,
    SingleLabelSchema,
    Span,
    SpansSchema,
)
from crewline.annotation.values import validate_value

FROM_NAME = "label"
TEXT_NAME = "text"
IMAGE_NAME = "image"
ROTATION_TOLERANCE = 1e-9
PIXEL_DIGITS = 6

Region = dict[str, object]


def to_label_studio(
    schema: LabelSchema, task_data: Mapping[str, object], annotations: Sequence[object]
) -> dict[str, object]:
    """One Label Studio task: ``task_data`` and one annotation per value in ``annotations``.

    Each value is validated first (errors name ``annotations.<i>.value...``).
    """
    result_type(schema)
    validate_task_data(schema, task_data)
    values = []
    for i, raw in enumerate(annotations):
        try:
            values.append(validate_value(schema, raw, task_data))
        except AnnotationError as exc:
            raise exc.prefixed(f"annotations.{i}") from None
    return {
        "data": dict(task_data),
        "annotations": [
            {"result": _regions(schema, value, task_data, f"a{i}")}
            for i, value in enumerate(values)
        ],
    }


def from_label_studio(
    schema: LabelSchema, ls_task: Mapping[str, object]
) -> tuple[dict[str, object], list[AnnotationValue]]:
    """Task data and normal-form values from a Label Studio task (export or our own output).

    Cancelled (skipped) annotations are left out. Legacy ``completions`` are read like
    ``annotations``. A box task without ``width``/``height`` takes them from the regions'
    ``original_width``/``original_height``; ``data.image`` stands in for ``data.image_url``.
    """
    expected = result_type(schema)
    task = check.mapping(ls_task, "task", ValueInvalid)
    if "data" not in task:
        raise ValueInvalid("data", "is required: a Label Studio task has its item under data")
    data = dict(check.mapping(task["data"], "data", ValueInvalid))
    key = "annotations" if "annotations" in task or "completions" not in task else "completions"
    annotations = check.sequence(task.get(key, []), key, ValueInvalid, "annotations")
    regions = [
        _result(annotation, f"{key}.{i}", expected) for i, annotation in enumerate(annotations)
    ]
    if isinstance(schema, BoxesSchema):
        _fill_image_size(data, [region for found in regions if found for region in found[1]])
    validate_task_data(schema, data)
    values = []
    for found in regions:
        if found is None:
            continue
        field, results = found
        try:  # the conversion names result.<j>..., validation value.<j>...
            values.append(validate_value(schema, _value(schema, results, data), data))
        except AnnotationError as exc:
            raise exc.prefixed(field) from None
    return data, values


def result_type(schema: LabelSchema) -> str:
    """The Label Studio result type of ``schema``'s type, or :class:`ValueInvalid`."""
    match schema:
        case SingleLabelSchema() | MultiLabelSchema():
            return "choices"
        case SpansSchema():
            return "labels"
        case BoxesSchema():
            return "rectanglelabels"
    raise ValueInvalid(
        "schema.type",
        f"Label Studio interop covers single_label, multi_label, spans and boxes, "
        f"not {schema.type}",
    )


# --- export -----------------------------------------------------------------------------------


def _regions(
    schema: LabelSchema, value: AnnotationValue, data: Mapping[str, object], prefix: str
) -> list[Region]:
    base: Region = {"from_name": FROM_NAME, "to_name": TEXT_NAME}
    match schema:
        case SingleLabelSchema() | MultiLabelSchema():
            if "text" not in data and "image_url" in data:
                base["to_name"] = IMAGE_NAME
            choices = [value] if isinstance(value, str) else cast(list[str], value)
            if not choices:
                return []
            return [{"id": f"{prefix}r0", **base, "type": "choices", "value": {"choices": choices}}]
        case SpansSchema():
            text = str(data["text"])
            return [
                {
                    "id": f"{prefix}r{j}",
                    **base,
                    "type": "labels",
                    "value": {
                        "start": span["start"],
                        "end": span["end"],
                        "text": text[span["start"] : span["end"]],
                        "labels": [span["label"]],
                    },
                }
                for j, span in enumerate(cast(list[Span], value))
            ]
        case BoxesSchema():
            width, height = image_size(data)
            return [
                {
                    "id": f"{prefix}r{j}",
                    **base,
                    "to_name": IMAGE_NAME,
                    "type": "rectanglelabels",
                    "original_width": width,
                    "original_height": height,
                    "image_rotation": 0,
                    "value": {
                        "x": box["x"] / width * 100,
                        "y": box["y"] / height * 100,
                        "width": box["w"] / width * 100,
                        "height": box["h"] / height * 100,
                        "rotation": 0,
                        "rectanglelabels": [box["label"]],
                    },
                }
                for j, box in enumerate(cast(list[Box], value))
            ]
    return []  # pragma: no cover - result_type() refused every other type


# --- import -----------------------------------------------------------------------------------


def _result(
    raw: object, field: str, expected: str
) -> tuple[str, list[Mapping[str, object]]] | None:
    """The annotation's result regions, all of the expected type; None if it was cancelled."""
    annotation = check.mapping(raw, field, ValueInvalid)
    if annotation.get("was_cancelled") is True:
        return None
    results = check.sequence(
        annotation.get("result", []), f"{field}.result", ValueInvalid, "result regions"
    )
    regions = []
    for j, item in enumerate(results):
        region = check.mapping(item, f"{field}.result.{j}", ValueInvalid)
        kind = region.get("type")
        if kind != expected:
            raise ValueInvalid(
                f"{field}.result.{j}.type",
                f"{kind!r} results are not supported here; this schema reads {expected!r}",
            )
        regions.append(region)
    return field, regions


def _fill_image_size(data: dict[str, object], regions: list[Mapping[str, object]]) -> None:
    if "image_url" not in data and isinstance(data.get("image"), str):
        data["image_url"] = data["image"]
    for name, original in (("width", "original_width"), ("height", "original_height")):
        if name not in data:
            sizes = [region[original] for region in regions if original in region]
            if sizes:
                data[name] = sizes[0]


def _value(
    schema: LabelSchema, regions: list[Mapping[str, object]], data: Mapping[str, object]
) -> object:
    """The Crewline value the regions describe, not yet validated (fields as in the export)."""
    match schema:
        case SingleLabelSchema():
            if not regions:
                raise ValueInvalid("result", "has no choice; a single_label answer picks one")
            choices = _choices(regions)
            if len(choices) != 1:
                raise ValueInvalid(
                    "result.0.value.choices", f"must hold one label, got {len(choices)}"
                )
            return choices[0]
        case MultiLabelSchema():
            return _choices(regions) if regions else []
        case SpansSchema():
            return [_span(region, f"result.{j}") for j, region in enumerate(regions)]
        case BoxesSchema():
            size = image_size(data)
            return [_box(region, f"result.{j}", size) for j, region in enumerate(regions)]
    return []  # pragma: no cover - result_type() refused every other type


def _choices(regions: list[Mapping[str, object]]) -> list[str]:
    if len(regions) > 1:
        raise ValueInvalid("result.1", "a second choices region; this schema has one control")
    value = check.mapping(regions[0].get("value"), "result.0.value", ValueInvalid)
    items = check.sequence(value.get("choices"), "result.0.value.choices", ValueInvalid, "labels")
    return [
        check.string(item, f"result.0.value.choices.{i}", ValueInvalid)
        for i, item in enumerate(items)
    ]


def _only_label(value: Mapping[str, object], name: str, field: str) -> str:
    labels = check.sequence(value.get(name), f"{field}.value.{name}", ValueInvalid, "labels")
    if len(labels) != 1:
        raise ValueInvalid(f"{field}.value.{name}", f"must hold one label, got {len(labels)}")
    return check.string(labels[0], f"{field}.value.{name}.0", ValueInvalid)


def _span(region: Mapping[str, object], field: str) -> dict[str, object]:
    value = check.mapping(region.get("value"), f"{field}.value", ValueInvalid)
    span: dict[str, object] = {
        "start": value.get("start"),
        "end": value.get("end"),
        "label": _only_label(value, "labels", field),
    }
    if "text" in value:
        span["text"] = value["text"]
    return span


def _box(region: Mapping[str, object], field: str, size: tuple[int, int]) -> dict[str, object]:
    value = check.mapping(region.get("value"), f"{field}.value", ValueInvalid)
    rotation = value.get("rotation", 0)
    if not check.is_number(rotation) or abs(rotation) > ROTATION_TOLERANCE:
        raise ValueInvalid(f"{field}.value.rotation", "rotated boxes are not supported")
    for name, original, pixels in (
        ("width", "original_width", size[0]),
        ("height", "original_height", size[1]),
    ):
        if original in region and region[original] != pixels:
            raise ValueInvalid(
                f"{field}.{original}",
                f"is {region[original]} but the task's image is {pixels} px in {name}",
            )
    percent = {
        name: check.number(value.get(name), f"{field}.value.{name}", ValueInvalid)
        for name in ("x", "y", "width", "height")
    }
    return {  # rounded: digits past a millionth of a pixel are percent-conversion noise
        "x": round(percent["x"] * size[0] / 100, PIXEL_DIGITS),
        "y": round(percent["y"] * size[1] / 100, PIXEL_DIGITS),
        "w": round(percent["width"] * size[0] / 100, PIXEL_DIGITS),
        "h": round(percent["height"] * size[1] / 100, PIXEL_DIGITS),
        "label": _only_label(value, "rectanglelabels", field),
    }
