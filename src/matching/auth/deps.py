"""Authentication and role guards as `Annotated` dependencies."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching import clock
from matching.agencies.models import Agency
from matching.auth.known_keys import KnownKey, KnownKeys
from matching.auth.models import ApiKey, Role
from matching.auth.principal import Principal
from matching.changes import KEYS, seen_seqs, seen_without_reading
from matching.deps import SessionDep
from matching.errors import Forbidden, Unauthorized
from matching.kit.crypto import hash_api_key
from matching.ratelimit import BULK

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="API key minted with `matching keys create` / 使用 API 密钥：Bearer <key>",
)


async def authenticate(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Resolve the Bearer key to a principal, or 401. A key this worker has kept, with the
    change counters already at hand (changes.RecentCounters), costs no statement and no hop to
    the thread pool; otherwise the counters and, if need be, the key are read there."""
    if credentials is None:
        raise Unauthorized("Send an API key as 'Authorization: Bearer <key>' / 缺少 API 密钥")
    key_hash = hash_api_key(credentials.credentials)
    known_keys: KnownKeys = request.app.state.known_keys
    seqs = seen_without_reading(session)
    known = known_keys.get(key_hash, seqs.get(KEYS, 0)) if seqs is not None else None
    if known is None:
        known = await run_in_threadpool(_look_up, session, known_keys, key_hash)
    if known is None or known.revoked:
        raise Unauthorized(
            "The API key is not recognised or has been revoked / API 密钥无效或已吊销"
        )
    principal = known.principal
    if known.agency_suspended_at is not None:
        raise Forbidden(
            f"Agency {principal.agency_id} is suspended since "
            f"{clock.china_date(known.agency_suspended_at)}; "
            "ask the service's administrators / 该合作机构已被暂停，请联系管理员"
        )
    if known.expires_on is not None and clock.today() > known.expires_on:
        raise Unauthorized(
            f"The API key expired on {known.expires_on} (its last day); ask for a new one / "
            "API 密钥已过期"
        )
    request.state.key_id = principal.key_id
    request.app.state.rate_limiter.take(principal.key_id, principal.role.value)
    return principal


def _look_up(session: Session, known_keys: KnownKeys, key_hash: str) -> KnownKey | None:
    """The key as kept at the counters' value now, or read (and kept) if it is not."""
    seq = seen_seqs(session).get(KEYS, 0)  # before the key: see KnownKeys.keep
    known = known_keys.get(key_hash, seq)
    if known is None:
        known = _read_key(session, key_hash)
        if known is not None:
            known_keys.keep(key_hash, seq, known)
    return known


def _read_key(session: Session, key_hash: str) -> KnownKey | None:
    """The key with this hash and its agency's suspension, or None."""
    # The agency's suspension comes with the key in one statement, as a scalar subquery: a join
    # let PostgreSQL pick the agency index over the key's unique one when its statistics saw an
    # empty table (338 ms a request instead of 0.04 in the test database).
    suspended = select(Agency.suspended_at).where(Agency.id == ApiKey.agency_id).scalar_subquery()
    found = session.execute(select(ApiKey, suspended).where(ApiKey.key_hash == key_hash)).first()
    return None if found is None else KnownKey.of(*found)


async def limit_bulk(
    request: Request, principal: Annotated[Principal, Depends(authenticate)]
) -> None:
    """Spend one of the key's bulk requests (batches, imports, pushes, plans, workbooks): each
    costs as much as hundreds of reads, so they have a budget of their own (ratelimit.py)."""
    request.app.state.rate_limiter.take(principal.key_id, principal.role.value, BULK)


# For a route's `dependencies=`: the route is a bulk request.
Bulk = Depends(limit_bulk)


class RequireRoles:
    """A dependency that admits only the given roles (403 otherwise)."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        """Return the principal when its role is admitted."""
        if principal.role not in self.roles:
            allowed = ", ".join(sorted(self.roles))
            raise Forbidden(f"Role '{principal.role}' may not do this; allowed: {allowed} / 无权限")
        return principal


AdminOnly = Annotated[Principal, Depends(RequireRoles(Role.admin))]
StaffOrAdmin = Annotated[Principal, Depends(RequireRoles(Role.admin, Role.staff))]
AnyRole = Annotated[Principal, Depends(RequireRoles(*Role))]
