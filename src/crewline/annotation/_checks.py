"""Small readers for JSON-shaped input that name the field and the problem when they refuse.

Shared by schema parsing (which raises :class:`SchemaError`) and value validation (which raises
:class:`ValueInvalid`); the caller passes the error class so each message lands on the right
exception.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeGuard

from crewline.annotation.errors import AnnotationError

ErrorClass = type[AnnotationError]

MAX_LISTED = 8
"""How many allowed choices an error message lists before it stops."""


def kind(raw: object) -> str:
    """How a JSON (or YAML) reader would name the type of ``raw``, for error messages."""
    if raw is None:
        return "null"
    if isinstance(raw, bool):
        return f"a boolean ({str(raw).lower()})"
    if isinstance(raw, int):
        return f"a whole number ({raw})"
    if isinstance(raw, float):
        return f"a number ({raw})"
    if isinstance(raw, str):
        return "a string"
    if isinstance(raw, Mapping):
        return "a mapping"
    if isinstance(raw, list | tuple):
        return "a list"
    return f"a {type(raw).__name__}"


def one_of(choices: Iterable[str]) -> str:
    """``'a', 'b' or 'c'``, cut short after a few so a 300-label schema stays readable."""
    quoted = [repr(choice) for choice in choices]
    if len(quoted) > MAX_LISTED:
        return ", ".join(quoted[:MAX_LISTED]) + f" … ({len(quoted)} in all)"
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


def is_int(raw: object) -> TypeGuard[int]:
    """A whole number that is not a boolean (``True`` is an ``int`` to Python, not to us)."""
    return isinstance(raw, int) and not isinstance(raw, bool)


def is_number(raw: object) -> TypeGuard[int | float]:
    """A finite int or float that is not a boolean."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return False
    return math.isfinite(raw)


def mapping(raw: object, field: str, error: ErrorClass) -> Mapping[str, object]:
    """``raw`` as a mapping, or the error."""
    if not isinstance(raw, Mapping):
        raise error(field, f"must be a mapping, got {kind(raw)}")
    return raw


def sequence(raw: object, field: str, error: ErrorClass, what: str) -> Sequence[object]:
    """``raw`` as a list (a string is refused: it is a sequence, but never what was meant)."""
    if not isinstance(raw, list | tuple):
        raise error(field, f"must be a list of {what}, got {kind(raw)}")
    return raw


def string(raw: object, field: str, error: ErrorClass) -> str:
    """``raw`` as a string, or the error."""
    if not isinstance(raw, str):
        raise error(field, f"must be a string, got {kind(raw)}")
    return raw


def integer(raw: object, field: str, error: ErrorClass) -> int:
    """``raw`` as a whole number (not a boolean, not a float), or the error."""
    if not is_int(raw):
        raise error(field, f"must be a whole number, got {kind(raw)}")
    return raw


def number(raw: object, field: str, error: ErrorClass) -> float:
    """``raw`` as a finite number (int or float, not a boolean), or the error."""
    if not is_number(raw):
        raise error(field, f"must be a finite number, got {kind(raw)}")
    return float(raw)


def known_keys(
    raw: Mapping[str, object],
    prefix: str,
    error: ErrorClass,
    allowed: Sequence[str],
    required: Sequence[str] = (),
) -> None:
    """Refuse a key outside ``allowed`` and a missing ``required`` one, naming it."""
    dot = f"{prefix}." if prefix else ""
    for key in raw:
        if key not in allowed:
            raise error(f"{dot}{key}", f"unknown field; expected {one_of(allowed)}")
    for key in required:
        if key not in raw:
            raise error(f"{dot}{key}", "is required")
