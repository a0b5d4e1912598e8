"""A member held back by quality gets none of the project's tasks, is told why, and resumes."""

from __future__ import annotations

from crewline.db import utcnow
from crewline.projects import service as projects
from tests.factories import ACTOR, Factory
from tests.routing.support import ingest, live_project, member, reviews


def _next(factory: Factory, user: object) -> dict[str, object]:
    response = factory.api(user).post("/api/v1/work/next")  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_a_held_member_gets_no_task_and_sees_the_reason_until_released(factory: Factory) -> None:
    project = live_project(factory)
    ingest(factory.session, project, reviews(3))
    user, person = member(factory, project)
    reason = "gold accuracy 55% over 12 gold tasks is under the bar 80%"
    projects.do_set_hold(
        session=factory.session,
        actor=ACTOR,
        project_id=project.id,
        person_id=person.id,
        reason=reason,
        now=utcnow(),
    )

    held = _next(factory, user)
    assert held["assignment"] is None
    assert reason in str(held["reason"])

    projects.do_set_hold(
        session=factory.session,
        actor=ACTOR,
        project_id=project.id,
        person_id=person.id,
        reason=None,
        now=utcnow(),
    )
    assert _next(factory, user)["assignment"] is not None


def test_a_hold_placed_after_offers_were_remembered_still_stops_the_claim(
    factory: Factory,
) -> None:
    project = live_project(factory)
    ingest(factory.session, project, reviews(3))
    user, person = member(factory, project)
    first = _next(factory, user)  # routing now remembers this worker's offers
    assignment = first["assignment"]
    assert isinstance(assignment, dict)
    response = factory.api(user).post(  # type: ignore[arg-type]
        f"/api/v1/work/{assignment['id']}/return", json={}
    )
    assert response.status_code == 200, response.text
    projects.do_set_hold(
        session=factory.session,
        actor=ACTOR,
        project_id=project.id,
        person_id=person.id,
        reason="a rule stopped routing",
        now=utcnow(),
    )
    assert _next(factory, user)["assignment"] is None
