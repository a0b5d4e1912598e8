"""The ``crewline`` command: demo, db upgrade, users and tokens, end to end on a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from crewline import migrate
from crewline.auth.models import ApiToken, User
from crewline.auth.security import sha256_hex
from crewline.cli import app
from crewline.db import make_engine, make_sessionmaker
from crewline.demo.generator import ADMIN_EMAIL
from crewline.people.models import Person

runner = CliRunner()


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREWLINE_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("CREWLINE_ARGON2_MEMORY_KIB", "8")
    monkeypatch.delenv("CREWLINE_DATABASE_URL", raising=False)


def _run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), input=input)


@pytest.mark.own_sqlite
def test_demo_builds_once_then_reuses_the_file_until_fresh(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    first = _run("demo", "--no-serve", "--db", str(db))
    assert first.exit_code == 0, first.output
    assert "Built the demo organization" in first.output and ADMIN_EMAIL in first.output
    again = _run("demo", "--no-serve", "--db", str(db))
    assert again.exit_code == 0 and "Reusing the demo database" in again.output
    fresh = _run("demo", "--fresh", "--no-serve", "--db", str(db))
    assert fresh.exit_code == 0 and "Built the demo organization" in fresh.output


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    result = _run("db", "upgrade", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert migrate.current(make_engine(f"sqlite:///{db}")) is not None


def test_serve_refuses_a_database_that_does_not_exist(tmp_path: Path) -> None:
    result = _run("serve", "--db", str(tmp_path / "missing.db"))
    assert result.exit_code == 1 and "no database" in result.output


def _database(tmp_path: Path) -> str:
    db = tmp_path / "org.db"
    assert _run("db", "upgrade", "--db", str(db)).exit_code == 0
    return str(db)


def test_users_create_then_tokens_create_prints_a_working_token_once(tmp_path: Path) -> None:
    db = _database(tmp_path)
    created = _run(
        "users",
        "create",
        "--email",
        "Ops@Example.org",
        "--name",
        "Olu Ops",
        "--role",
        "ops_manager",
        "--password",
        "a long enough password",
        "--db",
        db,
    )
    assert created.exit_code == 0, created.output
    token = _run(
        "tokens",
        "create",
        "--user",
        "ops@example.org",
        "--scope",
        "read",
        "--scope",
        "write",
        "--db",
        db,
    )
    assert token.exit_code == 0, token.output
    secret = token.output.strip().splitlines()[-1]
    assert secret.startswith("cl_")
    with make_sessionmaker(make_engine(f"sqlite:///{db}"))() as session:
        stored = session.scalar(select(ApiToken))
        assert stored is not None and stored.token_hash == sha256_hex(secret)
        assert sorted(stored.scopes) == ["read", "write"]


def test_users_create_refuses_bad_input_and_duplicates(tmp_path: Path) -> None:
    db = _database(tmp_path)
    base = ["users", "create", "--name", "X", "--password", "a long enough password", "--db", db]
    bad_email = _run(*base, "--email", "not-an-email", "--role", "finance")
    assert bad_email.exit_code != 0 and "email" in bad_email.output
    bad_role = _run(*base, "--email", "a@example.org", "--role", "emperor")
    assert bad_role.exit_code != 0
    assert _run(*base, "--email", "a@example.org", "--role", "finance").exit_code == 0
    duplicate = _run(*base, "--email", "A@example.org", "--role", "finance")
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    no_vendor = _run(*base, "--email", "v@example.org", "--role", "vendor_manager")
    assert no_vendor.exit_code == 1 and "vendor" in no_vendor.output
    with make_sessionmaker(make_engine(f"sqlite:///{db}"))() as session:
        assert len(session.scalars(select(User)).all()) == 1


def test_users_create_links_a_worker_to_a_person_or_writes_nothing(tmp_path: Path) -> None:
    db = _database(tmp_path)
    base = ["users", "create", "--name", "W", "--password", "a long enough password", "--db", db]
    missing = _run(*base, "--email", "w@example.org", "--role", "worker", "--person-id", "42")
    assert missing.exit_code == 1 and "person 42 not found" in missing.output
    with make_sessionmaker(make_engine(f"sqlite:///{db}"))() as session:
        assert session.scalars(select(User)).all() == []
        assert session.scalars(select(Person)).all() == []


def test_tokens_create_for_an_unknown_user_fails(tmp_path: Path) -> None:
    result = _run("tokens", "create", "--user", "ghost@example.org", "--db", _database(tmp_path))
    assert result.exit_code == 1 and "no account" in result.output
