"""Delivering the outbox: the worker that sends each pending notice to its agency's callback
address, signed, until it is taken or a day of retries has passed (docs/partners.md).

At least once: a message is leased (`lease_until`) before it is sent, and its outcome is
written after; a worker killed in between leaves the lease to run out and the message is sent
again, with the same `webhook-id`. Delivery lives in real time — the signature's timestamp is
what the receiver checks against its own clock, and a retry's delay is real seconds — so it
reads the wall clock, not the service's (business) clock, which may be fixed for a drill.
"""

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from matching import clock
from matching.agencies.models import Agency
from matching.database import session_scope
from matching.kit.crypto import FieldCipher
from matching.kit.outbound import RefusedAddress, check_public
from matching.rules import notices
from matching.webhooks import signing
from matching.webhooks.models import MessageState, NoticeType, WebhookAttempt, WebhookMessage
from matching.webhooks.secrets import live_secrets

logger = logging.getLogger(__name__)
SWEEP_EVERY_S = 60.0  # expired posts: no write marks them, so the worker looks for them


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How hard the worker tries."""

    timeout_s: float = 10.0  # per request: connect, read, write
    lease_s: float = 60.0  # a message is a worker's for this long (longer than the timeout)
    first_retry_s: float = 5.0  # then ×4 each time: 5 s, 20 s, 80 s, 5 min, 21 min, 85 min …
    max_retry_s: float = 6 * 3600.0
    retry_for: timedelta = timedelta(hours=24)  # no attempt is the last before this has passed
    batch: int = 20
    public_only: bool = True  # refuse private and loopback callbacks (production)


def retry_delay(attempts: int, policy: DeliveryPolicy, rng: random.Random) -> float:
    """Seconds before the next attempt: exponential, capped, with ±50% jitter so that many
    messages failed together do not come back together."""
    base = min(policy.max_retry_s, policy.first_retry_s * 4 ** max(attempts - 1, 0))
    return float(base * rng.uniform(0.5, 1.5))


class Deliverer:
    """Sends due messages; `run_once` for one pass, `run` until stopped."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        cipher: FieldCipher,
        policy: DeliveryPolicy = DeliveryPolicy(),
        *,
        client: httpx.Client | None = None,
        now: Callable[[], datetime] = clock.wall_now,
        seed: int | None = None,
    ) -> None:
        self.sessions, self.cipher, self.policy, self.now = sessions, cipher, policy, now
        self.client = client or httpx.Client(timeout=policy.timeout_s, follow_redirects=False)
        self.rng = random.Random(seed)

    def run(self, stop: threading.Event, poll_s: float = 1.0) -> None:
        """Deliver until `stop` is set; look for expired posts once a minute."""
        swept = float("-inf")
        while not stop.is_set():
            try:
                sent = self.run_once()
                if time.monotonic() - swept >= SWEEP_EVERY_S:
                    swept = time.monotonic()
                    self.sweep_expired_posts()
            except Exception:  # a bad pass must not end the worker: log, wait, go on
                logger.exception("webhook delivery pass failed")
                sent = 0
            if not sent:
                stop.wait(poll_s)

    def run_once(self) -> int:
        """Lease the due messages, send each; returns how many were tried."""
        ids = self._lease()
        for message_id in ids:
            self._deliver(message_id)
        return len(ids)

    def sweep_expired_posts(self) -> int:
        """Tell agencies of their posts whose last valid day has passed (no write marks that)."""
        told = 0
        for session in session_scope(self.sessions):  # a writer (IMMEDIATE on SQLite)
            now = clock.now()
            expired = notices.expired_agency_posts(session, clock.china_date(now))
            told = notices.notify_posts(session, expired, NoticeType.post_expired, now)
        return told

    def _lease(self) -> list[int]:
        now = self.now()
        for session in session_scope(self.sessions):  # a writer (IMMEDIATE on SQLite)
            due = session.scalars(
                select(WebhookMessage.id)
                .where(
                    WebhookMessage.state == MessageState.pending.value,
                    or_(
                        WebhookMessage.next_attempt_at.is_(None),
                        WebhookMessage.next_attempt_at <= now,
                    ),
                    or_(WebhookMessage.lease_until.is_(None), WebhookMessage.lease_until < now),
                )
                .order_by(WebhookMessage.id)
                .limit(self.policy.batch)
                .with_for_update(skip_locked=True)
            ).all()
            if due:
                until = now + timedelta(seconds=self.policy.lease_s)
                session.execute(
                    update(WebhookMessage)
                    .where(WebhookMessage.id.in_(due))
                    .values(lease_until=until)
                    .execution_options(synchronize_session=False)
                )
        return list(due)

    def _deliver(self, message_id: int) -> None:
        with self.sessions() as session:
            message = session.get(WebhookMessage, message_id)
            assert message is not None
            agency = session.get(Agency, message.agency_id)
            assert agency is not None
            secrets = live_secrets(session, agency.id, self.cipher, self.now())
            url, body = agency.callback_url, message.body.encode("utf-8")
        started = time.perf_counter()
        status, error = self._send(url, secrets, message.message_id, body)
        elapsed = int((time.perf_counter() - started) * 1000)
        self._record(message_id, status, error, elapsed)

    def _send(
        self, url: str | None, secrets: list[str], message_id: str, body: bytes
    ) -> tuple[int | None, str | None]:
        if not url:
            return None, "the agency has no callback address / 未设置回调地址"
        if not secrets:
            return None, "the agency has no live signing secret / 无有效签名密钥"
        try:
            if self.policy.public_only:
                check_public(url)
            stamp = int(self.now().timestamp())
            headers = signing.headers(secrets, message_id, stamp, body)
            response = self.client.post(url, content=body, headers=headers)
        except RefusedAddress as exc:
            return None, str(exc)[:300]
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:300]
        return response.status_code, None

    def _record(self, message_id: int, status: int | None, error: str | None, ms: int) -> None:
        now = self.now()
        for session in session_scope(self.sessions):  # a writer (IMMEDIATE on SQLite)
            message = session.get(WebhookMessage, message_id, with_for_update=True)
            assert message is not None
            attempt = WebhookAttempt(
                message_id=message_id, attempted_at=now, status_code=status, error=error,
                duration_ms=ms,
            )  # fmt: skip
            session.add(attempt)
            first = message.first_attempt_at or now
            message.first_attempt_at, message.attempts = first, message.attempts + 1
            message.last_status, message.last_error, message.lease_until = status, error, None
            agency = session.get(Agency, message.agency_id)
            assert agency is not None
            if status is not None and 200 <= status < 300:
                message.state, message.delivered_at = MessageState.delivered.value, now
                agency.webhook_failing_since = None
            elif now - first >= self.policy.retry_for:
                message.state = MessageState.failed.value
                agency.webhook_failing_since = agency.webhook_failing_since or now
            else:
                delay = retry_delay(message.attempts, self.policy, self.rng)
                message.next_attempt_at = now + timedelta(seconds=delay)


class DeliveryThread:
    """The worker as a daemon thread of the web process (settings.webhook_delivery)."""

    def __init__(self, deliverer: Deliverer, poll_s: float) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=deliverer.run, args=(self.stop, poll_s), name="webhook-delivery", daemon=True
        )

    def start(self) -> None:
        """Start delivering."""
        self.thread.start()

    def close(self) -> None:
        """Stop after the current message."""
        self.stop.set()
        self.thread.join(timeout=15)
