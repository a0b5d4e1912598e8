"""The hiring pipeline through its API: requisitions, applications, moves, messages, portal."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crewline.audit.models import AuditEvent
from crewline.auth.roles import Role
from crewline.hiring.models import Application, Message, StageEvent
from tests.factories import Factory

BASE = "/api/v1/hiring"


def requisition(client: TestClient, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Portuguese sentiment annotators",
        "planned_project": "Reviews PT-BR (awaiting approval)",
        "role_type": "annotator",
        "headcount": 40,
        "regions": ["LATAM"],
        "languages": [{"language": "pt", "min_level": "C1"}],
        "skills": ["sentiment"],
        "pay_min": "8.50",
        "pay_max": "12.00",
        "pay_currency": "USD",
        "needed_by": "2027-02-01",
        "status": "planned",
        "screening": {"min_hours": 15},
        **overrides,
    }
    response = client.post(f"{BASE}/requisitions", json=data)
    assert response.status_code == 201, response.text
    return response.json()


def candidate(factory: Factory, **overrides: Any) -> Any:
    return factory.person(worker=None, **overrides)


def apply(client: TestClient, person_id: int, requisition_id: int, **extra: Any) -> dict[str, Any]:
    response = client.post(
        f"{BASE}/applications",
        json={"person_id": person_id, "requisition_id": requisition_id, **extra},
    )
    assert response.status_code == 201, response.text
    return response.json()


def move(client: TestClient, ids: list[int], stage: str, **extra: Any) -> Any:
    return client.post(
        f"{BASE}/applications/moves", json={"application_ids": ids, "to_stage": stage, **extra}
    )


@pytest.fixture
def recruiter(factory: Factory) -> TestClient:
    return factory.api(factory.user(Role.recruiter))


def test_a_requisition_can_exist_before_its_project(recruiter: TestClient) -> None:
    made = requisition(recruiter)
    assert made["project_id"] is None and made["status"] == "planned"
    assert made["stages"][0] == "sourced" and "qualified" in made["stages"]
    listed = recruiter.get(f"{BASE}/requisitions").json()
    assert made["id"] in [r["id"] for r in listed]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"headcount": 0}, "headcount"),
        ({"regions": []}, "regions"),
        ({"pay_min": "20", "pay_max": "10"}, "pay_min"),
        ({"stages": ["sourced", "onboarded"]}, "stages"),
        ({"stages": ["sourced", "qualified", "rejected"]}, "stages"),
        ({"languages": [{"language": "pt", "min_level": "D1"}]}, "min_level"),
    ],
)
def test_bad_requisitions_are_refused_naming_the_field(
    recruiter: TestClient, overrides: dict[str, Any], field: str
) -> None:
    response = recruiter.post(
        f"{BASE}/requisitions",
        json={"title": "x", "role_type": "annotator", "headcount": 5, "regions": ["EU"]}
        | overrides,
    )
    assert response.status_code == 422
    assert field in response.text


def test_applying_screens_and_tells_the_candidate(
    factory: Factory, recruiter: TestClient, session: Session
) -> None:
    req = requisition(recruiter)
    fluent = candidate(factory)
    weak = candidate(
        factory,
        languages=[{"language": "pt", "level": "B1"}],
        country="MX",
        region="LATAM",
        time_zone="America/Mexico_City",
    )
    a = apply(recruiter, fluent.id, req["id"], availability_hours=20)
    b = apply(recruiter, weak.id, req["id"], availability_hours=5)
    assert a["screening"] == "pass" and a["stage"] == "sourced"
    assert b["screening"] == "fail"
    assert any("pt B1 is under C1" in r for r in b["screening_reasons"])
    sent = session.scalars(select(Message).where(Message.person_id == fluent.id)).all()
    assert [m.kind for m in sent] == ["stage_update"]
    assert fluent.full_name.split()[0] in sent[0].body and req["title"] in sent[0].subject
    twice = recruiter.post(
        f"{BASE}/applications", json={"person_id": fluent.id, "requisition_id": req["id"]}
    )
    assert twice.status_code == 409


def test_a_bulk_move_with_an_illegal_transition_moves_no_one_unless_asked(
    factory: Factory, recruiter: TestClient, session: Session
) -> None:
    req = requisition(recruiter)
    ids = [apply(recruiter, candidate(factory).id, req["id"])["id"] for _ in range(4)]
    rejected = move(recruiter, [ids[0]], "rejected", reason="did not attend the briefing")
    assert rejected.status_code == 200 and rejected.json()["moved"] == [ids[0]]
    events_before = session.scalar(select(func.count()).select_from(StageEvent))
    refused = move(recruiter, ids, "screened")
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert "nothing was moved" in detail[0]["message"]
    assert detail[1] == {
        "field": "application_ids.0",
        "message": "the application is closed (rejected)",
    }
    assert session.scalar(select(func.count()).select_from(StageEvent)) == events_before
    stages_now = session.scalars(select(Application.stage).where(Application.id.in_(ids[1:])))
    assert set(stages_now) == {"sourced"}
    partial = move(recruiter, ids, "screened", partial=True, reason="passed screening call")
    assert partial.status_code == 200
    assert partial.json() == {
        "moved": ids[1:],
        "refused": [{"application_id": ids[0], "reason": "the application is closed (rejected)"}],
    }
    back = move(recruiter, [ids[1]], "sourced")
    assert back.status_code == 409 and "cannot go back" in back.text


def test_every_move_is_an_event_and_a_message_including_rejection(
    factory: Factory, recruiter: TestClient, session: Session
) -> None:
    req = requisition(recruiter)
    person = candidate(factory)
    app_id = apply(recruiter, person.id, req["id"])["id"]
    assert move(recruiter, [app_id], "assessed", reason="strong profile").status_code == 200
    assert move(recruiter, [app_id], "rejected").status_code == 422  # a reason is required
    assert move(recruiter, [app_id], "rejected", reason="assessment below 70%").status_code == 200
    history = recruiter.get(f"{BASE}/applications/{app_id}").json()["events"]
    assert [(e["from_stage"], e["to_stage"]) for e in history] == [
        (None, "sourced"),
        ("sourced", "assessed"),
        ("assessed", "rejected"),
    ]
    assert history[1]["reason"] == "strong profile (skipped screened)"
    assert history[2]["actor"].startswith("recruiter.")
    subjects = session.scalars(
        select(Message.body).where(Message.person_id == person.id).order_by(Message.id)
    ).all()
    assert len(subjects) == 3
    assert "will not continue" in subjects[2] and "assessment below 70%" in subjects[2]


def test_on_hold_returns_to_where_it_was(factory: Factory, recruiter: TestClient) -> None:
    req = requisition(recruiter)
    app_id = apply(recruiter, candidate(factory).id, req["id"])["id"]
    move(recruiter, [app_id], "screened")
    assert move(recruiter, [app_id], "on_hold", reason="waiting for visa").status_code == 200
    assert move(recruiter, [app_id], "sourced").status_code == 409
    assert move(recruiter, [app_id], "screened").status_code == 200


def test_only_recruiting_roles_move_candidates(factory: Factory, recruiter: TestClient) -> None:
    req = requisition(recruiter)
    app_id = apply(recruiter, candidate(factory).id, req["id"])["id"]
    for role in (Role.reviewer, Role.finance):
        staff = factory.api(factory.user(role))
        assert staff.get(f"{BASE}/applications/{app_id}").status_code == 200
        assert move(staff, [app_id], "screened").status_code == 403
    for role in (Role.worker, Role.client_viewer, Role.vendor_manager, Role.candidate):
        outsider = factory.api(factory.user(role))
        assert outsider.get(f"{BASE}/applications/{app_id}").status_code == 403


def test_a_candidate_sees_only_their_own_application_and_can_withdraw(
    factory: Factory, recruiter: TestClient, session: Session
) -> None:
    req = requisition(recruiter)
    mine_user = factory.user(Role.candidate)
    mine = factory.person(user=mine_user, worker=None)
    other = candidate(factory)
    own_id = apply(recruiter, mine.id, req["id"])["id"]
    other_id = apply(recruiter, other.id, req["id"])["id"]
    me = factory.api(mine_user)
    listed = me.get("/api/v1/me/applications").json()
    assert [a["id"] for a in listed] == [own_id]
    assert listed[0]["can_withdraw"] is True and listed[0]["next_steps"]
    assert me.post(f"/api/v1/me/applications/{other_id}/withdraw", json={}).status_code == 404
    done = me.post(f"/api/v1/me/applications/{own_id}/withdraw", json={"reason": "found a job"})
    assert done.status_code == 200 and done.json()["stage"] == "withdrawn"
    again = me.post(f"/api/v1/me/applications/{own_id}/withdraw", json={})
    assert again.status_code == 409
    messages = me.get("/api/v1/me/messages").json()
    assert messages[0]["subject"].startswith("You withdrew")
    assert all(m["person_id"] == mine.id for m in messages)


def test_cohort_sessions_are_set_in_the_cohort_time_zone(recruiter: TestClient) -> None:
    cohort = recruiter.post(
        f"{BASE}/cohorts",
        json={
            "name": "LATAM-03",
            "region": "LATAM",
            "time_zone": "America/Sao_Paulo",
            "start_date": "2027-01-11",
        },
    ).json()
    made = recruiter.post(
        f"{BASE}/cohorts/{cohort['id']}/sessions",
        json={"title": "Onboarding", "local_start": "2027-01-11T09:00:00", "minutes": 90},
    )
    assert made.status_code == 201
    assert made.json()["starts_at"].startswith("2027-01-11T12:00:00")  # UTC-3
    assert made.json()["local_start"] == "2027-01-11 09:00 -03"
    gap = recruiter.post(
        f"{BASE}/cohorts",
        json={
            "name": "US-01",
            "region": "US",
            "time_zone": "America/New_York",
            "start_date": "2027-03-14",
        },
    ).json()
    skipped = recruiter.post(
        f"{BASE}/cohorts/{gap['id']}/sessions",
        json={"title": "Kick-off", "local_start": "2027-03-14T02:30:00"},
    )
    assert skipped.status_code == 422 and "does not exist in America/New_York" in skipped.text
    aware = recruiter.post(
        f"{BASE}/cohorts/{gap['id']}/sessions",
        json={"title": "Kick-off", "local_start": "2027-03-15T09:00:00+00:00"},
    )
    assert aware.status_code == 422


def test_templates_are_edited_per_stage_and_language(
    factory: Factory, recruiter: TestClient, session: Session
) -> None:
    edit = recruiter.put(
        f"{BASE}/templates/screened/pt",
        json={"subject": "Próximo passo: {{ role }}", "body": "Olá {{ first_name }}!"},
    )
    assert edit.status_code == 200
    broken = recruiter.put(
        f"{BASE}/templates/screened/pt", json={"subject": "x", "body": "{{ salary }}"}
    )
    assert broken.status_code == 422 and "body" in broken.text
    req = requisition(recruiter)
    person = candidate(factory)  # Portuguese C2, English B2: messages go out in Portuguese
    app_id = apply(recruiter, person.id, req["id"])["id"]
    move(recruiter, [app_id], "screened")
    last = session.scalars(
        select(Message).where(Message.person_id == person.id).order_by(Message.id.desc())
    ).first()
    assert last is not None
    assert last.subject == f"Próximo passo: {req['title']}"
    assert last.body == f"Olá {person.full_name.split()[0]}!"


def test_a_move_of_hundreds_is_one_request_and_audited_per_requisition(
    factory: Factory, recruiter: TestClient, session: Session
) -> None:
    req = requisition(recruiter)
    ids = [apply(recruiter, candidate(factory).id, req["id"])["id"] for _ in range(40)]
    moved = move(recruiter, ids, "screened", reason="batch screening call")
    assert moved.status_code == 200 and moved.json()["moved"] == ids
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "application.move", AuditEvent.entity_id == str(req["id"])
        )
    ).one()
    assert event.after is not None and event.after["applications"] == ids
