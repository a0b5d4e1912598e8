"""Engine, session factory and the declarative base shared by every domain.

Nothing here runs at import: ``make_engine`` is called by ``create_app`` and the CLI.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    DateTime,
    Engine,
    MetaData,
    Table,
    create_engine,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from crewline.errors import Conflict

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the only kind of time Crewline stores)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC, on SQLite as on PostgreSQL.

    SQLite has no time zones and hands back naive values; this type refuses naive input
    and re-attaches UTC on the way out, so comparisons never mix naive and aware times.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Crewline stores timezone-aware UTC only")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base: every table of every domain hangs off this metadata."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, issue BEGIN: sqlite3's implicit transactions
    # break SAVEPOINT (nested transactions), which both services and tests rely on.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


#: Set while a write transaction begins, so SQLite takes its write lock at BEGIN.
_IMMEDIATE: ContextVar[bool] = ContextVar("crewline_sqlite_immediate", default=False)


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _IMMEDIATE.get() else "BEGIN")


def begin_write(session: Session) -> None:
    """Start a write transaction now; call it before the first statement of a write action.

    On SQLite a transaction that reads and then writes cannot wait for the write lock if
    another connection wrote meanwhile (SQLITE_BUSY at once, whatever the busy timeout), so
    contended actions (claim, submit, lease expiry) take the lock at BEGIN and wait their turn.
    Any read-only transaction still open is ended first. PostgreSQL needs none of this (rows
    are locked as they are written), so there it does nothing: no extra commit round trip on
    the claim and submit paths.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        session.commit()
    token = _IMMEDIATE.set(True)
    try:
        session.connection()
    finally:
        _IMMEDIATE.reset(token)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create the engine; SQLite gets WAL mode, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 10}
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


@contextmanager
def conflict_on_duplicate(
    session: Session, message: str, *, field: str | None = None
) -> Iterator[None]:
    """Turn a unique-constraint race into a Conflict.

    Services check for duplicates before writing, but two requests can pass the check at
    once; the database's unique index then refuses one of them. That caller gets the same
    409 as if it had lost the check, and its transaction is rolled back, never half-written.
    """
    try:
        yield
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(message, field=field) from exc


def insert_ignoring_conflicts(
    session: Session,
    model: type[Base],
    rows: Sequence[Mapping[str, Any]],
    *,
    conflict_on: Sequence[str],
    returning: str,
) -> list[Any]:
    """Insert ``rows`` into ``model``'s table, skip those that hit the unique key ``conflict_on``,
    and return ``returning`` of the rows actually inserted (in no particular order).

    ``INSERT ... ON CONFLICT DO NOTHING`` makes retries and concurrent duplicates no-ops
    instead of errors that would roll back the whole batch. The rows go as executemany
    parameters of one statement compiled once (SQLAlchemy's "insertmanyvalues" sends them in
    pages of multi-row INSERTs), not as a fresh multi-row ``VALUES`` statement compiled per
    chunk: compilation, not the database, was the cost. The statement is on the table, not
    the ORM entity, so it skips the ORM's per-row bulk-insert bookkeeping, while the column
    types' bind processing (JSON, ``UTCDateTime``) still applies. Every row needs the same
    keys.
    """
    if not rows:
        return []
    # Declarative classes type __table__ as a FromClause; a mapped class's is a Table.
    table = cast(Table, model.__table__)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=[table.c[name] for name in conflict_on])
        .returning(table.c[returning])
    )
    return list(session.scalars(statement, rows).all())


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (pages render after writes)."""
    return sessionmaker(bind=engine, expire_on_commit=False)
