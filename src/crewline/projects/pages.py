"""Project pieces of other pages: the "Project history" panel on a person's page."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from crewline.auth.deps import Principal
from crewline.people.models import Person
from crewline.people.pages import PersonPanel, PersonPanels
from crewline.projects import service


def _history_panel(
    session: Session, principal: Principal, person: Person
) -> tuple[str, dict[str, Any]] | None:
    return "projects/_history.html", {
        "periods": service.history(session=session, person_id=person.id)
    }


def register_panels(panels: PersonPanels) -> None:
    """Add the project history to every person page."""
    panels.add(PersonPanel(title="Project history", render=_history_panel, order=10))
