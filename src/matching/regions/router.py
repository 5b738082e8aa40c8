"""Region endpoints (行政区划): current codes, and codes no longer in use with their successors."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import select

from matching.agencies.models import Agency
from matching.auth.deps import AnyRole, StaffOrAdmin
from matching.auth.principal import Principal
from matching.deps import SessionDep
from matching.errors import NotFound, problem_responses
from matching.regions import seats
from matching.regions.models import TownshipSeat
from matching.regions.registry import HistoricalCode, Region, RegionRegistry, get_registry
from matching.regions.schemas import (
    FormerCode,
    RegionBrief,
    RegionMatch,
    RegionRead,
    TownshipSeatRead,
    TownshipSeatSet,
    YearSpan,
)
from matching.scope import check_scope

router = APIRouter(prefix="/v1/regions", tags=["regions"], responses=problem_responses(401, 403))


def _brief(region: Region | HistoricalCode) -> RegionBrief:
    code = region.canonical_code if isinstance(region, HistoricalCode) else region.code
    return RegionBrief(code=code, name=region.name, level=str(region.level.value))


def _years(former: HistoricalCode) -> list[YearSpan]:
    return [YearSpan(first=a, last=b) for a, b in former.years]


def _former_code(former: HistoricalCode) -> FormerCode:
    return FormerCode(**_brief(former).model_dump(), names=list(former.names), years=_years(former))


def _home_province(session: SessionDep, principal: Principal) -> str | None:
    # Staff work in their regions' province; an agency in the province it belongs to.
    provinces = {scope[:2] for scope in principal.region_scopes}
    if len(provinces) == 1:
        return provinces.pop()
    if principal.agency_id is not None:
        return session.scalar(select(Agency.province_code).where(Agency.id == principal.agency_id))
    return None


def _match(registry: RegionRegistry, hit: Region | HistoricalCode, score: float) -> RegionMatch:
    if isinstance(hit, Region):
        return RegionMatch(
            **_brief(hit).model_dump(),
            full_name=registry.full_name(hit.code),
            score=score,
            in_use=True,
        )
    successor = registry.current_successor(hit)
    return RegionMatch(
        **_brief(hit).model_dump(),
        full_name=hit.name,
        score=score,
        in_use=False,
        years=_years(hit),
        successor=_brief(successor) if successor else None,
    )


@router.get(
    "",
    summary="Search regions by name / 按名称查找区划",
    operation_id="search_regions",
    responses=problem_responses(422),
)
def search_regions(
    principal: AnyRole,
    session: SessionDep,
    q: Annotated[
        str, Query(min_length=1, max_length=50, description="e.g. 沅江, 琼湖街道, 沅江县")
    ],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> list[RegionMatch]:
    """Search by Chinese name: exact names, short names (沅江) and former names (沅江县,
    益阳县) first, then full paths and prefixes, then close spellings. Within each the caller's
    own province comes first; once a match is confident, weak look-alikes are left out."""
    registry = get_registry()
    province = _home_province(session, principal)
    return [_match(registry, hit, s) for hit, s in registry.search(q, limit, province=province)]


@router.get(
    "/{code}",
    summary="Read a region / 查看区划",
    operation_id="get_region",
    responses=problem_responses(404),
)
def get_region(code: str, session: SessionDep, _: AnyRole) -> RegionRead:
    """Name, level, parent chain and children of a GB/T 2260 code (padded forms accepted), with
    the former codes it succeeds; a code no longer in use (432302) answers with its years and
    its current successor (430981). A township shows its seat point where staff set one."""
    registry = get_registry()
    canonical = registry.normalise(code)
    region = registry.get(canonical) if canonical else None
    if canonical is not None and region is not None:
        chain = registry.chain(canonical)
        own = session.get(TownshipSeat, canonical[:9]) if len(canonical) >= 9 else None
        return RegionRead(
            **_brief(region).model_dump(),
            in_use=True,
            full_name="".join(r.name for r in chain),
            parents=[_brief(r) for r in chain[:-1]],
            children=[_brief(r) for r in registry.children(canonical)],
            seat=(own.lat, own.lon) if own else registry.seat(canonical),
            township_seat=TownshipSeatRead.model_validate(own) if own else None,
            former_codes=[_former_code(f) for f in registry.former_codes(canonical)],
        )
    former = registry.former(code)
    if former is None:
        raise NotFound(f"No region with code {code!r} / 未知的行政区划代码")
    successor = registry.current_successor(former)
    return RegionRead(
        **_brief(former).model_dump(),
        in_use=False,
        full_name=former.name,
        parents=[],
        children=[],
        seat=registry.seat(successor.code) if successor else None,
        years=_years(former),
        former_names=list(former.names),
        successor=_brief(successor) if successor else None,
    )


@router.put(
    "/{code}/seat",
    summary="Set a township's seat point / 设置乡镇驻地坐标",
    operation_id="set_township_seat",
    responses=problem_responses(422),
)
def set_township_seat(
    code: str, body: TownshipSeatSet, session: SessionDep, principal: StaffOrAdmin
) -> TownshipSeatRead:
    """Where the township's seat (乡镇政府驻地) is: its labourers and the posts placed there are
    scored by the distance from it (「同县岗位，距离约 18 公里」) instead of all at the county
    seat. Within 100 km of the county seat; staff of the township's regions, or admin."""
    township = seats.township_code(code)
    check_scope(principal, township, "path.code")
    seat = seats.set_seat(session, township, body.lat, body.lon, body.note, principal.key_id)
    return TownshipSeatRead.model_validate(seat)


@router.delete(
    "/{code}/seat",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Clear a township's seat point / 清除乡镇驻地坐标",
    operation_id="clear_township_seat",
    responses=problem_responses(404, 422),
)
def clear_township_seat(code: str, session: SessionDep, principal: StaffOrAdmin) -> Response:
    """The township's people and posts go back to the county seat."""
    township = seats.township_code(code)
    check_scope(principal, township, "path.code")
    seats.clear_seat(session, township)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
