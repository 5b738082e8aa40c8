"""Partner agency endpoints."""

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from matching.agencies import service
from matching.agencies.schemas import AgencyCreate, AgencyRead, AgencySuspension, AgencyUpdate
from matching.auth.deps import AdminOnly, RequireRoles
from matching.auth.models import Role
from matching.auth.principal import Principal
from matching.deps import IdPath, SessionDep, SettingsDep
from matching.errors import problem_responses

router = APIRouter(prefix="/v1/agencies", tags=["agencies"], responses=problem_responses(401, 403))
AdminOrAgency = Annotated[Principal, Depends(RequireRoles(Role.admin, Role.agency))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a partner agency / 登记合作机构",
    operation_id="create_agency",
    responses=problem_responses(409, 422),
)
def create_agency(
    body: AgencyCreate,
    session: SessionDep,
    settings: SettingsDep,
    _: AdminOnly,
    response: Response,
) -> AgencyRead:
    """Register a partner-province HR agency."""
    agency = service.create_agency(
        session,
        name=body.name,
        province_code=body.province_code,
        callback_url=str(body.callback_url) if body.callback_url else None,
        public_callbacks=settings.environment == "production",
    )
    response.headers["Location"] = f"/v1/agencies/{agency.id}"
    return AgencyRead.model_validate(agency)


@router.get("", summary="List partner agencies / 合作机构列表", operation_id="list_agencies")
def list_agencies(session: SessionDep, _: AdminOnly) -> list[AgencyRead]:
    """Every registered agency."""
    return [AgencyRead.model_validate(a) for a in service.list_agencies(session)]


@router.get(
    "/{agency_id:id}",
    summary="Read a partner agency / 查看合作机构",
    operation_id="get_agency",
    responses=problem_responses(404),
)
def get_agency(agency_id: IdPath, session: SessionDep, principal: AdminOrAgency) -> AgencyRead:
    """One agency; an agency key reads only its own."""
    return AgencyRead.model_validate(service.agency_for(session, agency_id, principal))


@router.patch(
    "/{agency_id:id}",
    summary="Update an agency's contact and callback / 修改合作机构联系方式与回调地址",
    operation_id="update_agency",
    responses=problem_responses(404, 422),
)
def update_agency(
    agency_id: IdPath,
    body: AgencyUpdate,
    session: SessionDep,
    settings: SettingsDep,
    principal: AdminOrAgency,
) -> AgencyRead:
    """Change the fields sent (contact, callback address, the notices it hears); an agency key
    changes only its own. In production a callback must be a public address."""
    agency = service.agency_for(session, agency_id, principal)
    changes = body.model_dump(exclude_unset=True)
    public = settings.environment == "production"
    return AgencyRead.model_validate(
        service.update_agency(session, agency, changes, public_callbacks=public)
    )


@router.post(
    "/{agency_id:id}/suspend",
    summary="Suspend an agency / 暂停合作机构",
    operation_id="suspend_agency",
    responses=problem_responses(404, 409, 422),
)
def suspend_agency(
    agency_id: IdPath, body: AgencySuspension, session: SessionDep, admin: AdminOnly
) -> AgencyRead:
    """Its keys are refused (403) and its open posts stop matching until it is reinstated."""
    agency = service.get_agency(session, agency_id)
    suspended = service.suspend_agency(session, agency, reason=body.reason, by_key_id=admin.key_id)
    return AgencyRead.model_validate(suspended)


@router.post(
    "/{agency_id:id}/reinstate",
    summary="Reinstate a suspended agency / 恢复合作机构",
    operation_id="reinstate_agency",
    responses=problem_responses(404, 409),
)
def reinstate_agency(agency_id: IdPath, session: SessionDep, _: AdminOnly) -> AgencyRead:
    """Its keys work again and its open posts match again."""
    agency = service.get_agency(session, agency_id)
    return AgencyRead.model_validate(service.reinstate_agency(session, agency))
