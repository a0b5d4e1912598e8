"""What the annotation workspace needs to draw a schema's widget, as one JSON-ready dict.

Keyboard keys matter for throughput: a worker labelling thousands of items should never need
the mouse. Labels without a key of their own get ``1``..``9`` then ``a``..``z``, skipping keys
the schema already assigned; past that, labels go without one.
"""

from __future__ import annotations

from string import ascii_lowercase, digits

from crewline.annotation.types import (
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

KEY_ORDER = digits[1:] + ascii_lowercase
"""The order automatic keys are handed out in: 1..9, then a..z."""


def describe(schema: LabelSchema) -> dict[str, object]:
    """The widget description: ``type``, labels with keys, and the type's limits."""
    out: dict[str, object] = {"type": str(schema.type)}
    match schema:
        case SingleLabelSchema():
            out["labels"] = label_keys(schema.labels)
        case MultiLabelSchema():
            out["labels"] = label_keys(schema.labels)
            out["min_selected"] = schema.min_selected
            out["max_selected"] = schema.max_selected
        case SpansSchema():
            out["labels"] = label_keys(schema.labels)
            out["allow_overlap"] = schema.allow_overlap
        case BoxesSchema():
            out["labels"] = label_keys(schema.labels)
            out["min_size"] = schema.min_size
        case PairwiseSchema():
            out["choices"] = list(schema.choices)
            out["reason_required"] = schema.reason_required
            out["reason_max_length"] = schema.reason_max_length
            out["dimensions"] = list(schema.dimensions)
        case RankingSchema():
            out["min_responses"] = schema.min_responses
        case FreeTextSchema():
            out["min_length"] = schema.min_length
            out["max_length"] = schema.max_length
            out["multiline"] = schema.multiline
        case LikertSchema():
            out["min"] = schema.min
            out["max"] = schema.max
            out["step"] = schema.step
            out["question"] = schema.question
            out["points"] = [
                {"value": point, "caption": schema.caption(point)} for point in schema.points
            ]
    return out


def label_keys(labels: tuple[Label, ...]) -> list[dict[str, str | None]]:
    """Each label with its hint and keyboard key, automatic keys filled in."""
    taken = {label.key.lower() for label in labels if label.key is not None}
    spare = (key for key in KEY_ORDER if key not in taken)  # "A" given blocks "a" too
    return [
        {
            "value": label.value,
            "hint": label.hint,
            "key": label.key if label.key is not None else next(spare, None),
        }
        for label in labels
    ]
