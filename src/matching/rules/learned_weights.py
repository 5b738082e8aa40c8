"""Which component weights a province's scores use (docs/scoring.md, "Learned weights").

A plan fits its province's weights once a month (`for_plan`): on the province's pushes of the
last year that are old enough for the labourer to have answered (scoring.learned), the newest
`MAX_PUSHES` of them. Every fit is stored, used or not. A labourer's matches read the newest fit
of the labourer's province (`current`: one indexed row), no older than `MAX_AGE_DAYS`; a post's
candidates come from many provinces and keep the settings' weights (one ranking, one set of
weights).
"""

from datetime import date, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.learning.models import LearnedWeights
from matching.pushes.models import Push, PushState
from matching.scoring.learned import LEARNED, WeightFit, fit_weights
from matching.scoring.types import COMPONENTS, ScoringWeights

# A push whose labourer applied: it reached applied, interviewed, hired or rejected (a rejection
# comes after an application).
APPLIED = (PushState.applied, PushState.interviewed, PushState.hired, PushState.rejected)
WINDOW_DAYS = 365
MAX_PUSHES = 200_000  # the newest pushes a fit reads: plenty for five weights
MAX_AGE_DAYS = 62  # a fit older than two months is not used: the province plans no more


def province_of(region: str) -> str:
    """The two-digit province of a region code."""
    return region[:2]


def training_data(
    session: Session, province: str, today: date, signal_days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(breakdowns, applied, taste factors, labourer ids) of the province's answerable pushes."""
    answered_by = today - timedelta(days=signal_days)
    rows = session.execute(
        select(Push.labourer_id, Push.breakdown, Push.taste_factor, Push.state)
        .where(
            Push.labourer_region.startswith(province),
            Push.pushed_on <= answered_by,
            Push.pushed_on > today - timedelta(days=WINDOW_DAYS),
        )
        .order_by(Push.id.desc())
        .limit(MAX_PUSHES)
    ).all()
    kept = [r for r in rows if r.breakdown and all(c in r.breakdown for c in COMPONENTS)]
    x = np.array([[float(r.breakdown[c]) for c in COMPONENTS] for r in kept], dtype=np.float64)
    applied = np.array([r.state in APPLIED for r in kept], dtype=np.bool_)
    taste = np.array([r.taste_factor or 1.0 for r in kept], dtype=np.float64)
    ids = np.array([r.labourer_id for r in kept], dtype=np.int64)
    return x.reshape(-1, len(COMPONENTS)), applied, taste, ids


def fit_province(
    session: Session, province: str, today: date, settings: ScoringWeights, signal_days: int
) -> LearnedWeights:
    """Fit the province's weights now and store the fit (used or not)."""
    fit = fit_weights(*training_data(session, province, today, signal_days), settings)
    row = _row(province, today, settings, fit)
    session.add(row)
    session.flush()
    return row


def _row(province: str, today: date, settings: ScoringWeights, fit: WeightFit) -> LearnedWeights:
    return LearnedWeights(
        province=province,
        fitted_on=today,
        outcome=fit.outcome,
        weights=None if fit.weights is None else fit.weights.shown(),
        settings_weights=settings.shown(),
        intercept=fit.intercept,
        scale=fit.scale,
        pushes=fit.pushes,
        applied=fit.applied,
        holdout_pushes=fit.holdout_pushes,
        auc_settings=fit.auc_settings,
        auc_learned=fit.auc_learned,
    )


def latest(session: Session, province: str, today: date) -> LearnedWeights | None:
    """The province's newest fit, if it is no older than MAX_AGE_DAYS."""
    row = session.scalars(
        select(LearnedWeights)
        .where(LearnedWeights.province == province, LearnedWeights.fitted_on <= today)
        .order_by(LearnedWeights.fitted_on.desc(), LearnedWeights.id.desc())
        .limit(1)
    ).first()
    if row is None or row.fitted_on < today - timedelta(days=MAX_AGE_DAYS):
        return None
    return row


def for_plan(
    session: Session, province: str, today: date, settings: ScoringWeights, signal_days: int
) -> LearnedWeights:
    """This month's fit of the province: the one stored, or a new one."""
    row = latest(session, province, today)
    if row is not None and (row.fitted_on.year, row.fitted_on.month) == (today.year, today.month):
        return row
    return fit_province(session, province, today, settings, signal_days)


def weights_of(row: LearnedWeights | None) -> ScoringWeights | None:
    """The learned weights a fit puts in force, or None (the settings' weights)."""
    if row is None or row.weights is None or row.outcome != LEARNED:
        return None
    return ScoringWeights(**{name: float(row.weights[name]) for name in COMPONENTS})


def current(session: Session, province: str, today: date) -> ScoringWeights | None:
    """The weights in force for the province today (None: the settings')."""
    return weights_of(latest(session, province, today))
