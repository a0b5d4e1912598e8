"""Factories: build test data through the real services, with unique values by default."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from crewline.audit.schemas import Actor
from crewline.auth import service as auth
from crewline.auth.models import User
from crewline.auth.roles import Role, Scope
from crewline.auth.schemas import TokenCreate, UserCreate
from crewline.auth.security import csrf_token
from crewline.orgs import service as orgs
from crewline.orgs.models import Organization, OrgKind
from crewline.orgs.schemas import OrgCreate
from crewline.people import service as people
from crewline.people.embedding import Embedder
from crewline.people.models import Person, PersonOrigin
from crewline.people.schemas import PersonCreate

PASSWORD = "correct horse battery"
ACTOR = Actor.system("tests")
_counter = itertools.count(1)


def unique(prefix: str) -> str:
    """A value no other call returns in this run."""
    return f"{prefix}{next(_counter)}"


@dataclass
class Factory:
    """Makes organizations, users and people; logs test clients in."""

    session: Session
    app: FastAPI
    embedder: Embedder
    clients: list[TestClient] = field(default_factory=list)

    def org(self, kind: OrgKind = OrgKind.vendor, **overrides: Any) -> Organization:
        data = {"kind": kind, "name": unique(f"{kind.value} "), "country": "US", "currency": "USD"}
        return orgs.do_create_org(
            session=self.session, actor=ACTOR, data=OrgCreate(**{**data, **overrides})
        )

    def user(self, role: Role = Role.ops_manager, **overrides: Any) -> User:
        org_id = overrides.pop("organization_id", None)
        if org_id is None and role is Role.vendor_manager:
            org_id = self.org(OrgKind.vendor).id
        if org_id is None and role is Role.client_viewer:
            org_id = self.org(OrgKind.client).id
        data = {
            "email": unique(f"{role.value}.") + "@example.org",
            "full_name": unique("User "),
            "role": role,
            "password": PASSWORD,
            "organization_id": org_id,
        }
        return auth.do_create_user(
            session=self.session,
            actor=ACTOR,
            hasher=self.app.state.hasher,
            data=UserCreate(**{**data, **overrides}),
        )

    def person_data(self, **overrides: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "full_name": unique("Person "),
            "email": unique("person.") + "@example.org",
            "country": "BR",
            "region": "LATAM",
            "time_zone": "America/Sao_Paulo",
            "classification": "contractor",
            "pay_currency": "BRL",
            "languages": [
                {"language": "pt", "level": "C2", "native": True},
                {"language": "en", "level": "B2"},
            ],
            "skills": ["ner", "sentiment"],
            "profile": "Annotator with experience labelling Portuguese customer reviews.",
            "worker": {"tier": "tier_1", "status": "active", "availability_hours": 20},
        }
        data.update(overrides)
        return data

    def person(
        self,
        user: User | None = None,
        origin: PersonOrigin = PersonOrigin.crewline,
        **overrides: Any,
    ) -> Person:
        person = people.do_create_person(
            session=self.session,
            actor=ACTOR,
            embedder=self.embedder,
            data=PersonCreate(**self.person_data(**overrides)),
            origin=origin,
        )
        if user is not None:
            people.do_link_user(
                session=self.session, actor=ACTOR, person_id=person.id, user_id=user.id
            )
        return person

    def imported_annotator(self, **overrides: Any) -> Person:
        """A record as a Label Studio import makes it: annotation history only, not in the pool."""
        return self.person(origin=PersonOrigin.label_studio_import, worker=None, **overrides)

    def worker_user(self, **overrides: Any) -> tuple[User, Person]:
        user = self.user(Role.worker)
        return user, self.person(user=user, **overrides)

    def browser(self, user: User | None = None) -> TestClient:
        """A client with its own cookies, logged in as ``user`` through the real login form."""
        client = TestClient(self.app)
        self.clients.append(client)
        client.get("/login")
        if user is not None:
            response = client.post(
                "/login",
                data={"email": user.email, "password": PASSWORD, "csrf_token": self.csrf(client)},
                follow_redirects=False,
            )
            assert response.status_code == 303, response.text
        return client

    def csrf(self, client: TestClient) -> str:
        """The CSRF token a page would embed for this client's nonce cookie."""
        nonce = client.cookies.get("crewline_csrf")
        assert nonce, "visit a page first to receive the CSRF cookie"
        return csrf_token(self.app.state.secret_key, nonce)

    def api(self, user: User, scopes: tuple[Scope, ...] = (Scope.read, Scope.write)) -> TestClient:
        """A client sending a bearer token of ``user`` with ``scopes``."""
        _token, secret = auth.do_create_token(
            session=self.session,
            actor=ACTOR,
            user_id=user.id,
            data=TokenCreate(name="test", scopes=list(scopes)),
        )
        client = TestClient(self.app, headers={"Authorization": f"Bearer {secret}"})
        self.clients.append(client)
        return client
