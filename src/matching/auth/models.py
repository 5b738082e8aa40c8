"""API keys: stored only as hashes, each with one role and its scope."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from matching.database import Base, utcnow


class Role(StrEnum):
    """What a key may do (docs/domain.md, "Roles")."""

    admin = "admin"
    staff = "staff"
    agency = "agency"
    app = "app"


class ApiKey(Base):
    """One API key; the secret itself is never stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16))
    region_scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    expires_on: Mapped[date | None] = mapped_column(Date)  # works through this China day
