"""Organization API shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr

from crewline.orgs.models import OrgKind
from crewline.validation import CountryCode, CurrencyCode, Name


class OrgCreate(BaseModel):
    """A new client or vendor."""

    model_config = ConfigDict(extra="forbid")

    kind: OrgKind
    name: Name
    country: CountryCode
    currency: CurrencyCode
    contact_email: EmailStr | None = None


class OrgRead(BaseModel):
    """An organization as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: OrgKind
    name: str
    country: str
    currency: str
    contact_email: str | None
    created_at: datetime
