"""Stored weight fits: one row per fit of a province, the newest the one in force."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from matching.database import Base, utcnow


class LearnedWeights(Base):
    """One fit of a province's component weights on its outcomes (scoring.learned.WeightFit).

    `outcome` says whether the learned weights are used (learned) or the settings' stay
    (thin_data, no_gain); both are recorded, so a clerk sees why a province ranks as it does.
    """

    __tablename__ = "learned_weights"

    id: Mapped[int] = mapped_column(primary_key=True)
    province: Mapped[str] = mapped_column(String(2), index=True)
    fitted_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(16))
    weights: Mapped[dict[str, float] | None] = mapped_column(JSON)  # None unless learned
    settings_weights: Mapped[dict[str, float]] = mapped_column(JSON)
    intercept: Mapped[float]
    scale: Mapped[float]
    pushes: Mapped[int]
    applied: Mapped[int]
    holdout_pushes: Mapped[int]
    auc_settings: Mapped[float | None]
    auc_learned: Mapped[float | None]
