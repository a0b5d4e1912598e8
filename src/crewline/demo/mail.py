"""The demo's mail server: a real local SMTP server (aiosmtpd) that stores what it receives.

``crewline demo`` starts it when no SMTP server is configured, so candidate messages from a
running demo are really sent over SMTP and end up in a Maildir next to the demo database
(``var/demo.db.mail/``, readable by any mail client or ``python -m mailbox``). Nothing leaves
the machine.
"""

from __future__ import annotations

import mailbox
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def mailbox_server(folder: Path) -> Iterator[int]:
    """Run a local SMTP server storing every message in the Maildir ``folder``; its port."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    mailbox.Maildir(folder, create=True)  # its tmp/, new/ and cur/ folders
    port = _free_port()
    controller = Controller(Mailbox(folder), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
