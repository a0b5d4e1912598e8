"""Label Studio interop: the export shape, reading real export shapes, refusals, round trips."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import given

from crewline.annotation import (
    AnnotationType,
    ValueInvalid,
    from_label_studio,
    to_label_studio,
    validate_value,
)
from tests.annotation.strategies import LABEL_STUDIO_CASES, Case
from tests.annotation.support import IMAGE, SENTIMENT, TEXT, refused, schema

SINGLE = schema("single_label", labels=SENTIMENT)
MULTI = schema("multi_label", labels=["a", "b", "c"])
NER = schema("spans", labels=["PER", "ORG"])
PETS = schema("boxes", labels=["cat", "dog"])


def _results(task: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return [annotation["result"] for annotation in task["annotations"]]


# --- export -----------------------------------------------------------------------------------


def test_single_label_exports_as_choices_on_the_text() -> None:
    task = to_label_studio(SINGLE, {"text": "Great!"}, ["positive"])
    assert task["data"] == {"text": "Great!"}
    [[region]] = _results(task)
    assert region == {
        "id": "a0r0",
        "from_name": "label",
        "to_name": "text",
        "type": "choices",
        "value": {"choices": ["positive"]},
    }


def test_choices_on_an_image_point_at_the_image() -> None:
    [[region]] = _results(to_label_studio(SINGLE, {"image_url": "u"}, ["neutral"]))
    assert region["to_name"] == "image"


def test_multi_label_exports_one_region_in_schema_order_or_none_when_empty() -> None:
    task = to_label_studio(MULTI, {"text": "t"}, [["c", "a"], []])
    first, second = _results(task)
    assert [region["value"] for region in first] == [{"choices": ["a", "c"]}]
    assert second == []


def test_spans_export_as_labels_with_their_text() -> None:
    task = to_label_studio(NER, {"text": TEXT}, [[{"start": 22, "end": 31, "label": "ORG"}]])
    [[region]] = _results(task)
    assert region["type"] == "labels"
    assert region["value"] == {"start": 22, "end": 31, "text": "Acme Corp", "labels": ["ORG"]}


def test_boxes_export_in_percent_of_the_original_size() -> None:
    box = {"x": 64, "y": 48, "w": 320, "h": 240, "label": "dog"}
    [[region]] = _results(to_label_studio(PETS, IMAGE, [[box]]))
    assert region["type"] == "rectanglelabels"
    assert (region["to_name"], region["original_width"], region["original_height"]) == (
        "image",
        640,
        480,
    )
    assert region["value"] == {
        "x": 10.0,
        "y": 10.0,
        "width": 50.0,
        "height": 50.0,
        "rotation": 0,
        "rectanglelabels": ["dog"],
    }


# --- import of Label Studio's own export shapes -----------------------------------------------


def test_an_exported_image_task_gets_its_size_and_url_from_the_regions() -> None:
    exported = {
        "id": 1,
        "data": {"image": "https://example.com/1.jpg"},
        "annotations": [
            {
                "id": 1001,
                "result": [
                    {
                        "from_name": "tag",
                        "id": "Dx_aB91ISN",
                        "to_name": "img",
                        "type": "rectanglelabels",
                        "original_width": 1000,
                        "original_height": 500,
                        "image_rotation": 0,
                        "value": {
                            "x": 50.8,
                            "y": 5.8,
                            "width": 12.4,
                            "height": 10,
                            "rotation": 0,
                            "rectanglelabels": ["cat"],
                        },
                    }
                ],
                "was_cancelled": False,
                "ground_truth": False,
            }
        ],
        "predictions": [],
    }
    data, values = from_label_studio(PETS, exported)
    assert data == {
        "image": "https://example.com/1.jpg",
        "image_url": "https://example.com/1.jpg",
        "width": 1000,
        "height": 500,
    }
    assert values == [[{"x": 508.0, "y": 29.0, "w": 124.0, "h": 50.0, "label": "cat"}]]


def test_an_exported_ner_task_is_read_and_checked_against_its_text() -> None:
    exported = {
        "data": {"text": TEXT},
        "annotations": [
            {
                "result": [
                    {
                        "value": {"start": 22, "end": 31, "text": "Acme Corp", "labels": ["ORG"]},
                        "id": "gew3t9fgkg",
                        "from_name": "label",
                        "to_name": "text",
                        "type": "labels",
                        "origin": "manual",
                    },
                    {
                        "value": {"start": 0, "end": 10, "text": "John Smith", "labels": ["PER"]},
                        "from_name": "label",
                        "to_name": "text",
                        "type": "labels",
                    },
                ]
            }
        ],
    }
    assert from_label_studio(NER, exported) == (
        {"text": TEXT},
        [[{"start": 0, "end": 10, "label": "PER"}, {"start": 22, "end": 31, "label": "ORG"}]],
    )


def test_cancelled_annotations_are_left_out_and_legacy_completions_are_read() -> None:
    choice = {
        "from_name": "l",
        "to_name": "t",
        "type": "choices",
        "value": {"choices": ["neutral"]},
    }
    legacy = {
        "data": {"text": "ok"},
        "completions": [{"result": [choice]}, {"result": [], "was_cancelled": True}],
    }
    assert from_label_studio(SINGLE, legacy) == ({"text": "ok"}, ["neutral"])


def test_a_task_without_annotations_gives_its_data_and_no_values() -> None:
    assert from_label_studio(MULTI, {"data": {"text": "t"}}) == ({"text": "t"}, [])


# --- refusals ---------------------------------------------------------------------------------


def _choices_task(*regions: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"text": "t"}, "annotations": [{"result": list(regions)}]}


def _choice(*labels: Any) -> dict[str, Any]:
    return {
        "from_name": "label",
        "to_name": "text",
        "type": "choices",
        "value": {"choices": labels},
    }


def _rect(**changes: Any) -> dict[str, Any]:
    region: dict[str, Any] = {
        "type": "rectanglelabels",
        "original_width": 640,
        "original_height": 480,
        "value": {"x": 10, "y": 10, "width": 5, "height": 5, "rectanglelabels": ["cat"]},
    }
    value = {**region["value"], **changes.pop("value", {})}
    return {**region, **changes, "value": value}


def _image_task(*regions: dict[str, Any], data: dict[str, Any] = IMAGE) -> dict[str, Any]:
    return {"data": data, "annotations": [{"result": list(regions)}]}


def _ner_task(labels: list[str], text: str = "John") -> dict[str, Any]:
    region = {"type": "labels", "value": {"start": 0, "end": 4, "text": text, "labels": labels}}
    return {"data": {"text": TEXT}, "annotations": [{"result": [region]}]}


TEXTAREA = {"from_name": "note", "to_name": "text", "type": "textarea", "value": {"text": ["x"]}}
RELATION = {"from_id": "a", "to_id": "b", "type": "relation", "direction": "right"}

IMPORT_REFUSED: list[tuple[str, Any, Any, str, str]] = [
    ("pairwise has no mapping", schema("pairwise"), {"data": {}}, "schema.type", "not pairwise"),
    ("task a list", SINGLE, [], "task", "must be a mapping"),
    ("no data", SINGLE, {"annotations": []}, "data", "is required"),
    ("annotations a mapping", SINGLE, {"data": {}, "annotations": {}}, "annotations", "list"),
    (
        "a textarea region",
        SINGLE,
        _choices_task(_choice("neutral"), TEXTAREA),
        "annotations.0.result.1.type",
        "'textarea' results are not supported",
    ),
    (
        "a relation region",
        NER,
        _choices_task(RELATION),
        "annotations.0.result.0.type",
        "'relation'",
    ),
    (
        "choices on a spans schema",
        NER,
        _choices_task(_choice("PER")),
        "annotations.0.result.0.type",
        "reads 'labels'",
    ),
    ("no choice for single", SINGLE, _choices_task(), "annotations.0.result", "has no choice"),
    (
        "two labels for single",
        SINGLE,
        _choices_task(_choice("neutral", "positive")),
        "annotations.0.result.0.value.choices",
        "one label, got 2",
    ),
    (
        "two choices regions",
        MULTI,
        _choices_task(_choice("a"), _choice("b")),
        "annotations.0.result.1",
        "one control",
    ),
    (
        "choices value missing",
        MULTI,
        _choices_task({"type": "choices"}),
        "annotations.0.result.0.value",
        "mapping",
    ),
    (
        "choice not a label",
        SINGLE,
        _choices_task(_choice("great")),
        "annotations.0.value",
        "'great' is not a label",
    ),
    (
        "span with two labels",
        NER,
        _ner_task(["PER", "ORG"]),
        "annotations.0.result.0.value.labels",
        "one label, got 2",
    ),
    (
        "span text mismatch",
        NER,
        _ner_task(["PER"], "Jo"),
        "annotations.0.value.0.text",
        "which is 'John'",
    ),
    (
        "rotated box",
        PETS,
        _image_task(_rect(value={"rotation": 30})),
        "annotations.0.result.0.value.rotation",
        "rotated",
    ),
    (
        "box size disagrees",
        PETS,
        _image_task(_rect(original_width=1280)),
        "annotations.0.result.0.original_width",
        "is 1280",
    ),
    (
        "box percent a string",
        PETS,
        _image_task(_rect(value={"x": "10%"})),
        "annotations.0.result.0.value.x",
        "finite number",
    ),
    (
        "box outside the image",
        PETS,
        _image_task(_rect(value={"x": 99})),
        "annotations.0.value.0.w",
        "640 px wide",
    ),
    (
        "box without any size",
        PETS,
        _image_task({"type": "rectanglelabels"}, data={"image": "u"}),
        "data.width",
        "is required",
    ),
]


@pytest.mark.parametrize(
    ("kind", "task", "field", "reason"),
    [c[1:] for c in IMPORT_REFUSED],
    ids=[c[0] for c in IMPORT_REFUSED],
)
def test_an_import_that_cannot_be_read_whole_is_refused_naming_the_field(
    kind: Any, task: Any, field: str, reason: str
) -> None:
    refused(lambda: from_label_studio(kind, task), ValueInvalid, field, reason)


def test_export_refuses_a_type_label_studio_interop_does_not_cover() -> None:
    refused(
        lambda: to_label_studio(schema("ranking"), {}, []), ValueInvalid, "schema.type", "ranking"
    )


def test_export_refuses_an_invalid_value_naming_its_annotation() -> None:
    bad = [[{"start": 0, "end": 4, "label": "PER"}], [{"start": 0, "end": 99, "label": "PER"}]]
    refused(
        lambda: to_label_studio(NER, {"text": TEXT}, bad), ValueInvalid, "annotations.1.value.0.end"
    )


def test_export_refuses_bad_task_data_by_its_own_field() -> None:
    refused(lambda: to_label_studio(NER, {}, []), ValueInvalid, "data.text")


# --- round trip -------------------------------------------------------------------------------


def _same_boxes(left: list[dict[str, Any]], right: list[dict[str, Any]]) -> bool:
    """Equal as multisets of boxes, coordinates within a thousandth of a pixel."""
    remaining = list(right)
    for box in left:
        twin = next(
            (
                other
                for other in remaining
                if other["label"] == box["label"]
                and all(math.isclose(box[k], other[k], abs_tol=1e-3) for k in "xywh")
            ),
            None,
        )
        if twin is None:
            return False
        remaining.remove(twin)
    return not remaining


@given(LABEL_STUDIO_CASES)
def test_export_then_import_gives_back_the_data_and_values(case: Case) -> None:
    values = [validate_value(case.schema, v, case.data) for v in (case.value, case.other)]
    task = to_label_studio(case.schema, case.data, values)
    data, read = from_label_studio(case.schema, copy.deepcopy(task))
    assert data == case.data
    if case.schema.type is AnnotationType.BOXES:
        assert len(read) == 2
        assert all(_same_boxes(a, b) for a, b in zip(read, values, strict=True))  # type: ignore[arg-type]
    else:
        assert read == values
