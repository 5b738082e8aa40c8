"""Minting, listing and revoking API keys."""

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching import clock
from matching.agencies.models import Agency
from matching.auth.models import ApiKey, Role
from matching.auth.principal import Principal
from matching.database import utcnow
from matching.errors import Conflict, NotFound, Unprocessable, field_path
from matching.kit.crypto import generate_api_key, hash_api_key
from matching.regions.validation import canonical_region_code


def create_key(
    session: Session,
    *,
    name: str,
    role: Role,
    region_scopes: list[str] | None = None,
    agency_id: int | None = None,
    expires_on: date | None = None,
) -> tuple[ApiKey, str]:
    """Mint a key; returns the stored record and the secret, which is not kept."""
    scopes = [
        canonical_region_code(code, field=field_path("body", "region_scopes", i))
        for i, code in enumerate(region_scopes or [])
    ]
    if role == Role.staff and not scopes:
        raise Unprocessable.for_field("region_scopes", "a staff key needs at least one region")
    if role != Role.staff and scopes:
        raise Unprocessable.for_field("region_scopes", "only staff keys carry region scopes")
    if role == Role.agency:
        if agency_id is None:
            raise Unprocessable.for_field("agency_id", "an agency key needs its agency")
        if session.get(Agency, agency_id) is None:
            raise Unprocessable.for_field("agency_id", f"no agency with id {agency_id}")
    elif agency_id is not None:
        raise Unprocessable.for_field("agency_id", "only agency keys are bound to an agency")
    if expires_on is not None and expires_on < clock.today():
        raise Unprocessable.for_field("expires_on", f"is in the past (today is {clock.today()})")
    secret = generate_api_key()
    key = ApiKey(
        name=name,
        prefix=secret[:10],
        key_hash=hash_api_key(secret),
        role=role,
        region_scopes=sorted(set(scopes)),
        agency_id=agency_id,
        expires_on=expires_on,
    )
    session.add(key)
    session.flush()
    return key, secret


def _unexpired() -> Any:
    """Keys that still work today (China time)."""
    return ApiKey.expires_on.is_(None) | (ApiKey.expires_on >= clock.today())


def list_keys(session: Session, *, include_revoked: bool = True) -> list[ApiKey]:
    """All keys, newest first."""
    query = select(ApiKey).order_by(ApiKey.id.desc())
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return list(session.scalars(query))


def get_key(session: Session, key_id: int) -> ApiKey:
    """One key, or 404."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"No API key with id {key_id}")
    return key


def revoke_key(
    session: Session, key_id: int, *, by: Principal | None, confirm: bool = False
) -> ApiKey:
    """Revoke a key; revoking twice keeps the first revocation time.

    Through the API (`by`, the caller): a 409 for the key making the request unless `confirm`
    (a clerk would lock themselves out by a slip), and for the last active admin key (nobody
    could mint keys over the API again). The active admin keys are locked while they are
    counted, so two revocations at once cannot leave none. From the command line (`by` None)
    anything goes: whoever runs it on the server can always mint a new key.
    """
    key = get_key(session, key_id)
    if key.revoked_at is not None or by is None:
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            session.flush()
        return key
    if key.id == by.key_id and not confirm:
        raise Conflict(
            f"Key {key.id} is the key making this request; add ?confirm=true to revoke it / "
            "这是当前使用的密钥，确认吊销请加 confirm=true"
        )
    if key.role == Role.admin:
        active = session.scalars(
            select(ApiKey.id)
            .where(ApiKey.role == Role.admin, ApiKey.revoked_at.is_(None), _unexpired())
            .with_for_update()
        ).all()
        if set(active) <= {key.id}:
            raise Conflict(
                f"Key {key.id} is the last active admin key; mint another admin key first / "
                "这是最后一个有效的管理员密钥，请先创建新的管理员密钥"
            )
    key.revoked_at = utcnow()
    session.flush()
    return key
