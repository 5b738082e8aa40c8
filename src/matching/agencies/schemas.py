"""Agency bodies."""

from datetime import datetime

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from matching.kit.phone import InvalidPhone, normalise_phone
from matching.webhooks.models import NoticeType

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class AgencyCreate(BaseModel):
    """A partner agency to register."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="Agency name / 机构名称")
    province_code: str = Field(
        min_length=2,
        max_length=6,
        description="Its province, GB/T 2260 (e.g. 44 or 440000) / 所在省",
    )
    callback_url: AnyHttpUrl | None = Field(
        None, max_length=500, description="Where outcome notices go / 回调地址"
    )


class AgencyUpdate(BaseModel):
    """What an agency keeps up to date itself: its contact and its callback address. Fields
    left out stay as they are; null clears one."""

    model_config = ConfigDict(extra="forbid")

    contact_name: str | None = Field(None, min_length=1, max_length=100, description="联系人")
    contact_phone: str | None = Field(
        None, max_length=20, description="联系电话 (mobile or landline)"
    )
    contact_email: str | None = Field(None, max_length=200, pattern=EMAIL, description="电子邮箱")
    callback_url: AnyHttpUrl | None = Field(
        None, max_length=500, description="Where outcome notices go (webhooks) / 回调地址"
    )
    webhook_events: list[NoticeType] | None = Field(
        None,
        max_length=len(NoticeType),
        description="The notices to send (null: every type; []: none) / 接收的通知类型",
    )

    @field_validator("contact_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalise_phone(value)
        except InvalidPhone as exc:
            raise ValueError(str(exc)) from None


class AgencySuspension(BaseModel):
    """Why an agency is suspended (kept with the agency and shown to its callers)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500, description="暂停原因")


class AgencyRead(BaseModel):
    """A partner agency."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    province_code: str
    callback_url: str | None
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None
    created_at: datetime
    updated_at: datetime | None
    suspended: bool = Field(description="Keys refused and posts not matched / 已暂停")
    suspended_at: datetime | None
    suspended_reason: str | None
    webhook_events: list[str] | None = Field(description="Notices sent (null: every type)")
    webhook_failing_since: datetime | None = Field(
        description="Since when a notice has gone undelivered after a day of retries"
    )
