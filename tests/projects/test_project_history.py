"""Projects and a worker's project history."""

from __future__ import annotations

from datetime import timedelta

from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.orgs.models import OrgKind


def _project(factory, api, **overrides):  # type: ignore[no-untyped-def]
    client = factory.org(OrgKind.client)
    body = {"client_id": client.id, "name": "Radiology reports", "status": "draft", **overrides}
    response = api.post("/api/v1/projects", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_project_history_shows_on_the_person_page_and_in_the_api(factory) -> None:
    ops = factory.user(Role.ops_manager)
    api = factory.api(ops)
    project = _project(factory, api)
    worker_user, person = factory.worker_user()
    joined = (utcnow() - timedelta(days=30)).isoformat()
    member = api.post(
        f"/api/v1/projects/{project['id']}/members",
        json={"person_id": person.id, "joined_at": joined},
    )
    assert member.status_code == 201
    ended = api.post(
        f"/api/v1/projects/{project['id']}/members/{member.json()['id']}/end",
        json={"reason": "Project delivered"},
    )
    assert ended.status_code == 200 and ended.json()["left_reason"] == "Project delivered"
    page = factory.browser(worker_user).get(f"/people/{person.id}")
    assert (
        "Project history" in page.text
        and "Radiology reports" in page.text
        and "Project delivered" in page.text
    )
    history = factory.api(worker_user).get(f"/api/v1/people/{person.id}/projects").json()
    assert [h["project_id"] for h in history] == [project["id"]]


def test_a_person_cannot_be_on_a_project_twice_at_once(factory) -> None:
    api = factory.api(factory.user(Role.ops_manager))
    project = _project(factory, api)
    person = factory.person()
    url = f"/api/v1/projects/{project['id']}/members"
    assert api.post(url, json={"person_id": person.id}).status_code == 201
    assert api.post(url, json={"person_id": person.id}).status_code == 409


def test_bad_membership_input_is_refused(factory) -> None:
    api = factory.api(factory.user(Role.ops_manager))
    project = _project(factory, api)
    person = factory.person()
    url = f"/api/v1/projects/{project['id']}/members"
    assert api.post(url, json={"person_id": 999999}).status_code == 404
    naive = api.post(url, json={"person_id": person.id, "joined_at": "2026-01-01T00:00:00"})
    assert naive.status_code == 422 and naive.json()["detail"][0]["field"] == "joined_at"
    future = api.post(
        url, json={"person_id": person.id, "joined_at": (utcnow() + timedelta(days=3)).isoformat()}
    )
    assert future.status_code == 422
    member = api.post(url, json={"person_id": person.id}).json()
    end = f"{url}/{member['id']}/end"
    assert api.post(end, json={"reason": ""}).status_code == 422
    early = (utcnow() - timedelta(days=400)).isoformat()
    assert api.post(end, json={"reason": "x", "left_at": early}).status_code == 422
    other = _project(factory, api, name="Other")
    assert (
        api.post(
            f"/api/v1/projects/{other['id']}/members/{member['id']}/end", json={"reason": "x"}
        ).status_code
        == 404
    )
    assert api.post(end, json={"reason": "done"}).status_code == 200
    assert api.post(end, json={"reason": "again"}).status_code == 409


def test_projects_need_a_client_and_a_unique_name(factory) -> None:
    api = factory.api(factory.user(Role.admin))
    vendor = factory.org(OrgKind.vendor)
    assert (
        api.post("/api/v1/projects", json={"client_id": vendor.id, "name": "X"}).status_code == 404
    )
    project = _project(factory, api)
    again = api.post(
        "/api/v1/projects", json={"client_id": project["client_id"], "name": project["name"]}
    )
    assert again.status_code == 409


def test_a_client_viewer_sees_only_their_clients_projects(factory) -> None:
    api = factory.api(factory.user(Role.ops_manager))
    ours = _project(factory, api, name="Ours")
    theirs = _project(factory, api, name="Theirs")
    viewer = factory.user(Role.client_viewer, organization_id=ours["client_id"])
    viewer_api = factory.api(viewer)
    assert [p["id"] for p in viewer_api.get("/api/v1/projects").json()] == [ours["id"]]
    assert viewer_api.get(f"/api/v1/projects/{theirs['id']}").status_code == 404
    assert viewer_api.get(f"/api/v1/projects/{ours['id']}/members").status_code == 403
    home = factory.browser(viewer).get("/")
    assert "Ours" in home.text and "Theirs" not in home.text
