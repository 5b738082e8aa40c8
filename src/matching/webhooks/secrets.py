"""An agency's signing secrets: minted here, stored encrypted, shown once."""

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from matching.kit.crypto import FieldCipher
from matching.webhooks import signing
from matching.webhooks.models import WebhookSecret


def live_secrets(session: Session, agency_id: int, cipher: FieldCipher, now: datetime) -> list[str]:
    """The agency's secrets that still sign, newest first."""
    rows = session.scalars(
        select(WebhookSecret.secret_cipher)
        .where(
            WebhookSecret.agency_id == agency_id,
            or_(WebhookSecret.expires_at.is_(None), WebhookSecret.expires_at > now),
        )
        .order_by(WebhookSecret.id.desc())
    )
    return [cipher.decrypt(token) for token in rows]


def rotate(
    session: Session, agency_id: int, cipher: FieldCipher, now: datetime, overlap: timedelta
) -> tuple[str, datetime | None]:
    """A new secret for the agency; the ones before keep signing for `overlap`, then stop.
    Returns the new secret (shown this once) and when the previous ones stop."""
    secret = signing.new_secret()
    until = now + overlap
    ended = session.execute(
        update(WebhookSecret)
        .where(
            WebhookSecret.agency_id == agency_id,
            or_(WebhookSecret.expires_at.is_(None), WebhookSecret.expires_at > until),
        )
        .values(expires_at=until)
        .execution_options(synchronize_session=False)
    )
    session.add(WebhookSecret(agency_id=agency_id, secret_cipher=cipher.encrypt(secret),
                              created_at=now))  # fmt: skip
    session.flush()
    return secret, until if getattr(ended, "rowcount", 0) else None
