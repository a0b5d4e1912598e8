"""Support for ``test_api_fuzz``: the API schema as the app serves it, and an admin caller.

The schema is read once, at import, from ``/api/v1/openapi.json`` of an application built only
for that purpose (no database is touched: serving the OpenAPI document needs none). Every route
the app factory mounts is therefore in it, so routes added later are fuzzed without any change
here. The requests themselves go to each test's own app, bound to its rolled-back transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.schemas import BaseSchema
from sqlalchemy.orm import Session, sessionmaker

from crewline.app import API_PREFIX, create_app
from crewline.auth.models import ApiToken, User
from crewline.auth.roles import Role, Scope
from crewline.config import Settings
from tests.factories import Factory

OPENAPI_PATH = f"{API_PREFIX}/openapi.json"


class _NoEmbedder:
    """Stands in for the real embedder in the schema-only app, which never embeds anything."""

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        raise AssertionError("the schema-only app must not embed")


def load_api_schema() -> BaseSchema:
    """The OpenAPI schema served by a freshly built app, loaded into schemathesis."""
    settings = Settings(env="test", secret_key="schema-only-not-for-requests")  # type: ignore[arg-type]
    app = create_app(settings, session_factory=sessionmaker(), embedder=_NoEmbedder())
    with TestClient(app) as client:
        response = client.get(OPENAPI_PATH)
    response.raise_for_status()
    return schemathesis.openapi.from_dict(response.json())


@dataclass
class AdminCaller:
    """Bearer headers of an active admin whose token has the read and write scopes.

    Fuzzed requests may revoke that very token (``DELETE /tokens/{id}``), deactivate or demote
    that very user (``PATCH /users/{id}``): each would turn every later request of the test into
    a 401 or 403 and quietly stop exercising the routes. ``headers()`` checks before each request
    and starts over with a fresh admin and token when the old ones no longer work.
    """

    factory: Factory
    _token_id: int | None = None
    _secret: str = ""
    renewals: int = field(default=0)

    def headers(self) -> dict[str, str]:
        if not self._still_valid():
            self._renew()
        return {"Authorization": f"Bearer {self._secret}"}

    def _still_valid(self) -> bool:
        if self._token_id is None:
            return False
        session: Session = self.factory.session
        session.expire_all()  # the app writes through its own sessions on the same connection
        token = session.get(ApiToken, self._token_id)
        if token is None or token.revoked_at is not None:
            return False
        user: User = token.user
        return user.is_active and user.role is Role.admin

    def _renew(self) -> None:
        from crewline.auth import service as auth
        from crewline.auth.schemas import TokenCreate
        from tests.factories import ACTOR

        user = self.factory.user(Role.admin)
        token, secret = auth.do_create_token(
            session=self.factory.session, actor=ACTOR, user_id=user.id,
            data=TokenCreate(name="fuzz", scopes=[Scope.read, Scope.write]),
        )
        self._token_id, self._secret = token.id, secret
        self.renewals += 1


def seed(factory: Factory) -> dict[str, Any]:
    """A little data, so that requests by id sometimes find a row rather than always a 404."""
    from crewline.orgs.models import OrgKind

    vendor = factory.org(OrgKind.vendor)
    client = factory.org(OrgKind.client)
    worker_user, worker = factory.worker_user()
    candidate = factory.person(worker=None, classification="contractor")
    supplied = factory.person(classification="vendor_supplied", vendor_id=vendor.id)
    return {
        "vendor": vendor, "client": client, "worker_user": worker_user,
        "people": [worker, candidate, supplied],
    }
