"""Candidate messages: templates per stage and language, the outbox, and SMTP delivery.

Every stage change queues a status update in the same transaction as the change (so a
candidate is told exactly when the move is committed, never when it was rolled back),
including rejections: people deserve to hear "no". Templates are Jinja text rendered in a
sandbox (recruiters edit them; a template must not reach into Python objects). An edited
template for the candidate's language wins, then an edited English one, then the built-in.

The ``hiring.send_messages`` job sends due messages over SMTP, one connection per batch,
each claimed with ``FOR UPDATE SKIP LOCKED`` so several job workers never send one twice. A
failure is recorded and retried on a schedule; after the last try the message is ``failed``
and shown so on the candidate's page and the outbox page.
"""

from __future__ import annotations

import functools
import logging
import smtplib
import ssl
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from jinja2 import StrictUndefined, Template, meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import Select, literal, select, update
from sqlalchemy.orm import Session

from crewline.config import Settings
from crewline.errors import InvalidInput
from crewline.hiring import stages
from crewline.hiring.models import Application, Message, MessageStatus, MessageTemplate
from crewline.retry import next_attempt

log = logging.getLogger("crewline.hiring.messages")

#: Delay before each try: at once, then a minute, 10 minutes, an hour, 6 hours, a day.
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(minutes=1),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(hours=24),
)
MAX_ERROR_LENGTH = 500
STAGE_UPDATE = "stage_update"
SIGN_IN = "sign_in"
#: A note about an application that does not move it (an assessment result, a retake date).
APPLICATION_NOTE = "application_note"
#: What a sign-in message's body becomes once sent or given up on: the link must not stay
#: readable in the outbox.
REDACTED = "(a one-time sign-in link was here; it has been sent and is no longer shown)"

#: The most a template may repeat a string or list (``{{ role * 10**10 }}`` would exhaust
#: memory; the sandbox does not limit it by itself).
MAX_REPEAT = 1000
MAX_POWER = 64


class _Sandbox(SandboxedEnvironment):
    """Jinja's sandbox, also refusing repetitions and powers large enough to hang a worker."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Refuse ``x ** big`` and ``text * big`` before computing them."""
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_POWER:
            raise SecurityError(f"a power above {MAX_POWER} is not allowed in a template")
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                repeats = isinstance(sequence, str | list | tuple) and isinstance(count, int)
                if repeats and count > MAX_REPEAT:
                    raise SecurityError(f"repeating more than {MAX_REPEAT} times is not allowed")
        return super().call_binop(context, operator, left, right)


_environment = _Sandbox(undefined=StrictUndefined, autoescape=False)

#: What every template may use.
VARIABLES: dict[str, str] = {
    "first_name": "the candidate's first name",
    "full_name": "the candidate's full name",
    "stage": "the new stage, in words",
    "role": "the requisition's title",
    "cohort": "the cohort's name (empty when none)",
    "cohort_start": "the cohort's start date (empty when none)",
    "reason": "the reason given for the move (may be empty)",
    "portal_url": "the link to the candidate's own page",
}

_SIGN_OFF = "\n\nYou can see your application at any time: {{ portal_url }}\n\nThe Crewline team\n"

BUILT_IN: dict[str, tuple[str, str]] = {
    "sourced": (
        "Your application for {{ role }}",
        "Hello {{ first_name }},\n\nThank you for your interest in {{ role }}. We have your "
        "application and will review it shortly; we will write again at every step.",
    ),
    "screened": (
        "Next step for {{ role }}: the project briefing",
        "Hello {{ first_name }},\n\nYou passed screening for {{ role }}. Next is the project "
        "briefing, which explains the work, the hours and the pay. If after the briefing the "
        "role is not for you, you can withdraw from your page at any time.",
    ),
    "assessed": (
        "Your assessment for {{ role }} is complete",
        "Hello {{ first_name }},\n\nYou have completed the assessment for {{ role }}. Next "
        "are the trial tasks and training. If you would rather not continue, you can "
        "withdraw from your page."
        "{% if reason %} {{ reason }}.{% endif %}",
    ),
    "trial_training": (
        "Trial and training for {{ role }}",
        "Hello {{ first_name }},\n\nWelcome to trial tasks and training for {{ role }}."
        "{% if cohort %} You are in cohort {{ cohort }}, starting {{ cohort_start }}."
        "{% endif %} You will get feedback on your trial work before the final assessment."
        "{% if reason %} {{ reason }}.{% endif %}",
    ),
    "qualified": (
        "You qualified for {{ role }}",
        "Hello {{ first_name }},\n\nCongratulations: you qualified for {{ role }}. We will "
        "send your onboarding details next."
        "{% if reason %} {{ reason }}.{% endif %}",
    ),
    "onboarded": (
        "Welcome aboard: {{ role }}",
        "Hello {{ first_name }},\n\nYou are onboarded for {{ role }}. Your workspace is ready.",
    ),
    stages.REJECTED: (
        "Your application for {{ role }}",
        "Hello {{ first_name }},\n\nThank you for the time you gave to {{ role }}. We will not "
        "continue with your application this time.{% if reason %} Reason: {{ reason }}."
        "{% endif %} We keep your details only as long as our retention rules allow.",
    ),
    stages.WITHDRAWN: (
        "You withdrew from {{ role }}",
        "Hello {{ first_name }},\n\nWe have recorded that you withdrew from {{ role }}. Thank "
        "you for letting us know; you are welcome to apply again.",
    ),
    stages.ON_HOLD: (
        "Your application for {{ role }} is on hold",
        "Hello {{ first_name }},\n\nYour application for {{ role }} is on hold for now."
        "{% if reason %} Reason: {{ reason }}.{% endif %} We will write when it moves again.",
    ),
}
_GENERIC = (
    "Update on your application for {{ role }}",
    "Hello {{ first_name }},\n\nYour application for {{ role }} moved to: {{ stage }}.",
)


def check_template(subject: str, body: str) -> None:
    """Refuse a template that names a variable templates do not get (in any branch, taken or
    not), or that fails to render with every variable set: a recruiter's typo must be caught
    when the template is saved, not when a candidate moves."""
    sample = dict.fromkeys(VARIABLES, "x")
    known = set(VARIABLES) | set(_environment.globals)
    for field, text in (("subject", subject), ("body", body)):
        try:
            unknown = sorted(meta.find_undeclared_variables(_environment.parse(text)) - known)
            if unknown:
                raise InvalidInput(
                    field, f"the template does not render: {unknown[0]!r} is undefined"
                )
            _environment.from_string(text).render(sample)
        except InvalidInput:
            raise
        except Exception as exc:  # any failure of user-written template code is bad input
            raise InvalidInput(field, f"the template does not render: {exc}") from None


def template_for(session: Session, stage: str, language: str) -> tuple[str, str]:
    """(subject, body) for a stage in a language: edited in that language, edited in English,
    built in, or the generic update."""
    return _lookup(session, stage, language)


def _lookup(session: Session, stage: str, language: str) -> tuple[str, str]:
    for lang in dict.fromkeys((language, "en")):
        edited = session.scalar(
            select(MessageTemplate).where(
                MessageTemplate.stage == stage, MessageTemplate.language == lang
            )
        )
        if edited is not None:
            return edited.subject, edited.body
    subject, body = BUILT_IN.get(stage, _GENERIC)
    return subject, body + _SIGN_OFF


#: Templates already looked up during one bulk action, by (stage, language).
Templates = dict[tuple[str, str], tuple[str, str]]


def compose(
    session: Session,
    stage: str,
    language: str,
    variables: Mapping[str, Any],
    templates: Templates | None = None,
) -> tuple[str, str]:
    """The message for a stage: the template that applies, rendered; if an edited template
    fails at run time (an error the save-time check could not foresee), the built-in one, so
    a stage move never fails for want of a message and the candidate is still told.

    ``templates`` remembers lookups across one bulk action (a move of hundreds asks the same
    question hundreds of times)."""
    if templates is None:
        templates = {}
    if (stage, language) not in templates:
        templates[(stage, language)] = template_for(session, stage, language)
    subject, body = templates[(stage, language)]
    try:
        return render(subject, body, variables)
    except Exception:
        log.warning("message template failed; using the built-in", extra={"stage": stage})
        built_subject, built_body = BUILT_IN.get(stage, _GENERIC)
        return render(built_subject, built_body + _SIGN_OFF, variables)


@functools.lru_cache(maxsize=256)
def _compiled(text: str) -> Template:
    """A template compiled once per text (compiling costs far more than rendering)."""
    return _environment.from_string(text)


def render(subject: str, body: str, variables: Mapping[str, Any]) -> tuple[str, str]:
    """The template with the variables filled in; a subject is kept to one line."""
    filled_subject = _compiled(subject).render(variables)
    filled_body = _compiled(body).render(variables)
    return " ".join(filled_subject.split())[:300], filled_body


def queue(
    session: Session,
    *,
    person_id: int,
    to_email: str,
    subject: str,
    body: str,
    kind: str,
    now: datetime,
    application: Application | None = None,
) -> Message:
    """Put a message in the outbox, due now (the caller's transaction commits it)."""
    message = Message(
        person_id=person_id,
        application=application,
        kind=kind,
        to_email=to_email,
        subject=subject,
        body=body,
        status=MessageStatus.pending,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    return message


# --- delivery ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """Where and how to send (from CREWLINE_SMTP_*)."""

    host: str
    port: int
    sender: str
    security: str = "starttls"
    username: str | None = None
    password: str | None = None
    timeout: float = 20.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig | None:
        """The configured server, or None when no host is set (messages then wait)."""
        if not settings.smtp_host:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout_seconds,
        )


@contextmanager
def connect(config: SmtpConfig) -> Iterator[smtplib.SMTP]:
    """An open, authenticated SMTP connection, closed afterwards."""
    client: smtplib.SMTP
    if config.security == "tls":
        client = smtplib.SMTP_SSL(
            config.host, config.port, timeout=config.timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    try:
        if config.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if config.username:
            client.login(config.username, config.password or "")
        yield client
    finally:
        try:
            client.quit()
        except smtplib.SMTPException:
            client.close()


def email(message: Message, sender: str) -> EmailMessage:
    """The outbox row as an RFC 5322 message."""
    out = EmailMessage()
    out["From"] = sender
    out["To"] = message.to_email
    out["Subject"] = message.subject
    out["Message-ID"] = make_msgid(idstring=f"crewline-{message.id}")
    out.set_content(message.body)
    return out


def due(now: datetime) -> Select[Message]:
    """The next pending message due at ``now``, locked, skipping rows other workers hold."""
    pending = literal(MessageStatus.pending.value, literal_execute=True)
    return (
        select(Message)
        .where(Message.status == pending, Message.next_attempt_at <= now)
        .order_by(Message.next_attempt_at, Message.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]


def _record(message: Message, error: str | None, now: datetime) -> None:
    message.attempts += 1
    message.last_error = error
    if error is None:
        message.status = MessageStatus.sent
        message.sent_at = now
        message.next_attempt_at = None
    else:
        message.next_attempt_at = next_attempt(RETRY_SCHEDULE, attempts=message.attempts, now=now)
        if message.next_attempt_at is None:
            message.status = MessageStatus.failed
    if message.kind == SIGN_IN and message.status is not MessageStatus.pending:
        message.body = REDACTED


def send_due(*, session: Session, now: datetime, config: SmtpConfig, limit: int = 200) -> int:
    """Send up to ``limit`` due messages over one connection, committing each; returns how many
    were tried. A connection that cannot be opened counts as a failed try of the first."""
    handled = 0
    message = session.scalar(due(now))
    if message is None:
        session.rollback()
        return 0
    try:
        with connect(config) as client:
            while message is not None and handled < limit:
                try:
                    client.send_message(email(message, config.sender))
                    error = None
                except smtplib.SMTPServerDisconnected:
                    raise  # the connection is gone: record below and stop the batch
                except smtplib.SMTPException as exc:  # this message refused; go on
                    error = _error(exc)
                _record(message, error, now)
                session.commit()
                handled += 1
                # A 421 reply makes smtplib close the connection: stop rather than charge the
                # next message a try it never had.
                still_open = getattr(client, "sock", None) is not None
                message = session.scalar(due(now)) if handled < limit and still_open else None
    except (smtplib.SMTPException, OSError) as exc:
        if message is not None:
            _record(message, _error(exc), now)
            session.commit()
            handled += 1
    return handled


def job(config: SmtpConfig | None) -> Callable[[Session, datetime], int]:
    """The ``hiring.send_messages`` job (does nothing while no SMTP server is configured)."""

    def run(session: Session, now: datetime) -> int:
        if config is None:
            return 0
        return send_due(session=session, now=now, config=config)

    return run


def mark_sent(*, session: Session, before: datetime) -> int:
    """Record pending messages queued before ``before`` as delivered when they were queued.

    Only for history that was not made here: the demo's simulated past, or messages an
    import brings from a system that already sent them. Live messages are sent by the job.
    """
    result = session.execute(
        update(Message)
        .where(Message.status == MessageStatus.pending, Message.created_at < before)
        .values(
            status=MessageStatus.sent,
            sent_at=Message.created_at,
            attempts=1,
            next_attempt_at=None,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
