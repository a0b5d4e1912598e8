"""Edge input the fuzzer found: nulls, ids past the database's range, NUL bytes, wrong methods."""

from __future__ import annotations

import pytest

from crewline.auth.roles import Role
from crewline.validation import MAX_ID


@pytest.fixture
def admin_api(factory):  # type: ignore[no-untyped-def]
    return factory.api(factory.user(Role.admin))


@pytest.mark.parametrize("field", ["full_name", "role", "is_active"])
def test_null_in_an_account_update_is_422_naming_the_field(admin_api, factory, field: str) -> None:
    user = factory.user(Role.finance)
    response = admin_api.patch(f"/api/v1/users/{user.id}", json={field: None})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == field


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/people/{MAX_ID + 1}",
        f"/api/v1/users/{2**63}",
        f"/api/v1/audit?actor_user_id={MAX_ID + 1}",
    ],
)
def test_ids_past_the_database_range_are_422_not_500(admin_api, path: str) -> None:
    assert admin_api.get(path).status_code == 422


def test_an_id_past_the_range_in_a_body_is_422(admin_api) -> None:
    response = admin_api.post("/api/v1/projects", json={"client_id": 2**63, "name": "X"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "client_id"


def test_text_with_a_nul_character_is_refused_not_a_500(admin_api, factory) -> None:
    response = admin_api.post("/api/v1/people", json=factory.person_data(full_name="Ana\u0000Lima"))
    # SQLite stores NUL; PostgreSQL refuses it, and that refusal must be a 422.
    assert response.status_code in {201, 422}
    if response.status_code == 422:
        assert "NUL" in response.json()["detail"][0]["message"]
    assert admin_api.get("/api/v1/people", params={"q": "a\u0000"}).status_code in {200, 422}


def test_a_wrong_method_is_405_listing_every_allowed_method(admin_api) -> None:
    response = admin_api.request("OPTIONS", "/api/v1/users")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    # A literal path segment is never taken for an id.
    assert admin_api.patch("/api/v1/people/similar", json={}).status_code == 405


def test_numbers_are_not_accepted_for_hours_or_dates(admin_api, factory) -> None:
    person = factory.person(worker=None)
    url = f"/api/v1/people/{person.id}/worker"
    assert admin_api.post(url, json={"availability_hours": True}).status_code == 422
    stamp = admin_api.post(url, json={"joined_at": 0})
    assert stamp.status_code == 422 and stamp.json()["detail"][0]["field"] == "joined_at"
