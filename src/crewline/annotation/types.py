"""The eight annotation types, their label schemas, and the shapes of their values.

A label schema is an immutable dataclass per type, built only by :func:`parse_schema`
(``annotation.schema``), which checks every field. ``to_dict()`` writes every field out, the
defaults included, so a stored schema keeps meaning the same thing if a default changes later;
``parse_schema(s.type, s.to_dict()) == s`` for every schema.

Values are plain JSON-shaped Python (strings, ints, lists and dicts), typed here with
``TypedDict`` so they can be stored as JSON as they are and still be checked by mypy.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, TypeAlias, TypedDict


class AnnotationType(StrEnum):
    """What a worker does to a task, and so what shape the answer takes."""

    SINGLE_LABEL = "single_label"
    MULTI_LABEL = "multi_label"
    SPANS = "spans"
    BOXES = "boxes"
    PAIRWISE = "pairwise"
    RANKING = "ranking"
    FREE_TEXT = "free_text"
    LIKERT = "likert"


PAIR_CHOICES = ("a", "b", "tie")
"""What a pairwise answer may pick; ``tie`` only when the schema allows it."""


@dataclass(frozen=True, slots=True)
class Label:
    """One label of a closed label set, with an optional hover hint and keyboard key."""

    value: str
    hint: str | None = None
    key: str | None = None

    def to_dict(self) -> str | dict[str, str]:
        """The plain string when there is nothing else to say, else a mapping."""
        if self.hint is None and self.key is None:
            return self.value
        out = {"value": self.value}
        if self.hint is not None:
            out["hint"] = self.hint
        if self.key is not None:
            out["key"] = self.key
        return out


def _labels_out(labels: tuple[Label, ...]) -> list[str | dict[str, str]]:
    return [label.to_dict() for label in labels]


@dataclass(frozen=True, slots=True)
class _Labelled:
    """Types whose answers pick from a closed label set."""

    labels: tuple[Label, ...]

    @property
    def label_values(self) -> tuple[str, ...]:
        """The label strings in schema order (the order values are normalised to)."""
        return tuple(label.value for label in self.labels)


@dataclass(frozen=True, slots=True)
class SingleLabelSchema(_Labelled):
    """Pick exactly one label for the item (text or image)."""

    type: ClassVar[AnnotationType] = AnnotationType.SINGLE_LABEL

    def to_dict(self) -> dict[str, object]:
        """The schema as JSON-ready data, every field written out."""
        return {"type": str(self.type), "labels": _labels_out(self.labels)}


@dataclass(frozen=True, slots=True)
class MultiLabelSchema(_Labelled):
    """Pick between ``min_selected`` and ``max_selected`` distinct labels."""

    min_selected: int
    max_selected: int
    type: ClassVar[AnnotationType] = AnnotationType.MULTI_LABEL

    def to_dict(self) -> dict[str, object]:
        """The schema as JSON-ready data, every field written out."""
        return {
            "type": str(self.type),
            "labels": _labels_out(self.labels),
            "min_selected": self.min_selected,
            "max_selected": self.max_selected,
        }


@dataclass(frozen=True, slots=True)
class SpansSchema(_Labelled):
    """Mark labelled character ranges of the task's ``text`` (named-entity recognition)."""

    allow_overlap: bool
    type: ClassVar[AnnotationType] = AnnotationType.SPANS

    def to_dict(self) -> dict[str, object]:
        """The schema as JSON-ready data, every field written out."""
        return {
            "type": str(self.type),
            "labels": _labels_out(self.labels),
            "allow_overlap": self.allow_overlap,
        }


@dataclass(frozen=True, slots=True)
class BoxesSchema(_Labelled):
    """Draw labelled axis-aligned boxes, in pixels, on the task's image."""

    min_size: float
    type: ClassVar[AnnotationType] = AnnotationType.BOXES

    def to_dict(self) -> dict[str, object]:
        """The schema as JSON-ready data, every field written out."""
        return {
            "type": str(self.type),
            "labels": _labels_out(self.labels),
            "min_size": self.min_size,
        }


@dataclass(frozen=True, slots=True)
class PairwiseSchema:
    """Prefer response A or B to a prompt (RLHF), with a reason and optional per-dimension picks."""

    allow_tie: bool
    reason_required: bool
    reason_max_length: int
    dimensions: tuple[str, ...]
    type: ClassVar[AnnotationType] = AnnotationType.PAIRWISE

    @property
    def choices(self) -> tuple[str, ...]:
        """What ``choice`` (and each dimension) may be."""
        return PAIR_CHOICES if self.allow_tie else PAIR_CHOICES[:2]

    def to_dict(self) -> dict[str, object]:
        """The schema as JSON-ready data, every field written out."""
        return {
            "type": str(self.type),
            "allow_tie": self.allow_tie,
            "reason_required": self.reason_required,
            "reason_max_length": self.reason_max_length,
            "dimensions": list(self.dimensions),
        }


@dataclass(frozen=True, slots=True)
class RankingSchema:
    """Order every response of the task, best first, without ties."""

    min_responses: int
    type: ClassVar[AnnotationType] = AnnotationType.RANKING

    def to_dict(self) -> dict[str, object]:
        """The schema as JSON-ready data, every field written out."""
        return {"type": str(self.type), "min_responses": self.min_responses}


@dataclass(frozen=True, slots=True)
class FreeTextSchema:
    """Write text (a transcription, a rewrite) of bounded length."""

    min_length: int
    max_length: int
    multiline: bool
    type: ClassVar[AnnotationType] = AnnotationType.FREE_TEXT

    def to_dict(self) -> dict[str, object]:
        """The schema as JSON-ready data, every field written out."""
        return {
            "type": str(self.type),
            "min_length": self.min_length,
            "max_length": self.max_length,
            "multiline": self.multiline,
        }


@dataclass(frozen=True, slots=True)
class LikertSchema:
    """Rate on a whole-number scale ``min..max`` in steps of ``step``, some points captioned."""

    min: int
    max: int
    step: int
    labels: tuple[tuple[int, str], ...]
    """(point, caption) pairs in ascending point order."""
    question: str | None
    type: ClassVar[AnnotationType] = AnnotationType.LIKERT

    @property
    def points(self) -> range:
        """Every value a worker may give."""
        return range(self.min, self.max + 1, self.step)

    def caption(self, point: int) -> str | None:
        """The caption of ``point``, if the schema gives one."""
        return dict(self.labels).get(point)

    def to_dict(self) -> dict[str, object]:
        """The schema as JSON-ready data, every field written out (caption keys as strings)."""
        return {
            "type": str(self.type),
            "min": self.min,
            "max": self.max,
            "step": self.step,
            "labels": {str(point): caption for point, caption in self.labels},
            "question": self.question,
        }


LabelSchema: TypeAlias = (
    SingleLabelSchema
    | MultiLabelSchema
    | SpansSchema
    | BoxesSchema
    | PairwiseSchema
    | RankingSchema
    | FreeTextSchema
    | LikertSchema
)
"""Any of the eight schemas; ``schema.type`` says which."""


class Span(TypedDict):
    """A labelled range ``text[start:end]`` of the task's text, in Unicode code points."""

    start: int
    end: int
    label: str


class Box(TypedDict):
    """A labelled box in image pixels: top-left corner ``(x, y)``, width ``w``, height ``h``."""

    x: float
    y: float
    w: float
    h: float
    label: str


class Preference(TypedDict):
    """A pairwise answer: the overall pick, why, and the pick per dimension (maybe none)."""

    choice: str
    reason: str
    dimensions: dict[str, str]


AnnotationValue: TypeAlias = str | int | list[str] | list[Span] | list[Box] | Preference
"""A normalised value: a label or free text (str), a Likert point (int), selected labels or a
ranking of response ids (list[str]), spans, boxes, or a pairwise preference."""
