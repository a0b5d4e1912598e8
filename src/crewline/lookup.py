"""Fetching one row by primary key for a route: the row, or a 404 that names it."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from crewline.errors import NotFound

T = TypeVar("T")


def one_or_404(session: Session, model: type[T], row_id: int, what: str) -> T:
    """The ``model`` row with key ``row_id``, or NotFound reading "<what> <id> not found"."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"{what} {row_id} not found")
    return row
