"""The people API on good input: create, update with an audit trail, list, filter, sort, page."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from crewline.auth.roles import Role, Scope
from crewline.orgs.models import OrgKind
from crewline.people import service
from crewline.people.models import Person
from crewline.people.service import PersonFilter
from tests.factories import Factory
from tests.people.support import audit_events, error_fields, row_counts, stored_person

PEOPLE = "/api/v1/people"


@pytest.fixture
def editor(factory: Factory) -> TestClient:
    """An operations manager's API client with read and write scopes."""
    return factory.api(factory.user(Role.ops_manager))


def names(response: Response) -> list[str]:
    """Full names of the people in a list response, in order."""
    assert response.status_code == 200, response.text
    return [item["full_name"] for item in response.json()["items"]]


# --- create -------------------------------------------------------------------------------------


def test_create_with_worker_fields_returns_201_and_the_person(
    factory: Factory, editor: TestClient
) -> None:
    data = factory.person_data(
        worker={"tier": "reviewer", "status": "active", "availability_hours": 35}
    )
    response = editor.post(PEOPLE, json=data)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"] > 0
    assert {k: body[k] for k in ("full_name", "email", "country", "region", "time_zone")} == {
        k: data[k] for k in ("full_name", "email", "country", "region", "time_zone")
    }
    assert body["worker"]["tier"] == "reviewer"
    assert body["worker"]["status"] == "active"
    assert body["worker"]["availability_hours"] == 35
    assert body["worker"]["status_reason"] is None
    fetched = editor.get(f"{PEOPLE}/{body['id']}").json()
    assert {**fetched, "languages": None} == {**body, "languages": None}
    by_code = sorted(body["languages"], key=lambda lang: lang["language"])
    assert fetched["languages"] == by_code


def test_create_response_lists_languages_as_get_does(factory: Factory, editor: TestClient) -> None:
    languages = [
        {"language": "pt", "level": "C2", "native": True},
        {"language": "en", "level": "B2"},
    ]
    created = editor.post(PEOPLE, json=factory.person_data(languages=languages)).json()
    assert created["languages"] == editor.get(f"{PEOPLE}/{created['id']}").json()["languages"]


def test_create_without_worker_makes_a_candidate(factory: Factory, editor: TestClient) -> None:
    response = editor.post(PEOPLE, json=factory.person_data(worker=None))
    assert response.status_code == 201
    assert response.json()["worker"] is None


def test_create_stores_the_person_and_one_audit_event(
    factory: Factory, editor: TestClient, session: Session
) -> None:
    before = row_counts(session)
    response = editor.post(PEOPLE, json=factory.person_data(skills=["ner"]))
    person_id = response.json()["id"]
    after = row_counts(session)
    assert after["persons"] == before["persons"] + 1
    assert after["workers"] == before["workers"] + 1
    assert after["person_languages"] == before["person_languages"] + 2
    assert after["person_skills"] == before["person_skills"] + 1
    assert [e.action for e in audit_events(session, person_id)] == ["person.create"]
    assert stored_person(session, person_id)["person"]["profile_embedding"] is not None


def test_create_lower_cases_the_email(
    factory: Factory, editor: TestClient, session: Session
) -> None:
    response = editor.post(PEOPLE, json=factory.person_data(email="Ana.Souza@Example.ORG"))
    assert response.json()["email"] == "ana.souza@example.org"
    assert (
        stored_person(session, response.json()["id"])["person"]["email"] == "ana.souza@example.org"
    )


def test_create_normalises_and_dedupes_skills(factory: Factory, editor: TestClient) -> None:
    skills = ["Medical Coding", "medical-coding", "  Python ", "NER", "ner"]
    response = editor.post(PEOPLE, json=factory.person_data(skills=skills))
    assert response.json()["skills"] == ["medical-coding", "ner", "python"]


def test_create_normalises_codes(factory: Factory, editor: TestClient) -> None:
    data = factory.person_data(
        country="br", pay_currency="brl", languages=[{"language": "PT", "level": "c2"}]
    )
    body = editor.post(PEOPLE, json=data).json()
    assert (body["country"], body["pay_currency"]) == ("BR", "BRL")
    assert body["languages"] == [{"language": "pt", "level": "C2", "native": False}]


def test_create_vendor_supplied_person_with_their_vendor(
    factory: Factory, editor: TestClient
) -> None:
    vendor = factory.org(OrgKind.vendor)
    data = factory.person_data(classification="vendor_supplied", vendor_id=vendor.id)
    response = editor.post(PEOPLE, json=data)
    assert response.status_code == 201
    assert response.json()["vendor_id"] == vendor.id


# --- update -------------------------------------------------------------------------------------


def test_patch_changes_only_the_given_fields(
    factory: Factory, editor: TestClient, session: Session
) -> None:
    person = factory.person(full_name="Ana Souza", skills=["ner"])
    before = stored_person(session, person.id)
    response = editor.patch(
        f"{PEOPLE}/{person.id}",
        json={"full_name": "Ana Lima", "skills": ["NER", "Sentiment Analysis"]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["full_name"] == "Ana Lima"
    after = stored_person(session, person.id)
    assert after["skills"] == ["ner", "sentiment-analysis"]
    assert after["person"]["full_name"] == "Ana Lima"
    untouched = (
        "email",
        "country",
        "region",
        "time_zone",
        "classification",
        "pay_currency",
        "profile",
    )
    assert {k: after["person"][k] for k in untouched} == {k: before["person"][k] for k in untouched}
    assert after["languages"] == before["languages"]
    assert after["worker"] == before["worker"]


def test_patch_writes_one_audit_event_with_only_the_changed_keys(
    factory: Factory, editor: TestClient, session: Session
) -> None:
    person = factory.person(full_name="Ana Souza", country="BR", skills=["ner"])
    editor.patch(
        f"{PEOPLE}/{person.id}",
        json={"full_name": "Ana Lima", "country": "BR", "skills": ["ner", "python"]},
    )
    events = audit_events(session, person.id, action="person.update")
    assert len(events) == 1
    assert events[0].before == {"full_name": "Ana Souza", "skills": ["ner"]}
    assert events[0].after == {"full_name": "Ana Lima", "skills": ["ner", "python"]}


def test_patch_that_changes_nothing_writes_no_audit_event(
    factory: Factory, editor: TestClient, session: Session
) -> None:
    person = factory.person(country="BR")
    response = editor.patch(f"{PEOPLE}/{person.id}", json={"country": "br"})
    assert response.status_code == 200
    assert audit_events(session, person.id, action="person.update") == []


def test_patch_profile_recomputes_the_embedding(
    factory: Factory, editor: TestClient, session: Session
) -> None:
    person = factory.person(profile="Labels customer reviews.")
    old = stored_person(session, person.id)["person"]["profile_embedding"]
    editor.patch(f"{PEOPLE}/{person.id}", json={"profile": "Writes Python unit tests."})
    assert stored_person(session, person.id)["person"]["profile_embedding"] != old


def test_patch_classification_away_from_vendor_clears_the_vendor(
    factory: Factory, editor: TestClient
) -> None:
    vendor = factory.org(OrgKind.vendor)
    person = factory.person(classification="vendor_supplied", vendor_id=vendor.id)
    response = editor.patch(f"{PEOPLE}/{person.id}", json={"classification": "contractor"})
    assert response.status_code == 200, response.text
    assert response.json()["vendor_id"] is None


def test_pausing_with_a_reason_records_it(
    factory: Factory, editor: TestClient, session: Session
) -> None:
    person = factory.person()
    response = editor.patch(
        f"{PEOPLE}/{person.id}/worker", json={"status": "paused", "status_reason": "On leave"}
    )
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["status_reason"]) == ("paused", "On leave")
    [event] = audit_events(session, person.id, action="worker.update")
    assert event.before == {"status": "active", "status_reason": None}
    assert event.after == {"status": "paused", "status_reason": "On leave"}


def test_adding_a_candidate_to_the_pool(factory: Factory, editor: TestClient) -> None:
    candidate = factory.person(worker=None)
    response = editor.post(f"{PEOPLE}/{candidate.id}/worker", json={"tier": "tier_2"})
    assert response.status_code == 201, response.text
    assert (response.json()["tier"], response.json()["status"]) == ("tier_2", "active")


# --- list: filters, sorting, pages --------------------------------------------------------------


@dataclass
class Pool:
    """Five people who differ in every filterable way, and an imported Label Studio annotator
    who would match most filters but is no candidate."""

    ana: Person
    bruno: Person
    chen: Person
    dana: Person
    eli: Person
    imported: Person


@pytest.fixture
def pool(factory: Factory) -> Pool:
    return Pool(
        ana=factory.person(
            full_name="Ana Souza",
            email="ana.souza@example.org",
            country="BR",
            region="LATAM",
            languages=[
                {"language": "pt", "level": "C2", "native": True},
                {"language": "en", "level": "B2"},
            ],
            skills=["ner", "sentiment"],
            worker={"tier": "tier_1", "status": "active", "availability_hours": 20},
        ),
        bruno=factory.person(
            full_name="Bruno Lima",
            email="b.lima@example.org",
            country="BR",
            region="LATAM",
            languages=[{"language": "en", "level": "C1"}],
            skills=["medical-coding"],
            worker={
                "tier": "tier_2",
                "status": "paused",
                "status_reason": "On leave",
                "availability_hours": 35,
            },
        ),
        chen=factory.person(
            full_name="Chen Wei",
            email="chen@example.org",
            country="SG",
            region="SEA",
            time_zone="Asia/Singapore",
            pay_currency="SGD",
            languages=[{"language": "zh", "level": "C2"}, {"language": "en", "level": "B1"}],
            skills=["python", "code-review"],
            worker={"tier": "expert", "status": "active", "availability_hours": 5},
        ),
        dana=factory.person(
            full_name="Dana Vogel",
            email="dv@example.org",
            country="DE",
            region="EU",
            time_zone="Europe/Berlin",
            pay_currency="EUR",
            languages=[{"language": "de", "level": "C2"}, {"language": "en", "level": "C1"}],
            skills=["legal-translation"],
            worker={"tier": "reviewer", "status": "inactive", "availability_hours": 40},
        ),
        eli=factory.person(
            full_name="Eli Park",
            email="eli.park@example.org",
            country="US",
            region="US",
            time_zone="America/New_York",
            pay_currency="USD",
            languages=[{"language": "en", "level": "C2"}],
            skills=["transcription"],
            worker=None,
        ),
        imported=factory.imported_annotator(
            full_name="Label Studio user 7",
            email="ls-3-7@import.example",
            country="BR",
            region="LATAM",
            languages=[{"language": "en", "level": "C2"}],
            skills=["ner"],
        ),
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"region": "SEA"}, ["Chen Wei"], id="region"),
        pytest.param({"country": "BR"}, ["Ana Souza", "Bruno Lima"], id="country"),
        pytest.param({"country": "de"}, ["Dana Vogel"], id="country-lower-case"),
        pytest.param({"tier": "expert"}, ["Chen Wei"], id="tier"),
        pytest.param({"status": "paused"}, ["Bruno Lima"], id="status"),
        pytest.param({"language": "de"}, ["Dana Vogel"], id="language"),
        pytest.param(
            {"language": "en"},
            ["Ana Souza", "Bruno Lima", "Chen Wei", "Dana Vogel", "Eli Park"],
            id="language-any-level",
        ),
        pytest.param(
            {"language": "en", "min_level": "B2"},
            ["Ana Souza", "Bruno Lima", "Dana Vogel", "Eli Park"],
            id="language-b2-includes-c1-excludes-b1",
        ),
        pytest.param({"language": "en", "min_level": "C2"}, ["Eli Park"], id="language-c2"),
        pytest.param({"skill": "python"}, ["Chen Wei"], id="skill"),
        pytest.param({"q": "vogel"}, ["Dana Vogel"], id="q-name"),
        pytest.param({"q": "b.lima@"}, ["Bruno Lima"], id="q-email"),
        pytest.param({"q": "LEGAL"}, ["Dana Vogel"], id="q-skill-any-case"),
        pytest.param({"in_pool": "false"}, ["Eli Park"], id="not-in-pool"),
        pytest.param(
            {"in_pool": "true"}, ["Ana Souza", "Bruno Lima", "Chen Wei", "Dana Vogel"], id="in-pool"
        ),
        pytest.param({"country": "BR", "status": "active"}, ["Ana Souza"], id="filters-combine"),
        pytest.param({"region": "EU", "tier": "expert"}, [], id="nobody"),
        pytest.param({"q": "import.example"}, [], id="q-leaves-out-imported"),
        pytest.param(
            {"origin": "label_studio_import"}, ["Label Studio user 7"], id="origin-imported"
        ),
        pytest.param(
            {"origin": "label_studio_import", "in_pool": "true"}, [], id="imported-never-in-pool"
        ),
        pytest.param(
            {"origin": "crewline", "country": "BR"},
            ["Ana Souza", "Bruno Lima"],
            id="origin-crewline",
        ),
    ],
)
def test_list_filters(
    editor: TestClient, pool: Pool, params: dict[str, str], expected: list[str]
) -> None:
    response = editor.get(PEOPLE, params=params)
    assert names(response) == expected
    assert response.json()["total"] == len(expected)


@pytest.mark.parametrize("q", ["_", "%"], ids=["underscore", "percent"])
def test_list_search_treats_like_wildcards_literally(
    editor: TestClient, pool: Pool, q: str
) -> None:
    assert names(editor.get(PEOPLE, params={"q": q})) == []


def test_list_skill_filter_normalises_like_create_does(editor: TestClient, pool: Pool) -> None:
    assert names(editor.get(PEOPLE, params={"skill": "Medical Coding"})) == ["Bruno Lima"]


def test_list_without_filters_shows_everyone_by_name(editor: TestClient, pool: Pool) -> None:
    assert names(editor.get(PEOPLE)) == [
        "Ana Souza",
        "Bruno Lima",
        "Chen Wei",
        "Dana Vogel",
        "Eli Park",
    ]


def test_list_sorts_by_name_descending(editor: TestClient, pool: Pool) -> None:
    response = editor.get(PEOPLE, params={"sort": "name", "dir": "desc"})
    assert names(response) == ["Eli Park", "Dana Vogel", "Chen Wei", "Bruno Lima", "Ana Souza"]


@pytest.mark.parametrize(
    ("direction", "expected"),
    [
        ("asc", ["Chen Wei", "Ana Souza", "Bruno Lima", "Dana Vogel"]),
        ("desc", ["Dana Vogel", "Bruno Lima", "Ana Souza", "Chen Wei"]),
    ],
)
def test_list_sorts_by_availability(
    editor: TestClient, pool: Pool, direction: str, expected: list[str]
) -> None:
    response = editor.get(
        PEOPLE, params={"sort": "availability", "dir": direction, "in_pool": "true"}
    )
    assert names(response) == expected


def test_list_sorts_tiers_by_rank_not_alphabetically(editor: TestClient, pool: Pool) -> None:
    response = editor.get(PEOPLE, params={"sort": "tier", "in_pool": "true"})
    # tier_1 < tier_2 < reviewer < expert
    assert names(response) == ["Ana Souza", "Bruno Lima", "Dana Vogel", "Chen Wei"]


def test_list_pages_do_not_overlap_and_cover_everyone(editor: TestClient, pool: Pool) -> None:
    pages = [editor.get(PEOPLE, params={"per_page": 2, "page": n}).json() for n in (1, 2, 3, 4)]
    assert [p["total"] for p in pages] == [5, 5, 5, 5]
    assert [p["page"] for p in pages] == [1, 2, 3, 4]
    contents = [[item["full_name"] for item in p["items"]] for p in pages]
    assert contents == [["Ana Souza", "Bruno Lima"], ["Chen Wei", "Dana Vogel"], ["Eli Park"], []]


# --- imported Label Studio annotators ------------------------------------------------------------


def test_a_person_reads_with_their_origin(editor: TestClient, pool: Pool) -> None:
    made_here = editor.get(f"{PEOPLE}/{pool.ana.id}").json()
    imported = editor.get(f"{PEOPLE}/{pool.imported.id}").json()
    assert (made_here["origin"], imported["origin"]) == ("crewline", "label_studio_import")
    listed = editor.get(PEOPLE, params={"origin": "label_studio_import"}).json()
    assert [item["origin"] for item in listed["items"]] == ["label_studio_import"]


def test_a_filter_that_names_no_origin_means_people_made_here(pool: Pool, session: Session) -> None:
    """Callers that build their own filter (similarity search, later modules) are safe."""
    everyone = service.iter_people(session=session, filters=PersonFilter())
    assert pool.imported.id not in {p.id for p in everyone}
    anyone = service.iter_people(session=session, filters=PersonFilter(origin=None))
    assert pool.imported.id in {p.id for p in anyone}


def test_the_origin_is_explained_in_the_api_reference(editor: TestClient) -> None:
    document = editor.get("/api/v1/openapi.json").json()
    field = document["components"]["schemas"]["PersonRead"]["properties"]["origin"]
    assert "annotation history only" in field["description"]


@pytest.mark.parametrize("method", ["post", "patch"])
def test_the_origin_cannot_be_set_through_the_api(
    factory: Factory, editor: TestClient, method: str
) -> None:
    person = factory.person()
    body = {"full_name": "Someone", "origin": "label_studio_import"}
    if method == "post":
        response = editor.post(PEOPLE, json={**factory.person_data(), **body})
    else:
        response = editor.patch(f"{PEOPLE}/{person.id}", json=body)
    assert response.status_code == 422
    assert "origin" in error_fields(response)


def test_an_imported_annotator_never_joins_the_pool_or_gets_a_login(
    factory: Factory, session: Session
) -> None:
    imported = factory.imported_annotator()
    admin = factory.api(factory.user(Role.admin))
    worker_account = factory.user(Role.worker)
    before = row_counts(session)

    joined = admin.post(f"{PEOPLE}/{imported.id}/worker", json={"tier": "tier_1"})
    linked = admin.put(f"{PEOPLE}/{imported.id}/user", json={"user_id": worker_account.id})

    assert (joined.status_code, linked.status_code) == (409, 409)
    assert "only carries annotation history" in joined.json()["detail"]
    assert row_counts(session) == before
    assert stored_person(session, imported.id)["worker"] is None
    assert stored_person(session, imported.id)["person"]["user_id"] is None


# --- who may do what ----------------------------------------------------------------------------


def test_vendor_manager_lists_only_their_vendors_people(factory: Factory) -> None:
    own_vendor, other_vendor = factory.org(OrgKind.vendor), factory.org(OrgKind.vendor)
    own = [
        factory.person(classification="vendor_supplied", vendor_id=own_vendor.id) for _ in range(2)
    ]
    other = factory.person(classification="vendor_supplied", vendor_id=other_vendor.id)
    factory.person(classification="contractor")
    manager = factory.api(factory.user(Role.vendor_manager, organization_id=own_vendor.id))

    mine = manager.get(PEOPLE).json()
    asking_for_other = manager.get(PEOPLE, params={"vendor_id": other_vendor.id}).json()

    assert sorted(item["id"] for item in mine["items"]) == sorted(p.id for p in own)
    assert mine["total"] == 2
    assert sorted(item["id"] for item in asking_for_other["items"]) == sorted(p.id for p in own)
    assert manager.get(f"{PEOPLE}/{other.id}").status_code == 404
    assert manager.get(f"{PEOPLE}/{own[0].id}").status_code == 200


def test_read_only_token_can_list_and_read_but_not_write(
    factory: Factory, session: Session
) -> None:
    person = factory.person()
    reader = factory.api(factory.user(Role.ops_manager), scopes=(Scope.read,))
    before = row_counts(session)

    assert reader.get(PEOPLE).status_code == 200
    assert reader.get(f"{PEOPLE}/{person.id}").status_code == 200
    assert reader.post(PEOPLE, json=factory.person_data()).status_code == 403
    assert reader.patch(f"{PEOPLE}/{person.id}", json={"full_name": "X"}).status_code == 403
    assert row_counts(session) == before


@pytest.mark.parametrize("role", [Role.reviewer, Role.finance, Role.vendor_manager])
def test_roles_that_may_not_edit_get_403_on_create(
    factory: Factory, session: Session, role: Role
) -> None:
    client = factory.api(factory.user(role))
    before = row_counts(session)
    assert client.post(PEOPLE, json=factory.person_data()).status_code == 403
    assert row_counts(session) == before


def test_worker_reads_their_own_record_but_not_anothers(factory: Factory) -> None:
    user, me = factory.worker_user()
    someone_else = factory.person()
    client = factory.api(user)
    assert client.get("/api/v1/me/person").json()["id"] == me.id
    assert client.get(f"{PEOPLE}/{me.id}").status_code == 200
    assert client.get(f"{PEOPLE}/{someone_else.id}").status_code == 404
    assert client.get(PEOPLE).status_code == 403
