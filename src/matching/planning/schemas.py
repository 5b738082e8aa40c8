"""Plan request and response bodies."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from matching.pushes.models import Channel
from matching.pushes.schemas import ReasonItem


class PlanCreate(BaseModel):
    """A region's plan for the current month; the defaults are the policy's."""

    model_config = ConfigDict(extra="forbid")

    region: str = Field(description="Region code, any level / 区划代码")
    pushes_per_labourer: int = Field(3, ge=1, le=20, description="c: pushes per labourer a month")
    pushes_per_opening: int = Field(5, ge=1, le=100, description="m: pushes per opening left")
    candidates_per_labourer: int = Field(
        10, ge=1, le=50, description="Best posts per labourer the optimiser chooses from"
    )
    coverage: float = Field(0.5, gt=0, le=5, description="Pushes to make as a share of U")
    min_probability: float = Field(0.0, ge=0, le=1, description="Leave out weaker pairs")
    channel: Channel = Field(Channel.app, description="Channel of the committed pushes")


class PlanPost(BaseModel):
    """One proposed push."""

    post_id: int
    title: str
    employer: str
    workplace_region: str
    score: float
    probability: float = Field(description="Predicted success / 预计成功概率")
    reasons: list[ReasonItem]
    push_id: int | None = Field(None, description="The push written by the commit")


class PlanLabourer(BaseModel):
    """A labourer's proposed pushes."""

    labourer_id: int
    name: str
    posts: list[PlanPost]


class PlanRead(BaseModel):
    """A plan: its numbers, and a page of its labourers with their proposed posts."""

    id: int
    region: str
    region_name: str
    month: str
    status: str
    channel: str
    params: dict[str, Any]
    summary: dict[str, Any] = Field(
        description="U, pushes required and planned, expected push ratio, reach and hires, and "
        "the shortfall with numbers when 50% cannot be reached"
    )
    calibration: dict[str, Any] = Field(description="How scores became probabilities")
    created_at: datetime
    committed_at: datetime | None = None
    commit_result: dict[str, Any] | None = None
    labourers: list[PlanLabourer]
    next_cursor: str | None = None


class PlanBrief(BaseModel):
    """A plan in a list."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    region: str
    month: str
    status: str
    summary: dict[str, Any]
    created_at: datetime
    committed_at: datetime | None = None
