"""Match endpoints (人岗匹配)."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from matching.auth.deps import RequireRoles
from matching.auth.models import Role
from matching.auth.principal import Principal
from matching.deps import IdPath, SessionDep, SettingsDep, without_waiting
from matching.errors import problem_responses
from matching.matches import service
from matching.matches.deps import ReadModelDep
from matching.matches.schemas import LabourerMatches, PairExplanation, PostMatches
from matching.posts.models import PostType
from matching.regions.validation import canonical_region_code
from matching.rules.feedback import Window
from matching.schemas import json_response

router = APIRouter(tags=["matching"], responses=problem_responses(401, 403, 404))
StaffAdminApp = Annotated[Principal, Depends(RequireRoles(Role.admin, Role.staff, Role.app))]
CandidateReaders = Annotated[Principal, Depends(RequireRoles(Role.admin, Role.staff, Role.agency))]
K = Annotated[int, Query(ge=1, le=100, description="How many / 返回条数")]


@router.get(
    "/v1/labourers/{labourer_id:id}/matches",
    summary="Recommended posts for a labourer / 为劳动力推荐岗位",
    operation_id="match_posts_for_labourer",
    response_model=PostMatches,
    responses=problem_responses(422),
)
async def match_posts(
    labourer_id: IdPath,
    session: SessionDep,
    principal: StaffAdminApp,
    indexes: ReadModelDep,
    settings: SettingsDep,
    k: K = 10,
    post_type: Annotated[PostType | None, Query(description="岗位类型")] = None,
    region: Annotated[str | None, Query(description="Workplace region prefix / 工作地")] = None,
    min_wage: Annotated[int | None, Query(ge=0, le=200_000, description="最低月薪")] = None,
) -> Response:
    """Top-k open posts with score, per-component breakdown and reasons."""
    found = partial(
        service.matches_for_labourer,
        session,
        indexes,
        labourer_id=labourer_id,
        principal=principal,
        k=k,
        post_type=post_type,
        region=canonical_region_code(region, field="query.region") if region else None,
        min_wage=min_wage,
        window=Window(settings.decline_cooldown_months, settings.taste_memory_months),
        learned=settings.uses_learned_weights,
    )
    return json_response(await without_waiting(session, found))


@router.get(
    "/v1/labourers/{labourer_id:id}/matches/{post_id:id}",
    summary="Explain one labourer–post pair / 解释单个匹配",
    operation_id="explain_match",
)
def explain_match(
    labourer_id: IdPath,
    post_id: IdPath,
    session: SessionDep,
    principal: StaffAdminApp,
    indexes: ReadModelDep,
    settings: SettingsDep,
) -> PairExplanation:
    """The full explanation, also for a pair that fails a hard filter (then which one)."""
    return service.explain(
        session, indexes, labourer_id=labourer_id, post_id=post_id, principal=principal,
        learned=settings.uses_learned_weights,
    )  # fmt: skip


@router.get(
    "/v1/posts/{post_id:id}/candidates",
    summary="Candidate labourers for a post / 岗位候选人",
    operation_id="match_labourers_for_post",
    response_model=LabourerMatches,
    responses=problem_responses(422),
)
def match_candidates(
    post_id: IdPath,
    session: SessionDep,
    principal: CandidateReaders,
    indexes: ReadModelDep,
    k: K = 50,
) -> Response:
    """Top-k labourers; staff see their regions only, an agency (own posts) anonymised profiles."""
    # In the thread pool: the labourers' names are read after the search, every time, so an
    # attempt on the event loop (deps.without_waiting) would search twice.
    found = service.candidates_for_post(session, indexes, post_id=post_id, principal=principal, k=k)
    return json_response(found)
