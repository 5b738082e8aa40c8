"""Admin endpoints for API keys."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from matching.auth import service
from matching.auth.deps import AdminOnly
from matching.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from matching.deps import IdPath, SessionDep
from matching.errors import problem_responses

router = APIRouter(prefix="/v1/keys", tags=["keys"], responses=problem_responses(401, 403))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Mint an API key / 创建 API 密钥",
    operation_id="create_api_key",
    responses=problem_responses(422),
)
def create_api_key(
    body: ApiKeyCreate, session: SessionDep, _: AdminOnly, response: Response
) -> ApiKeyCreated:
    """Mint a key; the secret is in this response only. With `expires_on` it works through that
    day (China time) and is a 401 saying so after."""
    key, secret = service.create_key(
        session,
        name=body.name,
        role=body.role,
        region_scopes=body.region_scopes,
        agency_id=body.agency_id,
        expires_on=body.expires_on,
    )
    response.headers["Location"] = f"/v1/keys/{key.id}"
    return ApiKeyCreated(**ApiKeyRead.model_validate(key).model_dump(), key=secret)


@router.get("", summary="List API keys / 密钥列表", operation_id="list_api_keys")
def list_api_keys(session: SessionDep, _: AdminOnly) -> list[ApiKeyRead]:
    """Every key, newest first, without secrets."""
    return [ApiKeyRead.model_validate(k) for k in service.list_keys(session)]


@router.get(
    "/{key_id:id}",
    summary="Read an API key / 查看密钥",
    operation_id="get_api_key",
    responses=problem_responses(404),
)
def get_api_key(key_id: IdPath, session: SessionDep, _: AdminOnly) -> ApiKeyRead:
    """One key, without its secret."""
    return ApiKeyRead.model_validate(service.get_key(session, key_id))


@router.delete(
    "/{key_id:id}",
    summary="Revoke an API key / 吊销密钥",
    operation_id="revoke_api_key",
    responses=problem_responses(404, 409),
)
def revoke_api_key(
    key_id: IdPath,
    session: SessionDep,
    principal: AdminOnly,
    confirm: Annotated[
        bool, Query(description="Needed to revoke the key making the request / 吊销当前密钥需确认")
    ] = False,
) -> ApiKeyRead:
    """Revoke a key at once; it is kept for the record. The key making the request is revoked
    only with `confirm=true`; the last active admin key not at all (409 for both)."""
    revoked = service.revoke_key(session, key_id, by=principal, confirm=confirm)
    return ApiKeyRead.model_validate(revoked)
