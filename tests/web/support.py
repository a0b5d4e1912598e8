"""A live server on its own migrated SQLite file, for the browser tests of one module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from crewline import migrate
from crewline.app import create_app
from crewline.config import Settings
from crewline.db import make_engine, make_sessionmaker
from crewline.demo.live import live_server
from crewline.people.embedding import WordLlamaEmbedder


@dataclass(frozen=True)
class Site:
    """The served app, and sessions on its database for arranging and checking data."""

    url: str
    app: FastAPI
    sessions: sessionmaker[Session]
    embedder: WordLlamaEmbedder


@contextmanager
def serve_site(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Site]:
    """Serve a fresh app (jobs off) on ``<tmp>/<name>.db`` until the block ends."""
    root = tmp_path_factory.mktemp(name)
    engine = make_engine(f"sqlite:///{(root / f'{name}.db').as_posix()}")
    try:
        migrate.upgrade(engine)
        sessions = make_sessionmaker(engine)
        embedder = WordLlamaEmbedder()
        settings = Settings(
            env="test",
            data_dir=root,
            secret_key=f"{name}-test-secret-key",  # type: ignore[arg-type]
            argon2_time_cost=1,
            argon2_memory_kib=8,
            run_jobs=False,
        )
        app = create_app(settings, session_factory=sessions, embedder=embedder)
        with live_server(app) as url:
            yield Site(url=url, app=app, sessions=sessions, embedder=embedder)
    finally:
        engine.dispose()
