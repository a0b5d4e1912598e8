"""The candidate portal: a candidate signs in (password, or a one-time link sent by email),
sees each application's stage, what happens next, their cohort's sessions in the cohort's
time zone and every message they were sent, and can withdraw.

One-time links: asking for one always answers the same way (so the page does not reveal who
has an account); a link is sent only to an active candidate login, at most
``MAX_RECENT_LINKS`` in a quarter of an hour, is stored as a SHA-256 hash, works once, and
expires after ``LINK_MINUTES``. The message in the outbox keeps the
link only until it is sent; then the link is replaced by a note, so nobody reading the
outbox later can sign in as the candidate.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crewline.auth import security
from crewline.auth import service as auth
from crewline.auth.deps import (
    OptionalPrincipal,
    Principal,
    SessionDep,
    SettingsDep,
    check_csrf,
    client_ip,
    public,
    require,
)
from crewline.auth.pages import logged_in
from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.errors import NotFound
from crewline.hiring import messages, service
from crewline.hiring.api import portal_url
from crewline.hiring.models import MagicLink
from crewline.people import service as people
from crewline.validation import Id
from crewline.web.templating import render

router = APIRouter()
Candidate = Annotated[Principal, Depends(require(Role.candidate))]
LINK_MINUTES = 30
MAX_RECENT_LINKS = 3


def _person_id(session: Session, caller: Principal) -> int:
    person = people.get_by_user(session=session, user_id=caller.user.id)
    if person is None:
        raise NotFound("no candidate record is linked to this login")
    return person.id


@router.get("/portal")
def portal(request: Request, session: SessionDep, caller: Candidate) -> Response:
    """The candidate's applications and messages."""
    person_id = _person_id(session, caller)
    views = [
        service.portal_view(session=session, application=a)
        for a in service.applications_of(session=session, person_id=person_id)
    ]
    return render(
        request,
        "hiring/portal.html",
        {
            "applications": views,
            "messages": service.messages_of(session=session, person_id=person_id),
        },
        principal=caller,
    )


@router.post("/portal/applications/{application_id:int}/withdraw")
def withdraw(
    request: Request,
    application_id: Id,
    session: SessionDep,
    caller: Candidate,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Withdraw from one of the caller's own applications."""
    service.do_withdraw(
        session=session,
        person_id=_person_id(session, caller),
        application_id=application_id,
        reason=reason.strip(),
        portal_url=portal_url(request),
    )
    return RedirectResponse("/portal", status_code=303)


@router.get("/portal/sign-in", dependencies=[Depends(public)])
def sign_in_page(request: Request, principal: OptionalPrincipal) -> Response:
    """Ask for a one-time sign-in link."""
    if principal is not None and principal.role is Role.candidate:
        return RedirectResponse("/portal", status_code=303)
    return render(request, "hiring/sign_in.html", {"sent": False})


def request_link(*, session: Session, email: str, base_url: str, now: datetime) -> bool:
    """Queue a one-time link for an active candidate login with this email; whether one was
    queued (the page never says)."""
    user = auth.get_by_email(session=session, email=email)
    if user is None or not user.is_active or user.role is not Role.candidate:
        return False
    person = people.get_by_user(session=session, user_id=user.id)
    if person is None:
        return False
    # Links still valid for more than half their life were made in the last LINK_MINUTES / 2:
    # at most MAX_RECENT_LINKS of those, so nobody can flood a candidate's inbox.
    recent = session.scalar(
        select(func.count())
        .select_from(MagicLink)
        .where(
            MagicLink.user_id == user.id,
            MagicLink.expires_at > now + timedelta(minutes=LINK_MINUTES / 2),
        )
    )
    if (recent or 0) >= MAX_RECENT_LINKS:
        return False
    token = security.new_session_token()
    session.add(
        MagicLink(
            token_hash=security.sha256_hex(token),
            user_id=user.id,
            expires_at=now + timedelta(minutes=LINK_MINUTES),
        )
    )
    messages.queue(
        session,
        person_id=person.id,
        to_email=person.email,
        subject="Your sign-in link",
        body=(
            f"Hello {person.full_name.split()[0]},\n\nSign in to see your application: "
            f"{base_url}/sign-in/{token}\n\nThe link works once, for {LINK_MINUTES} minutes. "
            "If you did not ask for it, ignore this message.\n"
        ),
        kind=messages.SIGN_IN,
        now=now,
    )
    session.commit()
    return True


@router.post("/portal/sign-in", dependencies=[Depends(public), Depends(check_csrf)])
def ask_for_link(
    request: Request, session: SessionDep, email: Annotated[str, Form(max_length=320)]
) -> Response:
    """Send a one-time link if the email belongs to a candidate; the answer is the same
    either way."""
    request_link(session=session, email=email.strip(), base_url=portal_url(request), now=utcnow())
    return render(request, "hiring/sign_in.html", {"sent": True})


@router.get("/portal/sign-in/{token}", dependencies=[Depends(public)])
def use_link(request: Request, token: str, session: SessionDep, settings: SettingsDep) -> Response:
    """Sign in with a one-time link (it works once, before it expires)."""
    now = utcnow()
    link = session.scalar(
        select(MagicLink)
        .where(MagicLink.token_hash == security.sha256_hex(token[:200]))
        .with_for_update()
    )
    user = auth.get(session=session, user_id=link.user_id) if link is not None else None
    if link is None or link.used_at is not None or link.expires_at <= now or user is None:
        return render(
            request, "hiring/sign_in.html", {"sent": False, "expired": True}, status_code=410
        )
    if not user.is_active:
        return render(
            request, "hiring/sign_in.html", {"sent": False, "expired": True}, status_code=410
        )
    link.used_at = now
    cookie = auth.open_session(
        session=session,
        user=user,
        ip=client_ip(request),
        session_hours=settings.session_hours,
        now=now,
    )
    session.commit()
    return logged_in(settings, cookie, "/portal")
