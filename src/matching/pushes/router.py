"""Push endpoints (岗位推送): the ledger, outcomes and a labourer's inbox."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from matching.auth.deps import Bulk, RequireRoles, StaffOrAdmin
from matching.auth.models import Role
from matching.auth.principal import Principal
from matching.deps import IdPath, NowDep, RequestIdDep, SessionDep, SettingsDep, TodayDep
from matching.employment import service as jobs
from matching.errors import problem_responses
from matching.labourers import service as labourers
from matching.matches.deps import ReadModelDep
from matching.posts import service as posts
from matching.pushes import service
from matching.pushes.models import Channel, PushState
from matching.pushes.presenter import present_push
from matching.pushes.schemas import (
    EventCreate,
    PushBatchResult,
    PushCreate,
    PushPage,
    PushRead,
    PushWritten,
)
from matching.pushes.stats import OutcomeCounts, outcome_counts
from matching.regions.validation import canonical_region_code
from matching.rules import feedback
from matching.schemas import MONTH_PATTERN

router = APIRouter(tags=["pushes"], responses=problem_responses(401, 403))
StaffAdminApp = Annotated[Principal, Depends(RequireRoles(Role.admin, Role.staff, Role.app))]
Publishers = Annotated[Principal, Depends(RequireRoles(Role.admin, Role.staff, Role.agency))]
Month = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM / 月份")]
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=100)]


@router.post(
    "/v1/pushes",
    status_code=status.HTTP_201_CREATED,
    summary="Push posts to labourers / 推送岗位",
    operation_id="create_pushes",
    dependencies=[Bulk],
    responses=problem_responses(404, 409, 422),
)
def create_pushes(
    body: PushCreate,
    session: SessionDep,
    principal: StaffOrAdmin,
    settings: SettingsDep,
    indexes: ReadModelDep,
    now: NowDep,
) -> PushBatchResult:
    """One post to many labourers, or many posts to one labourer (up to 500 pairs).

    The score and reasons at push time are kept. A pair pushed already this month is answered
    with that push (`created: false`), never a second record. A missing id is a 404, a labourer
    outside the key's regions a 403, a post that is not open a 409 — and then nothing is written.
    """
    outcomes = service.create_pushes(
        session,
        body,
        principal=principal,
        indexes=indexes,
        attribution_days=settings.attribution_days,
        now=now,
        window=feedback.Window(settings.decline_cooldown_months, settings.taste_memory_months)
        if settings.planner_learning
        else None,
    )
    items = [PushWritten(**present_push(o.push).model_dump(), created=o.created) for o in outcomes]
    created = sum(o.created for o in outcomes)
    return PushBatchResult(created=created, existing=len(items) - created, items=items)


@router.get("/v1/pushes", summary="List pushes / 推送记录", operation_id="list_pushes")
def list_pushes(
    session: SessionDep,
    principal: StaffOrAdmin,
    labourer_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    post_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    region: Annotated[str | None, Query(description="Labourer's region prefix / 区划")] = None,
    month: Month = None,
    state: Annotated[PushState | None, Query(description="当前状态")] = None,
    channel: Annotated[Channel | None, Query(description="推送渠道")] = None,
    plan_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> PushPage:
    """Filter by labourer, post, region prefix, month, state, channel or plan; newest first."""
    filters = service.PushFilters(
        labourer_id=labourer_id,
        post_id=post_id,
        region=canonical_region_code(region, field="query.region") if region else None,
        month=month,
        state=state,
        channel=channel,
        plan_id=plan_id,
    )
    rows, next_cursor = service.list_pushes(session, filters, principal, limit=limit, cursor=cursor)
    return PushPage(items=[present_push(p) for p in rows], next_cursor=next_cursor)


@router.get(
    "/v1/pushes/{push_id:id}",
    summary="Read a push / 查看推送",
    operation_id="get_push",
    responses=problem_responses(404),
)
def get_push(
    push_id: IdPath, session: SessionDep, principal: StaffAdminApp, today: TodayDep
) -> PushRead:
    """A push with its score at push time, its outcome timeline and the post's summary."""
    push = service.get_push(session, push_id, principal)
    post = service.posts_by_id(session, [push.post_id])[push.post_id]
    return present_push(push, post, today=today)


@router.post(
    "/v1/pushes/{push_id:id}/events",
    summary="Record an outcome / 记录推送结果",
    operation_id="record_push_event",
    responses=problem_responses(404, 409, 422),
)
def record_event(
    push_id: IdPath,
    body: EventCreate,
    session: SessionDep,
    principal: StaffAdminApp,
    today: TodayDep,
    now: NowDep,
    request_id: RequestIdDep,
) -> PushRead:
    """delivered → viewed → applied → interviewed → hired, or declined / rejected / no_response.

    Steps may be skipped but never undone; a move that is not allowed is a 409 naming the current
    state, and repeating the current state changes nothing. The app records viewed, applied and
    declined; staff record the rest. **hired** takes one of the post's openings (409 when none is
    left), records the job and sets the labourer employed from its start day.
    """
    push, written = service.record_event(session, push_id, body, principal=principal, now=now)
    if written and body.state == PushState.hired:  # the hire recorded a job
        jobs.audit_job(
            session, key_id=principal.key_id, labourer_id=push.labourer_id, request_id=request_id
        )
    post = service.posts_by_id(session, [push.post_id])[push.post_id]
    return present_push(push, post, today=today)


@router.get(
    "/v1/labourers/{labourer_id:id}/pushes",
    summary="A labourer's push inbox / 推送收件箱",
    operation_id="labourer_inbox",
    responses=problem_responses(404),
)
def inbox(
    labourer_id: IdPath,
    session: SessionDep,
    principal: StaffAdminApp,
    today: TodayDep,
    state: Annotated[PushState | None, Query(description="当前状态")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> PushPage:
    """The posts pushed to one labourer, newest first, each with the post's summary."""
    labourers.check_access(session, labourer_id, principal)
    filters = service.PushFilters(labourer_id=labourer_id, state=state)
    rows, next_cursor = service.list_pushes(session, filters, principal, limit=limit, cursor=cursor)
    found = service.posts_by_id(session, [p.post_id for p in rows])
    items = [present_push(p, found[p.post_id], today=today) for p in rows]
    return PushPage(items=items, next_cursor=next_cursor)


@router.get(
    "/v1/posts/{post_id:id}/outcomes",
    summary="Pushes and outcomes of a post / 岗位推送结果统计",
    operation_id="post_outcomes",
    responses=problem_responses(404),
)
def post_outcomes(
    post_id: IdPath, session: SessionDep, principal: Publishers, month: Month = None
) -> OutcomeCounts:
    """How many pushes the post had and how far they went; counts only, no personal data.

    An agency reads its own posts only.
    """
    post = posts.get_post(session, post_id, principal)
    return outcome_counts(session, [post], month)[0]
