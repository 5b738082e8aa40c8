"""Post request and response bodies."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from matching.errors import FieldError
from matching.labourers.models import Education, SkillLevel
from matching.posts.models import PostSource, PostStatus, PostType, SexRequirement
from matching.schemas import Day, not_null
from matching.skills.schemas import TermResolution

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Term = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
MAX_WAGE = 200_000


class PostSkillInput(BaseModel):
    """A skill the post asks for: free text or a taxonomy id, normalised on write."""

    model_config = ConfigDict(extra="forbid")

    term: Term = Field(description="e.g. 叉车证, 电焊, S0001 / 技能要求")
    required: StrictBool = Field(True, description="Required, or only preferred / 必需")
    min_level: SkillLevel = Field(SkillLevel.none, description="Lowest level accepted")


class _PostFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    employer: Text = Field(description="Employer / 用工单位")
    post_type: PostType = Field(PostType.enterprise, description="岗位类型")
    title: Text = Field(description="Post title / 岗位名称")
    occupation: Term | None = Field(None, description="Occupation, free text or id / 工种")
    description: str | None = Field(None, max_length=4000, description="岗位描述")
    workplace_region: str = Field(description="Workplace GB/T 2260 code / 工作地点区划")
    workplace_lat: float | None = Field(
        None, ge=3, le=54, description="The workplace's own point (with workplace_lon), within "
        "100 km of its county seat (800 / 2,500 km of the seat for a post given as a prefecture "
        "/ province); else it is placed at its township's or county's seat / 纬度"
    )  # fmt: skip
    workplace_lon: float | None = Field(None, ge=73, le=136, description="经度")
    openings: StrictInt = Field(ge=1, le=100_000, description="Openings / 招聘人数")
    wage_min: StrictInt = Field(
        ge=0, le=MAX_WAGE, description="Monthly wage from (元/月) / 月薪下限"
    )
    wage_max: StrictInt = Field(ge=0, le=MAX_WAGE, description="Monthly wage to (元/月) / 月薪上限")
    housing: StrictBool = Field(False, description="包住")
    meals: StrictBool = Field(False, description="包吃")
    age_min: StrictInt | None = Field(None, ge=16, le=80, description="年龄下限")
    age_max: StrictInt | None = Field(None, ge=16, le=80, description="年龄上限")
    sex_requirement: SexRequirement = Field(
        SexRequirement.any, description="Kept as data and flagged (usually unlawful) / 性别要求"
    )
    education_min: Education | None = Field(None, description="最低学历")
    seasonal: StrictBool = Field(False, description="季节性岗位")
    min_duration_months: StrictInt | None = Field(None, ge=1, le=120, description="最短用工月数")
    valid_from: Day | None = Field(None, description="Default today / 有效期起")
    valid_until: Day | None = Field(None, description="有效期止")
    required_skills: list[PostSkillInput] = Field(default_factory=list, max_length=20)
    contact_phone: str | None = Field(None, max_length=20, description="招聘联系电话")

    @model_validator(mode="after")
    def _ranges(self) -> "_PostFields":
        if self.wage_min > self.wage_max:
            raise ValueError("wage_min must not exceed wage_max / 最低工资不能高于最高工资")
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError("age_min must not exceed age_max / 最低年龄不能高于最高年龄")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError("valid_until must not be before valid_from / 截止日期不能早于开始日期")
        if (self.workplace_lat is None) != (self.workplace_lon is None):
            raise ValueError("workplace_lat and workplace_lon go together / 经纬度须同时填写")
        return self


class PostCreate(_PostFields):
    """A post to publish."""

    external_id: str | None = Field(
        None, min_length=1, max_length=100, description="The agency's own id (upsert key)"
    )


class PostUpdate(BaseModel):
    """Fields to change; anything left out stays."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    employer: Text | SkipJsonSchema[None] = None
    post_type: PostType | SkipJsonSchema[None] = None
    title: Text | SkipJsonSchema[None] = None
    occupation: Term | None = None
    description: str | None = Field(None, max_length=4000)
    workplace_region: str | SkipJsonSchema[None] = None
    workplace_lat: float | None = Field(None, ge=3, le=54)
    workplace_lon: float | None = Field(None, ge=73, le=136)
    openings: StrictInt | SkipJsonSchema[None] = Field(None, ge=1, le=100_000)
    wage_min: StrictInt | SkipJsonSchema[None] = Field(None, ge=0, le=MAX_WAGE)
    wage_max: StrictInt | SkipJsonSchema[None] = Field(None, ge=0, le=MAX_WAGE)
    housing: StrictBool | SkipJsonSchema[None] = None
    meals: StrictBool | SkipJsonSchema[None] = None
    age_min: StrictInt | None = Field(None, ge=16, le=80)
    age_max: StrictInt | None = Field(None, ge=16, le=80)
    sex_requirement: SexRequirement | SkipJsonSchema[None] = None
    education_min: Education | None = None
    seasonal: StrictBool | SkipJsonSchema[None] = None
    min_duration_months: StrictInt | None = Field(None, ge=1, le=120)
    valid_from: Day | SkipJsonSchema[None] = None
    valid_until: Day | None = None
    required_skills: list[PostSkillInput] | SkipJsonSchema[None] = Field(None, max_length=20)
    contact_phone: str | None = Field(None, max_length=20)

    _not_null = field_validator(
        "employer",
        "post_type",
        "title",
        "workplace_region",
        "openings",
        "wage_min",
        "wage_max",
        "housing",
        "meals",
        "sex_requirement",
        "seasonal",
        "valid_from",
        "required_skills",
        mode="before",
    )(not_null)

    @model_validator(mode="after")
    def _not_empty(self) -> "PostUpdate":
        if not self.model_fields_set:
            raise ValueError("give at least one field to change / 请至少填写一个要修改的字段")
        return self


class PostSkillRead(BaseModel):
    """A skill the post asks for."""

    skill_id: str
    name: str
    required: bool
    min_level: SkillLevel


class PostRead(BaseModel):
    """A post."""

    id: int
    source: PostSource
    agency_id: int | None
    external_id: str | None
    employer: str
    post_type: PostType
    title: str
    occupation_id: str | None
    occupation_name: str | None
    description: str | None
    workplace_region: str
    workplace_region_name: str
    workplace_lat: float | None = Field(None, description="The workplace's own point, if given")
    workplace_lon: float | None = None
    openings: int
    openings_left: int
    wage_min: int
    wage_max: int
    housing: bool
    meals: bool
    age_min: int | None
    age_max: int | None
    sex_requirement: SexRequirement
    education_min: Education | None
    seasonal: bool
    min_duration_months: int | None
    valid_from: date
    valid_until: date | None
    status: PostStatus
    required_skills: list[PostSkillRead]
    unresolved_skills: list[str]
    contact_phone: str | None
    flags: list[str] = Field(description="e.g. sex_requirement: flagged for review / 提示")
    created_at: datetime
    updated_at: datetime


class PostWritten(PostRead):
    """A post just written, with how its free-text terms were read and look-alikes."""

    resolutions: list[TermResolution]
    near_duplicates: list[int] = Field(
        description="Near-identical posts the caller may read, from any source / 疑似重复岗位"
    )


class PostPage(BaseModel):
    """One page of posts."""

    items: list[PostRead]
    next_cursor: str | None


class PostBatchItem(PostCreate):
    """One item of a batch: a PostCreate whose `external_id` is required (the upsert key)."""

    external_id: str = Field(
        min_length=1, max_length=100, description="The agency's own id (upsert key) / 机构岗位编号"
    )


class PostBatch(BaseModel):
    """Up to 1,000 posts from one agency; each item is a PostCreate with `external_id`."""

    model_config = ConfigDict(extra="forbid")

    items: list[dict[str, Any]] = Field(
        min_length=1, max_length=1000, description="Each item: a PostCreate with external_id"
    )


class BatchItemResult(BaseModel):
    """What became of one item."""

    index: int
    external_id: str | None
    result: Literal["created", "updated", "unchanged", "rejected"]
    post_id: int | None = None
    errors: list[FieldError] | None = None
    near_duplicates: list[int] = Field(default_factory=list)


class BatchResult(BaseModel):
    """Per-item results and counts."""

    counts: dict[str, int]
    items: list[BatchItemResult]


class DuplicatePostGroup(BaseModel):
    """Near-identical posts: from different sources, or entered twice by one."""

    fingerprint: str
    post_ids: list[int]
    sources: list[str]
    same_source: bool = Field(
        description="All from one source (two clerks, or one agency, entering one vacancy "
        "twice) / 同一来源重复录入"
    )
