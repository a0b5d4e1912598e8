"""Test fixtures: one migrated database per run, one rolled-back transaction per test.

The database is SQLite unless ``CREWLINE_TEST_DATABASE_URL`` names another (CI sets it to
PostgreSQL). If that database cannot be reached the run stops with an error: a PostgreSQL run
that silently skipped would prove nothing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from crewline import migrate
from crewline.app import create_app
from crewline.config import Settings
from crewline.db import make_engine
from crewline.people.embedding import WordLlamaEmbedder
from tests.factories import Factory

TEST_DB_ENV = "CREWLINE_TEST_DATABASE_URL"

# No per-example deadline: a first call that loads a library (Arrow's compute kernels took
# 271 ms) failed a 200 ms deadline on a busy CI machine and passed when replayed. Speed is
# measured in bench/, not by the property tests.
settings.register_profile("crewline", deadline=None)
settings.load_profile("crewline")
# aiosmtpd's server thread logs each connection at INFO, sometimes after pytest has closed the
# test's captured stream ("--- Logging error ---"); its warnings still show.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Against another database (CI's PostgreSQL run), leave out the tests marked
    ``own_sqlite``: the browser tests and the demo builds make and use their own SQLite files
    whatever the configured database is, so the SQLite run has already run them exactly; they
    include four full demo builds of about 2.5 minutes each on a slow machine."""
    if not os.environ.get(TEST_DB_ENV):
        return
    own = [item for item in items if item.get_closest_marker("own_sqlite")]
    if own:
        config.hook.pytest_deselected(items=own)
        items[:] = [item for item in items if not item.get_closest_marker("own_sqlite")]


def _database_url(tmp_dir: Path) -> str:
    return os.environ.get(TEST_DB_ENV) or f"sqlite:///{(tmp_dir / 'test.db').as_posix()}"


def _private_schema(url: str, purpose: str = "test") -> str:
    """Give each pytest-xdist worker its own schema, emptied first, and point the URL at it."""
    schema = f"crewline_{purpose}_" + os.environ.get("PYTEST_XDIST_WORKER", "main")
    admin = make_engine(url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except OperationalError as exc:
        pytest.exit(f"PostgreSQL at {admin.url!r} is unreachable: {exc}", returncode=3)
    finally:
        admin.dispose()
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A freshly migrated database: drops whatever the last run left, then ``alembic upgrade``."""
    url = _database_url(tmp_path_factory.mktemp("db"))
    if url.startswith("postgresql"):
        url = _private_schema(url)
    engine = make_engine(url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def empty_engine(tmp_path: Path) -> Iterator[Engine]:
    """An empty database of this run's kind (no migrations), for stepping through them."""
    url = _database_url(tmp_path)
    if url.startswith("postgresql"):
        url = _private_schema(url, purpose="steps")
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    """Sessions whose commits become SAVEPOINT releases inside the test's transaction."""
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for arranging and checking data directly through services."""
    with session_factory() as session:
        yield session


@pytest.fixture(scope="session")
def embedder() -> WordLlamaEmbedder:
    """The real skill embedder (loads in a fraction of a second, no network)."""
    return WordLlamaEmbedder()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Test settings: cheap password hashing, a fixed secret, a private data directory."""
    return Settings(
        env="test",
        data_dir=tmp_path,
        secret_key="test-secret-key-not-for-production",  # type: ignore[arg-type]
        argon2_time_cost=1,
        argon2_memory_kib=8,
        run_jobs=False,
    )


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session], embedder: WordLlamaEmbedder):  # type: ignore[no-untyped-def]
    """The application, bound to the test transaction."""
    return create_app(settings, session_factory=session_factory, embedder=embedder)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """An anonymous browser/API client."""
    with TestClient(app) as client:
        yield client


@pytest.fixture
def factory(session: Session, app, embedder: WordLlamaEmbedder) -> Factory:  # type: ignore[no-untyped-def]
    """Builds users, organizations and people through the services, and logs clients in."""
    return Factory(session=session, app=app, embedder=embedder)
