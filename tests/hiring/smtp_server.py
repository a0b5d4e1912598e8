"""A real SMTP server on localhost, for the tests and the demo to read what was actually sent.

``SmtpServer`` runs aiosmtpd's ``Controller`` in a thread on ``127.0.0.1`` and a port the
operating system picks, keeps every message it accepts (envelope sender, recipients and the
parsed ``EmailMessage``), and can be told to refuse a recipient with any SMTP reply::

    with SmtpServer() as server:
        server.refuse("gone@example.org")  # "550 mailbox unavailable" at RCPT TO
        send_due(session=session, now=now, config=server.config(sender="hr@example.org"))
        [received] = server.received

``refusing_port`` gives a port where nothing listens, for "the server is down".
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SmtpSession

from crewline.hiring.messages import SmtpConfig

HOST = "127.0.0.1"
#: The reply used by ``SmtpServer.refuse`` unless told otherwise.
MAILBOX_UNAVAILABLE = "550 mailbox unavailable"
ACCEPTED = "250 Message accepted for delivery"


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """One message the server accepted: the SMTP envelope and the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def body(self) -> str:
        """The plain-text body, decoded, with the wire's CRLF line endings read as ``\\n``."""
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None, "the message has no text/plain part"
        content = part.get_content()
        assert isinstance(content, str)
        return content.replace("\r\n", "\n")


@dataclass(frozen=True, slots=True)
class Refusal:
    """A recipient the server refused at ``RCPT TO``, with the reply it gave."""

    address: str
    reply: str


class _Controller(Controller):
    """A controller that binds port 0 and learns the port the operating system chose.

    aiosmtpd connects to ``self.port`` once after binding to check the server answers;
    ``_trigger_server`` is the hook subclasses override for that step, so the real port is
    filled in just before it (no race for a "free" port picked in advance).
    """

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class _Handler:
    """aiosmtpd hooks: refuse scripted recipients, keep every accepted message."""

    def __init__(self, server: SmtpServer) -> None:
        self._server = server

    async def handle_RCPT(
        self,
        server: SMTP,
        session: SmtpSession,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        reply = self._server.refusal_for(address)
        if reply is not None:
            self._server.record_refusal(Refusal(address, reply))
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        raw = envelope.original_content
        assert isinstance(raw, bytes)
        parsed = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(parsed, EmailMessage)
        sender = envelope.mail_from
        assert sender is not None
        self._server.record_message(ReceivedMessage(sender, tuple(envelope.rcpt_tos), parsed))
        return ACCEPTED


class SmtpServer:
    """A local SMTP server (plain, no TLS, no AUTH) that records what it receives.

    Use it as a context manager (or call ``start`` and ``stop``). ``received`` and
    ``refused`` are filled by the server thread before it answers the client, so they are
    complete as soon as the client's call returns: no waiting is needed.
    """

    def __init__(self, host: str = HOST) -> None:
        self.host = host
        #: Messages accepted, in the order they arrived.
        self.received: list[ReceivedMessage] = []
        #: Recipients refused at ``RCPT TO``, in the order they were refused.
        self.refused: list[Refusal] = []
        self._refusals: dict[str, str] = {}
        self._lock = threading.Lock()
        self._controller: _Controller | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SmtpServer:
        """Start listening; returns the server itself."""
        if self._controller is not None:
            raise RuntimeError("the SMTP server is already running")
        controller = _Controller(
            _Handler(self),
            hostname=self.host,
            port=0,
            server_hostname="crewline-test-smtp",  # skips a DNS lookup of this machine's name
            ready_timeout=10.0,
        )
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening (what was received stays readable)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._controller is None:
            raise RuntimeError("the SMTP server is not running")
        port = self._controller.port
        assert isinstance(port, int) and port > 0
        return port

    def config(self, sender: str, **overrides: Any) -> SmtpConfig:
        """An ``SmtpConfig`` pointing at this server (plain SMTP, short timeout)."""
        settings: dict[str, Any] = {"security": "none", "timeout": 5.0, **overrides}
        return SmtpConfig(host=self.host, port=self.port, sender=sender, **settings)

    # --- scripting ---------------------------------------------------------------------------

    def refuse(self, address: str, reply: str = MAILBOX_UNAVAILABLE) -> None:
        """Answer ``RCPT TO`` for ``address`` (any case) with ``reply`` from now on."""
        with self._lock:
            self._refusals[address.lower()] = reply

    def accept(self, address: str) -> None:
        """Stop refusing ``address``."""
        with self._lock:
            self._refusals.pop(address.lower(), None)

    def clear(self) -> None:
        """Forget what was received and refused (scripted refusals stay)."""
        with self._lock:
            self.received.clear()
            self.refused.clear()

    # --- reading (also used by the handler thread) --------------------------------------------

    def refusal_for(self, address: str) -> str | None:
        """The reply scripted for ``address``, or None to accept it."""
        with self._lock:
            return self._refusals.get(address.lower())

    def record_refusal(self, refusal: Refusal) -> None:
        """Keep a refusal (called by the server thread)."""
        with self._lock:
            self.refused.append(refusal)

    def record_message(self, message: ReceivedMessage) -> None:
        """Keep an accepted message (called by the server thread)."""
        with self._lock:
            self.received.append(message)

    def to(self, address: str) -> list[ReceivedMessage]:
        """The messages received for ``address``."""
        with self._lock:
            return [m for m in self.received if address.lower() in map(str.lower, m.rcpt_tos)]


@contextmanager
def refusing_port(host: str = HOST) -> Iterator[int]:
    """A port on ``host`` where connections are refused (a mail server that is down).

    The port stays bound, without listening, for as long as the block runs, so no other
    process can start listening on it meanwhile.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        yield sock.getsockname()[1]
