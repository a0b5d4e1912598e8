"""The one error the quality library raises for input it cannot measure."""

from __future__ import annotations


class QualityInputError(ValueError):
    """Labels a metric cannot be computed from (empty, mismatched, NaN, wrong kind).

    A ``ValueError`` so callers that validate input generically catch it; the message says
    what is wrong in terms of the labels, never of arrays.
    """
