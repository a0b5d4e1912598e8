"""Standard Webhooks signing (https://www.standardwebhooks.com): pure, no database, no network.

A message is signed with HMAC-SHA256 over ``"{msg_id}.{timestamp}.{body}"`` under the
base64-decoded secret, and sent with three headers::

    webhook-id: msg_...
    webhook-timestamp: 1700000000            (integer seconds since the epoch)
    webhook-signature: v1,<base64 signature>

Any Standard Webhooks library verifies it, e.g. ``standardwebhooks.Webhook(secret)
.verify(body, headers)``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
#: Random bytes in a new secret (the spec asks for 24 to 64).
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret, ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def new_msg_id() -> str:
    """A fresh message id, ``msg_`` and 24 URL-safe random characters (no dots)."""
    return "msg_" + secrets.token_urlsafe(18)


def _key(secret: str) -> bytes:
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise ValueError("a webhook secret is 'whsec_' followed by base64") from exc
    if not key:
        raise ValueError("a webhook secret may not be empty")
    return key


def sign(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,<base64 HMAC-SHA256>``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one signed JSON request."""
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body),
    }
