"""The migrations build exactly the schema the models describe, on this run's database."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

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
