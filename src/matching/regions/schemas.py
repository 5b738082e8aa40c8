"""Region bodies."""

from pydantic import BaseModel, Field


class RegionBrief(BaseModel):
    """A region's code, name and level."""

    code: str = Field(description="GB/T 2260 code at its own length (2/4/6/9 digits)")
    name: str = Field(description="名称")
    level: str = Field(description="province, prefecture, county, township or village")


class RegionRead(RegionBrief):
    """A region with its place in the hierarchy."""

    full_name: str = Field(description="e.g. 湖南省益阳市沅江市")
    parents: list[RegionBrief] = Field(description="Province first / 上级区划")
    children: list[RegionBrief] = Field(description="下级区划")
    seat: tuple[float, float] | None = Field(description="Lat, lon of the (county) seat")


class RegionMatch(RegionBrief):
    """A search hit."""

    full_name: str
    score: float = Field(description="Match confidence in [0, 1]")
