"""Who saw which personal data unmasked, and who changed which labourer's fields, and when."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from matching.database import Base, utcnow


class AuditEntry(Base):
    """One reveal of personal data, or one write to a labourer (the fields' names, never values)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    key_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    labourer_id: Mapped[int | None] = mapped_column(index=True)
    fields: Mapped[str] = mapped_column(String(400))
    request_id: Mapped[str | None] = mapped_column(String(64))
