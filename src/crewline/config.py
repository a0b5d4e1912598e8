"""Settings, read from ``CREWLINE_*`` environment variables and nowhere else.

Every setting carries a description; ``docs/settings.md`` lists them all and a test fails
if one is missing there (the datasette habit: settings are data, documented by construction).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB_FILE = "crewline.db"
SECRET_FILE_SUFFIX = ".secret"  # noqa: S105  (a file name)
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "dev"})


class Settings(BaseSettings):
    """Runtime configuration. Build one with ``Settings()``; nothing reads the environment later."""

    model_config = SettingsConfigDict(env_prefix="CREWLINE_", extra="ignore")

    env: Literal["development", "test", "production"] = Field(
        "development",
        description="Deployment mode. `production` refuses placeholder secrets and "
        "insecure cookies.",
    )
    data_dir: Path = Field(
        Path("var"),
        description="Directory for the default SQLite database and the generated secret key.",
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL. Empty means `sqlite:///<data_dir>/crewline.db`. "
        "For PostgreSQL use `postgresql+psycopg://user@host/db`.",
    )
    secret_key: SecretStr = Field(
        SecretStr(""),
        description="Key that signs CSRF tokens (shared by every server process). If unset, "
        "one is generated on first run and stored next to the database "
        "(`<db file>.secret`, mode 0600).",
    )
    secure_cookies: bool | None = Field(
        None,
        description="Send cookies with the Secure flag. Defaults to true in production, "
        "false otherwise (the demo is served over plain http on localhost).",
    )
    session_hours: int = Field(12, ge=1, le=24 * 30, description="How long a login lasts.")
    login_max_failures: int = Field(
        5, ge=1, description="Failed logins allowed per email and address within the window."
    )
    login_window_minutes: int = Field(
        15, ge=1, description="Window for counting failed logins (rate limiting)."
    )
    argon2_time_cost: int = Field(3, ge=1, description="Argon2id iterations for passwords.")
    argon2_memory_kib: int = Field(
        65536, ge=8, description="Argon2id memory cost in KiB for passwords."
    )
    log_level: str = Field("INFO", description="Log level: DEBUG, INFO, WARNING or ERROR.")
    log_json: bool = Field(
        False, description="Write logs as one JSON object per line (for log shippers)."
    )
    forwarded_allow_ips: str = Field(
        "",
        description="Comma-separated addresses of trusted reverse proxies. Their "
        "X-Forwarded-For header then gives the client address used by login rate limiting "
        "and the audit log. Empty: trust no proxy.",
    )
    run_jobs: bool = Field(
        True,
        description="Run background jobs (lease expiry, webhook delivery) inside the server "
        "process. Turn off in API processes when `crewline jobs run` workers do it instead.",
    )
    webhooks_allow_private: bool | None = Field(
        None,
        description="Let webhooks reach receivers on private or loopback addresses. Defaults "
        "to false in production (a client could otherwise probe the server's network) and "
        "true elsewhere.",
    )
    lease_minutes: int = Field(
        10, ge=1, le=24 * 60, description="How long a worker holds a task before it is freed."
    )
    idle_seconds: int = Field(
        120,
        ge=1,
        le=3600,
        description="Seconds without keyboard, mouse, touch or scroll input after which the "
        "annotator workspace stops counting a task's active time; the next input resumes it.",
    )
    routing_cache_seconds: float = Field(
        300,
        ge=0,
        le=3600,
        description="How long each server process remembers a worker's eligible, ranked "
        "projects (0: work them out on every request). Pauses, membership and project status "
        "apply at once regardless; tier, language and skill changes wait up to this long.",
    )
    quality_refresh_seconds: float = Field(
        60,
        ge=5,
        le=86_400,
        description="How often the quality job recomputes the figures of projects with new "
        "labels (consensus, worker figures, drift, review queue, holds below the bar).",
    )
    llm_base_url: str | None = Field(
        None,
        max_length=500,
        description="Base URL of an OpenAI-compatible chat API (``.../v1``) for model-assisted "
        "audits; audits are off unless this and CREWLINE_LLM_MODEL are set.",
    )
    llm_api_key: SecretStr | None = Field(
        None, description="Bearer key for CREWLINE_LLM_BASE_URL (never logged)."
    )
    llm_model: str | None = Field(
        None, max_length=200, description="Model name sent to the chat API for audits."
    )
    page_size: int = Field(50, ge=5, le=500, description="Default rows per page in tables.")
    public_url: str = Field(
        "http://127.0.0.1:8000",
        max_length=500,
        description="The address people reach this server at; links in emails start with it.",
    )
    smtp_host: str | None = Field(
        None,
        max_length=255,
        description="SMTP server for candidate messages. Unset: messages wait in the outbox "
        "(visible as pending) until one is configured.",
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP server port.")
    smtp_username: str | None = Field(None, max_length=320, description="SMTP login, if any.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password (never logged).")
    smtp_from: str = Field(
        "Crewline <no-reply@crewline.invalid>",
        max_length=320,
        description="The From address of candidate messages.",
    )
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls",
        description="How to secure the SMTP connection: STARTTLS on a plain port (587), TLS "
        "from the start (465), or none (a local relay).",
    )
    smtp_timeout_seconds: float = Field(
        20, gt=0, le=300, description="How long to wait for the SMTP server."
    )
    messages_send_seconds: float = Field(
        10, ge=1, le=3600, description="How often the outbox job sends due messages."
    )

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env == "production":
            if self.secret_key.get_secret_value() in PLACEHOLDER_SECRETS:
                raise ValueError("CREWLINE_SECRET_KEY must be set to a random value in production")
            if self.secure_cookies is False:
                raise ValueError("CREWLINE_SECURE_COOKIES cannot be false in production")
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / DEFAULT_DB_FILE).as_posix()}"

    @property
    def webhooks_may_reach_private(self) -> bool:
        """Whether webhook deliveries may go to private, loopback or link-local addresses."""
        if self.webhooks_allow_private is None:
            return self.env != "production"
        return self.webhooks_allow_private

    @property
    def cookies_secure(self) -> bool:
        """Whether cookies carry the Secure flag."""
        if self.secure_cookies is None:
            return self.env == "production"
        return self.secure_cookies

    def sqlite_path(self) -> Path | None:
        """Path of the SQLite database file, or None for other databases and in-memory SQLite."""
        url = self.resolved_database_url
        prefix = "sqlite:///"
        if not url.startswith(prefix) or url in {prefix, f"{prefix}:memory:"}:
            return None
        return Path(url[len(prefix) :].split("?", 1)[0])

    def resolve_secret_key(self) -> str:
        """Return the secret key, generating and storing one next to the database if unset.

        A generated key lives beside the SQLite file (or in ``data_dir`` for other databases)
        so that restarting the server keeps CSRF tokens in open pages valid. Processes starting
        at once agree on one key: the file appears atomically, written whole, or not at all.
        """
        configured = self.secret_key.get_secret_value()
        if configured:
            return configured
        db_path = self.sqlite_path()
        key_file = (
            db_path.with_name(db_path.name + SECRET_FILE_SUFFIX)
            if db_path is not None
            else self.data_dir / "secret_key"
        )
        if key_file.exists():
            return key_file.read_text(encoding="utf-8").strip()
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        partial = key_file.with_name(f"{key_file.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key)
        try:
            # link() fails if another process got there first; then everyone uses its key.
            os.link(partial, key_file)
        except FileExistsError:
            key = key_file.read_text(encoding="utf-8").strip()
        finally:
            partial.unlink()
        return key
