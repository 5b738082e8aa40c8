"""Region bodies."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class RegionBrief(BaseModel):
    """A region's code, name and level."""

    code: str = Field(description="GB/T 2260 code at its own length (2/4/6/9 digits)")
    name: str = Field(description="名称")
    level: str = Field(description="province, prefecture, county, township or village")


class YearSpan(BaseModel):
    """Years a yearly list of codes carried a code, first and last inclusive."""

    first: int
    last: int


class FormerCode(RegionBrief):
    """A code no longer in use: the names it had and the years it was listed (1980–2024)."""

    names: list[str] = Field(description="Every name it was listed under, oldest first / 曾用名")
    years: list[YearSpan] = Field(description="使用年份")


class RegionRead(RegionBrief):
    """A region with its place in the hierarchy, or a code no longer in use and its successor."""

    in_use: bool = Field(
        description="False for a code no longer in use (e.g. 432302, until 1993) / 是否现行代码"
    )
    full_name: str = Field(description="e.g. 湖南省益阳市沅江市")
    parents: list[RegionBrief] = Field(description="Province first / 上级区划")
    children: list[RegionBrief] = Field(description="下级区划")
    seat: tuple[float, float] | None = Field(
        description="Lat, lon the service places the region at: a township's own seat where "
        "staff set one (township_seat), else the county seat; a former code's is its successor's"
    )
    township_seat: "TownshipSeatRead | None" = Field(
        default=None, description="The township's seat point as staff set it / 乡镇驻地坐标"
    )
    years: list[YearSpan] = Field(
        default_factory=list, description="A former code's years in use / 使用年份"
    )
    former_names: list[str] = Field(default_factory=list, description="A former code's names")
    successor: RegionBrief | None = Field(
        default=None,
        description="The current region a former code became, where the data names one "
        "(a hint: counties split and merged) / 现行对应区划",
    )
    former_codes: list[FormerCode] = Field(
        default_factory=list,
        description="Codes no longer in use that this region succeeds (an ID number or an old "
        "roster may carry them) / 历史代码",
    )


class TownshipSeatSet(BaseModel):
    """A township's seat point (乡镇政府驻地), WGS-84 / CGCS2000 degrees."""

    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=3, le=54, description="Latitude / 纬度")
    lon: float = Field(ge=73, le=136, description="Longitude / 经度")
    note: str | None = Field(
        None, max_length=200, description="Where the point was read from / 坐标来源"
    )


class TownshipSeatRead(TownshipSeatSet):
    """A township's seat point as set."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    set_at: datetime
    set_by_key_id: int | None


class RegionMatch(RegionBrief):
    """A search hit: a current region, or a code no longer in use found by a former name."""

    full_name: str
    score: float = Field(description="Match confidence in [0, 1]")
    in_use: bool = Field(description="False for a code no longer in use / 是否现行代码")
    years: list[YearSpan] = Field(default_factory=list, description="A former code's years")
    successor: RegionBrief | None = Field(
        default=None, description="The current region a former code became, if known"
    )


RegionRead.model_rebuild()  # township_seat refers to a model defined after it
