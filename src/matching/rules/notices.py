"""What a partner agency is told of its posts, written to the outbox in the transaction of the
change it tells of (docs/partners.md, "Outcome webhooks").

A notice is written only for an agency that listens: a callback address, a live signing secret
and the notice's type among the events it chose (null: every type; an empty list: none). Its
body is fixed here, once — the delivery worker sends the same bytes on every attempt, under the
same `webhook-id`, so a receiver can tell a retry from a new notice. A labourer appears as the
anonymised profile of the agency's candidate view, never by name or id.
"""

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    cast,
    exists,
    insert,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session, selectinload

from matching.agencies.models import Agency
from matching.clock import china_date, wall_now
from matching.database import id_chunks
from matching.labourers.models import Labourer
from matching.posts.models import Post, PostStatus
from matching.pushes.models import Push
from matching.rules.candidate import anonymised_profile
from matching.webhooks.models import NoticeType, WebhookMessage, WebhookSecret

EXPIRED_TOLD_DAYS = 7
# A post's agency, typed as the queries below filter it: never null there.
_OWNER = type_coerce(Post.agency_id, Integer)


def listening(
    session: Session, kind: NoticeType, agency_ids: Iterable[int] | None = None
) -> set[int]:
    """The agencies (of `agency_ids`, or of all) that take notices of this type now (a
    secret's overlap runs in real time: clock.wall_now). Few agencies listen: asking this
    first keeps a plan's commit of many pushes from reading them again when none does."""
    query = select(Agency.id, Agency.webhook_events).where(
        Agency.callback_url.is_not(None),
        exists().where(
            WebhookSecret.agency_id == Agency.id,
            or_(WebhookSecret.expires_at.is_(None), WebhookSecret.expires_at > wall_now()),
        ),
    )
    if agency_ids is not None:
        wanted = set(agency_ids)
        if not wanted:
            return set()
        query = query.where(Agency.id.in_(wanted))
    rows = session.execute(query)
    return {int(i) for i, events in rows if events is None or kind.value in events}


def notify_pushes(
    session: Session, push_ids: Sequence[int], kind: NoticeType, now: datetime
) -> int:
    """A notice per push of a listening agency's post: made, or moved to a new state."""
    agencies = listening(session, kind) if push_ids else set()
    if not agencies:
        return 0
    found: list[Any] = []
    for chunk in id_chunks(list(push_ids)):
        found += session.execute(
            select(Push, _OWNER, Post.external_id, Post.title)
            .join(Post, Post.id == Push.post_id)
            .where(Push.id.in_(chunk or []), _OWNER.in_(agencies))
            .execution_options(populate_existing=True)  # the caller moved it with a Core UPDATE
        ).all()
    if not found:
        return 0
    people = _labourers(session, {row[0].labourer_id for row in found})
    today = china_date(now)
    rows = [
        _message(
            agency_id,
            kind,
            f"push:{push.id}",
            now,
            {
                "push": {
                    "id": push.id,
                    "state": str(push.state),
                    "channel": str(push.channel),
                    "pushed_on": push.pushed_on.isoformat(),
                    "score": push.score,
                    "hired_on": _day(push.hired_on),
                },
                "post": {"id": push.post_id, "external_id": external_id, "title": title},
                "candidate": anonymised_profile(people[push.labourer_id], today),
            },
        )
        for push, agency_id, external_id, title in found
    ]
    session.execute(insert(WebhookMessage), rows)
    return len(rows)


def notify_posts(session: Session, post_ids: Sequence[int], kind: NoticeType, now: datetime) -> int:
    """A notice per post of a listening agency that filled or expired, once per post and type."""
    if not post_ids:
        return 0
    told = _told(kind)
    found = session.execute(
        select(Post.id, _OWNER, Post.external_id, Post.title, Post.openings,
               Post.openings_left, Post.valid_until)
        .where(Post.id.in_(list(post_ids)), Post.agency_id.is_not(None), ~told)
    ).all()  # fmt: skip
    agencies = listening(session, kind, (row[1] for row in found))
    rows = [
        _message(
            agency_id,
            kind,
            f"post:{post_id}",
            now,
            {
                "post": {
                    "id": post_id,
                    "external_id": external_id,
                    "title": title,
                    "openings": openings,
                    "openings_left": left,
                    "valid_until": _day(valid_until),
                },
            },
        )
        for post_id, agency_id, external_id, title, openings, left, valid_until in found
        if agency_id in agencies
    ]
    if rows:
        session.execute(insert(WebhookMessage), rows)
    return len(rows)


def notify(
    session: Session,
    agency_id: int,
    kind: NoticeType,
    subject: str,
    data: dict[str, Any],
    now: datetime,
) -> bool:
    """One notice of anything else (a list exchange's step) to one agency, if it listens."""
    if agency_id not in listening(session, kind, [agency_id]):
        return False
    session.execute(insert(WebhookMessage), [_message(agency_id, kind, subject, now, data)])
    return True


def expired_agency_posts(session: Session, today: date) -> list[int]:
    """Posts of listening agencies whose last valid day passed in the last EXPIRED_TOLD_DAYS
    (an agency that starts listening is not told of every post it ever had), neither filled
    nor withdrawn, and not told yet."""
    agencies = listening(session, NoticeType.post_expired)
    if not agencies:
        return []
    return list(
        session.scalars(
            select(Post.id).where(
                _OWNER.in_(agencies),
                Post.valid_until < today,
                Post.valid_until >= today - timedelta(days=EXPIRED_TOLD_DAYS),
                Post.status.in_([PostStatus.open, PostStatus.expired]),
                ~_told(NoticeType.post_expired),
            )
        )
    )


def _told(kind: NoticeType) -> Any:
    """Whether the post of the enclosing query has had a notice of this type already."""
    subject = literal("post:", String) + cast(Post.id, String)
    return exists().where(
        and_(WebhookMessage.subject == subject, WebhookMessage.type == kind.value)
    )


def _message(
    agency_id: int, kind: NoticeType, subject: str, now: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # UTC as in every body
    body = {"type": kind.value, "timestamp": stamp, "data": data}
    return {
        "message_id": f"msg_{uuid.uuid4().hex}",
        "agency_id": agency_id,
        "type": kind.value,
        "subject": subject,
        "body": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        "created_at": now,
        "state": "pending",
        "attempts": 0,
    }


def _labourers(session: Session, ids: set[int]) -> dict[int, Labourer]:
    rows = session.scalars(
        select(Labourer).where(Labourer.id.in_(ids)).options(selectinload(Labourer.skills))
    )
    return {x.id: x for x in rows}


def _day(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
