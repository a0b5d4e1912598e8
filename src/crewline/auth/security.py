"""Password hashing, random tokens and CSRF signatures (pure functions, no database)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TOKEN_PREFIX = "cl_"  # noqa: S105  (a public marker, not a secret)
#: A hash of nothing anyone can type: verifying against it costs the same time as a real
#: check, so unknown emails and users without passwords cannot be told apart by timing.
_DUMMY_PASSWORD = secrets.token_urlsafe(16)


def make_hasher(*, time_cost: int, memory_kib: int) -> PasswordHasher:
    """An Argon2id hasher with the configured cost."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def hash_password(hasher: PasswordHasher, password: str) -> str:
    """Argon2id hash of a password."""
    return hasher.hash(password)


def verify_password(hasher: PasswordHasher, password_hash: str | None, password: str) -> bool:
    """True if the password matches; spends the same effort when there is no hash."""
    if password_hash is None:
        with contextlib.suppress(VerificationError):
            hasher.verify(hasher.hash(_DUMMY_PASSWORD), password)
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def sha256_hex(value: str) -> str:
    """Hex SHA-256, used to store session and API tokens (high-entropy, so no salt needed)."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_session_token() -> str:
    """A random session cookie value."""
    return secrets.token_urlsafe(32)


def new_api_token() -> tuple[str, str]:
    """A new API token and its public prefix (the prefix identifies it in lists)."""
    prefix = secrets.token_hex(4)
    return f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}", prefix


def csrf_token(secret_key: str, nonce: str) -> str:
    """The CSRF token for a browser's nonce cookie: HMAC so it cannot be forged without the key."""
    return hmac.new(secret_key.encode(), f"csrf:{nonce}".encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret_key: str, nonce: str | None, token: str | None) -> bool:
    """Constant-time check of a submitted CSRF token against the browser's nonce cookie."""
    if not nonce or not token:
        return False
    return hmac.compare_digest(csrf_token(secret_key, nonce), token)
