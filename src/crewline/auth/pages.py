"""Login, logout and the account page (with API tokens)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from crewline.auth import service
from crewline.auth.deps import (
    SESSION_COOKIE,
    CurrentUser,
    HasherDep,
    OptionalPrincipal,
    SessionDep,
    SettingsDep,
    check_csrf,
    client_ip,
    public,
)
from crewline.auth.roles import Role, Scope
from crewline.auth.schemas import TokenCreate
from crewline.config import Settings
from crewline.errors import RateLimited
from crewline.validation import Id
from crewline.web.navigation import Navigation
from crewline.web.templating import render

router = APIRouter()


def register_navigation(nav: Navigation) -> None:
    """The account link is for everyone who is logged in."""
    nav.add("Account", "/account", set(Role), order=900)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect after login would help phishing."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login", dependencies=[Depends(public)])
def login_page(request: Request, principal: OptionalPrincipal, next: str = "/") -> Response:
    """The login form (already logged-in users go home)."""
    if principal is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(
        request, "auth/login.html", {"next": _safe_next(next), "error": None, "email": ""}
    )


@router.post("/login", dependencies=[Depends(public), Depends(check_csrf)])
def login(
    request: Request,
    session: SessionDep,
    hasher: HasherDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the password, set the session cookie and go on to ``next``."""
    policy = service.LoginPolicy(
        max_failures=settings.login_max_failures,
        window=timedelta(minutes=settings.login_window_minutes),
    )
    context = {"next": _safe_next(next), "email": email}
    try:
        result = service.do_login(
            session=session,
            hasher=hasher,
            policy=policy,
            email=email,
            password=password,
            ip=client_ip(request),
            session_hours=settings.session_hours,
        )
    except RateLimited as exc:
        refused = render(
            request, "auth/login.html", {**context, "error": exc.message}, status_code=429
        )
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    if result is None:
        return render(
            request,
            "auth/login.html",
            {**context, "error": "Wrong email or password."},
            status_code=401,
        )
    _user, token = result
    return logged_in(settings, token, _safe_next(next))


def logged_in(settings: Settings, token: str, target: str) -> Response:
    """A redirect to ``target`` that sets the session cookie (password or one-time link)."""
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.cookies_secure,
        path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, caller: CurrentUser) -> Response:
    """End this login session."""
    service.do_logout(session=session, token=request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account")
def account(request: Request, session: SessionDep, caller: CurrentUser) -> Response:
    """The caller's account and API tokens."""
    tokens = service.list_tokens(session=session, user_id=caller.user.id)
    return render(
        request,
        "auth/account.html",
        {"tokens": tokens, "new_token": None, "scopes": list(Scope)},
        principal=caller,
    )


@router.post("/account/tokens")
def create_token(
    request: Request,
    session: SessionDep,
    caller: CurrentUser,
    name: Annotated[str, Form(min_length=1, max_length=100)],
    scopes: Annotated[list[Scope], Form()],
) -> Response:
    """Create a token and show its secret once."""
    _token, secret = service.do_create_token(
        session=session,
        actor=caller.actor,
        user_id=caller.user.id,
        data=TokenCreate(name=name, scopes=scopes),
    )
    tokens = service.list_tokens(session=session, user_id=caller.user.id)
    return render(
        request,
        "auth/account.html",
        {"tokens": tokens, "new_token": secret, "scopes": list(Scope)},
        principal=caller,
        status_code=201,
    )


@router.post("/account/tokens/{token_id:int}/revoke")
def revoke_token(token_id: Id, session: SessionDep, caller: CurrentUser) -> Response:
    """Revoke one of the caller's tokens."""
    service.do_revoke_token(
        session=session, actor=caller.actor, user_id=caller.user.id, token_id=token_id
    )
    return RedirectResponse("/account", status_code=303)
