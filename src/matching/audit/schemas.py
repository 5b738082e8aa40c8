"""The audit log as admin reads it."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from matching.audit.trail import AuditAction


class AuditEntryRead(BaseModel):
    """One entry: which key did what to which labourer, naming fields (never their values)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime = Field(description="When (UTC) / 时间")
    key_id: int | None = Field(description="The API key that acted; null for the command line")
    action: AuditAction = Field(description="What was done / 操作")
    labourer_id: int | None
    fields: list[str] = Field(description="Fields read unmasked or written / 涉及字段")
    request_id: str | None = Field(description="The request's X-Request-ID / 请求编号")


class AuditPage(BaseModel):
    """A page of the audit log, newest first."""

    items: list[AuditEntryRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end")
