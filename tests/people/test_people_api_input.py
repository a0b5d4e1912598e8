"""Bad input to the people API is refused with a status and a field name, and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from crewline.auth.roles import Role
from crewline.orgs.models import OrgKind
from tests.factories import Factory
from tests.people.support import error_fields, error_messages, row_counts, stored_person

PEOPLE = "/api/v1/people"


@pytest.fixture
def editor(factory: Factory) -> TestClient:
    """An operations manager's API client with read and write scopes."""
    return factory.api(factory.user(Role.ops_manager))


# --- POST /people: the body -------------------------------------------------------------------


def test_malformed_json_is_422_and_writes_nothing(editor: TestClient, session: Session) -> None:
    before = row_counts(session)
    response = editor.post(
        PEOPLE, content=b'{"full_name": "Ana", ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert error_messages(response)[0].startswith("malformed JSON")
    assert row_counts(session) == before


def test_malformed_json_error_names_the_body_not_a_character_offset(editor: TestClient) -> None:
    response = editor.post(
        PEOPLE, content=b'{"full_name": "Ana", ', headers={"content-type": "application/json"}
    )
    assert error_fields(response) == ["body"]


@pytest.mark.parametrize(
    "body", [[1, 2], "a person", 42, None], ids=["list", "string", "number", "null"]
)
def test_body_that_is_not_an_object_is_422_naming_the_body(
    editor: TestClient, session: Session, body: Any
) -> None:
    before = row_counts(session)
    response = editor.post(PEOPLE, json=body)
    assert response.status_code == 422
    assert error_fields(response) == ["body"]
    assert row_counts(session) == before


BAD_FIELDS = [
    pytest.param(
        {"worker": {"availability_hours": "lots"}},
        "worker.availability_hours",
        id="availability-not-a-number",
    ),
    pytest.param({"skills": "python"}, "skills", id="skills-a-string-not-a-list"),
    pytest.param({"languages": {"language": "pt"}}, "languages", id="languages-an-object"),
    pytest.param({"full_name": 7}, "full_name", id="full-name-a-number"),
    pytest.param({"nickname": "Ana"}, "nickname", id="unknown-top-level-field"),
    pytest.param(
        {"worker": {"tier": "tier_1", "bonus": 5}}, "worker.bonus", id="unknown-field-in-worker"
    ),
    pytest.param(
        {"languages": [{"language": "pt", "level": "C2", "accent": "carioca"}]},
        "languages.0.accent",
        id="unknown-field-in-language",
    ),
    pytest.param({"full_name": "x" * 201}, "full_name", id="full-name-over-200"),
    pytest.param({"full_name": ""}, "full_name", id="full-name-empty"),
    pytest.param({"full_name": "   "}, "full_name", id="full-name-blank"),
    pytest.param({"profile": "x" * 5001}, "profile", id="profile-over-5000"),
    pytest.param({"email": "not-an-email"}, "email", id="email-without-at"),
    pytest.param({"email": "ana@"}, "email", id="email-without-domain"),
    pytest.param({"country": "XX"}, "country", id="country-unassigned-code"),
    pytest.param({"country": "Brazil"}, "country", id="country-a-name"),
    pytest.param({"region": "MARS"}, "region", id="region-unknown"),
    pytest.param({"pay_currency": "EURO"}, "pay_currency", id="currency-four-letters"),
    pytest.param({"pay_currency": "XXY"}, "pay_currency", id="currency-unassigned-code"),
    pytest.param({"time_zone": "Mars/Olympus_Mons"}, "time_zone", id="time-zone-unknown"),
    pytest.param({"time_zone": "GMT+3"}, "time_zone", id="time-zone-an-offset"),
    pytest.param({"classification": "freelancer"}, "classification", id="classification-unknown"),
    pytest.param(
        {"languages": [{"language": "zz", "level": "B2"}]},
        "languages.0.language",
        id="language-code-unknown",
    ),
    pytest.param(
        {"languages": [{"language": "pt", "level": "C2"}, {"language": "por", "level": "B1"}]},
        "languages.1.language",
        id="language-code-three-letters-second-row",
    ),
    pytest.param(
        {"languages": [{"language": "pt", "level": "D1"}]}, "languages.0.level", id="cefr-level-d1"
    ),
    pytest.param(
        {"languages": [{"language": "pt", "level": "C2"}, {"language": "PT", "level": "B1"}]},
        "languages",
        id="language-listed-twice",
    ),
    pytest.param({"skills": ["python", "!!!"]}, "skills.1", id="skill-not-a-tag"),
    pytest.param(
        {"worker": {"availability_hours": 81}},
        "worker.availability_hours",
        id="availability-over-80",
    ),
    pytest.param(
        {"worker": {"availability_hours": -1}},
        "worker.availability_hours",
        id="availability-negative",
    ),
    pytest.param({"worker": {"tier": "legend"}}, "worker.tier", id="tier-unknown"),
    pytest.param({"worker": {"status": "sleeping"}}, "worker.status", id="worker-status-unknown"),
    pytest.param({"vendor_id": 0}, "vendor_id", id="vendor-id-zero"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_FIELDS)
def test_create_with_a_bad_field_is_422_naming_it_and_writes_nothing(
    factory: Factory, editor: TestClient, session: Session, overrides: dict[str, Any], field: str
) -> None:
    before = row_counts(session)
    response = editor.post(PEOPLE, json=factory.person_data(**overrides))
    assert response.status_code == 422, response.text
    assert error_fields(response) == [field]
    assert row_counts(session) == before


def test_unknown_field_is_reported_as_unknown(factory: Factory, editor: TestClient) -> None:
    response = editor.post(PEOPLE, json=factory.person_data(nickname="Ana"))
    assert response.json()["detail"] == [{"field": "nickname", "message": "unknown field"}]


def test_vendor_supplied_person_without_vendor_id_is_422(
    factory: Factory, editor: TestClient, session: Session
) -> None:
    before = row_counts(session)
    response = editor.post(PEOPLE, json=factory.person_data(classification="vendor_supplied"))
    assert response.status_code == 422
    assert error_fields(response) == ["vendor_id"]
    assert row_counts(session) == before


def test_contractor_with_a_vendor_id_is_422(
    factory: Factory, editor: TestClient, session: Session
) -> None:
    vendor = factory.org(OrgKind.vendor)
    before = row_counts(session)
    response = editor.post(
        PEOPLE, json=factory.person_data(classification="contractor", vendor_id=vendor.id)
    )
    assert response.status_code == 422
    assert error_fields(response) == ["vendor_id"]
    assert row_counts(session) == before


def test_unknown_vendor_id_is_refused_and_writes_nothing(
    factory: Factory, editor: TestClient, session: Session
) -> None:
    before = row_counts(session)
    response = editor.post(
        PEOPLE, json=factory.person_data(classification="vendor_supplied", vendor_id=999_999)
    )
    assert response.status_code == 422
    assert "999999" in response.text
    assert row_counts(session) == before


def test_client_org_as_vendor_is_refused_and_writes_nothing(
    factory: Factory, editor: TestClient, session: Session
) -> None:
    client_org = factory.org(OrgKind.client)
    before = row_counts(session)
    response = editor.post(
        PEOPLE, json=factory.person_data(classification="vendor_supplied", vendor_id=client_org.id)
    )
    assert response.status_code in {404, 422}
    assert row_counts(session) == before


def test_unknown_vendor_id_is_422_naming_vendor_id(factory: Factory, editor: TestClient) -> None:
    response = editor.post(
        PEOPLE, json=factory.person_data(classification="vendor_supplied", vendor_id=999_999)
    )
    assert response.status_code == 422
    assert error_fields(response) == ["vendor_id"]


def test_taken_email_is_409_naming_email(
    factory: Factory, editor: TestClient, session: Session
) -> None:
    taken = factory.person()
    before = row_counts(session)
    response = editor.post(PEOPLE, json=factory.person_data(email=taken.email))
    assert response.status_code == 409
    assert error_fields(response) == ["email"]
    assert row_counts(session) == before


def test_taken_email_in_other_case_is_409(
    factory: Factory, editor: TestClient, session: Session
) -> None:
    factory.person(email="a@x.org")
    before = row_counts(session)
    response = editor.post(PEOPLE, json=factory.person_data(email="A@X.org"))
    assert response.status_code == 409
    assert error_fields(response) == ["email"]
    assert row_counts(session) == before


# --- GET and PATCH /people/{id} -----------------------------------------------------------------


def test_get_unknown_person_is_404(editor: TestClient) -> None:
    response = editor.get(f"{PEOPLE}/999999")
    assert response.status_code == 404
    assert "999999" in response.json()["detail"]


def test_patch_unknown_person_is_404_and_writes_nothing(
    editor: TestClient, session: Session
) -> None:
    before = row_counts(session)
    response = editor.patch(f"{PEOPLE}/999999", json={"full_name": "Nobody"})
    assert response.status_code == 404
    assert row_counts(session) == before


BAD_PATCHES = [
    pytest.param({"full_name": ""}, "full_name", id="full-name-empty"),
    pytest.param({"full_name": "x" * 201}, "full_name", id="full-name-over-200"),
    pytest.param({"full_name": None}, "full_name", id="full-name-null"),
    pytest.param({"email": "nope"}, "email", id="email-invalid"),
    pytest.param({"email": None}, "email", id="email-null"),
    pytest.param({"classification": None}, "classification", id="classification-null"),
    pytest.param({"region": None}, "region", id="region-null"),
    pytest.param({"languages": None}, "languages", id="languages-null"),
    pytest.param({"skills": None}, "skills", id="skills-null"),
    pytest.param({"country": "XX"}, "country", id="country-unassigned"),
    pytest.param({"pay_currency": "EURO"}, "pay_currency", id="currency-four-letters"),
    pytest.param({"time_zone": "Europe/Atlantis"}, "time_zone", id="time-zone-unknown"),
    pytest.param({"profile": "x" * 5001}, "profile", id="profile-over-5000"),
    pytest.param(
        {"languages": [{"language": "pt", "level": "D1"}]}, "languages.0.level", id="cefr-level-d1"
    ),
    pytest.param(
        {"languages": [{"language": "en", "level": "C1"}, {"language": "en", "level": "B1"}]},
        "languages",
        id="language-listed-twice",
    ),
    pytest.param({"skills": "python"}, "skills", id="skills-a-string"),
    pytest.param({"nickname": "Ana"}, "nickname", id="unknown-field"),
    pytest.param({"worker": {"tier": "expert"}}, "worker", id="worker-not-patchable-here"),
    pytest.param(
        {"full_name": "Renamed", "vendor_id": 1},
        "vendor_id",
        id="vendor-id-for-contractor-with-a-valid-rename",
    ),
    pytest.param(
        {"full_name": "Renamed", "classification": "vendor_supplied"},
        "vendor_id",
        id="vendor-supplied-without-vendor-with-a-valid-rename",
    ),
]


@pytest.mark.parametrize(("body", "field"), BAD_PATCHES)
def test_patch_with_a_bad_field_is_422_naming_it_and_changes_nothing(
    factory: Factory, editor: TestClient, session: Session, body: dict[str, Any], field: str
) -> None:
    person = factory.person(classification="contractor")
    if "vendor_id" in body:  # a real vendor, so only the contractor rule can refuse it
        body = {**body, "vendor_id": factory.org(OrgKind.vendor).id}
    before, stored = row_counts(session), stored_person(session, person.id)
    response = editor.patch(f"{PEOPLE}/{person.id}", json=body)
    assert response.status_code == 422, response.text
    assert error_fields(response) == [field]
    assert row_counts(session) == before
    assert stored_person(session, person.id) == stored


def test_patch_to_a_taken_email_in_other_case_is_409_and_changes_nothing(
    factory: Factory, editor: TestClient, session: Session
) -> None:
    factory.person(email="taken@example.org")
    person = factory.person()
    before, stored = row_counts(session), stored_person(session, person.id)
    response = editor.patch(
        f"{PEOPLE}/{person.id}", json={"full_name": "Renamed", "email": "Taken@Example.org"}
    )
    assert response.status_code == 409
    assert error_fields(response) == ["email"]
    assert row_counts(session) == before
    assert stored_person(session, person.id) == stored


# --- pool membership ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["paused", "offboarded"])
def test_leaving_active_without_a_reason_is_422_naming_status_reason(
    factory: Factory, editor: TestClient, session: Session, status: str
) -> None:
    person = factory.person()
    before, stored = row_counts(session), stored_person(session, person.id)
    response = editor.patch(f"{PEOPLE}/{person.id}/worker", json={"status": status})
    assert response.status_code == 422
    assert error_fields(response) == ["status_reason"]
    assert row_counts(session) == before
    assert stored_person(session, person.id) == stored


def test_pausing_with_a_blank_reason_is_422_naming_status_reason(
    factory: Factory, editor: TestClient, session: Session
) -> None:
    person = factory.person()
    before = row_counts(session)
    response = editor.patch(
        f"{PEOPLE}/{person.id}/worker",
        json={"status": "paused", "status_reason": "   ", "tier": "expert"},
    )
    assert response.status_code == 422
    assert error_fields(response) == ["status_reason"]
    assert row_counts(session) == before
    assert stored_person(session, person.id)["worker"]["tier"] == "tier_1"


def test_worker_availability_over_80_is_422(
    factory: Factory, editor: TestClient, session: Session
) -> None:
    person = factory.person()
    before = row_counts(session)
    response = editor.patch(f"{PEOPLE}/{person.id}/worker", json={"availability_hours": 81})
    assert response.status_code == 422
    assert error_fields(response) == ["availability_hours"]
    assert row_counts(session) == before


def test_updating_the_worker_of_someone_not_in_the_pool_is_404(
    factory: Factory, editor: TestClient, session: Session
) -> None:
    candidate = factory.person(worker=None)
    before = row_counts(session)
    response = editor.patch(f"{PEOPLE}/{candidate.id}/worker", json={"tier": "expert"})
    assert response.status_code == 404
    assert row_counts(session) == before


def test_adding_to_the_pool_twice_is_409_and_writes_nothing(
    factory: Factory, editor: TestClient, session: Session
) -> None:
    person = factory.person(worker={"tier": "reviewer", "availability_hours": 30})
    before, stored = row_counts(session), stored_person(session, person.id)
    response = editor.post(f"{PEOPLE}/{person.id}/worker", json={"tier": "trainee"})
    assert response.status_code == 409
    assert "already in the worker pool" in response.json()["detail"]
    assert row_counts(session) == before
    assert stored_person(session, person.id) == stored


def test_adding_an_unknown_person_to_the_pool_is_404(editor: TestClient, session: Session) -> None:
    before = row_counts(session)
    response = editor.post(f"{PEOPLE}/999999/worker", json={})
    assert response.status_code == 404
    assert row_counts(session) == before


# --- GET /people: list filters -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("param", "value"),
    [
        pytest.param("country", "ZZ", id="country-unassigned"),
        pytest.param("country", "Brazil", id="country-a-name"),
        pytest.param("status", "sleeping", id="status-unknown"),
        pytest.param("tier", "legend", id="tier-unknown"),
        pytest.param("region", "MARS", id="region-unknown"),
        pytest.param("classification", "freelancer", id="classification-unknown"),
        pytest.param("language", "zz", id="language-unknown"),
        pytest.param("min_level", "D1", id="min-level-d1"),
        pytest.param("in_pool", "maybe", id="in-pool-not-a-boolean"),
        pytest.param("vendor_id", "0", id="vendor-id-zero"),
        pytest.param("vendor_id", "abc", id="vendor-id-not-a-number"),
        pytest.param("per_page", "0", id="per-page-zero"),
        pytest.param("per_page", "501", id="per-page-over-500"),
        pytest.param("page", "0", id="page-zero"),
        pytest.param("page", "two", id="page-not-a-number"),
        pytest.param("sort", "bogus", id="sort-unknown"),
        pytest.param("dir", "sideways", id="direction-unknown"),
        pytest.param("q", "x" * 201, id="q-over-200"),
    ],
)
def test_list_with_a_bad_filter_is_422_naming_the_parameter(
    editor: TestClient, param: str, value: str
) -> None:
    response = editor.get(PEOPLE, params={param: value})
    assert response.status_code == 422, response.text
    assert error_fields(response) == [param]


def test_creating_a_worker_already_paused_without_a_reason_is_422(
    factory: Factory, editor: TestClient, session: Session
) -> None:
    before = row_counts(session)
    response = editor.post(PEOPLE, json=factory.person_data(worker={"status": "paused"}))
    assert response.status_code == 422
    assert error_fields(response)[0] in {"worker.status", "worker.status_reason"}
    assert row_counts(session) == before


def test_adding_to_the_pool_offboarded_without_a_reason_is_422(
    factory: Factory, editor: TestClient, session: Session
) -> None:
    candidate = factory.person(worker=None)
    before = row_counts(session)
    response = editor.post(f"{PEOPLE}/{candidate.id}/worker", json={"status": "offboarded"})
    assert response.status_code == 422
    assert error_fields(response)[0] in {"status", "status_reason"}
    assert row_counts(session) == before
