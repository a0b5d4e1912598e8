"""Every route declares who may call it, and each role is admitted or refused as designed."""

from __future__ import annotations

import pytest

from crewline.auth.deps import PERMISSION_MARK
from crewline.auth.roles import Role, Scope
from crewline.orgs.models import OrgKind
from tests.routes import dependency_calls, iter_routes

# For each role: a page it may open and a page it is refused (403).
ALLOWED_AND_REFUSED: dict[Role, tuple[str, str]] = {
    Role.admin: ("/audit", "/me"),  # admins have no person record: /me is 404, tested below
    Role.ops_manager: ("/people", "/audit"),
    Role.recruiter: ("/people/similar", "/audit"),
    Role.reviewer: ("/people", "/audit"),
    Role.finance: ("/people.csv", "/audit"),
    Role.vendor_manager: ("/people", "/audit"),
    Role.client_viewer: ("/account", "/people"),
    Role.worker: ("/account", "/people"),
    Role.candidate: ("/account", "/people/similar"),
}

API_ALLOWED_AND_REFUSED: dict[Role, tuple[str, str]] = {
    Role.admin: ("/api/v1/users", "/api/v1/me/person"),
    Role.ops_manager: ("/api/v1/people", "/api/v1/users"),
    Role.recruiter: ("/api/v1/organizations", "/api/v1/audit"),
    Role.reviewer: ("/api/v1/people", "/api/v1/users"),
    Role.finance: ("/api/v1/organizations", "/api/v1/audit"),
    Role.vendor_manager: ("/api/v1/people", "/api/v1/organizations"),
    Role.client_viewer: ("/api/v1/me", "/api/v1/people"),
    Role.worker: ("/api/v1/me", "/api/v1/people"),
    Role.candidate: ("/api/v1/tokens", "/api/v1/organizations"),
}


def test_every_route_declares_a_permission(app) -> None:
    unmarked = []
    for info in iter_routes(app):
        marks = [
            getattr(call, PERMISSION_MARK)
            for call in dependency_calls(info.route.dependant)
            if hasattr(call, PERMISSION_MARK)
        ]
        if not marks:
            unmarked.append(f"{sorted(info.methods)} {info.path}")
    # The OpenAPI document and its viewer are Starlette routes, not APIRoutes, and are public.
    assert unmarked == []


def test_only_the_expected_routes_are_public(app) -> None:
    public = {
        (info.path, method)
        for info in iter_routes(app)
        for call in dependency_calls(info.route.dependant)
        if getattr(call, PERMISSION_MARK, None) == "public"
        for method in info.methods
    }
    assert public == {
        ("/api/v1/health", "GET"),
        ("/static/plotly.min.js", "GET"),
        ("/login", "GET"),
        ("/login", "POST"),
        # A candidate asks for, and uses, a one-time sign-in link before being logged in.
        ("/portal/sign-in", "GET"),
        ("/portal/sign-in", "POST"),
        ("/portal/sign-in/{token}", "GET"),
    }


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_role_has_a_page_it_may_open_and_one_it_may_not(role: Role, factory) -> None:
    allowed, refused = ALLOWED_AND_REFUSED[role]
    user = factory.user(role)
    if role in (Role.worker, Role.candidate):
        factory.person(user=user)
    browser = factory.browser(user)
    assert browser.get(allowed).status_code == 200
    expected = 404 if role is Role.admin else 403
    assert browser.get(refused).status_code == expected


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_role_has_an_api_route_it_may_call_and_one_it_may_not(role: Role, factory) -> None:
    allowed, refused = API_ALLOWED_AND_REFUSED[role]
    user = factory.user(role)
    api = factory.api(user)
    assert api.get(allowed).status_code == 200
    response = api.get(refused)
    assert response.status_code == (404 if role is Role.admin else 403)
    assert "detail" in response.json()


def test_anonymous_api_calls_get_401_and_pages_redirect_to_login(client) -> None:
    assert client.get("/api/v1/people").status_code == 401
    response = client.get("/people?region=EU", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/people%3Fregion%3DEU"


def test_a_worker_cannot_read_another_workers_person_record(factory) -> None:
    me, mine = factory.worker_user()
    _other_user, theirs = factory.worker_user(profile="Secret profile text of someone else")
    api = factory.api(me)
    assert api.get(f"/api/v1/people/{mine.id}").status_code == 200
    response = api.get(f"/api/v1/people/{theirs.id}")
    assert response.status_code == 404
    assert theirs.email not in response.text and "Secret profile" not in response.text
    # Same answer as for an id that does not exist: existence is not revealed.
    assert api.get("/api/v1/people/999999").json() == {"detail": "person 999999 not found"}
    assert response.json() == {"detail": f"person {theirs.id} not found"}
    browser = factory.browser(me)
    page = browser.get(f"/people/{theirs.id}")
    assert page.status_code == 404
    assert theirs.email not in page.text and theirs.full_name not in page.text
    assert browser.get("/people.csv").status_code == 403
    assert (
        api.get("/api/v1/people/similar", params={"requirement": "secret profile"}).status_code
        == 403
    )


def test_a_vendor_manager_sees_only_their_vendors_people(factory) -> None:
    vendor = factory.org(OrgKind.vendor)
    other_vendor = factory.org(OrgKind.vendor)
    manager = factory.user(Role.vendor_manager, organization_id=vendor.id)
    ours = factory.person(classification="vendor_supplied", vendor_id=vendor.id)
    theirs = factory.person(classification="vendor_supplied", vendor_id=other_vendor.id)
    factory.person()  # a direct contractor, no vendor
    api = factory.api(manager)
    listed = api.get(
        "/api/v1/people", params={"vendor_id": other_vendor.id, "per_page": 500}
    ).json()
    assert [p["id"] for p in listed["items"]] == [ours.id]
    assert api.get(f"/api/v1/people/{theirs.id}").status_code == 404
    assert api.get(f"/api/v1/people/{ours.id}").status_code == 200
    csv = factory.browser(manager).get("/people.csv").text
    assert ours.email in csv and theirs.email not in csv


def test_a_read_only_token_cannot_write(factory) -> None:
    admin = factory.user(Role.admin)
    api = factory.api(admin, scopes=(Scope.read,))
    assert api.get("/api/v1/people").status_code == 200
    response = api.post("/api/v1/people", json=factory.person_data())
    assert response.status_code == 403
    assert "write" in response.json()["detail"]


def test_a_client_viewer_is_refused_people_data(factory) -> None:
    person = factory.person()
    viewer = factory.user(Role.client_viewer)
    api = factory.api(viewer)
    assert api.get(f"/api/v1/people/{person.id}").status_code == 404
    assert api.get("/api/v1/people").status_code == 403
