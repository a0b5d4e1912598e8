"""Admins manage accounts through the API; bad input is refused and nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crewline.audit.models import AuditEvent
from crewline.auth import service as auth
from crewline.auth.models import User
from crewline.auth.roles import Role
from crewline.auth.schemas import TokenCreate
from crewline.errors import Conflict
from crewline.orgs.models import OrgKind
from tests.factories import ACTOR


def _counts(session) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    users = session.scalar(select(func.count()).select_from(User))
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    return users, events


@pytest.fixture
def admin_api(factory):  # type: ignore[no-untyped-def]
    return factory.api(factory.user(Role.admin))


def test_an_admin_creates_an_account_and_it_is_audited(admin_api, session) -> None:
    response = admin_api.post(
        "/api/v1/users",
        json={
            "email": "New.Recruiter@Example.org",
            "full_name": "Ana Lima",
            "role": "recruiter",
            "password": "a long password",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "new.recruiter@example.org"
    assert "password" not in body and "password_hash" not in body
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.create").order_by(AuditEvent.id.desc())
    )
    assert event is not None and event.entity_id == str(body["id"])
    assert "password" not in str(event.after)


def test_a_duplicate_email_is_409_and_writes_nothing(admin_api, factory, session) -> None:
    existing = factory.user(Role.finance)
    before = _counts(session)
    response = admin_api.post(
        "/api/v1/users", json={"email": existing.email.upper(), "full_name": "X", "role": "finance"}
    )
    assert response.status_code == 409
    assert response.json()["detail"][0]["field"] == "email"
    assert _counts(session) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "full_name": "X", "role": "finance"}, "email"),
        ({"email": "a@example.org", "full_name": "", "role": "finance"}, "full_name"),
        ({"email": "a@example.org", "full_name": "x" * 201, "role": "finance"}, "full_name"),
        ({"email": "a@example.org", "full_name": "X", "role": "emperor"}, "role"),
        (
            {"email": "a@example.org", "full_name": "X", "role": "finance", "password": "short"},
            "password",
        ),
        (
            {"email": "a@example.org", "full_name": "X", "role": "finance", "is_admin": True},
            "is_admin",
        ),
        ({"email": "a@example.org", "full_name": 7, "role": "finance"}, "full_name"),
        ({"email": "a@example.org", "full_name": "X", "role": "vendor_manager"}, "organization_id"),
        (
            {"email": "a@example.org", "full_name": "X", "role": "finance", "organization_id": 1},
            "organization_id",
        ),
    ],
    ids=[
        "bad-email",
        "empty-name",
        "long-name",
        "unknown-role",
        "short-password",
        "unknown-field",
        "wrong-type",
        "vendor-manager-without-vendor",
        "staff-with-organization",
    ],
)
def test_bad_account_input_is_422_naming_the_field(admin_api, session, body, field) -> None:
    before = _counts(session)
    response = admin_api.post("/api/v1/users", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == field
    assert _counts(session) == before


def test_a_vendor_manager_must_name_a_vendor_not_a_client(admin_api, factory) -> None:
    client_org = factory.org(OrgKind.client)
    response = admin_api.post(
        "/api/v1/users",
        json={
            "email": "vm@example.org",
            "full_name": "V",
            "role": "vendor_manager",
            "organization_id": client_org.id,
        },
    )
    assert response.status_code == 422
    assert "no vendor" in response.json()["detail"][0]["message"]


def test_malformed_json_is_422(admin_api) -> None:
    response = admin_api.post(
        "/api/v1/users", content=b'{"email": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"][0]["message"]


def test_unknown_user_ids_are_404(admin_api) -> None:
    assert admin_api.get("/api/v1/users/987654").status_code == 404
    assert admin_api.patch("/api/v1/users/987654", json={"full_name": "Y"}).status_code == 404


def test_changing_role_ends_the_users_sessions(admin_api, factory) -> None:
    user = factory.user(Role.recruiter)
    browser = factory.browser(user)
    assert admin_api.patch(f"/api/v1/users/{user.id}", json={"role": "reviewer"}).status_code == 200
    assert browser.get("/account", follow_redirects=False).status_code == 303


def test_a_worker_account_is_linked_to_its_person_by_an_admin(admin_api, factory) -> None:
    person = factory.person()
    worker = factory.user(Role.worker)
    recruiter = factory.user(Role.recruiter)
    url = f"/api/v1/people/{person.id}/user"
    refused = admin_api.put(url, json={"user_id": recruiter.id})
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "user_id"
    assert admin_api.put(url, json={"user_id": 999999}).status_code == 422
    assert admin_api.put(url, json={"user_id": worker.id}).json()["user_id"] == worker.id
    other = factory.person()
    taken = admin_api.put(f"/api/v1/people/{other.id}/user", json={"user_id": worker.id})
    assert taken.status_code == 409
    assert factory.api(worker).get("/api/v1/me/person").json()["id"] == person.id
    assert factory.api(recruiter).put(url, json={"user_id": worker.id}).status_code == 403


def test_a_deactivated_account_cannot_be_given_a_token(admin_api, factory) -> None:
    user = factory.user(Role.reviewer)
    admin_api.patch(f"/api/v1/users/{user.id}", json={"is_active": False})
    factory.session.expire_all()
    with pytest.raises(Conflict, match="deactivated"):
        auth.do_create_token(
            session=factory.session, actor=ACTOR, user_id=user.id, data=TokenCreate(name="x")
        )
