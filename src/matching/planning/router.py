"""Monthly push plan endpoints (月度推送计划)."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from matching.auth.deps import Bulk, StaffOrAdmin
from matching.deps import IdPath, NowDep, SessionDep, SettingsDep
from matching.errors import problem_responses
from matching.matches.deps import ReadModelDep
from matching.pagination import decode_cursor
from matching.planning import service
from matching.planning.presenter import present_plan
from matching.planning.schemas import (
    PlanBrief,
    PlanCreate,
    PlanRead,
)
from matching.regions.validation import canonical_region_code
from matching.schemas import MONTH_PATTERN

router = APIRouter(tags=["plans"], responses=problem_responses(401, 403))
PageSize = Annotated[int, Query(ge=1, le=200, description="Labourers per page")]
Cursor = Annotated[str | None, Query(max_length=100)]


@router.post(
    "/v1/plans",
    status_code=status.HTTP_201_CREATED,
    summary="Plan a month's pushes / 生成月度推送计划",
    operation_id="create_plan",
    dependencies=[Bulk],
    responses=problem_responses(422),
)
def create_plan(
    body: PlanCreate,
    session: SessionDep,
    principal: StaffOrAdmin,
    settings: SettingsDep,
    indexes: ReadModelDep,
    now: NowDep,
    response: Response,
    limit: PageSize = 50,
) -> PlanRead:
    """Plan this month (or, in its last days, the next) for a region: U (unemployed, able
    and willing on the 1st) plus the month's new seekers. The plan makes at least coverage × U
    pushes (default 50%) reaching as many distinct labourers as possible, then adds a push only
    while the expected success rate stays at the target (15%) plus `success_margin`, within c
    pushes per labourer, m × openings left per post and `max_pushes`. Pairs pushed this month
    or refused lately are left out; expected hires count one job per labourer and the openings
    of each post.

    Nothing is pushed yet: this is the preview (per labourer: posts, scores, reasons) with the
    expected push ratio, reach, hires and success rate — and, when a target cannot be met or
    the plan is empty, why, with numbers. Commit it with `POST /v1/plans/{id}/commit`.
    """
    params = service.PlanParams(
        pushes_per_labourer=body.pushes_per_labourer,
        pushes_per_opening=body.pushes_per_opening,
        candidates_per_labourer=body.candidates_per_labourer,
        coverage=body.coverage,
        min_probability=body.min_probability,
        channel=body.channel,
        month=body.month,
        success_margin=body.success_margin,
        max_pushes=body.max_pushes,
    )
    service.validate_params(params)
    plan = service.build_plan(
        session,
        indexes,
        region=canonical_region_code(body.region, field="region"),
        params=params,
        principal=principal,
        now=now,
        rules=service.rules_from(settings),
        workers=settings.planner_workers,
    )
    response.headers["Location"] = f"/v1/plans/{plan.id}"
    return present_plan(session, indexes, plan, after=0, limit=limit)


@router.get("/v1/plans", summary="List plans / 推送计划列表", operation_id="list_plans")
def list_plans(
    session: SessionDep,
    principal: StaffOrAdmin,
    region: Annotated[str | None, Query(description="Region prefix / 区划")] = None,
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[PlanBrief]:
    """The newest plans inside the caller's regions."""
    prefix = canonical_region_code(region, field="region") if region else None
    plans = service.list_plans(session, principal, region=prefix, month=month, limit=limit)
    return [PlanBrief.model_validate(p) for p in plans]


@router.get(
    "/v1/plans/{plan_id:id}",
    summary="Read a plan / 查看推送计划",
    operation_id="get_plan",
    responses=problem_responses(404, 422),
)
def get_plan(
    plan_id: IdPath,
    session: SessionDep,
    principal: StaffOrAdmin,
    indexes: ReadModelDep,
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> PlanRead:
    """The plan's numbers and a page of its labourers (by id) with their proposed posts."""
    plan = service.get_plan(session, plan_id, principal)
    after = decode_cursor(cursor) if cursor else 0
    return present_plan(session, indexes, plan, after=after, limit=limit)


@router.post(
    "/v1/plans/{plan_id:id}/commit",
    summary="Commit a plan: write its pushes / 执行推送计划",
    operation_id="commit_plan",
    dependencies=[Bulk],
    responses=problem_responses(404, 409),
)
def commit_plan(
    plan_id: IdPath,
    session: SessionDep,
    principal: StaffOrAdmin,
    settings: SettingsDep,
    indexes: ReadModelDep,
    now: NowDep,
    limit: PageSize = 50,
) -> PlanRead:
    """Write the plan's pushes (pushed by `plan`), scored and explained at push time. A pair
    pushed meanwhile keeps its push; a post closed meanwhile is skipped. Committing again writes
    nothing more and answers with the first commit's result. A plan can be committed only in
    its month: before it begins or after it ends, a 409."""
    plan, _ = service.commit_plan(
        session,
        indexes,
        plan_id,
        principal=principal,
        now=now,
        attribution_days=settings.attribution_days,
    )
    return present_plan(session, indexes, plan, after=0, limit=limit)
