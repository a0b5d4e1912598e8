"""Who may see which person: staff see everyone, vendor managers their vendor's people,
workers and candidates only themselves. Hidden records answer 404, so ids leak nothing."""

from __future__ import annotations

from dataclasses import replace

from crewline.auth.deps import Principal
from crewline.auth.roles import STAFF, Role
from crewline.errors import NotFound, PermissionDenied
from crewline.people.models import Person
from crewline.people.service import PersonFilter

#: Roles that may list people (vendor managers see only their own vendor's).
LISTERS = frozenset({*STAFF, Role.vendor_manager})
#: Roles that may create and edit people and pool membership.
EDITORS = frozenset({Role.admin, Role.ops_manager, Role.recruiter})


def can_view(principal: Principal, person: Person) -> bool:
    """Whether the caller may see this person's record."""
    if principal.role in STAFF:
        return True
    if principal.role is Role.vendor_manager:
        return person.vendor_id is not None and person.vendor_id == principal.user.organization_id
    return person.user_id is not None and person.user_id == principal.user.id


def ensure_visible(principal: Principal, person: Person | None, person_id: int) -> Person:
    """The person if the caller may see it; otherwise NotFound, exactly as if it did not exist."""
    if person is None or not can_view(principal, person):
        raise NotFound(f"person {person_id} not found")
    return person


def scoped_filter(principal: Principal, filters: PersonFilter) -> PersonFilter:
    """Narrow list filters to what the caller may see."""
    if principal.role in STAFF:
        return filters
    if principal.role is Role.vendor_manager and principal.user.organization_id is not None:
        return replace(filters, vendor_id=principal.user.organization_id)
    raise PermissionDenied("you may not list people")
