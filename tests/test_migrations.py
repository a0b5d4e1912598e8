"""The migrations build exactly the schema the models describe, on this run's database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData, insert, inspect, select

from crewline import migrate
from crewline.all_models import Base
from crewline.migrate import EXPRESSION_INDEXES


def _named(diff: Any) -> str | None:
    item = diff[1] if isinstance(diff, tuple) and len(diff) > 1 else None
    return getattr(item, "name", None)


def test_migrations_match_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    # Alembic cannot compare expression indexes (``priority DESC``); they are checked below.
    assert [d for d in differences if _named(d) not in EXPRESSION_INDEXES] == []


def test_the_claim_index_exists_and_is_partial(engine: Engine) -> None:
    indexes = {i["name"]: i for i in inspect(engine).get_indexes("tasks")}
    assert "ix_tasks_claim" in indexes
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            definition = connection.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_tasks_claim' "
                "AND schemaname = current_schema()"
            ).scalar_one()
        else:
            definition = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'ix_tasks_claim'"
            ).scalar_one()
    assert "priority DESC" in definition and "WHERE open" in definition.replace("(open)", "open")


def test_health_answers_ok_with_the_database_reachable(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_person_origin_marks_the_placeholders_earlier_imports_made(empty_engine: Engine) -> None:
    """Without this, the next import of such a project would not find its placeholders (lists
    look only at imported records) and would fail on their taken emails."""
    migrate.upgrade(empty_engine, "0005")
    now = datetime.now(UTC)
    emails = ["ana@example.org", "ls-3-7@import.example", "ls-3-8@import.example"]
    with empty_engine.begin() as connection:
        tables = MetaData()
        tables.reflect(connection, only=["persons", "workers"])
        persons, workers = tables.tables["persons"], tables.tables["workers"]
        ids = {
            email: connection.execute(
                insert(persons).returning(persons.c.id),
                {
                    "full_name": email,
                    "email": email,
                    "country": "BR",
                    "region": "OTHER",
                    "time_zone": "UTC",
                    "classification": "contractor",
                    "pay_currency": "BRL",
                    "profile": "",
                    "created_at": now,
                    "updated_at": now,
                },
            ).scalar_one()
            for email in emails
        }
        # someone who made a placeholder a pool member had decided it was a real worker
        connection.execute(
            insert(workers),
            {
                "person_id": ids["ls-3-8@import.example"],
                "tier": "trainee",
                "status": "active",
                "availability_hours": 10,
                "joined_at": now,
                "status_changed_at": now,
            },
        )

    migrate.upgrade(empty_engine, "0006")

    migrated = MetaData()
    migrated.reflect(empty_engine, only=["persons"])
    table = migrated.tables["persons"]
    with empty_engine.connect() as connection:
        origins = {
            email: origin
            for email, origin in connection.execute(select(table.c.email, table.c.origin))
        }
    assert origins == {
        "ana@example.org": "crewline",
        "ls-3-7@import.example": "label_studio_import",
        "ls-3-8@import.example": "crewline",
    }
    with empty_engine.begin() as connection:
        command.downgrade(migrate.alembic_config(connection), "0005")
    assert "origin" not in {c["name"] for c in inspect(empty_engine).get_columns("persons")}
