"""Signatures are Standard Webhooks signatures: the reference library verifies them."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook as Verifier
from standardwebhooks import WebhookVerificationError

from crewline.webhooks import signing


def _signed(secret: str, body: bytes = b'{"type":"task.completed"}') -> dict[str, str]:
    return signing.headers(
        secret=secret, msg_id=signing.new_msg_id(), timestamp=int(time.time()), body=body
    )


def test_a_new_secret_is_whsec_and_32_random_bytes_of_base64() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert signing.new_secret() != secret


def test_message_ids_are_prefixed_unique_and_free_of_dots() -> None:
    ids = {signing.new_msg_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(i.startswith("msg_") and "." not in i and len(i) <= 40 for i in ids)


def test_the_reference_library_verifies_our_signature() -> None:
    secret = signing.new_secret()
    body = b'{"type":"task.completed","data":{"project_id":1,"note":"caf\xc3\xa9"}}'
    assert Verifier(secret).verify(body, _signed(secret, body))["data"]["note"] == "café"


def test_our_signature_equals_the_reference_librarys() -> None:
    secret, msg_id, timestamp, body = signing.new_secret(), "msg_abc", 1_767_225_600, '{"a":1}'
    expected = Verifier(secret).sign(msg_id, datetime.fromtimestamp(timestamp, UTC), body)
    ours = signing.sign(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body.encode())
    assert ours == expected


def test_a_tampered_body_fails_verification() -> None:
    secret = signing.new_secret()
    headers = _signed(secret, b'{"a":1}')
    with pytest.raises(WebhookVerificationError):
        Verifier(secret).verify(b'{"a":2}', headers)


def test_another_secret_fails_verification() -> None:
    headers = _signed(signing.new_secret(), b"{}")
    with pytest.raises(WebhookVerificationError):
        Verifier(signing.new_secret()).verify(b"{}", headers)


def test_a_secret_that_is_not_base64_is_refused() -> None:
    with pytest.raises(ValueError, match="base64"):
        signing.sign(secret="whsec_not base64!", msg_id="msg_1", timestamp=1, body=b"")
