"""An agency's side of its notices: its signing secret, its delivery log, a redelivery."""

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matching.clock import wall_now
from matching.errors import NotFound
from matching.kit.crypto import FieldCipher
from matching.pagination import decode_cursor, encode_cursor
from matching.webhooks import secrets
from matching.webhooks.models import MessageState, WebhookAttempt, WebhookMessage
from matching.webhooks.schemas import AttemptRead, MessageRead, SecretIssued


def issue_secret(
    session: Session, agency_id: int, cipher: FieldCipher, *, overlap_hours: int
) -> SecretIssued:
    """A new signing secret, shown this once; the previous ones sign beside it for a while."""
    now = wall_now()
    secret, previous_until = secrets.rotate(
        session, agency_id, cipher, now, timedelta(hours=overlap_hours)
    )
    return SecretIssued(secret=secret, created_at=now, previous_valid_until=previous_until)


def list_messages(
    session: Session,
    agency_id: int,
    *,
    state: MessageState | None,
    kind: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[MessageRead], str | None]:
    """The agency's notices, newest first, each with its attempts; and the next page's cursor."""
    query = select(WebhookMessage).where(WebhookMessage.agency_id == agency_id)
    if state is not None:
        query = query.where(WebhookMessage.state == state.value)
    if kind is not None:
        query = query.where(WebhookMessage.type == kind)
    if cursor:
        query = query.where(WebhookMessage.id < decode_cursor(cursor))
    rows = list(session.scalars(query.order_by(WebhookMessage.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    rows = rows[:limit]
    attempts: dict[int, list[AttemptRead]] = defaultdict(list)
    for attempt in session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.message_id.in_([m.id for m in rows]))
        .order_by(WebhookAttempt.id)
    ):
        attempts[attempt.message_id].append(AttemptRead.model_validate(attempt))
    return [_present(m, attempts[m.id]) for m in rows], next_cursor


def redeliver(session: Session, agency_id: int, message_id: str) -> MessageRead:
    """Send a notice again, at once, under the same webhook-id (delivered or given up on)."""
    message = session.scalar(
        select(WebhookMessage)
        .where(WebhookMessage.agency_id == agency_id, WebhookMessage.message_id == message_id)
        .with_for_update()
    )
    if message is None:
        raise NotFound(f"No notice {message_id!r} for agency {agency_id}")
    session.execute(
        update(WebhookMessage)
        .where(WebhookMessage.id == message.id)
        .values(
            state=MessageState.pending.value,
            next_attempt_at=None,
            first_attempt_at=None,
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.refresh(message)
    attempts = session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.message_id == message.id)
        .order_by(WebhookAttempt.id)
    )
    return _present(message, [AttemptRead.model_validate(a) for a in attempts])


def _present(message: WebhookMessage, attempts: list[AttemptRead]) -> MessageRead:
    return MessageRead(
        id=message.message_id,
        type=message.type,
        created_at=message.created_at,
        state=MessageState(message.state),
        attempts=attempts,
        next_attempt_at=message.next_attempt_at
        if message.state == MessageState.pending.value
        else None,
        delivered_at=message.delivered_at,
        body=message.body,
    )
