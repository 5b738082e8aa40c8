"""Push request and response bodies."""

from datetime import date, datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    model_validator,
)

from matching.deps import MAX_ID
from matching.pushes.models import Channel, PushedBy, PushState
from matching.schemas import EventDay, ReasonRead

RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
MAX_PAIRS = 500


class PushCreate(BaseModel):
    """One post to many labourers, or many posts to one labourer."""

    model_config = ConfigDict(extra="forbid")

    post_ids: list[RecordId] = Field(min_length=1, max_length=MAX_PAIRS, description="岗位 ids")
    labourer_ids: list[RecordId] = Field(
        min_length=1, max_length=MAX_PAIRS, description="劳动力 ids"
    )
    channel: Channel = Field(description="推送渠道")
    note: Note | None = Field(None, description="备注")

    @model_validator(mode="after")
    def _one_side_single(self) -> "PushCreate":
        if len(self.post_ids) > 1 and len(self.labourer_ids) > 1:
            raise ValueError(
                "push one post to many labourers or many posts to one labourer: one of post_ids "
                "and labourer_ids must hold a single id / 一岗多人或一人多岗"
            )
        return self


class EventRead(BaseModel):
    """One step of the outcome timeline."""

    state: PushState
    occurred_at: datetime
    recorded_at: datetime
    note: str | None = None


class PostBrief(BaseModel):
    """What a labourer's inbox shows of the post."""

    id: int
    title: str
    employer: str
    workplace_region: str
    wage_min: int
    wage_max: int
    status: str


class PushRead(BaseModel):
    """A push with its score at push time and its outcome timeline."""

    id: int
    labourer_id: int
    post_id: int
    month: str = Field(description="YYYY-MM (China time)")
    pushed_on: date
    pushed_at: datetime
    channel: Channel
    pushed_by: PushedBy
    plan_id: int | None = None
    score: float | None = Field(None, description="Score at push time / 推送时匹配分")
    breakdown: dict[str, float] = Field(default_factory=dict)
    reasons: list[ReasonRead] = Field(default_factory=list, description="of the score at push time")
    state: PushState
    state_at: datetime
    hired_on: date | None = None
    attribution_until: date = Field(description="A hire by this day counts as a success")
    note: str | None = None
    post: PostBrief | None = None
    events: list[EventRead] = Field(default_factory=list)


class PushWritten(PushRead):
    """A push asked for: `created` is false when the pair was pushed already this month."""

    created: bool


class PushBatchResult(BaseModel):
    """Every pair asked for, created or answered with the month's existing push."""

    created: int
    existing: int
    items: list[PushWritten]


class PushPage(BaseModel):
    """A page of pushes, newest first."""

    items: list[PushRead]
    next_cursor: str | None = None


class HireDetails(BaseModel):
    """The job a hire starts; defaults come from the post."""

    model_config = ConfigDict(extra="forbid")

    start_date: EventDay | None = Field(None, description="Default: the event's day / 入职日期")
    monthly_wage: StrictInt | None = Field(None, ge=0, le=200_000, description="Default: wage_min")


class EventCreate(BaseModel):
    """The next step of a push's outcome."""

    model_config = ConfigDict(extra="forbid")

    state: PushState = Field(description="The new state / 新状态")
    occurred_at: datetime | None = Field(None, description="Default: now / 发生时间")
    note: Note | None = None
    hire: HireDetails | None = Field(None, description="Only with state=hired")

    @model_validator(mode="after")
    def _hire_only_when_hired(self) -> "EventCreate":
        if self.state == PushState.pushed:
            raise ValueError(
                "'pushed' is where every push starts; it cannot be recorded / 推送状态无需记录"
            )
        if self.hire is not None and self.state != PushState.hired:
            raise ValueError("hire details go with state=hired only / 仅录用时填写录用信息")
        return self
