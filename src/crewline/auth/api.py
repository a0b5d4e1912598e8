"""JSON routes for accounts and API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from crewline.auth import service
from crewline.auth.deps import CurrentUser, HasherDep, Principal, SessionDep, require
from crewline.auth.roles import Role
from crewline.auth.schemas import (
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from crewline.validation import Id

router = APIRouter(tags=["accounts"])
Admin = Annotated[Principal, Depends(require(Role.admin))]


@router.get("/me", response_model=UserRead)
def me(caller: CurrentUser) -> object:
    """The calling user."""
    return caller.user


@router.get("/users", response_model=list[UserRead])
def list_users(session: SessionDep, caller: Admin, role: Role | None = None) -> object:
    """All accounts, optionally of one role (admins only)."""
    return service.list_users(session=session, role=role)


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(data: UserCreate, session: SessionDep, hasher: HasherDep, caller: Admin) -> object:
    """Create an account (admins only). A taken email is a 409."""
    return service.do_create_user(session=session, actor=caller.actor, hasher=hasher, data=data)


@router.get("/users/{user_id:int}", response_model=UserRead)
def read_user(user_id: Id, session: SessionDep, caller: Admin) -> object:
    """One account (admins only)."""
    return service.get_or_404(session=session, user_id=user_id)


@router.patch("/users/{user_id:int}", response_model=UserRead)
def update_user(user_id: Id, data: UserUpdate, session: SessionDep, caller: Admin) -> object:
    """Change an account's name, role, organization or active flag (admins only)."""
    return service.do_update_user(session=session, actor=caller.actor, user_id=user_id, data=data)


@router.get("/tokens", response_model=list[TokenRead])
def list_tokens(session: SessionDep, caller: CurrentUser) -> object:
    """The caller's API tokens (never the secrets)."""
    return service.list_tokens(session=session, user_id=caller.user.id)


@router.post("/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(data: TokenCreate, session: SessionDep, caller: CurrentUser) -> object:
    """Create an API token for the caller; the secret is in this response only."""
    token, secret = service.do_create_token(
        session=session, actor=caller.actor, user_id=caller.user.id, data=data
    )
    return TokenCreated.model_validate(
        {**TokenRead.model_validate(token).model_dump(), "token": secret}
    )


@router.delete("/tokens/{token_id:int}", response_model=TokenRead)
def revoke_token(token_id: Id, session: SessionDep, caller: CurrentUser) -> object:
    """Revoke one of the caller's tokens."""
    return service.do_revoke_token(
        session=session, actor=caller.actor, user_id=caller.user.id, token_id=token_id
    )
