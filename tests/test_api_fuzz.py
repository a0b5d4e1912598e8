"""Property-based test of the whole JSON API: nothing an admin can send gets a 5xx.

schemathesis reads ``/api/v1/openapi.json`` (``tests/fuzz_support.py``) and makes one test per
operation, so a route added later is fuzzed without touching this file. Each operation gets
its own app and rolled-back transaction from ``conftest.py``, a few seeded rows and an admin
API token with the read and write scopes; Hypothesis then sends a bounded, derandomized set
of valid and invalid requests, each undone after it ran, and schemathesis checks every
response: never a server error, and status codes, content types, headers and bodies as the
schema documents them (the one check that is off, and why, is in ``fuzz_support.CHECKS``).

An unhandled exception in the app fails the test with its own traceback (the transport
re-raises it rather than answering 500).
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis import Case
from sqlalchemy import Connection

from tests.factories import Factory
from tests.fuzz_support import Seeded, load_api_schema, rolled_back, seed, use_real_ids

schema = load_api_schema()


@pytest.fixture
def seeded(factory: Factory) -> Seeded:
    return seed(factory)


@schema.parametrize()
@settings(
    max_examples=25,  # per operation, in the fuzzing phase; the coverage phase adds its own
    deadline=None,  # the first request of a test is slow (app start), which is not a bug
    derandomize=True,  # the same examples on every run and machine: CI stays stable
    database=None,
    # One app, connection and seed serve all examples of an operation; `rolled_back` resets
    # the data between them, which is what the function-scoped-fixture check is about.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api(case: Case[Any], app: FastAPI, connection: Connection, seeded: Seeded) -> None:
    use_real_ids(case, seeded.ids)
    with rolled_back(connection):
        case.call_and_validate(app=app, headers=dict(seeded.headers))
