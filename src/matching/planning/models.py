"""Stored monthly plans: a preview until committed, then the pushes it wrote."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from matching.database import Base, utcnow


class PlanStatus(StrEnum):
    """A plan is previewed (draft), then committed once."""

    draft = "draft"
    committed = "committed"


class Plan(Base):
    """One region's push plan for one month."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    region: Mapped[str] = mapped_column(String(12), index=True)
    month: Mapped[str] = mapped_column(String(7))
    status: Mapped[PlanStatus] = mapped_column(
        Enum(PlanStatus, native_enum=False, length=12, validate_strings=True),
        default=PlanStatus.draft,
    )
    channel: Mapped[str] = mapped_column(String(24))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    calibration: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_key_id: Mapped[int | None]
    committed_at: Mapped[datetime | None]
    committed_by_key_id: Mapped[int | None]
    commit_result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    exchange_id: Mapped[int | None]  # a plan restricted to a 三来三往 list and its posts


class PlanItem(Base):
    """One push the plan proposes."""

    __tablename__ = "plan_items"
    __table_args__ = (UniqueConstraint("plan_id", "labourer_id", "post_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    # No foreign keys: a province plan writes millions of items, and commit checks each labourer
    # and post again before writing its push (migration 0005).
    labourer_id: Mapped[int]
    post_id: Mapped[int]
    score: Mapped[float]
    probability: Mapped[float]  # calibrated on the score, times the taste factor
    taste_factor: Mapped[float | None]
    push_id: Mapped[int | None]
