"""Employment and service request and response bodies."""

from datetime import date, datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    model_validator,
)

from matching.deps import MAX_ID
from matching.employment.models import ServiceKind
from matching.schemas import EventDay

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class EmploymentCreate(BaseModel):
    """A job the labourer holds (or held). With `post_id` it takes one of the post's openings."""

    model_config = ConfigDict(extra="forbid")

    post_id: StrictInt | None = Field(None, ge=1, le=MAX_ID, description="The post, if any / 岗位")
    employer: Text | None = Field(None, description="Default: the post's employer / 用工单位")
    workplace_region: str | None = Field(None, description="Default: the post's / 工作地区划")
    in_organisation: StrictBool | None = Field(
        None, description="单位就业 (default: true, or from the post's type) vs 灵活就业"
    )
    public_welfare: StrictBool | None = Field(
        None, description="公益性岗位 (default: from the post)"
    )
    start_date: EventDay = Field(description="入职日期")
    end_date: EventDay | None = Field(None, description="离职日期, for a job that has ended")
    monthly_wage: StrictInt | None = Field(None, ge=0, le=200_000, description="月工资 (元)")
    note: Note | None = None

    @model_validator(mode="after")
    def _dates(self) -> "EmploymentCreate":
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date / 结束日期不能早于开始日期")
        if self.post_id is None and self.employer is None:
            raise ValueError(
                "employer is required when no post_id is given / 未填岗位时须填写用人单位"
            )
        return self


class EmploymentEnd(BaseModel):
    """The day a job ended; the labourer is unemployed from it."""

    model_config = ConfigDict(extra="forbid")

    end_date: EventDay = Field(description="离职日期")
    note: Note | None = None


class EmploymentRead(BaseModel):
    """A job held."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    labourer_id: int
    post_id: int | None
    push_id: int | None
    employer: str
    workplace_region: str | None
    in_organisation: bool
    public_welfare: bool
    start_date: date
    end_date: date | None
    monthly_wage: int | None
    from_push: bool = Field(description="Came from a push / 来自岗位推送")
    note: str | None
    created_at: datetime


class ServiceCreate(BaseModel):
    """One "311" service given: post recommendation, career guidance or training information."""

    model_config = ConfigDict(extra="forbid")

    kind: ServiceKind = Field(
        description="recommendation 岗位推荐 / guidance 职业指导 / training_info 培训信息"
    )
    provided_on: EventDay | None = Field(None, description="Default today / 服务日期")
    note: Note | None = None


class ServiceRead(BaseModel):
    """A service record."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    labourer_id: int
    kind: ServiceKind
    provided_on: date
    note: str | None
    recorded_at: datetime
