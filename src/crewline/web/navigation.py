"""The top navigation: each domain registers its links with the roles that may see them.

A registry keeps lower layers from importing higher ones: the app factory wires it up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crewline.auth.deps import Principal
from crewline.auth.roles import Role


@dataclass(frozen=True, slots=True)
class NavLink:
    """One link in the header, shown to the listed roles."""

    label: str
    href: str
    roles: frozenset[Role]
    order: int = 100


@dataclass
class Navigation:
    """The links, filtered per caller."""

    links: list[NavLink] = field(default_factory=list)

    def add(
        self, label: str, href: str, roles: frozenset[Role] | set[Role], order: int = 100
    ) -> None:
        """Register a link."""
        self.links.append(NavLink(label, href, frozenset(roles), order))
        self.links.sort(key=lambda link: (link.order, link.label))

    def for_principal(self, principal: Principal | None) -> list[NavLink]:
        """The links this caller may follow (none when anonymous)."""
        if principal is None:
            return []
        return [link for link in self.links if principal.role in link.roles]
