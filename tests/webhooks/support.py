"""Webhook test helpers: receivers that verify every request as a real client would."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from sqlalchemy.orm import Session
from standardwebhooks import Webhook as Verifier
from standardwebhooks import WebhookVerificationError

from crewline.orgs.models import OrgKind
from crewline.projects import service as projects
from crewline.projects.models import Project
from crewline.projects.schemas import ProjectCreate
from crewline.webhooks import service
from crewline.webhooks.models import EventType, Webhook
from crewline.webhooks.schemas import WebhookCreate
from tests.factories import ACTOR, Factory, unique


@dataclass(frozen=True)
class Received:
    """One verified request: its message id, parsed body and headers."""

    msg_id: str
    event: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Inbox:
    """What a receiver got. ``verify`` raises for a bad signature, failing the test."""

    secret: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accept(self, body: bytes, headers: dict[str, str]) -> int:
        """Verify and record one request; answer the next scripted status (200 when none)."""
        headers = {k.lower(): v for k, v in headers.items()}
        event = Verifier(self.secret).verify(body, headers)
        with self.lock:
            self.received.append(Received(headers["webhook-id"], event, headers))
            return self.statuses.pop(0) if self.statuses else 200

    @property
    def msg_ids(self) -> list[str]:
        with self.lock:
            return [r.msg_id for r in self.received]


def mock_client(inbox: Inbox) -> httpx.Client:
    """An httpx client whose requests go straight to ``inbox`` (no sockets)."""

    def handle(request: httpx.Request) -> httpx.Response:
        status = inbox.accept(request.read(), dict(request.headers))
        return httpx.Response(status)

    return httpx.Client(transport=httpx.MockTransport(handle))


def failing_client(error: Exception) -> httpx.Client:
    """An httpx client whose every request raises ``error`` (a network failure)."""

    def handle(request: httpx.Request) -> httpx.Response:
        raise error

    return httpx.Client(transport=httpx.MockTransport(handle))


@contextmanager
def http_receiver(inbox: Inbox) -> Iterator[str]:
    """A real HTTP server on a free localhost port, in a thread; yields its URL.

    A request that fails verification is answered 400 and its error kept in
    ``inbox.rejected`` (an exception in the server thread would not fail the test).
    """

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            try:
                status = inbox.accept(body, dict(self.headers.items()))
            except WebhookVerificationError as exc:
                inbox.rejected.append(str(exc))
                status = 400
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def project(factory: Factory, client_id: int | None = None) -> Project:
    """A project of a new client (or of ``client_id``)."""
    if client_id is None:
        client_id = factory.org(OrgKind.client).id
    return projects.do_create_project(
        session=factory.session,
        actor=ACTOR,
        data=ProjectCreate(client_id=client_id, name=unique("Project ")),
    )


def webhook(
    session: Session,
    project_id: int,
    inbox: Inbox | None = None,
    url: str = "https://receiver.example.com/hooks",
    events: tuple[EventType, ...] = tuple(EventType),
) -> Webhook:
    """A registered webhook; its secret goes to ``inbox`` so the receiver can verify."""
    hook, secret = service.do_register(
        session=session,
        actor=ACTOR,
        project_id=project_id,
        data=WebhookCreate(url=url, events=list(events)),
    )
    if inbox is not None:
        inbox.secret = secret
    return hook
