"""Roles and API token scopes: the vocabulary every permission check uses."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """What a user is to the program. One role per account keeps permissions auditable."""

    admin = "admin"
    ops_manager = "ops_manager"
    recruiter = "recruiter"
    reviewer = "reviewer"
    finance = "finance"
    vendor_manager = "vendor_manager"
    client_viewer = "client_viewer"
    worker = "worker"
    candidate = "candidate"

    @property
    def label(self) -> str:
        """Human name of the role."""
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.admin: "Administrator",
    Role.ops_manager: "Operations manager",
    Role.recruiter: "Recruiter",
    Role.reviewer: "Reviewer",
    Role.finance: "Finance",
    Role.vendor_manager: "Vendor manager",
    Role.client_viewer: "Client viewer",
    Role.worker: "Worker",
    Role.candidate: "Candidate",
}

#: Our own staff: they see the whole worker pool.
STAFF: frozenset[Role] = frozenset(
    {Role.admin, Role.ops_manager, Role.recruiter, Role.reviewer, Role.finance}
)
#: Roles that belong to an organization (and see only that organization's data).
ORG_ROLES: frozenset[Role] = frozenset({Role.vendor_manager, Role.client_viewer})
#: Roles tied to a person record of their own.
PERSON_ROLES: frozenset[Role] = frozenset({Role.worker, Role.candidate})


class Scope(enum.StrEnum):
    """What an API token may do, on top of what its user's role allows."""

    read = "read"
    write = "write"
