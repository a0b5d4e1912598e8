"""Candidate messages: templates and their sandbox, the outbox, and delivery to a real SMTP server.

Delivery goes through ``tests.hiring.smtp_server.SmtpServer`` (aiosmtpd on localhost), and the
tests assert what that server actually received, not what the code meant to send.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from jinja2.exceptions import SecurityError, UndefinedError
from sqlalchemy.orm import Session

from crewline.errors import InvalidInput
from crewline.hiring import messages
from crewline.hiring.messages import (
    BUILT_IN,
    RETRY_SCHEDULE,
    SmtpConfig,
    check_template,
    render,
    send_due,
    template_for,
)
from crewline.hiring.models import Message, MessageStatus, MessageTemplate
from crewline.people.models import Person
from tests.factories import Factory
from tests.hiring.smtp_server import HOST, SmtpServer, refusing_port

NOW = datetime(2027, 1, 4, 9, 30, tzinfo=UTC)
SENDER = "Crewline hiring <hiring@crewline.example>"
SENDER_ADDRESS = "hiring@crewline.example"
ROLE = "Portuguese sentiment annotators"
PORTAL = "https://crewline.example/portal/42"
SIGN_OFF = "\n\nYou can see your application at any time: {{ portal_url }}\n\nThe Crewline team\n"
#: What a stage move fills in (``hiring.service._variables``): all strings, some may be empty.
VARIABLES = {
    "first_name": "João",
    "full_name": "João Silva",
    "stage": "Screened",
    "role": ROLE,
    "cohort": "",
    "cohort_start": "",
    "reason": "",
    "portal_url": PORTAL,
}


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on localhost, stopped after the test."""
    with SmtpServer() as server:
        yield server


@pytest.fixture
def person(factory: Factory) -> Person:
    """A candidate with a non-ASCII name (it must survive the trip through SMTP)."""
    return factory.person(full_name="João Silva", worker=None)


def _queue(
    session: Session,
    person: Person,
    subject: str,
    body: str = "Hello.\n",
    *,
    to_email: str | None = None,
    now: datetime = NOW,
) -> Message:
    """Queue one message and commit it, as the stage move's transaction would."""
    message = messages.queue(
        session,
        person_id=person.id,
        to_email=to_email or person.email,
        subject=subject,
        body=body,
        kind=messages.STAGE_UPDATE,
        now=now,
    )
    session.commit()
    return message


def _reloaded(session: Session, message: Message) -> Message:
    """The row as stored (not as the session last saw it)."""
    session.refresh(message)
    return message


def _edit(session: Session, stage: str, language: str, subject: str, body: str) -> None:
    session.add(
        MessageTemplate(
            stage=stage, language=language, subject=subject, body=body, updated_by="tests"
        )
    )
    session.flush()


# --- delivery -------------------------------------------------------------------------------


def test_due_messages_are_delivered_to_a_real_smtp_server(
    session: Session, person: Person, smtp_server: SmtpServer
) -> None:
    subject, body = render(*template_for(session, "screened", "pt"), VARIABLES)
    first = _queue(session, person, subject, body)
    second = _queue(
        session,
        person,
        "Olá João: próximos passos",
        "Linha um\n.começa com ponto\n",
        to_email="joao.alt@example.org",
    )

    assert send_due(session=session, now=NOW, config=smtp_server.config(SENDER)) == 2

    assert smtp_server.refused == []
    got_first, got_second = smtp_server.received
    assert got_first.mail_from == SENDER_ADDRESS
    assert got_first.rcpt_tos == (person.email,)
    assert got_first.message["From"] == SENDER
    assert got_first.message["To"] == person.email
    assert got_first.message["Subject"] == f"Next step for {ROLE}: the project briefing"
    assert f"crewline-{first.id}" in got_first.message["Message-ID"]
    assert got_first.body == (
        f"Hello João,\n\nYou passed screening for {ROLE}. Next is the project briefing, which "
        "explains the work, the hours and the pay. If after the briefing the role is not for "
        "you, you can withdraw from your page at any time.\n\n"
        f"You can see your application at any time: {PORTAL}\n\nThe Crewline team\n"
    )
    assert got_second.rcpt_tos == ("joao.alt@example.org",)
    assert got_second.message["To"] == "joao.alt@example.org"
    assert got_second.message["Subject"] == "Olá João: próximos passos"
    assert got_second.body == "Linha um\n.começa com ponto\n"

    for row in (_reloaded(session, first), _reloaded(session, second)):
        assert row.status is MessageStatus.sent
        assert row.sent_at == NOW
        assert row.attempts == 1
        assert row.next_attempt_at is None
        assert row.last_error is None


def test_a_refused_recipient_stays_pending_and_the_rest_of_the_batch_is_sent(
    session: Session, person: Person, smtp_server: SmtpServer
) -> None:
    smtp_server.refuse("gone@example.org")  # 550 mailbox unavailable
    before = _queue(session, person, "before", now=NOW - timedelta(minutes=2))
    refused = _queue(session, person, "refused", to_email="gone@example.org", now=NOW)
    after = _queue(session, person, "after", now=NOW)

    assert send_due(session=session, now=NOW, config=smtp_server.config(SENDER)) == 3

    assert [r.message["Subject"] for r in smtp_server.received] == ["before", "after"]
    assert [r.address for r in smtp_server.refused] == ["gone@example.org"]
    row = _reloaded(session, refused)
    assert row.status is MessageStatus.pending
    assert row.attempts == 1
    assert row.next_attempt_at == NOW + RETRY_SCHEDULE[1] == NOW + timedelta(minutes=1)
    assert row.sent_at is None
    assert row.last_error is not None
    assert row.last_error.startswith("SMTPRecipientsRefused: ")
    assert "gone@example.org" in row.last_error
    assert "550" in row.last_error
    assert "mailbox unavailable" in row.last_error
    for sent in (_reloaded(session, before), _reloaded(session, after)):
        assert (sent.status, sent.attempts, sent.sent_at) == (MessageStatus.sent, 1, NOW)


def test_a_refused_message_is_sent_on_its_retry_once_the_server_accepts_it(
    session: Session, person: Person, smtp_server: SmtpServer
) -> None:
    smtp_server.refuse(person.email, "451 4.3.0 mailbox busy")
    message = _queue(session, person, "retry me")
    config = smtp_server.config(SENDER)
    assert send_due(session=session, now=NOW, config=config) == 1
    retry_at = _reloaded(session, message).next_attempt_at
    assert retry_at == NOW + RETRY_SCHEDULE[1]
    assert "451" in (message.last_error or "")

    smtp_server.accept(person.email)
    assert send_due(session=session, now=retry_at - timedelta(seconds=1), config=config) == 0
    assert smtp_server.received == []
    assert send_due(session=session, now=retry_at, config=config) == 1

    [received] = smtp_server.received
    assert received.message["Subject"] == "retry me"
    row = _reloaded(session, message)
    assert (row.status, row.attempts, row.sent_at) == (MessageStatus.sent, 2, retry_at)
    assert row.last_error is None
    assert row.next_attempt_at is None


def test_refusals_are_retried_on_the_schedule_and_the_message_then_fails(
    session: Session, person: Person, smtp_server: SmtpServer
) -> None:
    smtp_server.refuse(person.email)
    message = _queue(session, person, "never arrives")
    config = smtp_server.config(SENDER)

    at = NOW
    for attempt, delay in enumerate(RETRY_SCHEDULE[1:], start=1):
        assert send_due(session=session, now=at - timedelta(seconds=1), config=config) == 0
        assert send_due(session=session, now=at, config=config) == 1
        row = _reloaded(session, message)
        assert (row.status, row.attempts) == (MessageStatus.pending, attempt)
        assert row.next_attempt_at == at + delay
        at += delay
    # at once, then a minute, 10 minutes, an hour, 6 hours and a day: the last try is due now
    assert at - NOW == timedelta(hours=31, minutes=11)
    assert send_due(session=session, now=at, config=config) == 1

    row = _reloaded(session, message)
    assert row.status is MessageStatus.failed
    assert row.attempts == len(RETRY_SCHEDULE) == 6
    assert row.next_attempt_at is None
    assert row.sent_at is None
    assert (row.last_error or "").startswith("SMTPRecipientsRefused: ")
    assert send_due(session=session, now=at + timedelta(days=365), config=config) == 0
    assert _reloaded(session, message).attempts == 6
    assert len(smtp_server.refused) == 6
    assert smtp_server.received == []


def test_a_server_that_is_down_counts_as_a_failed_try_of_the_first_message(
    session: Session, person: Person
) -> None:
    first = _queue(session, person, "first", now=NOW - timedelta(minutes=5))
    second = _queue(session, person, "second")

    with refusing_port() as port:
        config = SmtpConfig(host=HOST, port=port, sender=SENDER, security="none", timeout=5.0)
        assert send_due(session=session, now=NOW, config=config) == 1  # no exception

    row = _reloaded(session, first)
    assert row.status is MessageStatus.pending
    assert row.attempts == 1
    assert row.next_attempt_at == NOW + RETRY_SCHEDULE[1]
    assert (row.last_error or "").startswith("ConnectionRefusedError: ")
    untouched = _reloaded(session, second)
    assert (untouched.attempts, untouched.last_error) == (0, None)
    assert untouched.next_attempt_at == NOW


def test_a_server_without_starttls_is_a_failed_try_not_a_plain_text_send(
    session: Session, person: Person, smtp_server: SmtpServer
) -> None:
    message = _queue(session, person, "secret")
    config = smtp_server.config(SENDER, security="starttls")

    assert send_due(session=session, now=NOW, config=config) == 1

    assert smtp_server.received == []
    row = _reloaded(session, message)
    assert (row.status, row.attempts) == (MessageStatus.pending, 1)
    assert (row.last_error or "").startswith("SMTPNotSupportedError: ")
    assert "STARTTLS" in (row.last_error or "")


def test_messages_not_yet_due_wait(
    session: Session, person: Person, smtp_server: SmtpServer
) -> None:
    later = _queue(session, person, "later", now=NOW + timedelta(hours=1))
    config = smtp_server.config(SENDER)

    assert send_due(session=session, now=NOW, config=config) == 0
    assert smtp_server.received == []
    row = _reloaded(session, later)
    assert (row.status, row.attempts, row.next_attempt_at) == (
        MessageStatus.pending,
        0,
        NOW + timedelta(hours=1),
    )

    assert send_due(session=session, now=NOW + timedelta(hours=1), config=config) == 1
    assert [r.message["Subject"] for r in smtp_server.received] == ["later"]


def test_a_batch_sends_at_most_limit_messages_oldest_due_first(
    session: Session, person: Person, smtp_server: SmtpServer
) -> None:
    newest = _queue(session, person, "newest", now=NOW)
    oldest = _queue(session, person, "oldest", now=NOW - timedelta(minutes=2))
    middle = _queue(session, person, "middle", now=NOW - timedelta(minutes=1))
    config = smtp_server.config(SENDER)

    assert send_due(session=session, now=NOW, config=config, limit=2) == 2

    assert [r.message["Subject"] for r in smtp_server.received] == ["oldest", "middle"]
    assert _reloaded(session, oldest).status is MessageStatus.sent
    assert _reloaded(session, middle).status is MessageStatus.sent
    row = _reloaded(session, newest)
    assert (row.status, row.attempts) == (MessageStatus.pending, 0)


def test_the_job_does_nothing_without_an_smtp_server_and_sends_with_one(
    session: Session, person: Person, smtp_server: SmtpServer
) -> None:
    message = _queue(session, person, "via the job")

    assert messages.job(None)(session, NOW) == 0
    row = _reloaded(session, message)
    assert (row.status, row.attempts, row.next_attempt_at) == (MessageStatus.pending, 0, NOW)

    assert messages.job(smtp_server.config(SENDER))(session, NOW) == 1
    assert [r.message["Subject"] for r in smtp_server.received] == ["via the job"]
    assert _reloaded(session, message).status is MessageStatus.sent


def test_a_421_reply_does_not_charge_the_next_message_an_attempt(
    session: Session, person: Person, smtp_server: SmtpServer
) -> None:
    smtp_server.refuse("busy@example.org", "421 4.7.0 Try again later, closing connection")
    busy = _queue(
        session, person, "busy", to_email="busy@example.org", now=NOW - timedelta(minutes=1)
    )
    innocent = _queue(session, person, "innocent")

    send_due(session=session, now=NOW, config=smtp_server.config(SENDER))

    row = _reloaded(session, busy)
    assert (row.status, row.attempts) == (MessageStatus.pending, 1)
    assert "421" in (row.last_error or "")
    assert smtp_server.received == []  # the second message never reached the server...
    second = _reloaded(session, innocent)
    assert second.last_error is None, second.last_error  # ...so it must not be charged a try


# --- templates ------------------------------------------------------------------------------


def test_built_in_templates_get_the_sign_off(session: Session) -> None:
    subject, body = BUILT_IN["screened"]
    assert template_for(session, "screened", "pt") == (subject, body + SIGN_OFF)
    assert template_for(session, "a_custom_stage", "pt") == (
        "Update on your application for {{ role }}",
        "Hello {{ first_name }},\n\nYour application for {{ role }} moved to: {{ stage }}."
        + SIGN_OFF,
    )


def test_an_edit_in_the_language_wins_then_english_then_the_built_in(session: Session) -> None:
    built_in = template_for(session, "screened", "pt")

    _edit(session, "screened", "de", "DE Betreff", "DE Text")
    assert template_for(session, "screened", "pt") == built_in  # another language's edit
    assert template_for(session, "screened", "en") == built_in

    _edit(session, "screened", "en", "EN subject", "EN body")
    assert template_for(session, "screened", "pt") == ("EN subject", "EN body")  # no sign-off
    assert template_for(session, "screened", "en") == ("EN subject", "EN body")

    _edit(session, "screened", "pt", "PT assunto", "PT corpo")
    assert template_for(session, "screened", "pt") == ("PT assunto", "PT corpo")
    assert template_for(session, "screened", "en") == ("EN subject", "EN body")
    assert template_for(session, "screened", "de") == ("DE Betreff", "DE Text")
    assert template_for(session, "screened", "es") == ("EN subject", "EN body")

    # edits are per stage: other stages keep their built-in
    qualified_subject, qualified_body = BUILT_IN["qualified"]
    assert template_for(session, "qualified", "pt") == (
        qualified_subject,
        qualified_body + SIGN_OFF,
    )


def test_an_edited_template_replaces_the_generic_update_of_a_custom_stage(
    session: Session,
) -> None:
    _edit(session, "a_custom_stage", "en", "Custom {{ role }}", "Custom body")
    assert template_for(session, "a_custom_stage", "fr") == ("Custom {{ role }}", "Custom body")


def test_render_fills_the_variables(session: Session) -> None:
    template = template_for(session, "trial_training", "pt")
    variables = {**VARIABLES, "cohort": "LATAM-7", "cohort_start": "2027-02-01"}

    subject, body = render(*template, variables)

    assert subject == f"Trial and training for {ROLE}"
    assert body == (
        f"Hello João,\n\nWelcome to trial tasks and training for {ROLE}. You are in cohort "
        "LATAM-7, starting 2027-02-01. You will get feedback on your trial work before the final "
        f"assessment.\n\nYou can see your application at any time: {PORTAL}\n\nThe Crewline team"
    )
    _, without_cohort = render(*template, VARIABLES)
    assert "cohort" not in without_cohort
    assert without_cohort.startswith(
        f"Hello João,\n\nWelcome to trial tasks and training for {ROLE}. You will get feedback"
    )


def test_render_keeps_the_subject_on_one_line_and_the_body_as_written() -> None:
    subject, body = render(
        "Your application for {{ role }}\n",
        "Reason:\n{{ reason }}",
        {"role": "Annotators\r\nBcc: attacker@evil.example", "reason": "one\ntwo"},
    )
    assert subject == "Your application for Annotators Bcc: attacker@evil.example"
    assert body == "Reason:\none\ntwo"

    long_subject, _ = render("{{ role }}", "", {"role": "word " * 100})
    assert len(long_subject) == 300
    assert "\n" not in long_subject


def test_render_refuses_a_missing_variable() -> None:
    with pytest.raises(UndefinedError, match="'role' is undefined"):
        render("{{ role }}", "body", {})


@pytest.mark.parametrize("stage", [*BUILT_IN, "a_custom_stage"])
def test_every_built_in_template_passes_the_check(session: Session, stage: str) -> None:
    check_template(*template_for(session, stage, "en"))


@pytest.mark.parametrize(
    ("subject", "body", "field", "reason"),
    [
        ("Hello {{ nmae }}", "fine", "subject", "'nmae' is undefined"),
        ("fine", "Hello {{ first_name }} {{ nmae }}", "body", "'nmae' is undefined"),
        ("{{ role ", "fine", "subject", "unexpected end of template"),
        ("fine", "{% if reason %}no endif", "body", "endif"),
        ("fine", "{{ role | no_such_filter }}", "body", "no_such_filter"),
    ],
)
def test_check_template_names_the_field_that_does_not_render(
    subject: str, body: str, field: str, reason: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_template(subject, body)
    assert refused.value.field == field
    assert refused.value.reason.startswith("the template does not render: ")
    assert reason in refused.value.reason


LEAKS = [
    "{{ ''.__class__ }}",
    "{{ role.__class__.__mro__ }}",
    "{{ role|attr('__class__') }}",
    "{{ '{0.__class__}'.format(role) }}",
    "{{ lipsum.__globals__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ self.__init__.__globals__ }}",
]


@pytest.mark.parametrize("expression", LEAKS)
def test_the_sandbox_refuses_python_internals(expression: str) -> None:
    with pytest.raises(InvalidInput) as in_body:
        check_template("fine", f"Hi {expression}")
    assert in_body.value.field == "body"
    assert "is unsafe" in in_body.value.reason
    with pytest.raises(InvalidInput) as in_subject:
        check_template(expression, "fine")
    assert in_subject.value.field == "subject"

    # rendering directly (a template stored before any check) raises rather than leak
    with pytest.raises(SecurityError, match="is unsafe"):
        render("fine", expression, VARIABLES)


def test_an_internal_attribute_reads_as_undefined_in_the_sandbox() -> None:
    template = "{% if ''.__class__ is defined %}LEAK{% endif %}[{{ role.__len__ is defined }}]"
    check_template("fine", template)  # well-formed, and leaks nothing
    assert render("fine", template, VARIABLES) == ("fine", "[False]")


@pytest.mark.parametrize(
    "body", ["{{ 1 / 0 }}", "{{ role|replace('x') }}", "{{ range(1000000)|list }}"]
)
def test_check_template_refuses_any_template_that_fails_to_render(body: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_template("fine", body)
    assert refused.value.field == "body"


def test_check_template_refuses_an_unknown_variable_in_any_branch() -> None:
    body = (
        "{% if reason %}Reason: {{ reason }}{% else %}No reason given, {{ frist_name }}.{% endif %}"
    )
    with pytest.raises(UndefinedError, match="'frist_name' is undefined"):
        render("fine", body, VARIABLES)  # what a move without a reason runs into

    with pytest.raises(InvalidInput) as refused:
        check_template("fine", body)
    assert refused.value.field == "body"
