"""Monthly push plan endpoints (月度推送计划)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from matching.auth.deps import Bulk, StaffOrAdmin
from matching.clock import china_date
from matching.deps import IdPath, NowDep, SessionDep, SettingsDep
from matching.errors import problem_responses
from matching.jobs.accept import IdempotencyKey, accept
from matching.jobs.schemas import JobRead
from matching.matches.deps import ReadModelDep
from matching.pagination import decode_cursor
from matching.planning import commit, jobs, service
from matching.planning.month import plan_month
from matching.planning.presenter import present_plan
from matching.planning.schemas import (
    PlanBrief,
    PlanCreate,
    PlanRead,
)
from matching.regions.validation import canonical_region_code
from matching.schemas import MONTH_PATTERN
from matching.scope import check_scope

router = APIRouter(tags=["plans"], responses=problem_responses(401, 403))
PageSize = Annotated[int, Query(ge=1, le=200, description="Labourers per page")]
Cursor = Annotated[str | None, Query(max_length=100)]


@router.post(
    "/v1/plans",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Plan a month's pushes (a job) / 生成月度推送计划",
    operation_id="create_plan",
    dependencies=[Bulk],
    responses=problem_responses(422),
)
def create_plan(
    request: Request,
    body: PlanCreate,
    session: SessionDep,
    principal: StaffOrAdmin,
    settings: SettingsDep,
    now: NowDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> JobRead:
    """Plan this month (or, in its last days, the next) for a region: U (unemployed, able
    and willing on the 1st) plus the month's new seekers. The plan makes at least coverage × U
    pushes (default 50%) reaching as many distinct labourers as possible, then adds a push only
    while the expected success rate stays at the target (15%) plus `success_margin`, within c
    pushes per labourer, m × openings left per post and `max_pushes`. Pairs pushed this month
    or refused lately are left out; expected hires count one job per labourer and the openings
    of each post.

    A province's plan takes minutes, so planning is a job: the answer is `202 Accepted` with
    `Location: /v1/jobs/{id}`; poll it (`?wait=10` waits for the end) for the stage and the
    percent done, and when it succeeded its `links.result` is the plan
    (`GET /v1/plans/{id}`: per labourer, posts, scores, reasons; the expected push ratio,
    reach, hires and success rate — and, when a target cannot be met or the plan is empty,
    why). Nothing is pushed yet: commit it with `POST /v1/plans/{id}/commit`.
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
    region = canonical_region_code(body.region, field="region")
    check_scope(principal, region, "region")
    plan_month(params.month, china_date(now), ahead_days=settings.plan_ahead_days)  # 422 early
    return accept(
        request,
        session,
        response,
        kind=jobs.PLAN,
        job_request=jobs.plan_request(region, params),
        principal=principal.to_stored(),
        as_of=now,
        region=region,
        idempotency_key=idempotency_key,
    )


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
    status_code=status.HTTP_202_ACCEPTED,
    summary="Commit a plan: write its pushes (a job) / 执行推送计划",
    operation_id="commit_plan",
    dependencies=[Bulk],
    responses=problem_responses(404, 409, 422),
)
def commit_plan(
    request: Request,
    plan_id: IdPath,
    session: SessionDep,
    principal: StaffOrAdmin,
    now: NowDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> JobRead:
    """Write the plan's pushes (pushed by `plan`), scored and explained at push time. A pair
    pushed meanwhile keeps its push; a post closed meanwhile is skipped. Committing again writes
    nothing more and its job's result is the first commit's. A plan can be committed only in
    its month: before it begins or after it ends, a 409.

    A job (`202 Accepted`, `Location: /v1/jobs/{id}`): its result counts the pushes created,
    already pushed and skipped, and links the plan. All the pushes are written, or none."""
    plan = service.get_plan(session, plan_id, principal)
    commit.check_commit_month(plan, china_date(now))
    return accept(
        request,
        session,
        response,
        kind=jobs.PLAN_COMMIT,
        job_request={"plan_id": plan.id},
        principal=principal.to_stored(),
        as_of=now,
        region=plan.region,
        idempotency_key=idempotency_key,
    )
