"""The demo's local mail server: candidate messages really go over SMTP into a Maildir."""

from __future__ import annotations

import mailbox
from pathlib import Path

from sqlalchemy.orm import Session

from crewline.db import utcnow
from crewline.demo.mail import mailbox_server
from crewline.hiring import messages
from crewline.hiring.models import MessageStatus
from tests.factories import Factory


def test_messages_sent_to_the_demo_server_land_in_its_maildir(
    tmp_path: Path, factory: Factory, session: Session
) -> None:
    person = factory.person(worker=None)
    now = utcnow()
    queued = messages.queue(
        session,
        person_id=person.id,
        to_email=person.email,
        subject="Your application for Moderators",
        body="Hello, we have your application.",
        kind=messages.STAGE_UPDATE,
        now=now,
    )
    session.flush()
    folder = tmp_path / "demo.db.mail"
    with mailbox_server(folder) as port:
        config = messages.SmtpConfig(
            host="127.0.0.1", port=port, sender="Crewline <demo@example.org>", security="none"
        )
        assert messages.send_due(session=session, now=now, config=config) == 1
    assert queued.status is MessageStatus.sent, queued.last_error
    stored = list(mailbox.Maildir(folder))
    assert len(stored) == 1
    assert stored[0]["To"] == person.email
    assert stored[0]["Subject"] == "Your application for Moderators"
    assert "we have your application" in stored[0].get_payload()
