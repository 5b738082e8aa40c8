"""Employment and service records."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from matching.database import Base, utcnow


class ServiceKind(StrEnum):
    """The "311" services: 一次岗位推荐、一次职业指导、一次培训信息 (yearly: 3, 1, 1)."""

    recommendation = "recommendation"  # 岗位推荐
    guidance = "guidance"  # 职业指导
    training_info = "training_info"  # 培训信息


class Employment(Base):
    """A job held: from a push's hire or recorded directly; an open end means still in it."""

    __tablename__ = "employments"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
        Index("ix_employments_labourer_start", "labourer_id", "start_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    labourer_id: Mapped[int] = mapped_column(ForeignKey("labourers.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)
    push_id: Mapped[int | None] = mapped_column(ForeignKey("pushes.id"), unique=True)
    employer: Mapped[str] = mapped_column(String(200))
    workplace_region: Mapped[str | None] = mapped_column(String(12))
    # 单位就业 (an organisation employs the labourer) as against 灵活就业 / self-employment.
    in_organisation: Mapped[bool]
    public_welfare: Mapped[bool] = mapped_column(default=False)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    monthly_wage: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(String(200))
    recorded_by_key_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ServiceRecord(Base):
    """One "311" service given to a labourer."""

    __tablename__ = "service_records"
    __table_args__ = (Index("ix_service_records_labourer_date", "labourer_id", "provided_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    labourer_id: Mapped[int] = mapped_column(ForeignKey("labourers.id"))
    kind: Mapped[ServiceKind] = mapped_column(
        Enum(ServiceKind, native_enum=False, length=24, validate_strings=True)
    )
    provided_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))
    recorded_by_key_id: Mapped[int | None]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
