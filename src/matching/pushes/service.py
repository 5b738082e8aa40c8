"""Recording pushes and their outcomes."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Select, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from matching.agencies.models import Agency
from matching.auth.models import Role
from matching.auth.principal import Principal
from matching.clock import china_date, month_of
from matching.employment import service as jobs
from matching.errors import Conflict, Forbidden, NotFound, Unprocessable
from matching.labourers.models import Labourer
from matching.labourers.service import refuse_merged
from matching.matches.read_model import ReadModel
from matching.pagination import decode_cursor, encode_cursor
from matching.posts.models import Post, PostStatus
from matching.posts.service import status_on
from matching.pushes.models import (
    Channel,
    Push,
    PushedBy,
    PushEvent,
    PushState,
    push_made,
    push_row,
)
from matching.pushes.schemas import EventCreate, PushCreate
from matching.rules import feedback, notices
from matching.scope import check_scope, scope_clause
from matching.webhooks.models import NoticeType, push_notice

# The outcome chain may skip steps (a push made in person can go straight to an application or a
# hire) but never goes back; an end state (hired, declined, rejected, no response) is final.
_CHAIN = [
    PushState.pushed,
    PushState.delivered,
    PushState.viewed,
    PushState.applied,
    PushState.interviewed,
    PushState.hired,
]
_ENDS_FROM: dict[PushState, frozenset[PushState]] = {
    PushState.declined: frozenset(_CHAIN[:5]),  # the labourer may decline up to the offer
    PushState.rejected: frozenset({PushState.applied, PushState.interviewed}),
    PushState.no_response: frozenset({PushState.pushed, PushState.delivered, PushState.viewed}),
}
APP_STATES = frozenset({PushState.viewed, PushState.applied, PushState.declined})
# Clock skew allowed for an event time given by a client.
_SKEW = timedelta(minutes=5)


def allowed_next(current: PushState) -> list[PushState]:
    """The states a push may move to from its current one."""
    if current.final:
        return []
    later = _CHAIN[_CHAIN.index(current) + 1 :]
    ends = [end for end, sources in _ENDS_FROM.items() if current in sources]
    return later + ends


@dataclass(frozen=True, slots=True)
class PushOutcome:
    """One pair asked for and its push."""

    push: Push
    created: bool


def create_pushes(
    session: Session,
    body: PushCreate,
    *,
    principal: Principal,
    indexes: ReadModel,
    attribution_days: int,
    now: datetime,
    window: feedback.Window | None = None,
) -> list[PushOutcome]:
    """Push posts to labourers; a pair pushed already this month answers with that push.

    With a `window`, each push keeps the labourer's taste factor from their answers in it
    (rules.feedback), as a plan's pushes do, for calibration's offset.

    Every id is checked first (404 for a missing one, 403 outside the caller's regions, 409 for a
    post that takes no more pushes), so a refused request writes nothing.
    """
    today = china_date(now)
    posts = _open_posts(session, body.post_ids, today)
    regions = _labourer_regions(session, body.labourer_ids, principal)
    pairs = [(lab, post) for lab in dict.fromkeys(body.labourer_ids) for post in posts]
    month = month_of(today)
    existing = _existing(session, [(lab, post.id) for lab, post in pairs], month)
    by_id = indexes.profiles(regions)
    records = {post.id: indexes.record_of(post) for post in posts}
    taste = (
        feedback.for_labourers(session, list(regions), today, window)
        if window is not None
        else None
    )
    made = push_made(channel=body.channel, pushed_by=PushedBy.staff, key_id=principal.key_id,
                     now=now, attribution_days=attribution_days, note=body.note)  # fmt: skip
    rows = [
        push_row(
            made,
            lab,
            post.id,
            regions[lab],
            indexes.explain(by_id[lab], records[post.id]),
            None if taste is None else taste.factor(lab, post.occupation_id),
        )
        for lab, post in pairs
        if (lab, post.id) not in existing
    ]
    created_ids = _insert_new(session, rows)
    notices.notify_pushes(session, created_ids, NoticeType.push_created, now)
    if len(created_ids) < len(rows):  # a concurrent request pushed some of the pairs first
        existing = _existing(session, [(lab, post.id) for lab, post in pairs], month)
    found = {
        p.id: p
        for p in session.scalars(
            select(Push)
            .where(Push.id.in_(list(existing.values()) + created_ids))
            .options(selectinload(Push.events))
        )
    }
    fresh = set(created_ids)
    by_pair = {(p.labourer_id, p.post_id): p for p in found.values()}
    return [
        PushOutcome(by_pair[(lab, post.id)], by_pair[(lab, post.id)].id in fresh)
        for lab, post in pairs
    ]


def _open_posts(session: Session, post_ids: list[int], today: date) -> list[Post]:
    wanted = list(dict.fromkeys(post_ids))
    rows = {
        p.id: p
        for p in session.scalars(
            select(Post).where(Post.id.in_(wanted)).options(selectinload(Post.skills))
        )
    }
    agencies = {p.agency_id for p in rows.values() if p.agency_id is not None}
    suspended = set(
        session.scalars(
            select(Agency.id).where(Agency.id.in_(agencies), Agency.suspended_at.is_not(None))
        )
        if agencies
        else ()
    )
    for post_id in wanted:
        post = rows.get(post_id)
        if post is None:
            raise NotFound(f"No post with id {post_id}")
        status = status_on(post, today)
        if status != PostStatus.open or post.openings_left == 0:
            raise Conflict(
                f"Post {post_id} is {status} and takes no pushes / 岗位已{_STATUS_ZH[status]}",
                extra={"post_id": post_id, "post_status": str(status)},
            )
        if post.agency_id in suspended:
            raise Conflict(
                f"Post {post_id} belongs to agency {post.agency_id}, which is suspended, and "
                "takes no pushes / 该岗位所属合作机构已暂停，不能推送",
                extra={"post_id": post_id, "agency_id": post.agency_id},
            )
    return [rows[i] for i in wanted]


_STATUS_ZH = {
    PostStatus.open: "开放",
    PostStatus.filled: "招满",
    PostStatus.expired: "过期",
    PostStatus.withdrawn: "撤回",
}


def _labourer_regions(
    session: Session, labourer_ids: list[int], principal: Principal
) -> dict[int, str]:
    wanted = list(dict.fromkeys(labourer_ids))
    rows = session.execute(
        select(Labourer.id, Labourer.hukou_region, Labourer.merged_into_id).where(
            Labourer.id.in_(wanted)
        )
    ).all()
    found: dict[int, str] = {r[0]: r[1] for r in rows}
    merged = {r[0]: r[2] for r in rows}
    for labourer_id in wanted:
        region = found.get(labourer_id)
        if region is None:
            raise NotFound(f"No labourer with id {labourer_id}")
        check_scope(principal, region, f"labourer {labourer_id}")
        refuse_merged(labourer_id, merged[labourer_id])
    return {i: found[i] for i in wanted}


def _existing(
    session: Session, pairs: list[tuple[int, int]], month: str
) -> dict[tuple[int, int], int]:
    if not pairs:
        return {}
    rows = session.execute(
        select(Push.labourer_id, Push.post_id, Push.id).where(
            Push.month == month,
            tuple_(Push.labourer_id, Push.post_id).in_(pairs),
        )
    )
    return {(lab, post): push_id for lab, post, push_id in rows}


def _insert_new(session: Session, rows: list[dict[str, object]]) -> list[int]:
    """Insert the pushes; on a clash with a concurrent request, insert the rest one by one."""
    if not rows:
        return []
    try:
        with session.begin_nested():
            return list(
                session.scalars(insert(Push).returning(Push.id, sort_by_parameter_order=True), rows)
            )
    except IntegrityError:
        pass
    ids = []
    for row in rows:
        try:
            with session.begin_nested():
                ids.append(int(session.scalars(insert(Push).returning(Push.id), [row]).one()))
        except IntegrityError:
            continue  # pushed by the other request: answered with its push
    return ids


def get_push(
    session: Session, push_id: int, principal: Principal, *, for_update: bool = False
) -> Push:
    """One push the caller may see: 404 if absent (for the app key, also when its labourer is
    not enrolled in the app), 403 outside a staff key's regions."""
    query = select(Push).where(Push.id == push_id).options(selectinload(Push.events))
    if for_update:
        query = query.with_for_update()
    push = session.scalar(query)
    if push is None or (principal.role == Role.app and not _enrolled(session, push.labourer_id)):
        raise NotFound(f"No push with id {push_id}")
    check_scope(principal, push.labourer_region, "push")
    return push


def _enrolled(session: Session, labourer_id: int) -> bool:
    linked = session.scalar(select(Labourer.app_linked_at).where(Labourer.id == labourer_id))
    return linked is not None


def record_event(
    session: Session, push_id: int, body: EventCreate, *, principal: Principal, now: datetime
) -> tuple[Push, bool]:
    """Move a push to its next state; returns the push and whether anything was written.

    Repeating the current state writes nothing (apps retry); any other move that is not allowed
    is a 409 naming the current state. A hire takes one of the post's openings, records the job
    and sets the labourer employed from the start day, in the same transaction.
    """
    if principal.role == Role.app and body.state not in APP_STATES:
        allowed = ", ".join(sorted(APP_STATES))
        raise Forbidden(f"The app records only {allowed}; staff record '{body.state}' / 无权限")
    push = get_push(session, push_id, principal, for_update=True)
    if push.state == body.state:
        return push, False
    if body.state not in allowed_next(push.state):
        allowed = ", ".join(allowed_next(push.state)) or "nothing (final)"
        raise Conflict(
            f"Push {push.id} is '{push.state}'; it cannot become '{body.state}' "
            f"(allowed: {allowed}) / 当前状态为 {push.state}",
            extra={"current_state": str(push.state), "allowed": allowed_next(push.state)},
        )
    occurred = body.occurred_at or now
    if occurred.tzinfo is None:
        raise Unprocessable.for_field("occurred_at", "needs a time zone, e.g. +08:00 / 需要时区")
    if occurred > now + _SKEW:
        raise Unprocessable.for_field("occurred_at", "is in the future / 不能晚于当前时间")
    last = push.events[-1].occurred_at if push.events else push.pushed_at
    if occurred < last:
        when = last.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # UTC as in every body
        raise Unprocessable.for_field(
            "occurred_at", f"is before the previous step ({when}) / 早于上一步"
        )
    # Compare-and-set: a concurrent event on the same push finds the state changed and loses.
    moved = session.execute(
        update(Push)
        .where(Push.id == push.id, Push.state == push.state)
        .values(state=body.state, state_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 1) != 1:
        raise Conflict(f"Push {push.id} changed meanwhile; read it again / 状态已变化")
    if body.state == PushState.hired:
        session.execute(
            update(Push)
            .where(Push.id == push.id)
            .values(hired_on=china_date(occurred))
            .execution_options(synchronize_session=False)
        )
    # The agency hears of the move first, then (a hire) of its post filling.
    notices.notify_pushes(session, [push.id], push_notice(body.state), now)
    if body.state == PushState.hired:
        _hire(session, push, china_date(occurred), body, principal)
    session.add(
        PushEvent(
            push_id=push.id,
            state=body.state,
            occurred_at=occurred,
            recorded_at=now,
            recorded_by_key_id=principal.key_id,
            note=body.note,
        )
    )
    session.flush()
    session.expire(push)
    return get_push(session, push.id, principal), True


def _hire(
    session: Session, push: Push, hired_on: date, body: EventCreate, principal: Principal
) -> None:
    post = session.get(Post, push.post_id)
    labourer = session.get(Labourer, push.labourer_id)
    assert post is not None  # foreign keys
    assert labourer is not None
    details = body.hire
    start = details.start_date if details and details.start_date else hired_on
    wage = details.monthly_wage if details and details.monthly_wage is not None else post.wage_min
    job = jobs.job_from_post(post)
    jobs.start_job(
        session,
        labourer,
        employer=str(job["employer"]),
        workplace_region=str(job["workplace_region"]),
        in_organisation=bool(job["in_organisation"]),
        public_welfare=bool(job["public_welfare"]),
        start_date=start,
        monthly_wage=wage,
        post_id=post.id,
        push_id=push.id,
        key_id=principal.key_id,
    )


@dataclass(frozen=True, slots=True)
class PushFilters:
    """List filters; None means no filter."""

    labourer_id: int | None = None
    post_id: int | None = None
    region: str | None = None
    month: str | None = None
    state: PushState | None = None
    channel: Channel | None = None
    plan_id: int | None = None


def list_query(filters: PushFilters, principal: Principal) -> Select[Push]:
    """The filtered, scoped query (without paging)."""
    query = select(Push)
    scope = scope_clause(principal, Push.labourer_region)
    if scope is not None:
        query = query.where(scope)
    if filters.region:
        query = query.where(Push.labourer_region.startswith(filters.region))
    for name in ("labourer_id", "post_id", "month", "state", "channel", "plan_id"):
        value = getattr(filters, name)
        if value is not None:
            query = query.where(getattr(Push, name) == value)
    return query


def list_pushes(
    session: Session,
    filters: PushFilters,
    principal: Principal,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[Push], str | None]:
    """A page of pushes, newest first, and the cursor for the next page."""
    if filters.region:
        check_scope(principal, filters.region, "region")
    query = list_query(filters, principal).options(selectinload(Push.events))
    if cursor:
        query = query.where(Push.id < decode_cursor(cursor))
    rows = list(session.scalars(query.order_by(Push.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def posts_by_id(session: Session, ids: Sequence[int]) -> dict[int, Post]:
    """Posts for the inbox's post summaries."""
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(select(Post).where(Post.id.in_(set(ids))))}
