"""Post endpoints (岗位库)."""

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response, status

from matching.auth.deps import AnyRole, Bulk, RequireRoles, StaffOrAdmin
from matching.auth.models import Role
from matching.auth.principal import Principal
from matching.database import utcnow
from matching.deps import MAX_ID, IdPath, SessionDep, SettingsDep, TodayDep
from matching.errors import Unprocessable, problem_responses
from matching.posts import batch, idempotency, service
from matching.posts.models import PostStatus, PostType
from matching.posts.presenter import present_post
from matching.posts.schemas import (
    BatchResult,
    DuplicatePostGroup,
    PostBatch,
    PostCreate,
    PostPage,
    PostRead,
    PostUpdate,
    PostWritten,
)
from matching.regions.validation import canonical_region_code

router = APIRouter(prefix="/v1/posts", tags=["posts"], responses=problem_responses(401, 403))
Publisher = Annotated[Principal, Depends(RequireRoles(Role.admin, Role.staff, Role.agency))]
AgencyOrAdmin = Annotated[Principal, Depends(RequireRoles(Role.admin, Role.agency))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Publish a post / 发布岗位",
    operation_id="create_post",
    responses=problem_responses(409, 422),
)
def create_post(
    body: PostCreate,
    session: SessionDep,
    principal: Publisher,
    today: TodayDep,
    response: Response,
) -> PostWritten:
    """Publish one post; skills are normalised to the taxonomy and look-alikes reported."""
    post, resolutions = service.create_post(session, body, principal=principal, today=today)
    response.headers["Location"] = f"/v1/posts/{post.id}"
    return PostWritten(
        **present_post(post, today).model_dump(),
        resolutions=resolutions,
        near_duplicates=service.near_duplicates(session, post, principal),
    )


@router.get("", summary="List posts / 岗位列表", operation_id="list_posts")
def list_posts(
    session: SessionDep,
    principal: AnyRole,
    today: TodayDep,
    region: Annotated[str | None, Query(description="Workplace region prefix / 工作地")] = None,
    post_type: Annotated[PostType | None, Query(description="岗位类型")] = None,
    post_status: Annotated[PostStatus | None, Query(alias="status", description="状态")] = None,
    skill: Annotated[str | None, Query(description="Taxonomy skill id")] = None,
    agency_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Posts of one agency")
    ] = None,
    min_wage: Annotated[
        int | None, Query(ge=0, le=200_000, description="Wage at least (元/月)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> PostPage:
    """Filter by region, type, status (expiry applied), skill, agency and wage; cursor paging."""
    filters = service.PostFilters(
        region=canonical_region_code(region, field="query.region") if region else None,
        post_type=post_type,
        status=post_status,
        skill=skill,
        agency_id=agency_id,
        min_wage=min_wage,
    )
    rows, next_cursor = service.list_posts(
        session, filters, principal, today=today, limit=limit, cursor=cursor
    )
    return PostPage(items=[present_post(p, today) for p in rows], next_cursor=next_cursor)


@router.post(
    "/batch",
    summary="Push in up to 1,000 posts (upsert) / 批量推送岗位",
    operation_id="upsert_posts_batch",
    dependencies=[Bulk],
    responses=problem_responses(409, 422),
)
def upsert_batch(
    body: PostBatch,
    response: Response,
    session: SessionDep,
    principal: AgencyOrAdmin,
    settings: SettingsDep,
    today: TodayDep,
    idempotency_key: Annotated[
        str | None,
        Header(max_length=200, description="Replays the stored response for the same body"),
    ] = None,
    agency_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Admin only: the agency pushed for")
    ] = None,
) -> BatchResult:
    """Upsert by (agency, external_id): created / updated / unchanged / rejected per item.

    Items are answered one by one: an item that does not fit `PostBatchItem` is `rejected` with
    its fields named (`body.items[3].wage_min`) and the others are still written, in a 200. Only
    a request that is not a batch at all (no items, more than 1,000) is a 422.
    """
    principal = _acting_agency(principal, agency_id)
    scope = f"agency:{principal.agency_id}"
    body_hash = ""
    if idempotency_key:
        body_hash = idempotency.request_hash(
            json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False).encode()
        )
        idempotency.purge_older_than(session, utcnow(), settings.idempotency_ttl_hours)
        stored = idempotency.find(session, scope, idempotency_key, body_hash)
        if stored is not None:
            response.headers["Idempotent-Replayed"] = "true"
            return BatchResult.model_validate(stored.response)
    service.expire_due(session, today)
    result = batch.upsert_batch(session, body.items, principal=principal, today=today)
    if idempotency_key:
        idempotency.store(
            session, scope, idempotency_key, body_hash, 200, result.model_dump(mode="json")
        )
    return result


def _acting_agency(principal: Principal, agency_id: int | None) -> Principal:
    if principal.role == Role.agency:
        return principal
    if agency_id is None:
        raise Unprocessable.for_field("query.agency_id", "an admin pushing posts names the agency")
    return Principal(key_id=principal.key_id, role=Role.agency, agency_id=agency_id)


@router.get(
    "/duplicates",
    summary="Near-identical posts / 疑似重复岗位",
    operation_id="list_post_duplicates",
)
def list_duplicates(session: SessionDep, _: StaffOrAdmin) -> list[DuplicatePostGroup]:
    """Live posts with the same employer, title, county and wage band: from different sources
    first, then those one source entered twice (`same_source`)."""
    return service.duplicate_groups(session)


@router.get(
    "/{post_id:id}",
    summary="Read a post / 查看岗位",
    operation_id="get_post",
    responses=problem_responses(404),
)
def get_post(post_id: IdPath, session: SessionDep, principal: AnyRole, today: TodayDep) -> PostRead:
    """One post; an agency reads only its own."""
    return present_post(service.get_post(session, post_id, principal), today)


@router.patch(
    "/{post_id:id}",
    summary="Change a post / 修改岗位",
    operation_id="update_post",
    responses=problem_responses(404, 409, 422),
)
def update_post(
    post_id: IdPath, body: PostUpdate, session: SessionDep, principal: Publisher, today: TodayDep
) -> PostWritten:
    """Change the fields given; openings never drop below the hires already made."""
    post = service.get_post(session, post_id, principal, for_update=True)
    resolutions = service.update_post(session, post, body, principal=principal, today=today)
    return PostWritten(
        **present_post(post, today).model_dump(),
        resolutions=resolutions,
        near_duplicates=service.near_duplicates(session, post, principal),
    )


@router.post(
    "/{post_id:id}/withdraw",
    summary="Withdraw a post / 撤回岗位",
    operation_id="withdraw_post",
    responses=problem_responses(404, 409),
)
def withdraw_post(
    post_id: IdPath, session: SessionDep, principal: Publisher, today: TodayDep
) -> PostRead:
    """Withdraw a post: it is no longer matched or pushed."""
    post = service.get_post(session, post_id, principal, for_update=True)
    return present_post(service.withdraw_post(session, post, principal=principal), today)
