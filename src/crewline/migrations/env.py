"""Alembic environment: runs on a connection handed in by ``crewline.migrate`` or on a URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from crewline.all_models import Base
from crewline.db import make_engine
from crewline.migrate import EXPRESSION_INDEXES

target_metadata = Base.metadata


def _include(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


def _run(connection: Connection) -> None:
    context.configure(
        include_object=_include,
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        user_module_prefix="crewline.db.",
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    """Migrate the given connection, or open one from the configured URL."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _run(conn)


run()
