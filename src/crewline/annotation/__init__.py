"""Annotation types: label schemas, task data and value checks, gold scores, Label Studio interop.

A pure core: no database, no web framework, no randomness. Projects store a schema's
``to_dict()`` per version; the workspace draws ``describe(schema)``; submissions go through
``validate_value`` and are stored in its normal form; gold checks call ``gold_matches``.

::

    schema = parse_schema("spans", "labels: [PER, ORG]\\nallow_overlap: false")
    validate_task_data(schema, task.data)                   # on import
    value = validate_value(schema, submitted, task.data)    # on submit; store ``value``
    score = gold_matches(schema, value, gold_value)         # in [0, 1]

Every refusal is a :class:`SchemaError` or :class:`ValueInvalid` naming the field and the
reason; both are :class:`crewline.errors.InvalidInput` (HTTP 422 at the edge) and
:class:`ValueError`.
"""

from __future__ import annotations

from crewline.annotation.errors import AnnotationError, SchemaError, ValueInvalid
from crewline.annotation.labelstudio import from_label_studio, to_label_studio
from crewline.annotation.schema import parse_schema
from crewline.annotation.scoring import box_iou, edit_distance, gold_matches
from crewline.annotation.task_data import validate_task_data
from crewline.annotation.types import (
    AnnotationType,
    AnnotationValue,
    Box,
    BoxesSchema,
    FreeTextSchema,
    Label,
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
from crewline.annotation.values import validate_value
from crewline.annotation.widget import describe

__all__ = [
    "AnnotationError",
    "AnnotationType",
    "AnnotationValue",
    "Box",
    "BoxesSchema",
    "FreeTextSchema",
    "Label",
    "LabelSchema",
    "LikertSchema",
    "MultiLabelSchema",
    "PairwiseSchema",
    "Preference",
    "RankingSchema",
    "SchemaError",
    "SingleLabelSchema",
    "Span",
    "SpansSchema",
    "ValueInvalid",
    "box_iou",
    "describe",
    "edit_distance",
    "from_label_studio",
    "gold_matches",
    "parse_schema",
    "to_label_studio",
    "validate_task_data",
    "validate_value",
]
