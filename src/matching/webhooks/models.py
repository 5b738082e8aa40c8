"""The outbox of notices to agencies, their delivery attempts, and the agencies' signing secrets.

Delivery times (attempts, leases, retries, a secret's end) are the machine's (clock.wall_now);
a message's `created_at` is the service clock's, the time of the change it tells of.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from matching.database import Base, utcnow


class NoticeType(StrEnum):
    """What an agency can hear of (docs/partners.md, "Outcome webhooks")."""

    push_created = "push.created"
    push_delivered = "push.delivered"
    push_viewed = "push.viewed"
    push_applied = "push.applied"
    push_interviewed = "push.interviewed"
    push_hired = "push.hired"
    push_declined = "push.declined"
    push_rejected = "push.rejected"
    push_no_response = "push.no_response"
    post_filled = "post.filled"
    post_expired = "post.expired"
    exchange_sent = "exchange.sent"
    exchange_answered = "exchange.answered"
    exchange_matched = "exchange.matched"
    exchange_closed = "exchange.closed"


def push_notice(state: str) -> "NoticeType":
    """The notice of a push that has moved to `state` (push.viewed, push.hired …)."""
    return NoticeType(f"push.{state}")


class MessageState(StrEnum):
    """Where a notice is: waiting for (another) attempt, received, or given up on."""

    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class WebhookSecret(Base):
    """A secret an agency's notices are signed with. The newest signs; an older one keeps
    signing beside it until `expires_at`, so a receiver can switch over without a gap."""

    __tablename__ = "webhook_secrets"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    secret_cipher: Mapped[str] = mapped_column(Text)  # "whsec_…", encrypted with the data key
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()


class WebhookMessage(Base):
    """One notice to one agency: written in the transaction of the change it tells of (the
    outbox), sent by the delivery worker until the agency's endpoint takes it."""

    __tablename__ = "webhook_messages"
    __table_args__ = (
        Index("ix_webhook_messages_due", "state", "next_attempt_at"),
        Index("ix_webhook_messages_subject", "subject", "type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(40), unique=True)  # webhook-id, stable
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(40))  # e.g. "push:12", "post:7"
    body: Mapped[str] = mapped_column(Text)  # the exact bytes sent, every time
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(12), default=MessageState.pending.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    first_attempt_at: Mapped[datetime | None] = mapped_column()
    next_attempt_at: Mapped[datetime | None] = mapped_column()  # None: due at once
    lease_until: Mapped[datetime | None] = mapped_column()  # a worker is sending it
    delivered_at: Mapped[datetime | None] = mapped_column()
    last_status: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(300))


class WebhookAttempt(Base):
    """One try at delivering a message: the answer's status, or why there was none."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("webhook_messages.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(String(300))
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
