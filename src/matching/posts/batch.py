"""Agency push-in: upsert up to 1,000 posts by (agency, external id), a result per item.

Every item is validated and built in memory first; the good ones are then written together
(one change number, one flush of the changed posts, one bulk write of the new ones — COPY on
PostgreSQL — and one look-alike query), so a batch costs a handful of round trips.
"""

from datetime import date
from typing import Any, Literal, cast

import psycopg
from pydantic import ValidationError
from sqlalchemy import Table, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from matching.auth.principal import Principal
from matching.changes import POSTS, next_seq
from matching.database import copy_rows, utcnow
from matching.errors import Conflict, FieldError, ProblemError, field_path
from matching.posts import service
from matching.posts.models import Post, PostSkill, PostStatus
from matching.posts.schemas import BatchItemResult, BatchResult, PostCreate
from matching.posts.service import NewPost

Outcome = Literal["created", "updated", "unchanged"]


def _rejected(index: int, external_id: str | None, errors: list[FieldError]) -> BatchItemResult:
    return BatchItemResult(index=index, external_id=external_id, result="rejected", errors=errors)


def _validation_errors(exc: ValidationError, index: int) -> list[FieldError]:
    return [
        FieldError(field=field_path("body", "items", index, *e["loc"]), reason=e["msg"],
                   type=e["type"])
        for e in exc.errors()
    ]  # fmt: skip


def _in_item(field: str, index: int) -> str:
    # A body field of the item (body.wage_max) is that field of the batch's item index.
    item = field_path("body", "items", index)
    return item + field.removeprefix("body")


def _problem_errors(exc: ProblemError, index: int) -> list[FieldError]:
    if exc.errors:
        return [
            FieldError(field=_in_item(e.field, index), reason=e.reason, type=e.type)
            for e in exc.errors
        ]
    return [FieldError(field=field_path("body", "items", index), reason=exc.detail, type=exc.slug)]


def _parse(
    items: list[dict[str, Any]],
) -> tuple[list[tuple[int, PostCreate]], dict[int, BatchItemResult]]:
    parsed: list[tuple[int, PostCreate]] = []
    rejected: dict[int, BatchItemResult] = {}
    seen: dict[str, int] = {}
    for index, raw in enumerate(items):
        external_id = raw.get("external_id")
        external_id = external_id if isinstance(external_id, str) else None
        try:
            body = PostCreate.model_validate(raw)
        except ValidationError as exc:
            rejected[index] = _rejected(index, external_id, _validation_errors(exc, index))
            continue
        field = field_path("body", "items", index, "external_id")
        if body.external_id is None:
            reason = "required in a batch"
        elif body.external_id in seen:
            reason = f"same external_id as item {seen[body.external_id]}"
        else:
            seen[body.external_id] = index
            parsed.append((index, body))
            continue
        rejected[index] = _rejected(
            index, body.external_id, [FieldError(field=field, reason=reason)]
        )
    return parsed, rejected


def upsert_batch(
    session: Session, items: list[dict[str, Any]], *, principal: Principal, today: date
) -> BatchResult:
    """Validate every item on its own; good items are written, bad ones reported, in one call."""
    assert principal.agency_id is not None
    _plan_each_query(session)
    parsed, results = _parse(items)
    hashes = {index: service.content_hash(body) for index, body in parsed}
    existing = _existing(session, principal.agency_id, [b.external_id or "" for _, b in parsed])
    _load_skills_of_changed(session, existing, parsed, hashes)
    written: list[tuple[int, PostCreate, Post | NewPost, Outcome]] = []
    for index, body in parsed:
        try:
            post, outcome = _prepare(
                body, existing, principal=principal, today=today, known_hash=hashes[index]
            )
        except ProblemError as exc:
            results[index] = _rejected(index, body.external_id, _problem_errors(exc, index))
            continue
        written.append((index, body, post, outcome))
    _flush(
        session,
        created=[post for _, _, post, _ in written if isinstance(post, NewPost)],
        updated=[p for _, _, p, outcome in written if isinstance(p, Post) and outcome == "updated"],
    )
    look_alikes = service.near_duplicates_of(
        session, [post for _, _, post, _ in written], principal
    )
    for index, body, post, outcome in written:
        results[index] = BatchItemResult(
            index=index,
            external_id=body.external_id,
            result=outcome,
            post_id=post.id,
            near_duplicates=look_alikes.get(post.id, []),
        )
    ordered = [results[i] for i in range(len(items))]
    counts = dict.fromkeys(("created", "updated", "unchanged", "rejected"), 0)
    for r in ordered:
        counts[r.result] += 1
    return BatchResult(counts=counts, items=ordered)


def _plan_each_query(session: Session) -> None:
    """On PostgreSQL, plan this transaction's queries for their actual parameters.

    psycopg prepares a statement run five times on a connection, and PostgreSQL may then switch
    to a generic plan costed on the table's statistics: on a table that grew since its last
    ANALYZE (as during a first push-in) that plan compares each of the agency's rows with every
    element of the external-id array, about 0.25 s a query. A custom plan hashes the array."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def _existing(session: Session, agency_id: int, external_ids: list[str]) -> dict[str, Post]:
    found: dict[str, Post] = {}
    for condition in service.member_of(session, Post.external_id, external_ids):
        rows = session.scalars(
            select(Post).where(Post.agency_id == agency_id, condition).with_for_update()
        )
        found.update({p.external_id: p for p in rows if p.external_id})
    return found


def _load_skills_of_changed(
    session: Session,
    existing: dict[str, Post],
    parsed: list[tuple[int, PostCreate]],
    hashes: dict[int, str],
) -> None:
    """Load skills only for the posts a push changes: most pushes repeat what is there."""
    changed = [
        existing[b.external_id].id
        for index, b in parsed
        if b.external_id in existing and existing[b.external_id].content_hash != hashes[index]
    ]
    for condition in service.member_of(session, Post.id, changed):
        session.scalars(select(Post).where(condition).options(selectinload(Post.skills))).all()


def _prepare(
    body: PostCreate,
    existing: dict[str, Post],
    *,
    principal: Principal,
    today: date,
    known_hash: str,
) -> tuple[Post | NewPost, Outcome]:
    current = existing.get(body.external_id or "")
    if current is None:
        new = service.new_post(body, principal=principal, today=today, known_hash=known_hash)
        return new, "created"
    if current.content_hash == known_hash and current.status != PostStatus.withdrawn:
        return current, "unchanged"
    # A refusal can come half-way through (the region is checked after other fields are set), and
    # the rest of the batch is still written: try the push on a detached copy first.
    scratch = _detached_copy(current)
    service.replace_content(scratch, body, principal=principal, today=today, known_hash=known_hash)
    service.replace_content(current, body, principal=principal, today=today, known_hash=known_hash)
    return current, "updated"


_COLUMNS = [attr.key for attr in inspect(Post).column_attrs]


def _detached_copy(post: Post) -> Post:
    """A copy of a post and its skills that belongs to no session: changing it changes nothing."""
    copy = Post(**{key: getattr(post, key) for key in _COLUMNS})
    copy.skills = [
        PostSkill(
            skill_id=s.skill_id, required=s.required, min_level=s.min_level,
            source_text=s.source_text,
        )
        for s in post.skills
    ]  # fmt: skip
    return copy


def _flush(session: Session, *, created: list[NewPost], updated: list[Post]) -> None:
    """Write the batch under one change number: changed posts through the unit of work, new
    ones in bulk as plain rows."""
    if not created and not updated:
        return
    seq = next_seq(session, POSTS)
    for post in updated:
        post.change_seq = seq
    for new in created:
        new.values["change_seq"] = seq
    try:
        session.flush()
        _insert_new(session, created)
    except (IntegrityError, psycopg.IntegrityError) as exc:  # a concurrent push committed first
        raise Conflict("A concurrent push wrote some of these posts; send the batch again") from exc


_POSTS = cast(Table, Post.__table__)
_POST_SKILLS = cast(Table, PostSkill.__table__)


def _insert_new(session: Session, created: list[NewPost]) -> None:
    """Write new posts and their skills in bulk, without ORM objects: building them and running
    them through the unit of work cost more than the writing itself."""
    if not created:
        return
    for new in created:  # what the columns' defaults would give
        new.values["created_at"] = new.values["updated_at"] = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        ids = session.scalars(
            text(
                "SELECT nextval(pg_get_serial_sequence('posts', 'id')) FROM generate_series(1, :n)"
            ),
            {"n": len(created)},
        ).all()
        for new, post_id in zip(created, ids, strict=True):
            new.values["id"] = int(post_id)
        copy_rows(session, _POSTS, [new.values for new in created])
        copy_rows(session, _POST_SKILLS, _skill_rows(created))
        return
    ids = session.scalars(
        insert(_POSTS).returning(_POSTS.c.id, sort_by_parameter_order=True),
        [new.values for new in created],
    ).all()
    for new, post_id in zip(created, ids, strict=True):
        new.values["id"] = int(post_id)
    skills = _skill_rows(created)
    if skills:
        session.execute(insert(_POST_SKILLS), skills)


def _skill_rows(created: list[NewPost]) -> list[dict[str, Any]]:
    return [{**row, "post_id": new.id} for new in created for row in new.skills]
