"""Bodies of the learned-weights endpoints."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class WeightsFitCreate(BaseModel):
    """Fit a province's weights now."""

    model_config = ConfigDict(extra="forbid")

    province: str = Field(description="Province code, GB/T 2260 (e.g. 43 or 430000) / 省")


class WeightsFitRead(BaseModel):
    """One fit of a province's component weights on its outcomes."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    province: str
    fitted_on: date
    created_at: datetime
    outcome: str = Field(
        description="learned: the fitted weights are in force; thin_data: too few answered "
        "pushes or applications to fit on; no_gain: they rank held-out outcomes no better "
        "than the settings' weights (which stay)"
    )
    weights: dict[str, float] | None = Field(description="The fitted weights, when in force")
    settings_weights: dict[str, float]
    intercept: float = Field(
        description="P(apply | score) = 1 / (1 + e^-(intercept + scale x score))"
    )
    scale: float
    pushes: int = Field(description="Pushes fitted on (a labourer of five held out)")
    applied: int = Field(description="Of them, applications")
    holdout_pushes: int
    auc_settings: float | None = Field(
        description="On the held-out pushes: how well the settings' weights rank applications "
        "above the rest (0.5: no better than chance)"
    )
    auc_learned: float | None = Field(description="The same for the fitted weights")


class ProvinceWeightsRead(BaseModel):
    """The component weights a province's scores use today, and its recent fits."""

    province: str
    learning: bool = Field(
        description="Whether this service uses learned weights at all (MATCHING_LEARNED_WEIGHTS "
        "and MATCHING_PLANNER_LEARNING); off: the settings' weights, whatever the fits say"
    )
    in_force: dict[str, float] = Field(description="What matches and plans score with now")
    source: str = Field(description="learned (the newest fit's) or settings")
    settings_weights: dict[str, float]
    fits: list[WeightsFitRead] = Field(description="The newest fits first (up to 12)")
