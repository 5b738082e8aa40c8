"""Per-region yearly targets (任务分解表)."""

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from matching.database import Base, utcnow


class RegionTarget(Base):
    """The targets one region is held to in one year; a missing figure falls back to its parent's.

    Shares are fractions (0.5 = 50%). A region with no row of its own uses its nearest ancestor's,
    and a figure nobody set uses the policy default (docs/domain.md, "Targets").
    """

    __tablename__ = "region_targets"
    __table_args__ = (UniqueConstraint("region", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region: Mapped[str] = mapped_column(String(12))
    year: Mapped[int]
    push_ratio: Mapped[float | None]
    success_rate: Mapped[float | None]
    employed_share: Mapped[float | None]
    stable_share: Mapped[float | None]
    willing_employment: Mapped[float | None]
    unit_employment: Mapped[float | None]
    services_311: Mapped[float | None]
    zero_employment_households: Mapped[int | None]
    workshops: Mapped[int | None]  # 扶贫车间 to have
    bases: Mapped[int | None]  # 就业扶贫基地 to have
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_key_id: Mapped[int | None]
