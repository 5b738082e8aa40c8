"""The learned-weights endpoints: what a province's scores use, and a fit on demand."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from matching.auth.deps import AdminOnly, StaffOrAdmin
from matching.deps import SessionDep, SettingsDep, TodayDep
from matching.errors import problem_responses
from matching.learning import service
from matching.learning.schemas import ProvinceWeightsRead, WeightsFitCreate, WeightsFitRead

router = APIRouter(
    prefix="/v1/scoring/weights", tags=["scoring"], responses=problem_responses(401, 403)
)


@router.get(
    "",
    summary="A province's scoring weights / 省级评分权重",
    operation_id="get_scoring_weights",
    responses=problem_responses(422),
)
def get_weights(
    province: Annotated[str, Query(description="Province code (e.g. 43) / 省级区划代码")],
    session: SessionDep,
    settings: SettingsDep,
    today: TodayDep,
    _: StaffOrAdmin,
) -> ProvinceWeightsRead:
    """The component weights matches and plans of the province score with today — learned from
    its outcomes where they beat the settings' on held-out pushes — and its recent fits
    (docs/scoring.md, "Learned weights"). Plans fit anew once a month."""
    code = service.province_code(province, field="query.province")
    learning = settings.uses_learned_weights
    weights, source = settings.weights, "settings"
    if learning:
        weights, source = service.in_force(session, code, today, settings.weights)
    return ProvinceWeightsRead(
        province=code,
        learning=learning,
        in_force=weights.shown(),
        source=source,
        settings_weights=settings.weights.shown(),
        fits=[WeightsFitRead.model_validate(f) for f in service.recent_fits(session, code)],
    )


@router.post(
    "/fits",
    status_code=status.HTTP_201_CREATED,
    summary="Fit a province's weights now / 立即拟合省级评分权重",
    operation_id="fit_scoring_weights",
    responses=problem_responses(422),
)
def fit_weights(
    body: WeightsFitCreate,
    session: SessionDep,
    settings: SettingsDep,
    today: TodayDep,
    _: AdminOnly,
    response: Response,
) -> WeightsFitRead:
    """Fit the province's weights on its outcomes now and store the fit; it is in force from
    now on if it beats the settings' weights on held-out pushes (the outcome says)."""
    code = service.province_code(body.province, field="body.province")
    fit = service.fit_now(session, code, today, settings.weights, settings.signal_days)
    response.headers["Location"] = f"/v1/scoring/weights?province={code}"
    return WeightsFitRead.model_validate(fit)
