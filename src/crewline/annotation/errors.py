"""Why an annotation schema, a task's data or a submitted value was refused.

Hierarchy::

    InvalidInput (crewline.errors)    ValueError
    └─────────────┬──────────────────────┘
                  AnnotationError      field + reason; the web edge answers 422
                  ├── SchemaError      the label schema itself is malformed
                  └── ValueInvalid     task data or a submitted value breaks the schema

Both name the offending field as a dotted path (``labels.2``, ``data.width``, ``value.2.end``)
and say in plain words what is wrong, because the reason is shown to the person who typed it.
They subclass :class:`crewline.errors.InvalidInput` so services can let them through to the one
error handler, and :class:`ValueError` so pure callers (CLI, importers) can catch them without
knowing Crewline's hierarchy.
"""

from __future__ import annotations

from crewline.errors import InvalidInput


class AnnotationError(InvalidInput, ValueError):
    """A field of an annotation schema, task or value holds something the type refuses."""

    def prefixed(self, prefix: str) -> AnnotationError:
        """The same error with ``prefix.`` before the field, for values nested in a batch."""
        return type(self)(f"{prefix}.{self.field}", self.reason)


class SchemaError(AnnotationError):
    """The label schema is malformed: an unknown field, a wrong type, too few labels, min > max."""


class ValueInvalid(AnnotationError):
    """Task data or a submitted annotation value does not fit the label schema."""
