"""Partner agencies."""

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from matching.database import Base, utcnow


class Agency(Base):
    """A partner-province HR agency (合作机构) that pushes posts in.

    The agency keeps its own contact and callback address; an administrator may suspend it
    (`suspended_at`): its keys then stop working and its posts stop matching, until reinstated.
    """

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    province_code: Mapped[str] = mapped_column(String(2))
    callback_url: Mapped[str | None] = mapped_column(String(500))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column()
    suspended_at: Mapped[datetime | None] = mapped_column()
    suspended_reason: Mapped[str | None] = mapped_column(String(500))
    suspended_by_key_id: Mapped[int | None]  # the admin key (no foreign key: keys refer here)
    # Outcome notices (webhooks): the types the agency listens to (None: all, []: none), and
    # since when a notice has gone undelivered for a day of retries (None: deliveries succeed).
    webhook_events: Mapped[list[str] | None] = mapped_column(JSON)
    webhook_failing_since: Mapped[datetime | None] = mapped_column()

    @property
    def suspended(self) -> bool:
        """Whether an administrator has suspended the agency."""
        return self.suspended_at is not None
