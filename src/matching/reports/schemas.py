"""Report and target bodies."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

Share = float


class TargetSet(BaseModel):
    """A region's targets for a year; a figure left out falls back to the parent region's."""

    model_config = ConfigDict(extra="forbid")

    push_ratio: StrictFloat | None = Field(None, ge=0, le=10, description="推送人次/U, default 0.5")
    success_rate: StrictFloat | None = Field(
        None, ge=0, le=1, description="推荐成功率, default 0.15"
    )
    employed_share: StrictFloat | None = Field(
        None, ge=0, le=1, description="已就业占比, default 0.6"
    )
    stable_share: StrictFloat | None = Field(
        None, ge=0, le=1, description="稳定就业占比, default 0.75"
    )
    willing_employment: StrictFloat | None = Field(
        None, ge=0, le=1, description="有意愿就业率, default 0.95"
    )
    unit_employment: StrictFloat | None = Field(
        None, ge=0, le=1, description="单位就业占比, default 0.5"
    )
    services_311: StrictFloat | None = Field(
        None, ge=0, le=1, description="311 服务覆盖, default 1"
    )
    zero_employment_households: StrictInt | None = Field(
        None, ge=0, le=10_000_000, description="零就业家庭, default 0"
    )
    workshops: StrictInt | None = Field(None, ge=0, le=1_000_000, description="扶贫车间数")
    bases: StrictInt | None = Field(None, ge=0, le=1_000_000, description="就业扶贫基地数")


class TargetRead(TargetSet):
    """The targets stored for one region and year."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    region: str
    region_name: str
    year: int
    updated_at: datetime


class EffectiveTarget(BaseModel):
    """One figure's target in force for a region, and which region set it."""

    key: str
    value: float | None
    set_by_region: str | None = Field(description="None: the policy default")


class Figure(BaseModel):
    """One figure of the report with its target."""

    key: str
    name_zh: str
    name_en: str
    value: float | None = Field(description="The figure; null when its denominator is 0")
    numerator: float | None = None
    denominator: float | None = None
    unit: Literal["ratio", "count", "yuan"]
    comparison: Literal[">=", ">", "<=", "reported"]
    target: float | None = None
    target_set_by: str | None = Field(None, description="Region whose target applies")
    met: bool | None = Field(description="null when there is no target or no data")
    detail: dict[str, float] = Field(default_factory=dict)


class RegionTasks(BaseModel):
    """What is left to do this month, in people and pushes (the 任务分解表's absolute tasks)."""

    pushes_needed: int = Field(
        description="Pushes still to make this month to meet the push target / 本月还需推送人次"
    )
    seekers_not_reached: int = Field(
        description="People in U not pushed any post this month / 本月未推送的求职人数"
    )
    missing_recommendations: int = Field(
        description="People in U with fewer than 3 recommendations this year / 岗位推荐不足3次人数"
    )
    missing_guidance: int = Field(
        description="People in U without career guidance / 缺职业指导人数"
    )
    missing_training_info: int = Field(
        description="People in U without training information / 缺培训信息人数"
    )


class RegionFigures(BaseModel):
    """The figures of one region."""

    region: str
    region_name: str
    figures: list[Figure]
    tasks: RegionTasks
    met: int = Field(description="Figures meeting their target / 达标项数")
    not_met: int = Field(description="Figures missing their target / 未达标项数")


class TargetsReport(RegionFigures):
    """A region's month against its targets, and the same per child region (the town table)."""

    month: str
    month_start: date
    as_of: date = Field(description="The month's last day, or today for the current month")
    year_start: date
    attribution_days: int
    children: list[RegionFigures]
    notes: list[str]


class MonthPoint(BaseModel):
    """One month of a region's push ratio and success rate, with the targets in force."""

    month: str
    unemployed_willing: int
    pushes: int
    successful_pushes: int
    push_ratio: float | None
    success_rate: float | None
    push_target: float | None
    success_target: float | None
