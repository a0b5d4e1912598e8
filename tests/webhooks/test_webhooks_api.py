"""The webhook routes: who may call them, what they answer, and each refused input."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from standardwebhooks import Webhook as Verifier

from crewline.audit.models import AuditEvent
from crewline.auth.roles import Role, Scope
from crewline.db import utcnow
from crewline.orgs.models import OrgKind
from crewline.webhooks import service
from crewline.webhooks.delivery import deliver_due
from crewline.webhooks.models import DeliveryStatus, EventType, Webhook
from tests.factories import Factory
from tests.webhooks.support import Inbox, mock_client, project, webhook

BODY = {"url": "https://ml.example.com/crewline", "events": ["task.completed"]}


def _admin(factory: Factory) -> TestClient:
    return factory.api(factory.user(Role.admin))


def _register(api: TestClient, project_id: int, **body: Any) -> Any:
    return api.post(f"/api/v1/projects/{project_id}/webhooks", json={**BODY, **body})


def _refused_field(response: Any) -> str:
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    return str(error["field"])


def _delivered(session: Session, hook: Webhook, status: int = 200) -> int:
    """Queue one event to ``hook`` and send it once; returns the delivery id."""
    service.emit(
        session=session, project_id=hook.project_id, event_type=EventType.task_completed, payload={}
    )
    session.commit()
    [d] = service.list_deliveries(session=session, webhook_id=hook.id, limit=1)
    inbox = Inbox(secret=hook.secret, statuses=[status])
    deliver_due(session=session, now=utcnow(), client=mock_client(inbox))
    return d.id


def test_registering_answers_the_secret_once(factory: Factory, session: Session) -> None:
    p = project(factory)
    api = factory.api(factory.user(Role.ops_manager))

    response = _register(
        api, p.id, events=["project.completed", "task.completed", "task.completed"]
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["secret"].startswith("whsec_")
    Verifier(created["secret"])  # a key the reference library accepts
    assert created["url"] == BODY["url"]
    assert created["events"] == ["project.completed", "task.completed"]
    assert created["active"] is True and created["project_id"] == p.id
    listed = api.get(f"/api/v1/projects/{p.id}/webhooks").json()
    assert [w["id"] for w in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert created["secret"] not in api.get(f"/api/v1/projects/{p.id}/webhooks").text


def test_registering_is_audited_without_the_secret(factory: Factory, session: Session) -> None:
    p = project(factory)
    created = _register(_admin(factory), p.id).json()
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "webhook.create", AuditEvent.entity_id == str(created["id"])
        )
    ).one()
    assert event.after == {"project_id": p.id, "url": BODY["url"], "events": ["task.completed"]}
    assert created["secret"] not in str(event.after)


def test_http_to_localhost_is_allowed_for_development(factory: Factory) -> None:
    api = _admin(factory)
    p = project(factory)
    for url in ("http://localhost:8080/hook", "http://127.0.0.1/hook", "http://[::1]:9000/"):
        assert _register(api, p.id, url=url).status_code == 201


@pytest.mark.parametrize(
    "url",
    [
        "http://ml.example.com/hook",
        "ftp://ml.example.com/hook",
        "ml.example.com/hook",
        "https://",
        "https://user:pass@ml.example.com/hook",
        "https://ml.example.com/hook#frag",
        "https://ml.example.com:99999/hook",
        "https://ml.example.com/ho ok",
        "https://ml.exämple.com/hook",
        "https://ml.example.com/" + "a" * 2000,
        "",
    ],
)
def test_a_bad_url_is_refused_naming_the_url(url: str, factory: Factory) -> None:
    assert _refused_field(_register(_admin(factory), project(factory).id, url=url)) == "url"


def test_an_unknown_event_type_is_refused(factory: Factory) -> None:
    response = _register(_admin(factory), project(factory).id, events=["task.started"])
    assert _refused_field(response) == "events.0"


def test_an_empty_event_list_is_refused(factory: Factory) -> None:
    assert _refused_field(_register(_admin(factory), project(factory).id, events=[])) == "events"


def test_missing_events_are_refused(factory: Factory) -> None:
    api = _admin(factory)
    response = api.post(
        f"/api/v1/projects/{project(factory).id}/webhooks", json={"url": BODY["url"]}
    )
    assert _refused_field(response) == "events"


def test_an_unknown_field_is_refused(factory: Factory) -> None:
    response = _register(_admin(factory), project(factory).id, secret="whsec_mine")
    assert _refused_field(response) == "secret"


def test_a_second_active_webhook_with_one_url_is_a_conflict(factory: Factory) -> None:
    api = _admin(factory)
    p = project(factory)
    first = _register(api, p.id).json()
    response = _register(api, p.id)
    assert response.status_code == 409
    assert response.json()["detail"][0]["field"] == "url"
    api.delete(f"/api/v1/webhooks/{first['id']}")
    assert _register(api, p.id).status_code == 201  # a disabled one does not count


def test_an_unknown_project_is_404(factory: Factory) -> None:
    api = _admin(factory)
    assert _register(api, 999_999).status_code == 404
    assert api.get("/api/v1/projects/999999/webhooks").status_code == 404


def test_unknown_webhook_and_delivery_ids_are_404(factory: Factory) -> None:
    api = _admin(factory)
    assert api.delete("/api/v1/webhooks/999999").json() == {"detail": "webhook 999999 not found"}
    assert api.get("/api/v1/webhooks/999999/deliveries").status_code == 404
    response = api.post("/api/v1/webhook-deliveries/999999/replay")
    assert response.json() == {"detail": "delivery 999999 not found"}


def test_a_huge_id_is_a_422_not_a_500(factory: Factory) -> None:
    api = _admin(factory)
    assert api.get("/api/v1/webhooks/99999999999/deliveries").status_code == 422


def test_a_client_viewer_manages_their_own_clients_webhooks(
    factory: Factory, session: Session
) -> None:
    client = factory.org(OrgKind.client)
    p = project(factory, client_id=client.id)
    api = factory.api(factory.user(Role.client_viewer, organization_id=client.id))

    created = _register(api, p.id)
    assert created.status_code == 201
    hook_id = created.json()["id"]
    assert [w["id"] for w in api.get(f"/api/v1/projects/{p.id}/webhooks").json()] == [hook_id]
    hook = session.get(Webhook, hook_id)
    assert hook is not None
    delivery_id = _delivered(session, hook, status=500)
    assert api.get(f"/api/v1/webhooks/{hook_id}/deliveries").status_code == 200
    assert api.post(f"/api/v1/webhook-deliveries/{delivery_id}/replay").status_code == 409
    assert api.delete(f"/api/v1/webhooks/{hook_id}").json()["active"] is False


def test_another_clients_project_and_webhooks_are_404_to_a_client_viewer(
    factory: Factory, session: Session
) -> None:
    theirs = project(factory)
    hook = webhook(session, theirs.id)
    delivery_id = _delivered(session, hook)
    api = factory.api(factory.user(Role.client_viewer))

    assert _register(api, theirs.id).json() == {"detail": f"project {theirs.id} not found"}
    assert api.get(f"/api/v1/projects/{theirs.id}/webhooks").status_code == 404
    assert api.delete(f"/api/v1/webhooks/{hook.id}").json() == {
        "detail": f"webhook {hook.id} not found"
    }
    assert api.get(f"/api/v1/webhooks/{hook.id}/deliveries").status_code == 404
    replay = api.post(f"/api/v1/webhook-deliveries/{delivery_id}/replay")
    assert replay.json() == {"detail": f"delivery {delivery_id} not found"}
    assert hook.active is True
    assert service.list_for_project(session=session, project_id=theirs.id) == [hook]


@pytest.mark.parametrize(
    "role", [Role.recruiter, Role.reviewer, Role.finance, Role.vendor_manager, Role.worker]
)
def test_other_roles_are_refused(role: Role, factory: Factory, session: Session) -> None:
    p = project(factory)
    hook = webhook(session, p.id)
    api = factory.api(factory.user(role))
    assert _register(api, p.id).status_code == 403
    assert api.get(f"/api/v1/projects/{p.id}/webhooks").status_code == 403
    assert api.delete(f"/api/v1/webhooks/{hook.id}").status_code == 403
    assert api.get(f"/api/v1/webhooks/{hook.id}/deliveries").status_code == 403


def test_a_read_only_token_cannot_register(factory: Factory) -> None:
    api = factory.api(factory.user(Role.admin), scopes=(Scope.read,))
    p = project(factory)
    assert _register(api, p.id).status_code == 403
    assert api.get(f"/api/v1/projects/{p.id}/webhooks").status_code == 200


def test_anonymous_callers_get_401(client: TestClient, factory: Factory) -> None:
    assert client.get(f"/api/v1/projects/{project(factory).id}/webhooks").status_code == 401


def test_deleting_disables_and_keeps_the_history(factory: Factory, session: Session) -> None:
    api = _admin(factory)
    hook = webhook(session, project(factory).id)
    delivery_id = _delivered(session, hook)

    response = api.delete(f"/api/v1/webhooks/{hook.id}")

    assert response.status_code == 200
    assert response.json()["active"] is False
    assert api.delete(f"/api/v1/webhooks/{hook.id}").status_code == 409
    items = api.get(f"/api/v1/webhooks/{hook.id}/deliveries").json()["items"]
    assert [i["id"] for i in items] == [delivery_id]
    assert api.post(f"/api/v1/webhook-deliveries/{delivery_id}/replay").status_code == 409


def test_deliveries_are_listed_newest_first_with_their_outcome(
    factory: Factory, session: Session
) -> None:
    api = _admin(factory)
    hook = webhook(session, project(factory).id)
    failed = _delivered(session, hook, status=500)
    delivered = _delivered(session, hook, status=204)

    items = api.get(f"/api/v1/webhooks/{hook.id}/deliveries").json()["items"]

    assert [i["id"] for i in items] == [delivered, failed]
    assert [(i["status"], i["attempts"], i["last_status_code"]) for i in items] == [
        ("delivered", 1, 204),
        ("pending", 1, 500),
    ]
    assert items[1]["last_error"] == "HTTP 500"
    assert items[0]["event_type"] == "task.completed"
    assert items[0]["msg_id"].startswith("msg_")
    pending = api.get(f"/api/v1/webhooks/{hook.id}/deliveries", params={"status": "pending"})
    assert [i["id"] for i in pending.json()["items"]] == [failed]


def test_deliveries_page_by_key(factory: Factory, session: Session) -> None:
    api = _admin(factory)
    hook = webhook(session, project(factory).id)
    ids = [_delivered(session, hook) for _ in range(3)]
    url = f"/api/v1/webhooks/{hook.id}/deliveries"

    first = api.get(url, params={"limit": 2}).json()
    rest = api.get(url, params={"limit": 2, "before_id": first["next_before_id"]}).json()

    assert [i["id"] for i in first["items"]] == ids[:0:-1]
    assert [i["id"] for i in rest["items"]] == ids[:1]
    assert rest["next_before_id"] is None


def test_a_bad_status_filter_is_refused(factory: Factory, session: Session) -> None:
    hook = webhook(session, project(factory).id)
    response = _admin(factory).get(
        f"/api/v1/webhooks/{hook.id}/deliveries", params={"status": "lost"}
    )
    assert _refused_field(response) == "status"


def test_replaying_through_the_api_requeues_the_delivery(
    factory: Factory, session: Session
) -> None:
    api = _admin(factory)
    hook = webhook(session, project(factory).id)
    delivery_id = _delivered(session, hook)

    response = api.post(f"/api/v1/webhook-deliveries/{delivery_id}/replay")

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "pending"
    assert response.json()["attempts"] == 0
    assert api.post(f"/api/v1/webhook-deliveries/{delivery_id}/replay").status_code == 409
    inbox = Inbox(secret=hook.secret)
    assert deliver_due(session=session, now=utcnow(), client=mock_client(inbox)) == 1
    [item] = api.get(f"/api/v1/webhooks/{hook.id}/deliveries").json()["items"]
    assert item["status"] == DeliveryStatus.delivered
