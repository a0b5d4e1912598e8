"""Every staff write lands in the audit log with who, what, when, before and after."""

from __future__ import annotations

from sqlalchemy import select

from crewline.audit.models import AuditEvent
from crewline.auth.roles import Role


def test_a_staff_edit_records_who_and_the_changed_values(factory, session) -> None:
    ops = factory.user(Role.ops_manager)
    person = factory.person(worker={"tier": "tier_1", "status": "active", "availability_hours": 20})
    api = factory.api(ops)
    response = api.patch(
        f"/api/v1/people/{person.id}/worker",
        json={"status": "paused", "status_reason": "Gold accuracy fell below 80%"},
    )
    assert response.status_code == 200
    event = session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "worker.update")
        .order_by(AuditEvent.id.desc())
    )
    assert event is not None
    assert event.actor_user_id == ops.id and event.actor_label == ops.email
    assert event.entity_type == "person" and event.entity_id == str(person.id)
    assert event.before == {"status": "active", "status_reason": None}
    assert event.after == {"status": "paused", "status_reason": "Gold accuracy fell below 80%"}
    assert event.at.tzinfo is not None


def test_a_refused_write_leaves_no_audit_event(factory, session) -> None:
    ops = factory.user(Role.ops_manager)
    person = factory.person()
    api = factory.api(ops)
    last = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()))
    response = api.patch(f"/api/v1/people/{person.id}/worker", json={"status": "paused"})
    assert response.status_code == 422
    assert session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc())) == last


def test_only_admins_read_the_audit_log(factory) -> None:
    admin = factory.user(Role.admin)
    factory.person(full_name="Audited Person")
    page = factory.browser(admin).get("/audit?action=person.create")
    assert page.status_code == 200 and "person.create" in page.text
    api = (
        factory.api(admin)
        .get("/api/v1/audit", params={"action": "person.create", "limit": 1})
        .json()
    )
    assert len(api["items"]) == 1 and api["items"][0]["after"]["full_name"]
    for role in (Role.ops_manager, Role.finance, Role.worker):
        assert factory.browser(factory.user(role)).get("/audit").status_code == 403


def test_audit_pages_are_keyset_paginated(factory) -> None:
    admin = factory.user(Role.admin)
    for _ in range(3):
        factory.person()
    api = factory.api(admin)
    first = api.get("/api/v1/audit", params={"limit": 2, "action": "person.create"}).json()
    second = api.get(
        "/api/v1/audit",
        params={"limit": 2, "action": "person.create", "before_id": first["next_before_id"]},
    ).json()
    first_ids = [e["id"] for e in first["items"]]
    second_ids = [e["id"] for e in second["items"]]
    assert first_ids == sorted(first_ids, reverse=True)
    assert max(second_ids) < min(first_ids)
