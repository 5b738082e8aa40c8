"""An agency's outcome notices: its signing secret, its delivery log, a redelivery."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, status

from matching.agencies.service import agency_for
from matching.auth.deps import RequireRoles
from matching.auth.models import Role
from matching.auth.principal import Principal
from matching.deps import IdPath, PersonalDep, SessionDep
from matching.errors import problem_responses
from matching.webhooks import service
from matching.webhooks.models import MessageState, NoticeType
from matching.webhooks.schemas import MessagePage, MessageRead, SecretIssued, SecretRequest

router = APIRouter(prefix="/v1/agencies", tags=["webhooks"], responses=problem_responses(401, 403))
AdminOrAgency = Annotated[Principal, Depends(RequireRoles(Role.admin, Role.agency))]
MessageId = Annotated[str, Path(pattern=r"^msg_[0-9a-f]{32}$", description="webhook-id")]


@router.post(
    "/{agency_id:id}/webhook-secret",
    status_code=status.HTTP_201_CREATED,
    summary="Issue a signing secret / 生成回调签名密钥",
    operation_id="issue_webhook_secret",
    responses=problem_responses(404, 422),
)
def issue_webhook_secret(
    agency_id: IdPath,
    body: SecretRequest,
    session: SessionDep,
    personal: PersonalDep,
    principal: AdminOrAgency,
) -> SecretIssued:
    """A new secret, shown once; the previous one keeps signing for `overlap_hours`."""
    agency = agency_for(session, agency_id, principal)
    return service.issue_secret(session, agency.id, personal.cipher,
                                overlap_hours=body.overlap_hours)  # fmt: skip


@router.get(
    "/{agency_id:id}/webhook-messages",
    summary="Delivery log of the agency's notices / 回调通知投递记录",
    operation_id="list_webhook_messages",
    responses=problem_responses(404, 422),
)
def list_webhook_messages(
    agency_id: IdPath,
    session: SessionDep,
    principal: AdminOrAgency,
    state: Annotated[MessageState | None, Query(description="投递状态")] = None,
    type: Annotated[NoticeType | None, Query(description="通知类型")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> MessagePage:
    """Newest first: each notice's attempts, status codes and next retry."""
    agency = agency_for(session, agency_id, principal)
    items, next_cursor = service.list_messages(
        session, agency.id, state=state, kind=type.value if type else None, limit=limit,
        cursor=cursor,
    )  # fmt: skip
    return MessagePage(items=items, next_cursor=next_cursor)


@router.post(
    "/{agency_id:id}/webhook-messages/{message_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a notice again / 重新投递通知",
    operation_id="redeliver_webhook_message",
    responses=problem_responses(404, 422),
)
def redeliver_webhook_message(
    agency_id: IdPath, message_id: MessageId, session: SessionDep, principal: AdminOrAgency
) -> MessageRead:
    """Queued at once under the same webhook-id, whatever became of it before."""
    agency = agency_for(session, agency_id, principal)
    return service.redeliver(session, agency.id, message_id)
