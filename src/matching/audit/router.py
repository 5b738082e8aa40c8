"""Reading the audit log (admin): who revealed or changed whose data, and when."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from matching.audit.models import AuditEntry
from matching.audit.schemas import AuditEntryRead, AuditPage
from matching.audit.trail import AuditAction
from matching.auth.deps import AdminOnly
from matching.clock import china_midnight
from matching.deps import MAX_ID, SessionDep
from matching.errors import problem_responses
from matching.pagination import decode_cursor, encode_cursor
from matching.schemas import Day

router = APIRouter(tags=["audit"], responses=problem_responses(401, 403, 422))
AnId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


@router.get("/v1/audit", summary="Read the audit log / 审计日志", operation_id="list_audit")
def list_audit(
    session: SessionDep,
    _: AdminOnly,
    key_id: Annotated[AnId, Query(description="Entries of this API key / 密钥")] = None,
    labourer_id: Annotated[AnId, Query(description="Entries about this labourer / 劳动力")] = None,
    action: Annotated[AuditAction | None, Query(description="操作")] = None,
    day: Annotated[Day | None, Query(description="A day, China time / 日期（北京时间）")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> AuditPage:
    """Reveals of personal data and every write to a labourer, newest first, filtered by key,
    labourer, action and day. An entry names the fields, never their values."""
    query = select(AuditEntry)
    if key_id is not None:
        query = query.where(AuditEntry.key_id == key_id)
    if labourer_id is not None:
        query = query.where(AuditEntry.labourer_id == labourer_id)
    if action is not None:
        query = query.where(AuditEntry.action == action.value)
    if day is not None:
        start = china_midnight(day)
        query = query.where(AuditEntry.at >= start, AuditEntry.at < start + timedelta(days=1))
    if cursor:
        query = query.where(AuditEntry.id < decode_cursor(cursor))
    rows = list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return AuditPage(
        items=[
            AuditEntryRead(
                id=r.id,
                at=r.at,
                key_id=r.key_id,
                action=AuditAction(r.action),
                labourer_id=r.labourer_id,
                fields=[f for f in r.fields.split(",") if f],
                request_id=r.request_id,
            )
            for r in rows[:limit]
        ],
        next_cursor=next_cursor,
    )
