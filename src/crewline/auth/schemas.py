"""Account and token API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from crewline.auth.roles import Role, Scope
from crewline.validation import MAX_ID, Name

Password = Annotated[str, StringConstraints(min_length=10, max_length=200)]


class UserCreate(BaseModel):
    """A new account. Vendor managers and client viewers name their organization."""

    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    full_name: Name
    role: Role
    password: Password | None = None
    organization_id: int | None = Field(None, ge=1, le=MAX_ID)


class UserUpdate(BaseModel):
    """Changes to an account (only the fields given)."""

    model_config = ConfigDict(extra="forbid")

    full_name: Name | None = None
    role: Role | None = None
    is_active: bool | None = None
    organization_id: int | None = Field(None, ge=1, le=MAX_ID)


class UserRead(BaseModel):
    """An account as the API returns it (never the password hash)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    full_name: str
    role: Role
    organization_id: int | None
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


class TokenCreate(BaseModel):
    """A new API token for the calling user."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    scopes: list[Scope] = Field(default_factory=lambda: [Scope.read], min_length=1)
    expires_in_days: int | None = Field(None, ge=1, le=3650)


class TokenRead(BaseModel):
    """A token's metadata (the secret itself is only ever shown at creation)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenRead):
    """A freshly created token, including the secret (shown this once)."""

    token: str
