"""Agency bodies."""

from datetime import datetime

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field


class AgencyCreate(BaseModel):
    """A partner agency to register."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="Agency name / 机构名称")
    province_code: str = Field(
        min_length=2,
        max_length=6,
        description="Its province, GB/T 2260 (e.g. 44 or 440000) / 所在省",
    )
    callback_url: AnyHttpUrl | None = Field(None, description="Where outcome notices go / 回调地址")


class AgencyRead(BaseModel):
    """A partner agency."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    province_code: str
    callback_url: str | None
    created_at: datetime
