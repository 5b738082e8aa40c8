"""Labourer request and response bodies."""

from datetime import date, datetime
from typing import Annotated

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

from matching.labourers.models import (
    Education,
    EmploymentStatus,
    LabourAbility,
    PovertyStatus,
    Relocation,
    Sex,
    SkillLevel,
)
from matching.schemas import BirthDay, Day, EventDay, not_null
from matching.skills.schemas import TermResolution

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Term = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class SkillInput(BaseModel):
    """A skill as a clerk writes it: free text or a taxonomy id, normalised on write."""

    model_config = ConfigDict(extra="forbid")

    term: Term = Field(description="Free text or taxonomy id, e.g. 电焊 or S0001 / 技能")
    level: SkillLevel = Field(SkillLevel.none, description="Skill level / 技能等级")
    certificate: str | None = Field(None, max_length=100, description="Certificate held / 证书")


class _LabourerFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    residence_region: str | None = Field(None, description="Current residence code / 现居住地")
    household_id: str | None = Field(None, max_length=40, description="建档立卡户编号")
    poverty_status: PovertyStatus = Field(PovertyStatus.registered, description="贫困状态")
    labour_ability: LabourAbility = Field(LabourAbility.full, description="劳动能力")
    wants_work: StrictBool = Field(True, description="就业意愿")
    relocation: Relocation = Field(Relocation.county, description="外出意愿 (how far)")
    education: Education | None = Field(None, description="文化程度")
    expected_wage: StrictInt | None = Field(None, ge=0, le=100_000, description="期望月薪 (元/月)")
    preferred_occupations: list[Term] = Field(
        default_factory=list, max_length=10, description="意向工种 (free text or ids)"
    )
    skills: list[SkillInput] = Field(default_factory=list, max_length=30, description="技能")
    sanwu: StrictBool = Field(False, description="三无: 无法离乡、无业可扶、无力脱贫")
    lianghousheng: StrictBool = Field(False, description="两后生")
    disabled: StrictBool = Field(False, description="残疾")


class LabourerCreate(_LabourerFields):
    """A labourer to register; with an ID number, sex and birth date come from it."""

    name: Name = Field(description="姓名")
    id_number: str | None = Field(None, max_length=32, description="18-digit ID number / 身份证号")
    phone: str | None = Field(None, max_length=32, description="联系电话")
    hukou_region: str = Field(
        description="户籍地 GB/T 2260 code (county to village); a code no longer in use with a "
        "single successor (432302) is accepted, kept as recorded and placed under its successor"
    )
    sex: Sex | None = Field(None, description="Only without an ID number / 性别")
    birth_date: BirthDay | None = Field(None, description="Only without an ID number / 出生日期")
    employment_status: EmploymentStatus = Field(
        EmploymentStatus.unemployed, description="就业状态 at registration"
    )
    status_effective_from: Day | None = Field(
        None,
        description="The day the current employment status began (状态起始日期), not after "
        "today; default today. A labourer unemployed since before the 1st counts in this "
        "month's U; one registered with a later day is a new seeker of the month.",
    )


class LabourerUpdate(BaseModel):
    """Fields to change; anything left out stays as it is."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    name: Name | SkipJsonSchema[None] = None
    id_number: str | None = Field(None, max_length=32)
    phone: str | None = Field(None, max_length=32)
    hukou_region: str | SkipJsonSchema[None] = None
    residence_region: str | None = None
    household_id: str | None = Field(None, max_length=40)
    poverty_status: PovertyStatus | SkipJsonSchema[None] = None
    labour_ability: LabourAbility | SkipJsonSchema[None] = None
    wants_work: StrictBool | SkipJsonSchema[None] = None
    relocation: Relocation | SkipJsonSchema[None] = None
    education: Education | None = None
    expected_wage: StrictInt | None = Field(None, ge=0, le=100_000)
    preferred_occupations: list[Term] | SkipJsonSchema[None] = Field(None, max_length=10)
    skills: list[SkillInput] | SkipJsonSchema[None] = Field(None, max_length=30)
    sanwu: StrictBool | SkipJsonSchema[None] = None
    lianghousheng: StrictBool | SkipJsonSchema[None] = None
    disabled: StrictBool | SkipJsonSchema[None] = None

    _not_null = field_validator(
        "name",
        "hukou_region",
        "poverty_status",
        "labour_ability",
        "wants_work",
        "relocation",
        "preferred_occupations",
        "skills",
        "sanwu",
        "lianghousheng",
        "disabled",
        mode="before",
    )(not_null)

    @model_validator(mode="after")
    def _not_empty(self) -> "LabourerUpdate":
        if not self.model_fields_set:
            raise ValueError("give at least one field to change / 请至少填写一个要修改的字段")
        return self


class SkillRead(BaseModel):
    """A labourer's skill, resolved to the taxonomy."""

    skill_id: str
    name: str
    level: SkillLevel
    certificate: str | None


class LabourerRead(BaseModel):
    """A labourer; ID number and phone masked unless revealed (and audited)."""

    id: int
    name: str
    id_number: str | None = Field(description="Masked, e.g. 4309**********1234, unless revealed")
    phone: str | None
    sex: Sex | None
    birth_date: date | None = Field(
        description="Only with reveal=true (audited): with the hukou region and the masked ID "
        "number's last four, it would rebuild the ID number / 出生日期，仅在查看完整信息时显示"
    )
    birth_year: int | None = Field(description="出生年份")
    age: int | None
    hukou_region: str = Field(description="The current code (a former one's successor)")
    hukou_region_name: str
    hukou_region_recorded: str | None = Field(
        default=None,
        description="The former code the hukou was recorded under, if any / 登记时的历史代码",
    )
    hukou_region_recorded_name: str | None = Field(
        default=None, description="e.g. 沅江市（1988–1993年）"
    )
    residence_region: str | None
    household_id: str | None
    poverty_status: PovertyStatus
    labour_ability: LabourAbility
    wants_work: bool
    relocation: Relocation
    education: Education | None
    expected_wage: int | None
    preferred_occupations: list[str]
    skills: list[SkillRead]
    unresolved_skills: list[str]
    sanwu: bool
    lianghousheng: bool
    disabled: bool
    employment_status: EmploymentStatus
    status_since: date
    app_linked_at: datetime | None = Field(
        description="Enrolled in the mobile app since; null when not (the app key cannot act "
        "for this labourer) / 绑定应用时间"
    )
    merged_into_id: int | None = Field(
        default=None,
        description="Set on a record merged into another (one person, two records): read-only, "
        "never counted or matched / 已合并至",
    )
    created_at: datetime
    updated_at: datetime


class LabourerWritten(LabourerRead):
    """A labourer just written, with how its free-text terms were read."""

    resolutions: list[TermResolution]


class LabourerPage(BaseModel):
    """One page of labourers."""

    items: list[LabourerRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end")


class StatusChange(BaseModel):
    """A new employment status from a date on."""

    model_config = ConfigDict(extra="forbid")

    status: EmploymentStatus
    effective_from: EventDay = Field(description="The day the status starts / 生效日期")
    note: str | None = Field(None, max_length=200)


class StatusRead(BaseModel):
    """An employment status period."""

    model_config = ConfigDict(from_attributes=True)

    status: EmploymentStatus
    effective_from: date
    note: str | None
    recorded_at: datetime


class StatusAsOf(BaseModel):
    """The status in force on a date."""

    as_of: date
    status: EmploymentStatus | None = Field(description="null before the first recorded status")
    effective_from: date | None


class DuplicateCandidate(BaseModel):
    """A labourer in a near-duplicate group."""

    id: int
    name: str
    id_number: str | None
    hukou_region: str


class DuplicateGroup(BaseModel):
    """Records that may be one person: same birth date and village, similar names (the date
    itself is not shown: with the village and the masked ID numbers it would rebuild them)."""

    birth_year: int
    hukou_region: str
    similarity: float
    labourers: list[DuplicateCandidate]


class AppLink(BaseModel):
    """Whether a labourer is enrolled in the mobile app."""

    labourer_id: int
    linked: bool = Field(description="The app key may act for this labourer / 已绑定应用")
    linked_at: datetime | None = Field(description="Since when; null when not linked")


class AppEnrolment(BaseModel):
    """A labourer enrolling through the app proves who they are with ID number and phone."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"id_number": "430981199003150011", "phone": "13812345678"}]
        },
    )

    id_number: str = Field(min_length=15, max_length=32, description="身份证号")
    phone: str = Field(min_length=5, max_length=32, description="登记的联系电话")


class MergeRequest(BaseModel):
    """Which record to merge into the one named in the path (the survivor)."""

    model_config = ConfigDict(extra="forbid")

    duplicate_id: StrictInt = Field(
        ge=1, le=2_147_483_647, description="The other record of the same person / 重复记录"
    )


class MergeRead(BaseModel):
    """The survivor after the merge, and what moved to it."""

    survivor: "LabourerRead"
    merged_id: int
    moved: dict[str, int] = Field(
        description="status_periods, pushes, employments, services moved to the survivor"
    )
    left_on_merged: dict[str, int] = Field(
        description="Status periods of a day and pushes of a post and month the survivor had "
        "already: kept on the merged record / 保留在被合并记录上"
    )
    filled: list[str] = Field(
        description="Identifiers the survivor lacked, taken from the duplicate / 补全的信息"
    )
