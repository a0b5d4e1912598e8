"""Typed dependencies every route declares: the database session, the caller, the permission.

Routes read like plain signatures::

    @router.get("/people/{person_id}")
    def read(person_id: int, session: SessionDep, caller: StaffOnly): ...

Every route must declare ``require(...)``, ``authenticated`` or ``public``; a test walks the
app's routes and fails if one declares none of them. When in doubt, deny.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from argon2 import PasswordHasher
from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from crewline.audit.schemas import Actor
from crewline.auth import security, service
from crewline.auth.models import User
from crewline.auth.roles import Role, Scope
from crewline.config import Settings
from crewline.errors import NotAuthenticated, PermissionDenied

SESSION_COOKIE = "crewline_session"
CSRF_COOKIE = "crewline_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PERMISSION_MARK = "__crewline_permission__"


# The dependencies below that do no blocking work are ``async def``: FastAPI runs every
# plain ``def`` dependency in the thread pool, and those hops (six a request before this)
# cost more CPU than the API's fast handlers.


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One database session per request, closed afterwards (services commit their own writes).

    Making a session does no I/O; closing one that still holds a connection rolls it back,
    which goes to the thread pool so the event loop never waits on the database.
    """
    session: Session = request.app.state.sessionmaker()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_hasher(request: Request) -> PasswordHasher:
    """The app's password hasher (cost from settings)."""
    hasher: PasswordHasher = request.app.state.hasher
    return hasher


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
HasherDep = Annotated[PasswordHasher, Depends(get_hasher)]


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: a user, how they came in, and what their token allows."""

    user: User
    via: Literal["session", "token"]
    scopes: frozenset[Scope]
    ip: str | None

    @property
    def role(self) -> Role:
        """The caller's role."""
        return self.user.role

    @property
    def actor(self) -> Actor:
        """The caller as the author of an audited write."""
        return Actor(
            user_id=self.user.id, label=self.user.email, role=self.user.role.value, ip=self.ip
        )


def client_ip(request: Request) -> str:
    """The peer address (put a trusted proxy's forwarded-for handling in uvicorn, not here)."""
    return request.client.host if request.client else "unknown"


async def _submitted_csrf(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def check_csrf(request: Request) -> None:
    """Refuse an unsafe browser request whose CSRF token does not match its nonce cookie."""
    if request.method in SAFE_METHODS:
        return
    secret: str = request.app.state.secret_key
    submitted = await _submitted_csrf(request)
    if not security.csrf_valid(secret, request.cookies.get(CSRF_COOKIE), submitted):
        raise PermissionDenied("missing or invalid CSRF token; reload the page and try again")


async def current_principal(request: Request, session: SessionDep) -> Principal | None:
    """The caller from a bearer token or a session cookie, or None when anonymous.

    Cookie-authenticated unsafe requests must carry a CSRF token (form field or header);
    bearer-token requests cannot be forged by a browser and need none.
    """
    # The database work runs in the thread pool: on the event loop it would stall every
    # request, and deadlock the server once the connection pool is exhausted.
    principal = await run_in_threadpool(_lookup, request, session)
    if principal is not None and principal.via == "session":
        await check_csrf(request)
    return principal


def _lookup(request: Request, session: Session) -> Principal | None:
    authorization = request.headers.get("authorization", "")
    ip = client_ip(request)
    if authorization:
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise NotAuthenticated("Authorization header must be 'Bearer <token>'")
        token = service.token_for_secret(session=session, secret=secret.strip())
        if token is None:
            raise NotAuthenticated("invalid, expired or revoked API token")
        principal = Principal(
            user=token.user, via="token", scopes=service.token_scopes(token), ip=ip
        )
        request.state.principal = principal
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    user = service.user_for_session_token(session=session, token=cookie)
    if user is None:
        return None
    principal = Principal(user=user, via="session", scopes=frozenset(Scope), ip=ip)
    # Error pages read it so a logged-in user keeps their navigation on a 403 or 404.
    request.state.principal = principal
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(current_principal)]


def _mark(dependency: Callable[..., Any], label: str) -> Callable[..., Any]:
    setattr(dependency, PERMISSION_MARK, label)
    return dependency


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting only callers with one of ``roles`` (and, for tokens, the scope).

    Token callers need the ``read`` scope for safe methods and ``write`` for the rest.
    """
    allowed = frozenset(roles)

    async def dependency(request: Request, principal: OptionalPrincipal) -> Principal:
        if principal is None:
            raise NotAuthenticated("log in or send an API token")
        if principal.role not in allowed:
            raise PermissionDenied(f"a {principal.role.label.lower()} may not do this")
        needed = Scope.read if request.method in SAFE_METHODS else Scope.write
        if needed not in principal.scopes:
            raise PermissionDenied(f"this API token lacks the '{needed.value}' scope")
        return principal

    return _mark(dependency, "require:" + ",".join(sorted(r.value for r in allowed)))


#: Any logged-in user, whatever the role (their own profile, logout, their tokens).
authenticated = require(*Role)
_mark(authenticated, "authenticated")


async def public() -> None:
    """Marks a route that anyone may call (health, login page, static files)."""


_mark(public, "public")

CurrentUser = Annotated[Principal, Depends(authenticated)]
