"""Domain exceptions, raised by services and turned into HTTP answers in one place (``web.errors``).

Hierarchy::

    CrewlineError
    ├── NotFound          -> 404  the thing does not exist, or the caller may not know it does
    ├── Conflict          -> 409  a unique key is taken, or the state forbids the change
    ├── InvalidInput      -> 422  a field has a bad value (names the field and the problem)
    ├── PermissionDenied  -> 403  the caller is known but not allowed
    ├── NotAuthenticated  -> 401  no valid session or token
    └── RateLimited       -> 429  too many attempts; retry after ``retry_after`` seconds

Services never raise HTTP errors; routes never build error bodies by hand.
"""

from __future__ import annotations


class CrewlineError(Exception):
    """Base of every error a service raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(CrewlineError):
    """The requested record does not exist (or is hidden from the caller)."""


class Conflict(CrewlineError):
    """The write collides with existing data or with the record's state."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        details: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.field = field
        #: One ``{"field", "message"}`` per item a bulk write refused (all of them, not the first).
        self.details = details


class InvalidInput(CrewlineError):
    """A named field holds a value the domain refuses."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class PermissionDenied(CrewlineError):
    """The caller is authenticated but their role or scope does not allow this."""


class NotAuthenticated(CrewlineError):
    """No valid session cookie or API token came with the request."""


class RateLimited(CrewlineError):
    """Too many attempts in the window."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
