"""Reading a label schema that a person wrote, as YAML or JSON text or as a mapping.

Every refusal is a :class:`SchemaError` naming the field (``labels.2``, ``max_selected``) and
the problem, because the person who wrote the schema has to fix it from that message alone.
Unknown fields are refused rather than ignored: a misspelt ``allow_overlaps`` that silently
kept the default would change what every later annotation means.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import yaml

from crewline.annotation import _checks as check
from crewline.annotation.errors import SchemaError
from crewline.annotation.types import (
    AnnotationType,
    BoxesSchema,
    FreeTextSchema,
    Label,
    LabelSchema,
    LikertSchema,
    MultiLabelSchema,
    PairwiseSchema,
    RankingSchema,
    SingleLabelSchema,
    SpansSchema,
)

MAX_SCHEMA_CHARS = 65_536
MAX_LABELS = 500
MAX_NAME_LENGTH = 200
MAX_TEXT_LENGTH = 100_000
MAX_LIKERT_POINTS = 101
MAX_RESPONSES = 100
LABEL_FIELDS = ("value", "hint", "key")

FIELDS: dict[AnnotationType, tuple[str, ...]] = {
    AnnotationType.SINGLE_LABEL: ("labels",),
    AnnotationType.MULTI_LABEL: ("labels", "min_selected", "max_selected"),
    AnnotationType.SPANS: ("labels", "allow_overlap"),
    AnnotationType.BOXES: ("labels", "min_size"),
    AnnotationType.PAIRWISE: ("allow_tie", "reason_required", "reason_max_length", "dimensions"),
    AnnotationType.RANKING: ("min_responses",),
    AnnotationType.FREE_TEXT: ("min_length", "max_length", "multiline"),
    AnnotationType.LIKERT: ("min", "max", "step", "labels", "question"),
}
"""The fields each type's schema may have (besides ``type``)."""

_INTEGER_TEXT = re.compile(r"-?\d+")


def parse_schema(
    annotation_type: AnnotationType | str, spec: str | Mapping[str, object]
) -> LabelSchema:
    """Check a label schema for ``annotation_type`` and build it; raise :class:`SchemaError`.

    ``spec`` is YAML or JSON text, or an already-decoded mapping. Missing fields take their
    defaults; a ``type`` field, if present, must agree with ``annotation_type``.
    """
    kind = _annotation_type(annotation_type)
    raw = check.mapping(_load(spec) if isinstance(spec, str) else spec, "schema", SchemaError)
    if "type" in raw and raw["type"] != kind:
        raise SchemaError("type", f"says {raw['type']!r} but the annotation type is {str(kind)!r}")
    check.known_keys(raw, "", SchemaError, ("type", *FIELDS[kind]))
    return _BUILDERS[kind](raw)


def _annotation_type(annotation_type: AnnotationType | str) -> AnnotationType:
    try:
        return AnnotationType(annotation_type)
    except ValueError:
        raise SchemaError(
            "type",
            f"{annotation_type!r} is not an annotation type; "
            f"expected {check.one_of(t.value for t in AnnotationType)}",
        ) from None


# --- text -------------------------------------------------------------------------------------


def _load(text: str) -> object:
    """Decode JSON (tried first: PyYAML stumbles on tabs that JSON allows) or else YAML."""
    if len(text) > MAX_SCHEMA_CHARS:
        raise SchemaError("schema", f"is {len(text)} characters; the limit is {MAX_SCHEMA_CHARS}")
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text, object_pairs_hook=_unique_pairs)
        except json.JSONDecodeError:
            pass  # YAML flow style ({labels: [a, b]}) is not JSON; let YAML have a go
    loaded = _load_yaml(text)
    return {} if loaded is None else loaded  # an empty document: every field at its default


def _unique_pairs(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise SchemaError("schema", f"the key {key!r} appears twice in one mapping")
        out[key] = value
    return out


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key repeated in one mapping is an error.

    Plain YAML keeps the last value silently, so a schema with ``labels:`` written twice would
    lose the first list without a word.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable (complex) key: PyYAML refuses it itself
                continue
            if first is not None:
                raise SchemaError(
                    "schema",
                    f"the key {key!r} appears twice in one mapping (lines {first}, {line})",
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _load_yaml(text: str) -> object:
    try:
        loaded: object = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise SchemaError("schema", f"is not valid YAML or JSON: {exc.problem}{where}") from None
    except yaml.YAMLError as exc:
        raise SchemaError("schema", f"is not valid YAML or JSON: {exc}") from None
    return loaded


# --- field readers ----------------------------------------------------------------------------


def _present(raw: Mapping[str, object], name: str) -> object:
    value = raw[name]
    if value is None:
        raise SchemaError(name, "is null; leave the field out to use the default")
    return value


def _bool(raw: Mapping[str, object], name: str, default: bool) -> bool:
    if name not in raw:
        return default
    value = _present(raw, name)
    if not isinstance(value, bool):
        raise SchemaError(name, f"must be true or false, got {check.kind(value)}")
    return value


def _int(
    raw: Mapping[str, object], name: str, default: int, *, minimum: int, maximum: int | None = None
) -> int:
    if name not in raw:
        return default
    value = check.integer(_present(raw, name), name, SchemaError)
    if value < minimum:
        raise SchemaError(name, f"must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise SchemaError(name, f"must be at most {maximum}, got {value}")
    return value


def _name(raw: object, field: str, limit: int = MAX_NAME_LENGTH) -> str:
    """A non-empty string, stripped, at most ``limit`` characters."""
    if isinstance(raw, bool | int | float):
        yaml_hint = " (YAML reads yes/no/on/off as booleans)" if isinstance(raw, bool) else ""
        raise SchemaError(field, f"must be a string, got {check.kind(raw)}; quote it{yaml_hint}")
    text = check.string(raw, field, SchemaError).strip()
    if not text:
        raise SchemaError(field, "must not be empty")
    if len(text) > limit:
        raise SchemaError(field, f"is {len(text)} characters; the limit is {limit}")
    return text


def _names(raw: Mapping[str, object], name: str) -> tuple[str, ...]:
    """A list of distinct names (pairwise dimensions)."""
    if name not in raw:
        return ()
    items = check.sequence(_present(raw, name), name, SchemaError, "names")
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        text = _name(item, f"{name}.{i}")
        if text in seen:
            raise SchemaError(f"{name}.{i}", f"{text!r} repeats {name}.{seen[text]}")
        seen[text] = i
    return tuple(seen)


# --- labels -----------------------------------------------------------------------------------


def _labels(raw: Mapping[str, object]) -> tuple[Label, ...]:
    if "labels" not in raw:
        raise SchemaError("labels", "is required: list at least 2 labels")
    items = check.sequence(_present(raw, "labels"), "labels", SchemaError, "labels")
    if len(items) < 2:
        raise SchemaError("labels", f"needs at least 2 labels, got {len(items)}")
    if len(items) > MAX_LABELS:
        raise SchemaError("labels", f"has {len(items)} labels; the limit is {MAX_LABELS}")
    labels: list[Label] = []
    by_value: dict[str, int] = {}
    by_key: dict[str, int] = {}
    for i, item in enumerate(items):
        label = _label(item, f"labels.{i}")
        if label.value in by_value:
            raise SchemaError(
                f"labels.{i}", f"{label.value!r} repeats labels.{by_value[label.value]}"
            )
        if label.key is not None and label.key in by_key:
            raise SchemaError(
                f"labels.{i}.key", f"{label.key!r} is already the key of labels.{by_key[label.key]}"
            )
        by_value[label.value] = i
        if label.key is not None:
            by_key[label.key] = i
        labels.append(label)
    return tuple(labels)


def _label(item: object, field: str) -> Label:
    if not isinstance(item, Mapping):
        if isinstance(item, list | tuple):
            raise SchemaError(field, "must be a string or a mapping with value, hint and key")
        return Label(_name(item, field))
    check.known_keys(item, field, SchemaError, LABEL_FIELDS, required=("value",))
    value = _name(item["value"], f"{field}.value")
    hint = None if "hint" not in item else _name(item["hint"], f"{field}.hint", MAX_TEXT_LENGTH)
    key = None if "key" not in item else _key(item["key"], f"{field}.key")
    return Label(value, hint, key)


def _key(raw: object, field: str) -> str:
    if check.is_int(raw) and 0 <= raw <= 9:
        raw = str(raw)  # YAML reads key: 1 as a number; a digit key is what was meant
    text = check.string(raw, field, SchemaError)
    if len(text) != 1 or not text.isprintable() or text.isspace():
        raise SchemaError(field, f"must be a single visible character, got {text!r}")
    return text


# --- the eight builders -----------------------------------------------------------------------


def _single_label(raw: Mapping[str, object]) -> SingleLabelSchema:
    return SingleLabelSchema(labels=_labels(raw))


def _multi_label(raw: Mapping[str, object]) -> MultiLabelSchema:
    labels = _labels(raw)
    low = _int(raw, "min_selected", 0, minimum=0)
    high = _int(raw, "max_selected", len(labels), minimum=1)
    if high > len(labels):
        raise SchemaError("max_selected", f"is {high} but there are only {len(labels)} labels")
    if low > high:
        raise SchemaError("min_selected", f"is {low}, more than max_selected ({high})")
    return MultiLabelSchema(labels=labels, min_selected=low, max_selected=high)


def _spans(raw: Mapping[str, object]) -> SpansSchema:
    return SpansSchema(labels=_labels(raw), allow_overlap=_bool(raw, "allow_overlap", False))


def _boxes(raw: Mapping[str, object]) -> BoxesSchema:
    labels = _labels(raw)
    min_size = 1.0
    if "min_size" in raw:
        min_size = check.number(_present(raw, "min_size"), "min_size", SchemaError)
        if min_size <= 0:
            raise SchemaError("min_size", f"must be more than 0 pixels, got {min_size:g}")
    return BoxesSchema(labels=labels, min_size=min_size)


def _pairwise(raw: Mapping[str, object]) -> PairwiseSchema:
    return PairwiseSchema(
        allow_tie=_bool(raw, "allow_tie", False),
        reason_required=_bool(raw, "reason_required", True),
        reason_max_length=_int(raw, "reason_max_length", 2000, minimum=1, maximum=MAX_TEXT_LENGTH),
        dimensions=_names(raw, "dimensions"),
    )


def _ranking(raw: Mapping[str, object]) -> RankingSchema:
    return RankingSchema(
        min_responses=_int(raw, "min_responses", 2, minimum=2, maximum=MAX_RESPONSES)
    )


def _free_text(raw: Mapping[str, object]) -> FreeTextSchema:
    low = _int(raw, "min_length", 1, minimum=0, maximum=MAX_TEXT_LENGTH)
    high = _int(raw, "max_length", 10_000, minimum=1, maximum=MAX_TEXT_LENGTH)
    if low > high:
        raise SchemaError("min_length", f"is {low}, more than max_length ({high})")
    return FreeTextSchema(min_length=low, max_length=high, multiline=_bool(raw, "multiline", True))


def _likert(raw: Mapping[str, object]) -> LikertSchema:
    low = _int(raw, "min", 1, minimum=-1_000_000, maximum=1_000_000)
    high = _int(raw, "max", 5, minimum=-1_000_000, maximum=1_000_000)
    step = _int(raw, "step", 1, minimum=1)
    if high <= low:
        raise SchemaError("max", f"must be more than min ({low}), got {high}")
    if (high - low) % step:
        raise SchemaError("step", f"{step} does not divide the scale {low}..{high} evenly")
    points = range(low, high + 1, step)
    if len(points) > MAX_LIKERT_POINTS:
        raise SchemaError(
            "max", f"the scale has {len(points)} points; the limit is {MAX_LIKERT_POINTS}"
        )
    question = None
    if raw.get("question") is not None:  # null is what to_dict writes for "no question"
        question = _name(raw["question"], "question", MAX_TEXT_LENGTH)
    return LikertSchema(
        min=low, max=high, step=step, labels=_captions(raw, points), question=question
    )


def _captions(raw: Mapping[str, object], points: range) -> tuple[tuple[int, str], ...]:
    """Caption per point; keys may be numbers or numeric strings (JSON keys are strings)."""
    if "labels" not in raw:
        return ()
    captions: dict[int, str] = {}
    for key, caption in check.mapping(_present(raw, "labels"), "labels", SchemaError).items():
        field = f"labels.{key}"
        if check.is_int(key):
            point = key
        elif isinstance(key, str) and _INTEGER_TEXT.fullmatch(key.strip()):
            point = int(key)
        else:
            raise SchemaError(field, "is not a whole number; caption keys are points on the scale")
        if point not in points:
            every = "" if points.step == 1 else f" in steps of {points.step}"
            raise SchemaError(
                field, f"is not a point on the scale {points.start}..{points[-1]}{every}"
            )
        if point in captions:
            raise SchemaError(field, f"repeats the caption of point {point}")
        captions[point] = _name(caption, field)
    return tuple(sorted(captions.items()))


_BUILDERS: dict[AnnotationType, Callable[[Mapping[str, object]], LabelSchema]] = {
    AnnotationType.SINGLE_LABEL: _single_label,
    AnnotationType.MULTI_LABEL: _multi_label,
    AnnotationType.SPANS: _spans,
    AnnotationType.BOXES: _boxes,
    AnnotationType.PAIRWISE: _pairwise,
    AnnotationType.RANKING: _ranking,
    AnnotationType.FREE_TEXT: _free_text,
    AnnotationType.LIKERT: _likert,
}
