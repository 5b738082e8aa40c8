"""Bodies of an agency's webhook operations."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from matching.webhooks.models import MessageState


class SecretRequest(BaseModel):
    """How long the secrets before the new one keep signing beside it."""

    model_config = ConfigDict(extra="forbid")

    overlap_hours: StrictInt = Field(
        24, ge=0, le=168, description="Hours the previous secret still signs / 旧密钥并行签名小时数"
    )


class SecretIssued(BaseModel):
    """A new signing secret: shown this once, keep it where the receiver verifies."""

    secret: str = Field(description="whsec_… (Standard Webhooks) / 签名密钥，仅显示一次")
    created_at: datetime
    previous_valid_until: datetime | None = Field(
        description="When the secrets before this one stop signing (none: there were none)"
    )


class AttemptRead(BaseModel):
    """One try at delivering a notice."""

    model_config = ConfigDict(from_attributes=True)

    attempted_at: datetime
    status_code: int | None = Field(description="The receiver's answer (none: no answer)")
    error: str | None
    duration_ms: int


class MessageRead(BaseModel):
    """A notice to the agency and what became of it."""

    id: str = Field(description="webhook-id: the same on every attempt / 通知编号")
    type: str
    created_at: datetime = Field(description="When the change it tells of happened")
    state: MessageState
    attempts: list[AttemptRead]
    next_attempt_at: datetime | None = Field(description="The next retry (pending only)")
    delivered_at: datetime | None
    body: str = Field(description="The exact JSON body sent / 通知内容")


class MessagePage(BaseModel):
    """A page of notices, newest first."""

    items: list[MessageRead]
    next_cursor: str | None = None
