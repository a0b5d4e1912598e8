"""API tokens: shown once, stored hashed, scoped, revocable, expiring."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from crewline.auth.models import ApiToken
from crewline.auth.roles import Role
from crewline.db import utcnow


def test_a_token_is_returned_once_and_stored_hashed(factory, session) -> None:
    user = factory.user(Role.ops_manager)
    browser = factory.browser(user)
    response = browser.post(
        "/api/v1/tokens",
        json={"name": "pipeline", "scopes": ["read", "write"]},
        headers={"X-CSRF-Token": factory.csrf(browser)},
    )
    assert response.status_code == 201
    secret = response.json()["token"]
    assert secret.startswith("cl_")
    stored = session.scalar(select(ApiToken).where(ApiToken.id == response.json()["id"]))
    assert stored is not None and secret not in (stored.token_hash, stored.prefix)
    listed = browser.get("/api/v1/tokens").json()
    assert all("token" not in t for t in listed)
    api = TestClient(factory.app, headers={"Authorization": f"Bearer {secret}"})
    assert api.get("/api/v1/me").json()["email"] == user.email


def test_a_revoked_token_stops_working(factory) -> None:
    user = factory.user(Role.ops_manager)
    api = factory.api(user)
    token_id = api.get("/api/v1/tokens").json()[0]["id"]
    assert api.delete(f"/api/v1/tokens/{token_id}").status_code == 200
    response = api.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_an_expired_token_stops_working(factory, session) -> None:
    user = factory.user(Role.ops_manager)
    api = factory.api(user)
    token = session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    token.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert api.get("/api/v1/me").status_code == 401


def test_malformed_authorization_headers_are_401(client) -> None:
    for header in ("Basic abc", "Bearer", "Bearer    ", "cl_nonsense", "Bearer cl_00000000_nope"):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_one_user_cannot_revoke_another_users_token(factory) -> None:
    alice = factory.api(factory.user(Role.recruiter))
    bob = factory.api(factory.user(Role.recruiter))
    alice_token = alice.get("/api/v1/tokens").json()[0]["id"]
    assert bob.delete(f"/api/v1/tokens/{alice_token}").status_code == 404
    assert alice.get("/api/v1/me").status_code == 200


def test_token_input_is_validated(factory) -> None:
    api = factory.api(factory.user(Role.recruiter))
    bad = [
        ({"name": "", "scopes": ["read"]}, "name"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["admin"]}, "scopes.0"),
        ({"name": "x", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "x", "colour": "blue"}, "colour"),
    ]
    for body, field in bad:
        response = api.post("/api/v1/tokens", json=body)
        assert response.status_code == 422, body
        assert response.json()["detail"][0]["field"] == field


def test_the_account_page_shows_a_new_token_once(factory) -> None:
    user = factory.user(Role.reviewer)
    browser = factory.browser(user)
    page = browser.post(
        "/account/tokens",
        data={"name": "notebook", "scopes": "read", "csrf_token": factory.csrf(browser)},
    )
    assert page.status_code == 201 and "Copy your new token now" in page.text
    again = browser.get("/account")
    assert "notebook" in again.text and "Copy your new token now" not in again.text
