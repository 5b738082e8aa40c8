"""Enrolment in the mobile app: the app key acts only for labourers linked here.

Staff link and unlink a labourer (at the station, with the person in front of them); the app
backend enrols a labourer who proves ID number and registered phone, and may unlink one who
leaves the app. Every link and unlink is in the audit log.
"""

from typing import Annotated

from fastapi import APIRouter, Depends

from matching.auth.deps import RequireRoles, StaffOrAdmin
from matching.auth.models import Role
from matching.auth.principal import Principal
from matching.deps import IdPath, PersonalDep, RequestIdDep, SessionDep
from matching.errors import problem_responses
from matching.labourers import service
from matching.labourers.models import Labourer
from matching.labourers.schemas import AppEnrolment, AppLink

router = APIRouter(tags=["labourers"], responses=problem_responses(401, 403, 404))
AppOnly = Annotated[Principal, Depends(RequireRoles(Role.app))]
StaffAdminApp = Annotated[Principal, Depends(RequireRoles(Role.admin, Role.staff, Role.app))]


def _link(labourer: Labourer) -> AppLink:
    return AppLink(
        labourer_id=labourer.id,
        linked=labourer.app_linked_at is not None,
        linked_at=labourer.app_linked_at,
    )


@router.get(
    "/v1/labourers/{labourer_id:id}/app-link",
    summary="Is a labourer enrolled in the app / 应用绑定状态",
    operation_id="get_app_link",
)
def get_app_link(labourer_id: IdPath, session: SessionDep, principal: StaffOrAdmin) -> AppLink:
    """Whether the app key may act for this labourer, and since when."""
    return _link(service.get_labourer(session, labourer_id, principal))


@router.put(
    "/v1/labourers/{labourer_id:id}/app-link",
    summary="Enrol a labourer in the app / 绑定应用",
    operation_id="link_app",
)
def link_app(
    labourer_id: IdPath, session: SessionDep, principal: StaffOrAdmin, request_id: RequestIdDep
) -> AppLink:
    """From now on the app key reads this labourer's matches and inbox and records their
    answers. Linking a linked labourer changes nothing (the first day is kept)."""
    labourer = service.get_labourer(session, labourer_id, principal)
    service.set_app_link(session, labourer, True, key_id=principal.key_id, request_id=request_id)
    return _link(labourer)


@router.delete(
    "/v1/labourers/{labourer_id:id}/app-link",
    summary="Take a labourer out of the app / 解除应用绑定",
    operation_id="unlink_app",
)
def unlink_app(
    labourer_id: IdPath, session: SessionDep, principal: StaffAdminApp, request_id: RequestIdDep
) -> AppLink:
    """The app key stops acting for this labourer at once (its next request is a 404). The app
    may unlink only a labourer it is linked to; unlinking twice changes nothing."""
    labourer = service.get_labourer(session, labourer_id, principal)
    service.set_app_link(session, labourer, False, key_id=principal.key_id, request_id=request_id)
    return _link(labourer)


@router.post(
    "/v1/app/enrolments",
    summary="A labourer enrols through the app / 劳动力通过应用自助绑定",
    operation_id="enrol_in_app",
    responses=problem_responses(422),
)
def enrol(
    body: AppEnrolment,
    session: SessionDep,
    principal: AppOnly,
    personal: PersonalDep,
    request_id: RequestIdDep,
) -> AppLink:
    """The app backend enrols the labourer whose ID number **and** registered phone both match
    (a 404 otherwise, never saying which of the two did not). The answer gives the labourer's
    id for the app's later calls."""
    labourer = service.find_for_enrolment(session, personal, body.id_number, body.phone)
    service.set_app_link(session, labourer, True, key_id=principal.key_id, request_id=request_id)
    return _link(labourer)
