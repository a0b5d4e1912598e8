"""The package's public API is what ``__all__`` says, and the errors sit where the edge expects."""

from __future__ import annotations

import types

import crewline.annotation as annotation
from crewline.annotation import AnnotationError, SchemaError, ValueInvalid
from crewline.errors import InvalidInput


def test_all_names_exactly_the_public_members() -> None:
    public = {
        name
        for name, member in vars(annotation).items()
        if not name.startswith("_")
        and not isinstance(member, types.ModuleType)
        and name != "annotations"  # from __future__ import annotations
    }
    assert set(annotation.__all__) == public
    assert annotation.__all__ == sorted(annotation.__all__)


def test_annotation_errors_are_invalid_input_and_value_errors() -> None:
    for error in (SchemaError, ValueInvalid):
        assert issubclass(error, AnnotationError)
        assert issubclass(error, InvalidInput)
        assert issubclass(error, ValueError)


def test_an_error_can_be_moved_under_a_prefix_keeping_its_class() -> None:
    moved = ValueInvalid("value.0.end", "too far").prefixed("annotations.3")
    assert type(moved) is ValueInvalid
    assert (moved.field, moved.reason) == ("annotations.3.value.0.end", "too far")
