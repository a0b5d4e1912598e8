"""Settings: defaults, the generated secret key, and refusals in production."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from crewline.config import Settings


def test_the_default_database_is_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.as_posix()}/crewline.db"
    assert settings.sqlite_path() == tmp_path / "crewline.db"


def test_settings_come_from_crewline_environment_variables(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CREWLINE_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("CREWLINE_SESSION_HOURS", "3")
    settings = Settings(data_dir=tmp_path)
    assert settings.resolved_database_url == "postgresql+psycopg://u@h/db"
    assert settings.session_hours == 3
    assert settings.sqlite_path() is None


def test_a_secret_key_is_generated_once_and_stored_next_to_the_database(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/org.db")
    first = settings.resolve_secret_key()
    key_file = tmp_path / "org.db.secret"
    assert key_file.read_text() == first and len(first) >= 40
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert Settings(database_url=f"sqlite:///{tmp_path}/org.db").resolve_secret_key() == first


def test_a_configured_secret_key_is_used_and_nothing_is_written(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/org.db", secret_key="k" * 40)  # type: ignore[arg-type]
    assert settings.resolve_secret_key() == "k" * 40
    assert not (tmp_path / "org.db.secret").exists()


def test_production_refuses_a_missing_or_placeholder_secret() -> None:
    for secret in ("", "changeme"):
        with pytest.raises(ValidationError, match="CREWLINE_SECRET_KEY"):
            Settings(env="production", secret_key=secret)  # type: ignore[arg-type]


def test_production_refuses_insecure_cookies_and_defaults_to_secure() -> None:
    with pytest.raises(ValidationError, match="SECURE_COOKIES"):
        Settings(env="production", secret_key="x" * 40, secure_cookies=False)  # type: ignore[arg-type]
    assert Settings(env="production", secret_key="x" * 40).cookies_secure is True  # type: ignore[arg-type]
    assert Settings().cookies_secure is False
