"""Retry schedules for outboxes (webhook deliveries, candidate emails): when to try again.

A schedule is the delay before each try, the first usually at once; after the last try the
item is given up on (``failed``) and shown as such, never retried silently forever.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta


def next_attempt(schedule: Sequence[timedelta], *, attempts: int, now: datetime) -> datetime | None:
    """When to try again after ``attempts`` failed tries, or None when it is time to give up."""
    if attempts >= len(schedule):
        return None
    return now + schedule[attempts]
