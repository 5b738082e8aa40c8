"""API key request and response bodies."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from matching.auth.models import Role
from matching.schemas import Day


class ApiKeyCreate(BaseModel):
    """A key to mint."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="Who holds the key / 持有人")
    role: Role = Field(description="admin, staff, agency or app / 角色")
    region_scopes: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Staff only: GB/T 2260 region codes the key reaches (by prefix) / 管辖区划",
    )
    agency_id: StrictInt | None = Field(
        None, ge=1, le=2_147_483_647, description="Agency only: the agency the key acts for"
    )
    expires_on: Day | None = Field(
        None, description="The last day (China time) the key works; none: until revoked / 有效期至"
    )


class ApiKeyRead(BaseModel):
    """A key as listed: never the secret."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str = Field(description="First characters of the key, to recognise it")
    role: Role
    region_scopes: list[str]
    agency_id: int | None
    created_at: datetime
    revoked_at: datetime | None
    expires_on: date | None = Field(description="The last day the key works (China time)")


class ApiKeyCreated(ApiKeyRead):
    """A freshly minted key: the secret is shown this once only."""

    key: str = Field(description="The secret; store it now, it cannot be shown again / 仅显示一次")
