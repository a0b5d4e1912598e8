"""Accounts, logins and tokens: the only writer of the auth tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from sqlalchemy import Select, String, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.auth import security
from crewline.auth.models import ApiToken, LoginAttempt, LoginSession, User
from crewline.auth.roles import ORG_ROLES, Role, Scope
from crewline.auth.schemas import TokenCreate, UserCreate, UserUpdate
from crewline.db import begin_write, utcnow
from crewline.errors import Conflict, InvalidInput, NotFound, RateLimited
from crewline.orgs import service as orgs
from crewline.orgs.models import OrgKind

ORG_KIND_FOR_ROLE: dict[Role, OrgKind] = {
    Role.vendor_manager: OrgKind.vendor,
    Role.client_viewer: OrgKind.client,
}


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    """Rate limiting for logins: failures allowed per email and per address in a window."""

    max_failures: int
    window: timedelta

    @property
    def max_failures_per_ip(self) -> int:
        """An address may fail more often than one email (shared offices, NAT)."""
        return self.max_failures * 4


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively; we store them lower-cased."""
    return email.strip().lower()


def _user_fields(user: User) -> dict[str, object]:
    return {
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "organization_id": user.organization_id,
        "is_active": user.is_active,
    }


def get(*, session: Session, user_id: int) -> User | None:
    """The user with this id, if any."""
    return session.get(User, user_id)


def get_or_404(*, session: Session, user_id: int) -> User:
    """The user, or NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def get_by_email(*, session: Session, email: str) -> User | None:
    """The user with this email (case-insensitive), if any."""
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def list_users(*, session: Session, role: Role | None = None) -> list[User]:
    """Accounts by email, optionally of one role."""
    query = select(User).order_by(User.email)
    if role is not None:
        query = query.where(User.role == role)
    return list(session.scalars(query))


def count_by_role(*, session: Session) -> dict[Role, int]:
    """How many accounts each role has (one GROUP BY, not a load of every account)."""
    return {
        role: n for role, n in session.execute(select(User.role, func.count()).group_by(User.role))
    }


def _check_org(*, session: Session, role: Role, organization_id: int | None) -> None:
    kind = ORG_KIND_FOR_ROLE.get(role)
    if kind is None:
        if organization_id is not None:
            raise InvalidInput(
                "organization_id", f"a {role.value} does not belong to an organization"
            )
        return
    if organization_id is None:
        raise InvalidInput("organization_id", f"a {role.value} must name their {kind.value}")
    org = orgs.get(session=session, org_id=organization_id)
    if org is None or org.kind != kind:
        raise InvalidInput("organization_id", f"no {kind.value} with id {organization_id}")


def do_create_user(
    *, session: Session, actor: Actor, hasher: PasswordHasher, data: UserCreate, commit: bool = True
) -> User:
    """Create an account; a taken email is a conflict. ``commit=False`` joins a larger write."""
    email = normalize_email(data.email)
    if get_by_email(session=session, email=email) is not None:
        raise Conflict(f"an account with email {email} already exists", field="email")
    _check_org(session=session, role=data.role, organization_id=data.organization_id)
    user = User(
        email=email,
        full_name=data.full_name,
        role=data.role,
        organization_id=data.organization_id,
        password_hash=security.hash_password(hasher, data.password) if data.password else None,
    )
    audit.insert_created(
        session=session,
        actor=actor,
        created=[(user, _user_fields(user))],
        action="user.create",
        entity_type="user",
        duplicate=f"an account with email {email} already exists",
        field="email",
        commit=commit,
    )
    return user


def do_update_user(*, session: Session, actor: Actor, user_id: int, data: UserUpdate) -> User:
    """Change an account's name, role, organization or active flag."""
    user = get_or_404(session=session, user_id=user_id)
    before = _user_fields(user)
    changes = data.model_dump(exclude_unset=True)
    for key, value in changes.items():
        if value is None and key != "organization_id":
            raise InvalidInput(key, "cannot be null")
    role = changes.get("role", user.role)
    org_id = changes.get("organization_id", user.organization_id if role in ORG_ROLES else None)
    _check_org(session=session, role=role, organization_id=org_id)
    for key, value in changes.items():
        setattr(user, key, value)
    user.organization_id = org_id
    if changes.get("is_active") is False or "role" in changes:
        session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    old, new = audit.changed(before, _user_fields(user))
    audit.record(
        session=session,
        actor=actor,
        action="user.update",
        entity_type="user",
        entity_id=user.id,
        before=old,
        after=new,
    )
    session.commit()
    return user


def do_set_password(
    *, session: Session, actor: Actor, hasher: PasswordHasher, user_id: int, password: str
) -> None:
    """Set a new password and end every existing login of that user."""
    user = get_or_404(session=session, user_id=user_id)
    user.password_hash = security.hash_password(hasher, password)
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    audit.record(
        session=session,
        actor=actor,
        action="user.set_password",
        entity_type="user",
        entity_id=user.id,
    )
    session.commit()


def _check_rate_limit(
    *, session: Session, policy: LoginPolicy, email: str, ip: str, now: datetime
) -> None:
    since = now - policy.window
    failures = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))
    )
    by_email = session.scalar(failures.where(LoginAttempt.email == email)) or 0
    by_ip = session.scalar(failures.where(LoginAttempt.ip == ip)) or 0
    if by_email >= policy.max_failures or by_ip >= policy.max_failures_per_ip:
        raise RateLimited(
            "too many failed logins; wait and try again",
            retry_after=int(policy.window.total_seconds()),
        )


def do_login(
    *,
    session: Session,
    hasher: PasswordHasher,
    policy: LoginPolicy,
    email: str,
    password: str,
    ip: str,
    session_hours: int,
) -> tuple[User, str] | None:
    """Check a password and open a login session; returns the user and the cookie token.

    Returns None for a wrong email or password (the caller cannot tell which, by design).
    Raises RateLimited when the email or the address has failed too often recently.
    """
    email = normalize_email(email)
    now = utcnow()
    _check_rate_limit(session=session, policy=policy, email=email, ip=ip, now=now)
    user = get_by_email(session=session, email=email)
    ok = security.verify_password(hasher, user.password_hash if user else None, password)
    ok = ok and user is not None and user.is_active
    session.add(LoginAttempt(email=email, ip=ip, at=now, succeeded=ok))
    if not ok or user is None:
        session.commit()
        return None
    if hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = security.hash_password(hasher, password)
    token = open_session(session=session, user=user, ip=ip, session_hours=session_hours, now=now)
    session.commit()
    return user, token


def open_session(
    *, session: Session, user: User, ip: str, session_hours: int, now: datetime
) -> str:
    """Start a login session for a user whose identity was just proven (a password, a
    one-time link); returns the cookie token. Part of the caller's transaction."""
    token = security.new_session_token()
    session.add(
        LoginSession(
            token_hash=security.sha256_hex(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(hours=session_hours),
            ip=ip,
        )
    )
    user.last_login_at = now
    return token


def user_for_session_token(*, session: Session, token: str) -> User | None:
    """The active user behind a session cookie, if it is valid and not expired."""
    login = session.scalar(
        select(LoginSession).where(LoginSession.token_hash == security.sha256_hex(token))
    )
    if login is None or login.expires_at <= utcnow() or not login.user.is_active:
        return None
    return login.user


def do_logout(*, session: Session, token: str) -> None:
    """End one login session."""
    session.execute(
        delete(LoginSession).where(LoginSession.token_hash == security.sha256_hex(token))
    )
    session.commit()


def do_create_token(
    *, session: Session, actor: Actor, user_id: int, data: TokenCreate
) -> tuple[ApiToken, str]:
    """Create an API token for a user; returns the row and the secret (never stored)."""
    user = get_or_404(session=session, user_id=user_id)
    if not user.is_active:
        raise Conflict(f"account {user.email} is deactivated; it cannot hold API tokens")
    secret, prefix = security.new_api_token()
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        name=data.name,
        prefix=prefix,
        token_hash=security.sha256_hex(secret),
        scopes=sorted({scope.value for scope in data.scopes}),
        created_at=now,
        expires_at=now + timedelta(days=data.expires_in_days) if data.expires_in_days else None,
    )
    session.add(token)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="token.create",
        entity_type="api_token",
        entity_id=token.id,
        after={"user_id": user.id, "name": data.name, "scopes": token.scopes},
    )
    session.commit()
    return token, secret


def list_tokens(*, session: Session, user_id: int) -> list[ApiToken]:
    """A user's tokens, newest first."""
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
        )
    )


def do_revoke_token(*, session: Session, actor: Actor, user_id: int, token_id: int) -> ApiToken:
    """Revoke one of a user's tokens (another user's token is reported as not found)."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise NotFound(f"token {token_id} not found")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session=session,
            actor=actor,
            action="token.revoke",
            entity_type="api_token",
            entity_id=token.id,
        )
        session.commit()
    return token


@cache
def _token_statement() -> Select[ApiToken]:
    """Built once: every API request with a bearer token runs it."""
    return select(ApiToken).where(ApiToken.token_hash == bindparam("b_hash", type_=String))


def token_for_secret(*, session: Session, secret: str) -> ApiToken | None:
    """The live token behind a bearer secret; records when it was last used."""
    token: ApiToken | None = session.scalar(
        _token_statement(), {"b_hash": security.sha256_hex(secret)}
    )
    now = utcnow()
    if (
        token is None
        or token.revoked_at is not None
        or (token.expires_at is not None and token.expires_at <= now)
        or not token.user.is_active
    ):
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        # A write transaction of its own: on SQLite a read transaction cannot be upgraded
        # once another connection has written (it fails at once with "database is locked").
        begin_write(session)
        session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        session.commit()
        token.last_used_at = now
    return token


def token_scopes(token: ApiToken) -> frozenset[Scope]:
    """The scopes a token grants."""
    return frozenset(Scope(s) for s in token.scopes)


def erase_user(*, session: Session, user_id: int, email: str) -> None:
    """Switch a login off and replace its name and email (the person behind it was erased);
    its sessions and tokens end. Part of the caller's transaction."""
    user = session.get(User, user_id)
    if user is None:
        return
    user.email, user.full_name, user.is_active, user.password_hash = email, "Erased", False, None
    session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
    session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
