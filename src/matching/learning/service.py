"""Reading and making a province's weight fits (rules.learned_weights does the work)."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.errors import Unprocessable
from matching.learning.models import LearnedWeights
from matching.regions.validation import canonical_region_code
from matching.rules import learned_weights
from matching.scoring import ScoringWeights


def province_code(code: str, *, field: str) -> str:
    """A province-level code (43 or 430000 → 43), or a 422 naming the field."""
    province = canonical_region_code(code, field=field)
    if len(province) != 2:
        raise Unprocessable.for_field(field, "must be a province-level code / 须为省级代码")
    return province


def recent_fits(session: Session, province: str, limit: int = 12) -> list[LearnedWeights]:
    """The province's newest fits first."""
    return list(
        session.scalars(
            select(LearnedWeights)
            .where(LearnedWeights.province == province)
            .order_by(LearnedWeights.fitted_on.desc(), LearnedWeights.id.desc())
            .limit(limit)
        )
    )


def in_force(
    session: Session, province: str, today: date, settings: ScoringWeights
) -> tuple[ScoringWeights, str]:
    """The weights the province's scores use today and where they come from."""
    learned = learned_weights.current(session, province, today)
    return (settings, "settings") if learned is None else (learned, "learned")


def fit_now(
    session: Session, province: str, today: date, settings: ScoringWeights, signal_days: int
) -> LearnedWeights:
    """A new fit of the province, stored (used or not)."""
    return learned_weights.fit_province(session, province, today, settings, signal_days)
