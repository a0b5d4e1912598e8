"""Organization table."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crewline.db import Base, utcnow


class OrgKind(enum.StrEnum):
    """What an organization is to us."""

    client = "client"
    vendor = "vendor"


class Organization(Base):
    """A client (buys labelled data) or a staffing vendor (supplies workers)."""

    __tablename__ = "organizations"
    __table_args__ = (UniqueConstraint("kind", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(
        Enum(OrgKind, native_enum=False, length=20, validate_strings=True)
    )
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
