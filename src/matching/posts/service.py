"""Publishing, changing, withdrawing, expiring and listing posts."""

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    and_,
    any_,
    bindparam,
    case,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from matching.auth.models import Role
from matching.auth.principal import Principal
from matching.changes import POSTS, next_seq
from matching.errors import Conflict, Forbidden, NotFound, Unprocessable
from matching.pagination import decode_cursor, encode_cursor
from matching.posts.models import Post, PostSkill, PostSource, PostStatus
from matching.posts.schemas import DuplicatePostGroup, PostCreate, PostSkillInput, PostUpdate
from matching.regions.validation import canonical_region_code
from matching.rules import places
from matching.skills.resolve import TermResolution, resolve_terms

_SPACE = re.compile(r"[\s\u3000（）()【】\[\]·,，。.、-]+")


@dataclass(frozen=True, slots=True)
class PostFilters:
    """List filters; None means no filter."""

    region: str | None = None
    post_type: str | None = None
    status: PostStatus | None = None
    skill: str | None = None
    agency_id: int | None = None
    min_wage: int | None = None


def member_of(
    session: Session, column: InstrumentedAttribute[Any], values: Sequence[Any]
) -> Iterator[ColumnElement[bool]]:
    """Conditions `column IN values`, one per query to run: on PostgreSQL a single
    `column = ANY(array)` with one array parameter (planned as a constant, so PostgreSQL hashes
    it, and psycopg has one parameter to bind instead of hundreds); elsewhere IN lists of 500."""
    if not values:
        return
    if session.get_bind().dialect.name == "postgresql":
        yield column == any_(literal(list(values), ARRAY(column.type)))
        return
    for start in range(0, len(values), 500):
        yield column.in_(values[start : start + 500])


def effective_status(today: date) -> ColumnElement[str]:
    """SQL for the status as of today: an open post past its valid-until date is expired."""
    return case(
        (and_(Post.status == PostStatus.open, Post.valid_until < today), PostStatus.expired.value),
        else_=Post.status,
    )


def status_on(post: Post, today: date) -> PostStatus:
    """A post's status as of today (expiry applies automatically)."""
    return _status_as_of(post.status, post.valid_until, today)


def _status_as_of(status: PostStatus, valid_until: date | None, today: date) -> PostStatus:
    if status == PostStatus.open and valid_until is not None and valid_until < today:
        return PostStatus.expired
    return status


def expire_due(session: Session, today: date) -> int:
    """Persist the expiry of open posts past their valid-until date; returns how many."""
    due = select(Post.id).where(Post.status == PostStatus.open, Post.valid_until < today)
    if session.scalar(due.limit(1)) is None:
        return 0
    result = session.execute(
        update(Post)
        .where(Post.status == PostStatus.open, Post.valid_until < today)
        .values(status=PostStatus.expired, change_seq=next_seq(session, POSTS))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def fingerprint(
    employer: str, title: str, workplace_region: str, wage_min: int, wage_max: int
) -> str:
    """Identity of 'the same post' across sources: employer, title, county and wage band."""

    def norm(text: str) -> str:
        return _SPACE.sub("", text).lower()

    key = "|".join(
        [
            norm(employer),
            norm(title),
            workplace_region[:6],
            str(wage_min // 500),
            str(wage_max // 500),
        ]
    )
    return hashlib.sha256(key.encode()).hexdigest()


def content_hash(body: PostCreate) -> str:
    """Hash of what was sent, to tell 'unchanged' from 'updated' on upsert."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _resolve_skills(
    items: list[PostSkillInput],
) -> tuple[list[dict[str, Any]], list[str], list[TermResolution]]:
    """The post_skills rows (without post_id), the unresolved terms, and how each term was read."""
    resolutions = resolve_terms([s.term for s in items])
    skills: dict[str, dict[str, Any]] = {}
    unresolved = []
    for given, resolution in zip(items, resolutions, strict=True):
        if resolution.skill_id is None:
            unresolved.append(given.term)
        elif resolution.skill_id not in skills:
            skills[resolution.skill_id] = {
                "skill_id": resolution.skill_id,
                "required": given.required,
                "min_level": given.min_level,
                "source_text": given.term,
            }
    return list(skills.values()), unresolved, resolutions


_PLAIN = (
    "employer", "post_type", "title", "description", "wage_min", "wage_max", "housing", "meals",
    "age_min", "age_max", "sex_requirement", "education_min", "seasonal", "min_duration_months",
    "valid_until", "contact_phone", "workplace_lat", "workplace_lon",
)  # fmt: skip


def _changes(
    values: dict[str, Any], skills: list[PostSkillInput] | None, resolutions: list[TermResolution]
) -> Iterator[tuple[str, Any]]:
    """The attributes given values set, in order, normalised (regions, occupation, skills as
    post_skills rows); lazily, so a refused value stops it where it stands. Term readings are
    added to `resolutions`."""
    for name in _PLAIN:
        if name in values:
            yield name, values[name]
    if values.get("valid_from") is not None:
        yield "valid_from", values["valid_from"]
    if "workplace_region" in values:
        yield (
            "workplace_region",
            canonical_region_code(values["workplace_region"], field="workplace_region"),
        )
    if "occupation" in values:
        found = resolve_terms([values["occupation"]]) if values["occupation"] else []
        yield "occupation_id", found[0].skill_id if found else None
        resolutions.extend(found)
    if skills is not None:
        rows, unresolved, found = _resolve_skills(skills)
        yield "skills", rows
        yield "unresolved_skills", unresolved
        resolutions.extend(found)


def _apply(
    post: Post, values: dict[str, Any], skills: list[PostSkillInput] | None
) -> list[TermResolution]:
    resolutions: list[TermResolution] = []
    for name, value in _changes(values, skills, resolutions):
        if name == "skills":
            post.skills = [PostSkill(**row) for row in value]
        else:
            setattr(post, name, value)
    return resolutions


def _check_ranges(post: Post) -> None:
    _check_value_ranges(
        post.wage_min, post.wage_max, post.age_min, post.age_max, post.valid_from, post.valid_until
    )
    _check_point(post.workplace_region, post.workplace_lat, post.workplace_lon)


def _check_point(region: str, lat: float | None, lon: float | None) -> None:
    """A workplace point goes with its pair and lies near its region's county seat."""
    if (lat is None) != (lon is None):
        raise Unprocessable.for_field(
            "workplace_lon" if lon is None else "workplace_lat",
            "workplace_lat and workplace_lon go together / 经纬度须同时填写",
        )
    if lat is not None and lon is not None:
        places.check_near_seat(region, lat, lon, field="workplace_lat")


def _check_value_ranges(
    wage_min: int,
    wage_max: int,
    age_min: int | None,
    age_max: int | None,
    valid_from: date,
    valid_until: date | None,
) -> None:
    if wage_min > wage_max:
        raise Unprocessable.for_field("wage_max", "must not be below wage_min")
    if age_min is not None and age_max is not None and age_min > age_max:
        raise Unprocessable.for_field("age_max", "must not be below age_min")
    if valid_until is not None and valid_until < valid_from:
        raise Unprocessable.for_field("valid_until", "must not be before valid_from")


def _check_can_write(principal: Principal, post: Post) -> None:
    _check_region_allowed(principal, post.workplace_region)


def _check_region_allowed(principal: Principal, workplace_region: str) -> None:
    if principal.role == Role.staff and not principal.covers_region(workplace_region):
        raise Forbidden("The workplace is outside this key's regions / 超出管辖范围")


def create_post(
    session: Session, body: PostCreate, *, principal: Principal, today: date
) -> tuple[Post, list[TermResolution]]:
    """Publish a post; an agency's post with a known external id is a 409 (use the batch)."""
    agency_id = principal.agency_id if principal.role == Role.agency else None
    if agency_id is not None and body.external_id is not None:
        existing = find_by_external_id(session, agency_id, body.external_id)
        if existing is not None:
            raise Conflict(
                f"Post {body.external_id!r} exists already (id {existing.id}); "
                "update it or use /v1/posts/batch",
                extra={"existing_id": existing.id},
            )
    post, resolutions = build_post(body, principal=principal, today=today)
    post.change_seq = next_seq(session, POSTS)
    session.add(post)
    session.flush()
    return post, resolutions


@dataclass(slots=True)
class NewPost:
    """A validated new post as plain column values and post_skills rows (without post_id).

    The batch INSERTs these in bulk; build_post turns one into a Post. `values` gains "id" once
    the row has one."""

    values: dict[str, Any]
    skills: list[dict[str, Any]]
    resolutions: list[TermResolution]

    @property
    def id(self) -> int:
        """The row's id (once assigned)."""
        return int(self.values["id"])

    @property
    def agency_id(self) -> int | None:
        """The agency the post belongs to (None for a station's post)."""
        agency_id: int | None = self.values["agency_id"]
        return agency_id

    @property
    def fingerprint(self) -> str:
        """The post's look-alike fingerprint."""
        return str(self.values["fingerprint"])


def new_post(
    body: PostCreate, *, principal: Principal, today: date, known_hash: str | None = None
) -> NewPost:
    """Validate a new post and compute its columns: regions, skills and ranges; no database
    access and no ORM object (cheap enough for a batch of 1,000).

    `known_hash` is the body's content_hash() when the caller computed it already."""
    agency_id = principal.agency_id if principal.role == Role.agency else None
    values: dict[str, Any] = {
        "source": PostSource.agency if agency_id else PostSource.station,
        "agency_id": agency_id,
        "external_id": body.external_id,
        "openings": body.openings,
        "openings_left": body.openings,
        "valid_from": body.valid_from or today,
        "created_by_key_id": principal.key_id,
        "status": PostStatus.open,
    }
    resolutions: list[TermResolution] = []
    skills: list[dict[str, Any]] = []
    given = body.model_dump(exclude={"required_skills", "openings"})
    for name, value in _changes(given, body.required_skills, resolutions):
        if name == "skills":
            skills = value
        else:
            values[name] = value
    _check_region_allowed(principal, values["workplace_region"])
    _check_value_ranges(
        values["wage_min"],
        values["wage_max"],
        values["age_min"],
        values["age_max"],
        values["valid_from"],
        values["valid_until"],
    )
    _check_point(values["workplace_region"], values["workplace_lat"], values["workplace_lon"])
    values["fingerprint"] = fingerprint(
        values["employer"],
        values["title"],
        values["workplace_region"],
        values["wage_min"],
        values["wage_max"],
    )
    values["content_hash"] = known_hash if known_hash is not None else content_hash(body)
    values["status"] = _status_as_of(values["status"], values["valid_until"], today)
    return NewPost(values, skills, resolutions)


def build_post(
    body: PostCreate, *, principal: Principal, today: date
) -> tuple[Post, list[TermResolution]]:
    """Validate and build (not add) a new post: regions, skills and ranges; no database access."""
    new = new_post(body, principal=principal, today=today)
    post = Post(**new.values)
    post.skills = [PostSkill(**row) for row in new.skills]
    return post, new.resolutions


def replace_content(
    post: Post,
    body: PostCreate,
    *,
    principal: Principal,
    today: date,
    known_hash: str | None = None,
) -> None:
    """Give an existing post everything a new push says (no database access)."""
    if post.status == PostStatus.withdrawn:
        post.status = PostStatus.open  # pushed again: the agency has it on offer again
    _check_writable(principal, post)
    values = body.model_dump(exclude={"required_skills", "openings", "external_id"})
    if values["valid_from"] is None:
        values.pop("valid_from")
    _apply(post, values, body.required_skills)
    set_openings(post, body.openings)
    _check_can_write(principal, post)
    _check_ranges(post)
    _stamp(post, body, known_hash)
    post.status = _live_status(post, today)


def _stamp(post: Post, body: PostCreate, known_hash: str | None = None) -> None:
    post.fingerprint = fingerprint(
        post.employer, post.title, post.workplace_region, post.wage_min, post.wage_max
    )
    post.content_hash = known_hash if known_hash is not None else content_hash(body)


def find_by_external_id(session: Session, agency_id: int, external_id: str) -> Post | None:
    """An agency's post by its own id."""
    return session.scalar(
        select(Post).where(Post.agency_id == agency_id, Post.external_id == external_id)
    )


def get_post(
    session: Session, post_id: int, principal: Principal, *, for_update: bool = False
) -> Post:
    """One post the caller may see; another agency's post is a 404."""
    query = select(Post).where(Post.id == post_id).options(selectinload(Post.skills))
    if for_update:
        query = query.with_for_update()
    post = session.scalar(query)
    if post is None or not _visible(post.agency_id, principal):
        raise NotFound(f"No post with id {post_id}")
    return post


_OWNER = select(Post.agency_id).where(Post.id == bindparam("post_id"))  # built once: a hot path


def check_visible(session: Session, post_id: int, principal: Principal) -> None:
    """404 for a post the caller may not see, as `get_post` decides, for a post known to exist
    (an open post of the matching index): only an agency's request reads the post's owner."""
    if principal.role != Role.agency:
        return
    owner = session.connection().execute(_OWNER, {"post_id": post_id}).scalar()
    if not _visible(owner, principal):
        raise NotFound(f"No post with id {post_id}")


def _visible(agency_id: int | None, principal: Principal) -> bool:
    """Another agency's post does not exist for an agency."""
    return principal.role != Role.agency or agency_id == principal.agency_id


def update_post(
    session: Session, post: Post, body: PostUpdate, *, principal: Principal, today: date
) -> list[TermResolution]:
    """Change the fields given; openings may not drop below the hires already made."""
    _check_writable(principal, post)
    values = body.model_dump(exclude_unset=True, exclude={"required_skills", "openings"})
    skills = body.required_skills if "required_skills" in body.model_fields_set else None
    resolutions = _apply(post, values, skills)
    if body.openings is not None:
        set_openings(post, body.openings)
    _check_can_write(principal, post)
    _check_ranges(post)
    merged = PostCreate.model_validate(_as_create(post))
    _stamp(post, merged)
    if post.status in (PostStatus.open, PostStatus.expired, PostStatus.filled):
        post.status = _live_status(post, today)
    post.change_seq = next_seq(session, POSTS)
    session.flush()
    return resolutions


def _check_writable(principal: Principal, post: Post) -> None:
    if post.status == PostStatus.withdrawn:
        raise Conflict(f"Post {post.id} is withdrawn and cannot change / 岗位已撤回")
    if principal.role == Role.staff and post.source == PostSource.agency:
        raise Forbidden("A partner agency's post is changed by that agency only")
    _check_can_write(principal, post)


def set_openings(post: Post, openings: int) -> None:
    """New number of openings; hires already made stay counted."""
    hired = post.openings - post.openings_left
    if openings < hired:
        raise Unprocessable.for_field(
            "openings", f"{hired} hires were made already; openings cannot be fewer"
        )
    post.openings, post.openings_left = openings, openings - hired


def _live_status(post: Post, today: date) -> PostStatus:
    if post.openings_left == 0:
        return PostStatus.filled
    if post.valid_until is not None and post.valid_until < today:
        return PostStatus.expired
    return PostStatus.open


def _as_create(post: Post) -> dict[str, Any]:
    data = {name: getattr(post, name) for name in _PLAIN}
    data.update(
        external_id=post.external_id,
        workplace_region=post.workplace_region,
        openings=post.openings,
        valid_from=post.valid_from,
        occupation=post.occupation_id,
        required_skills=[
            {"term": s.skill_id, "required": s.required, "min_level": s.min_level}
            for s in post.skills
        ]
        + [{"term": t} for t in post.unresolved_skills or []],
    )
    return data


def withdraw_post(session: Session, post: Post, *, principal: Principal) -> Post:
    """Withdraw a post; withdrawing twice is harmless."""
    if post.status != PostStatus.withdrawn:
        _check_writable(principal, post)
        post.status = PostStatus.withdrawn
        post.change_seq = next_seq(session, POSTS)
        session.flush()
    return post


def near_duplicates(session: Session, post: Post, principal: Principal) -> list[int]:
    """Posts with the same fingerprint from another source (agency or station) that the caller
    may read."""
    return near_duplicates_of(session, [post], principal).get(post.id, [])


def near_duplicates_of(
    session: Session, posts: Sequence[Post | NewPost], principal: Principal
) -> dict[int, list[int]]:
    """For each post, up to 20 other posts with its fingerprint (one query) that the caller may
    read: from another source (an agency and a station posting one vacancy) or from the same
    one (two clerks entering it twice). An agency reads only its own posts, so it is told only
    of its own look-alikes (another agency's post ids are that agency's business).
    """
    prints = sorted({p.fingerprint for p in posts})
    found: dict[str, list[tuple[int, int | None]]] = {}
    for condition in member_of(session, Post.fingerprint, prints):
        query = select(Post.fingerprint, Post.id, Post.agency_id).where(
            condition, Post.status != PostStatus.withdrawn
        )
        if principal.role == Role.agency:
            query = query.where(Post.agency_id == principal.agency_id)
        for fp, post_id, agency_id in session.execute(query.order_by(Post.id)):
            found.setdefault(fp, []).append((post_id, agency_id))
    return {
        post.id: [
            other_id for other_id, _ in found.get(post.fingerprint, []) if other_id != post.id
        ][:20]
        for post in posts
    }


def list_query(filters: PostFilters, principal: Principal, today: date) -> Any:
    """The filtered query (without paging); agencies see only their own posts."""
    query = select(Post)
    if principal.role == Role.agency:
        query = query.where(Post.agency_id == principal.agency_id)
    elif filters.agency_id is not None:
        query = query.where(Post.agency_id == filters.agency_id)
    if filters.region:
        query = query.where(Post.workplace_region.startswith(filters.region))
    if filters.post_type:
        query = query.where(Post.post_type == filters.post_type)
    if filters.status:
        query = query.where(effective_status(today) == filters.status.value)
    if filters.min_wage is not None:
        query = query.where(Post.wage_max >= filters.min_wage)
    if filters.skill:
        query = query.where(Post.skills.any(PostSkill.skill_id == filters.skill))
    return query


def list_posts(
    session: Session,
    filters: PostFilters,
    principal: Principal,
    *,
    today: date,
    limit: int,
    cursor: str | None,
) -> tuple[list[Post], str | None]:
    """A page of posts by id, and the next cursor."""
    query = list_query(filters, principal, today).options(selectinload(Post.skills))
    if cursor:
        query = query.where(Post.id > decode_cursor(cursor))
    rows = list(session.scalars(query.order_by(Post.id).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def duplicate_groups(session: Session, limit: int = 500) -> list[DuplicatePostGroup]:
    """Fingerprints shared by more than one live post, from different sources or one."""
    rows = session.execute(
        select(Post.fingerprint, Post.id, Post.source, Post.agency_id)
        .where(Post.status != PostStatus.withdrawn)
        .where(
            Post.fingerprint.in_(
                select(Post.fingerprint)
                .where(Post.status != PostStatus.withdrawn)
                .group_by(Post.fingerprint)
                .having(func.count() > 1)
            )
        )
        .order_by(Post.fingerprint, Post.id)
    ).all()
    grouped: dict[str, list[tuple[int, str]]] = {}
    for fp, post_id, source, agency_id in rows:
        label = f"agency:{agency_id}" if agency_id is not None else str(source)
        grouped.setdefault(fp, []).append((post_id, label))
    groups = [
        DuplicatePostGroup(
            fingerprint=fp,
            post_ids=[p for p, _ in members],
            sources=sorted({s for _, s in members}),
            same_source=len({s for _, s in members}) == 1,
        )
        for fp, members in grouped.items()
        if len(members) > 1
    ]
    # Across sources first (a partner's post and a station's), then by the first post.
    groups.sort(key=lambda g: (g.same_source, g.post_ids[0]))
    return groups[:limit]
