"""Township seat points set by staff (the shipped data has points down to county seats only)."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from matching.database import Base, utcnow


class TownshipSeat(Base):
    """Where a township's seat (乡镇政府驻地) is, as staff set it (docs/scoring.md, "Distance
    between townships"); labourers registered there and its posts are placed at it."""

    __tablename__ = "township_seats"

    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    lat: Mapped[float]
    lon: Mapped[float]
    note: Mapped[str | None] = mapped_column(String(200))  # where the point was read from
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
    set_by_key_id: Mapped[int | None]
