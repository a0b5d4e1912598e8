"""The delivery job's index covers only pending deliveries, on SQLite as on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine


def test_the_due_index_is_partial_over_pending_deliveries(engine: Engine) -> None:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            definition = connection.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_webhook_deliveries_due' "
                "AND schemaname = current_schema()"
            ).scalar_one()
        else:
            definition = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'ix_webhook_deliveries_due'"
            ).scalar_one()
    assert "next_attempt_at" in definition
    assert "WHERE" in definition and "'pending'" in definition
