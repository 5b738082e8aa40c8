"""Bodies of the list exchange operations."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from matching.exchanges.models import ExchangeState
from matching.pushes.models import Channel
from matching.schemas import MONTH_PATTERN


class ExchangeCreate(BaseModel):
    """A seeker list to send: whose seekers, to which partner agency."""

    model_config = ConfigDict(extra="forbid")

    region: str = Field(min_length=2, max_length=12, description="Origin region / 输出地区划")
    agency_id: StrictInt = Field(ge=1, le=2_147_483_647, description="Partner agency / 合作机构")
    title: str | None = Field(None, max_length=200, description="清单名称")
    note: str | None = Field(None, max_length=500, description="备注")


class LineRead(BaseModel):
    """One trade of the seeker list, anonymised: counts, bands and a wage range."""

    model_config = ConfigDict(from_attributes=True)

    line_no: int
    occupation_id: str | None = Field(description="Taxonomy id; none: no trade (普工)")
    trade: str
    count: int
    wage_median: int | None = Field(description="Expected monthly wage, median (元)")
    wage_min: int | None
    wage_max: int | None
    age_bands: dict[str, int]
    sexes: dict[str, int]
    housing_needed: int = Field(description="Seekers who would need housing (moving province)")
    available_from: date


class ExchangeRead(BaseModel):
    """A list exchange and its steps."""

    id: int
    origin_region: str
    origin_name: str
    agency_id: int
    title: str
    note: str | None
    state: ExchangeState
    sent_on: date
    sent_at: datetime
    answered_at: datetime | None
    matched_at: datetime | None
    closed_at: datetime | None
    seekers: int = Field(description="Labourers the list counted / 清单人数")
    lines: list[LineRead]


class AnswerItem(BaseModel):
    """Only the line it answers: the rest of the item is a post as in POST /v1/posts/batch."""

    model_config = ConfigDict(extra="allow")

    exchange_line: StrictInt | None = Field(None, ge=1, description="The list's line answered")


class ExchangeAnswer(BaseModel):
    """The partner's post supply list (岗位供给清单): posts as in POST /v1/posts/batch, each
    optionally naming the line of the seeker list it answers."""

    model_config = ConfigDict(extra="forbid")

    items: list[dict[str, Any]] = Field(min_length=1, max_length=1_000)


class ExchangePlanCreate(BaseModel):
    """A plan of the list's seekers and the posts answering it (the planner's other settings
    are the policy's defaults, as for POST /v1/plans)."""

    model_config = ConfigDict(extra="forbid")

    month: str | None = Field(None, pattern=MONTH_PATTERN, description="YYYY-MM, as for a plan")
    pushes_per_labourer: StrictInt = Field(3, ge=1, le=20, description="c: pushes per labourer")
    channel: Channel = Field(Channel.app, description="Channel of the committed pushes")


class LineReport(BaseModel):
    """One line's outcome: asked, offered, pushed, answered, hired."""

    line_no: int | None = Field(description="None: posts that named no line")
    trade: str
    asked: int
    posts_offered: int
    openings_offered: int
    pushes: int
    outcomes: dict[str, int]
    hires: int


class MemberReport(BaseModel):
    """One labourer on the list (origin only)."""

    labourer_id: int
    name: str
    line_no: int
    pushes: int
    best_state: str | None
    hired: bool


class ExchangeReport(BaseModel):
    """What came of an exchange: in full for the origin, anonymised for the agency."""

    exchange: ExchangeRead
    anonymised: bool
    lines: list[LineReport]
    totals: LineReport
    members: list[MemberReport] | None = Field(description="Origin only / 仅输出地可见")
