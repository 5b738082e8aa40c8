"""Region endpoints (行政区划)."""

from typing import Annotated

from fastapi import APIRouter, Query

from matching.auth.deps import AnyRole
from matching.errors import NotFound, problem_responses
from matching.regions.registry import Region, get_registry
from matching.regions.schemas import RegionBrief, RegionMatch, RegionRead

router = APIRouter(prefix="/v1/regions", tags=["regions"], responses=problem_responses(401, 403))


def _brief(region: Region) -> RegionBrief:
    return RegionBrief(code=region.code, name=region.name, level=str(region.level.value))


def _full_name(code: str) -> str:
    return "".join(r.name for r in get_registry().chain(code))


@router.get(
    "",
    summary="Search regions by name / 按名称查找区划",
    operation_id="search_regions",
    responses=problem_responses(422),
)
def search_regions(
    _: AnyRole,
    q: Annotated[str, Query(min_length=1, max_length=50, description="e.g. 沅江, 琼湖街道")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[RegionMatch]:
    """Fuzzy search by Chinese name; exact and prefix matches first."""
    hits = get_registry().search(q, limit=limit)
    return [
        RegionMatch(**_brief(r).model_dump(), full_name=_full_name(r.code), score=round(s, 3))
        for r, s in hits
    ]


@router.get(
    "/{code}",
    summary="Read a region / 查看区划",
    operation_id="get_region",
    responses=problem_responses(404),
)
def get_region(code: str, _: AnyRole) -> RegionRead:
    """Name, level, parent chain and children of a GB/T 2260 code (padded forms accepted)."""
    registry = get_registry()
    canonical = registry.normalise(code)
    region = registry.get(canonical) if canonical else None
    if canonical is None or region is None:
        raise NotFound(f"No region with code {code!r} / 未知的行政区划代码")
    chain = registry.chain(canonical)
    seat = registry.seat(canonical) if len(canonical) >= 2 else None
    return RegionRead(
        **_brief(region).model_dump(),
        full_name="".join(r.name for r in chain),
        parents=[_brief(r) for r in chain[:-1]],
        children=[_brief(r) for r in registry.children(canonical)],
        seat=seat,
    )
