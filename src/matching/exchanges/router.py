"""三来三往 list exchanges: the origin sends a seeker list, the partner answers with posts, the
origin matches and pushes, both read what came of it."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from matching.auth.deps import RequireRoles, StaffOrAdmin
from matching.auth.models import Role
from matching.auth.principal import Principal
from matching.deps import IdPath, NowDep, SessionDep, SettingsDep, TodayDep
from matching.downloads import XLSX, attachment
from matching.errors import problem_responses
from matching.exchanges import service
from matching.exchanges.report import build_report, present, workbook
from matching.exchanges.schemas import (
    ExchangeAnswer,
    ExchangeCreate,
    ExchangePlanCreate,
    ExchangeRead,
    ExchangeReport,
)
from matching.matches.deps import ReadModelDep
from matching.planning import service as planning
from matching.planning.presenter import present_plan
from matching.planning.schemas import PlanRead
from matching.posts.schemas import BatchResult
from matching.regions.validation import canonical_region_code

router = APIRouter(
    prefix="/v1/exchanges", tags=["exchanges"], responses=problem_responses(401, 403)
)
Anyone = Annotated[Principal, Depends(RequireRoles(Role.admin, Role.staff, Role.agency))]
AgencyOrAdmin = Annotated[Principal, Depends(RequireRoles(Role.admin, Role.agency))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Send a seeker list to a partner agency / 发送求职清单",
    operation_id="create_exchange",
    responses=problem_responses(404, 409, 422),
)
def create_exchange(
    body: ExchangeCreate,
    session: SessionDep,
    principal: StaffOrAdmin,
    now: NowDep,
    response: Response,
) -> ExchangeRead:
    """The region's willing seekers whose relocation reaches the agency's province, counted now
    and sent anonymised: per trade, how many, wage expectations, age and sex bands."""
    exchange = service.create_exchange(
        session,
        region=canonical_region_code(body.region, field="region"),
        agency_id=body.agency_id,
        title=body.title,
        note=body.note,
        principal=principal,
        now=now,
    )
    response.headers["Location"] = f"/v1/exchanges/{exchange.id}"
    return present(session, exchange)


@router.get("", summary="List exchanges / 清单列表", operation_id="list_exchanges")
def list_exchanges(
    session: SessionDep, principal: Anyone, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[ExchangeRead]:
    """Newest first: staff see their regions' lists, an agency the lists sent to it."""
    return [present(session, e) for e in service.list_exchanges(session, principal, limit=limit)]


@router.get(
    "/{exchange_id:id}",
    summary="Read an exchange / 查看清单",
    operation_id="get_exchange",
    responses=problem_responses(404),
)
def get_exchange(exchange_id: IdPath, session: SessionDep, principal: Anyone) -> ExchangeRead:
    """The list's lines and its steps (sent, answered, matched, closed)."""
    return present(session, service.get_exchange(session, exchange_id, principal))


@router.post(
    "/{exchange_id:id}/posts",
    summary="Answer a seeker list with posts / 提供岗位供给清单",
    operation_id="answer_exchange",
    responses=problem_responses(404, 409, 422),
)
def answer_exchange(
    exchange_id: IdPath,
    body: ExchangeAnswer,
    session: SessionDep,
    principal: AgencyOrAdmin,
    today: TodayDep,
    now: NowDep,
) -> BatchResult:
    """Posts as in `POST /v1/posts/batch` (upsert by external id, per-item results), each with
    the line it answers (`exchange_line`, optional); they join the partner's posts and the list."""
    exchange = service.get_exchange(session, exchange_id, principal)
    return service.answer(session, exchange, body.items, principal=principal, today=today, now=now)


@router.post(
    "/{exchange_id:id}/plan",
    status_code=status.HTTP_201_CREATED,
    summary="Match the list with the posts offered / 按清单匹配岗位",
    operation_id="plan_exchange",
    responses=problem_responses(404, 409, 422),
)
def plan_exchange(
    exchange_id: IdPath,
    body: ExchangePlanCreate,
    session: SessionDep,
    settings: SettingsDep,
    principal: StaffOrAdmin,
    indexes: ReadModelDep,
    now: NowDep,
    response: Response,
) -> PlanRead:
    """A draft plan of the list's labourers and the exchange's open posts only; commit it with
    `POST /v1/plans/{id}/commit` (its pushes carry the exchange, which becomes matched)."""
    exchange = service.get_exchange(session, exchange_id, principal)
    service.check_origin(exchange, principal)
    restriction = service.restriction(session, exchange, now)
    params = planning.PlanParams(
        pushes_per_labourer=body.pushes_per_labourer,
        pushes_per_opening=5,
        candidates_per_labourer=10,
        coverage=None,
        min_probability=0.0,
        channel=body.channel,
        month=body.month,
    )
    plan = planning.build_plan(
        session,
        indexes,
        region=exchange.origin_region,
        params=params,
        principal=principal,
        now=now,
        rules=planning.rules_from(settings),
        restriction=restriction,
    )
    response.headers["Location"] = f"/v1/plans/{plan.id}"
    return present_plan(session, indexes, plan, after=0, limit=200)


@router.post(
    "/{exchange_id:id}/close",
    summary="Close an exchange / 结束清单",
    operation_id="close_exchange",
    responses=problem_responses(404, 409),
)
def close_exchange(
    exchange_id: IdPath, session: SessionDep, principal: StaffOrAdmin, now: NowDep
) -> ExchangeRead:
    """No more posts or plans on it; its report stays."""
    exchange = service.get_exchange(session, exchange_id, principal)
    service.check_origin(exchange, principal)
    return present(session, service.close(session, exchange, now))


@router.get(
    "/{exchange_id:id}/report",
    summary="What came of an exchange / 清单执行情况",
    operation_id="exchange_report",
    responses=problem_responses(404),
)
def exchange_report(exchange_id: IdPath, session: SessionDep, principal: Anyone) -> ExchangeReport:
    """Per line: asked, posts and openings offered, pushes by outcome, hires. The origin also
    sees who was on the list and how each fared; the partner sees counts only."""
    exchange = service.get_exchange(session, exchange_id, principal)
    return build_report(session, exchange, anonymised=principal.role == Role.agency)


@router.get(
    "/{exchange_id:id}/report.xlsx",
    summary="What came of an exchange, as Excel / 导出清单执行情况",
    operation_id="exchange_report_xlsx",
    response_class=Response,
    responses={
        200: {"content": {XLSX: {}}, "description": "Excel workbook"},
        **problem_responses(404),
    },
)
def exchange_report_xlsx(
    exchange_id: IdPath, request: Request, session: SessionDep, principal: Anyone
) -> Response:
    """The same report as a workbook: 清单与结果, and for the origin 名单."""
    exchange = service.get_exchange(session, exchange_id, principal)
    report = build_report(session, exchange, anonymised=principal.role == Role.agency)
    return attachment(request, workbook(report), XLSX, f"exchange-{exchange.id}.xlsx")
