"""Idempotency-Key: the same key and body replays the stored response; another body is refused."""

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matching.errors import Conflict, idempotency_key_reused
from matching.posts.models import IdempotencyRecord


def request_hash(body: bytes) -> str:
    """Fingerprint of the request body as sent."""
    return hashlib.sha256(body).hexdigest()


def find(session: Session, scope: str, key: str, body_hash: str) -> IdempotencyRecord | None:
    """The stored response for this key, or None; a different body under the key is a 422."""
    record = session.get(IdempotencyRecord, (scope, key))
    if record is None:
        return None
    if record.request_hash != body_hash:
        raise idempotency_key_reused()
    return record


def store(
    session: Session,
    scope: str,
    key: str,
    body_hash: str,
    status_code: int,
    response: dict[str, Any],
) -> None:
    """Keep the response for replay (inside the same transaction as the work it describes)."""
    record = IdempotencyRecord(
        scope=scope, key=key, request_hash=body_hash, status_code=status_code, response=response
    )
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError as exc:  # the same key, sent twice at once: the other one won
        raise Conflict(
            "A request with this Idempotency-Key was completed meanwhile; send it again to "
            "receive its stored response / 幂等键请求已由并发请求完成"
        ) from exc


def purge_older_than(session: Session, now: datetime, hours: int) -> int:
    """Forget keys older than the retention period."""
    result = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - timedelta(hours=hours))
    )
    return int(getattr(result, "rowcount", 0) or 0)
