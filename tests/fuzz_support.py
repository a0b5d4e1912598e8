"""Support for ``test_api_fuzz``: the API schema as the app serves it, seed data, isolation.

The schema is read once, at import, from ``/api/v1/openapi.json`` of an application built
only for that purpose (serving the OpenAPI document touches no database). Every route the app
factory mounts is in it, so routes added later are fuzzed without any change here; the
requests themselves go to each test's own app, bound to its rolled-back transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import schemathesis
from fastapi.testclient import TestClient
from schemathesis import Case, GenerationMode
from schemathesis.schemas import BaseSchema
from sqlalchemy import Connection
from sqlalchemy.orm import sessionmaker

from crewline.app import API_PREFIX, create_app
from crewline.auth import service as auth
from crewline.auth.roles import Role, Scope
from crewline.auth.schemas import TokenCreate
from crewline.config import Settings
from crewline.orgs.models import OrgKind
from tests.factories import ACTOR, Factory

OPENAPI_PATH = f"{API_PREFIX}/openapi.json"

#: Drawn ids above this, and negative ones, are never replaced: they probe the edges
#: (integer overflow in the database driver, signs).
PLAIN_ID_LIMIT = 1_000_000

#: schemathesis checks, in its configuration-file format. Every check not named here runs
#: (including checks that later schemathesis versions add).
CHECKS: dict[str, dict[str, Any]] = {
    # Off: it expects every schema-valid request to succeed, but much of what the API refuses
    # with 422 cannot be said in JSON Schema: country, currency and language codes checked
    # against ISO lists, "a vendor-supplied person must name their vendor", and so on. Each
    # such refusal would be reported, so this check gives only false alarms here.
    "positive_data_acceptance": {"enabled": False},
}


class _NoEmbedder:
    """Stands in for the real embedder in the schema-only app, which never embeds anything."""

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        raise AssertionError("the schema-only app must not embed")


def load_api_schema() -> BaseSchema:
    """The OpenAPI schema a freshly built app serves, loaded into schemathesis."""
    settings = Settings(env="test", secret_key="schema-only-app")
    app = create_app(settings, session_factory=sessionmaker(), embedder=_NoEmbedder())
    with TestClient(app) as client:
        response = client.get(OPENAPI_PATH)
    response.raise_for_status()
    config = schemathesis.Config.from_dict({"checks": CHECKS})
    return schemathesis.openapi.from_dict(response.json(), config=config)


@dataclass(frozen=True)
class Seeded:
    """The rows every fuzzed operation starts with, and the admin calling the API."""

    headers: dict[str, str]
    ids: Mapping[str, Sequence[int]]


def seed(factory: Factory) -> Seeded:
    """A vendor, a client, people in and out of the pool, a few accounts and an admin token.

    ``ids`` maps parameter and field names to ids that exist, for :func:`use_real_ids`.
    """
    vendor = factory.org(OrgKind.vendor)
    client = factory.org(OrgKind.client)
    worker_user, worker = factory.worker_user()
    candidate = factory.person(worker=None)
    supplied = factory.person(classification="vendor_supplied", vendor_id=vendor.id)
    manager = factory.user(Role.vendor_manager, organization_id=vendor.id)
    viewer = factory.user(Role.client_viewer, organization_id=client.id)
    admin = factory.user(Role.admin)
    token, secret = auth.do_create_token(
        session=factory.session,
        actor=ACTOR,
        user_id=admin.id,
        data=TokenCreate(name="fuzz", scopes=[Scope.read, Scope.write]),
    )
    spare, _ = auth.do_create_token(
        session=factory.session,
        actor=ACTOR,
        user_id=admin.id,
        data=TokenCreate(name="spare", scopes=[Scope.read]),
    )
    return Seeded(
        headers={"Authorization": f"Bearer {secret}"},
        ids={
            "org_id": [vendor.id, client.id],
            "organization_id": [vendor.id, client.id],
            "vendor_id": [vendor.id],
            "client_id": [client.id],
            "person_id": [worker.id, candidate.id, supplied.id],
            "user_id": [worker_user.id, manager.id, viewer.id, admin.id],
            "actor_user_id": [admin.id],
            # The spare first, for the most common draws; revoking the caller's own token
            # is fine too (``rolled_back`` restores it for the next example).
            "token_id": [spare.id, token.id],
        },
    )


def use_real_ids(case: Case[Any], ids: Mapping[str, Sequence[int]]) -> None:
    """Point some ids of a schema-valid case at seeded rows.

    Generated integers rarely name a row that exists (never on PostgreSQL, whose sequences
    the rollbacks do not reset), so without this nearly every "by id" request would be a 404
    and the code behind it would go untested. This looks at path and query parameters and
    top-level JSON body fields named in ``ids`` or ending in ``_id`` (those draw from all
    seeded ids), and only at parts generated as valid: negative cases are left as drawn.
    """
    meta = case.meta
    if meta is None:
        return
    everything = sorted({i for values in ids.values() for i in values})
    modes = {location.value: info.mode for location, info in meta.components.items()}
    parts = {"path": case.path_parameters, "query": case.query, "body": case.body}
    for location, values in parts.items():
        if modes.get(location) is not GenerationMode.POSITIVE:
            continue
        if not isinstance(values, MutableMapping):
            continue
        for name, value in values.items():
            pool = ids.get(name) or (everything if name.endswith("_id") else ())
            number = _as_int(value) if pool else None
            if number is None:
                continue
            pick = number % (2 * len(pool))  # the upper half keeps the drawn value
            if 0 <= number <= PLAIN_ID_LIMIT and pick < len(pool):
                values[name] = pool[pick] if isinstance(value, int) else str(pool[pick])


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    digits = value.lstrip("-") if isinstance(value, str) else ""
    if isinstance(value, str) and 0 < len(digits) < 20 and digits.isascii() and digits.isdigit():
        return int(value)
    return None


@contextmanager
def rolled_back(connection: Connection) -> Iterator[None]:
    """Undo whatever one request wrote, so every example starts from the seeded rows.

    Examples are then independent: a failure replays and shrinks the same way, and a request
    that revokes the caller's token or demotes the caller does not spoil the ones after it.
    """
    savepoint = connection.begin_nested()
    try:
        yield
    finally:
        if savepoint.is_active:
            savepoint.rollback()
