"""Property-based test of the whole JSON API: no request an admin can send gets a 5xx.

schemathesis reads ``/api/v1/openapi.json`` (see ``tests/fuzz_support.py``) and makes one test per
operation, so a route added later is fuzzed without touching this file. Each operation gets
its own app and rolled-back transaction from ``conftest.py``, a few seeded rows, and an admin
API token with the read and write scopes; Hypothesis then sends a bounded, derandomized set
of valid and invalid requests and schemathesis checks every response.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from tests.factories import Factory
from tests.fuzz_support import AdminCaller, load_api_schema, seed

schema = load_api_schema()


@pytest.fixture
def caller(factory: Factory) -> AdminCaller:
    seed(factory)
    return AdminCaller(factory)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api(case, app, caller: AdminCaller) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(app=app, headers=caller.headers())
