"""Agency push-in: upsert up to 1,000 posts by (agency, external id), a result per item.

Every item is validated and built in memory first; the good ones are then written together
(one change number, one flush, one look-alike query), so a batch costs a handful of round trips.
"""

from datetime import date
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from matching.auth.principal import Principal
from matching.changes import POSTS, next_seq
from matching.errors import Conflict, FieldError, ProblemError
from matching.posts import service
from matching.posts.models import Post, PostStatus
from matching.posts.schemas import BatchItemResult, BatchResult, PostCreate

Outcome = Literal["created", "updated", "unchanged"]


def _rejected(index: int, external_id: str | None, errors: list[FieldError]) -> BatchItemResult:
    return BatchItemResult(index=index, external_id=external_id, result="rejected", errors=errors)


def _validation_errors(exc: ValidationError, index: int) -> list[FieldError]:
    return [
        FieldError(
            field=".".join(["items", str(index), *(str(p) for p in e["loc"])]),
            reason=e["msg"],
            type=e["type"],
        )
        for e in exc.errors()
    ]


def _problem_errors(exc: ProblemError, index: int) -> list[FieldError]:
    if exc.errors:
        return [
            FieldError(field=f"items.{index}.{e.field}", reason=e.reason, type=e.type)
            for e in exc.errors
        ]
    return [FieldError(field=f"items.{index}", reason=exc.detail, type=exc.slug)]


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
        field = f"items.{index}.external_id"
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
    parsed, results = _parse(items)
    existing = _existing(session, principal.agency_id, [b.external_id or "" for _, b in parsed])
    _load_skills_of_changed(session, existing, parsed)
    written: list[tuple[int, PostCreate, Post, Outcome]] = []
    for index, body in parsed:
        try:
            post, outcome = _prepare(body, existing, principal=principal, today=today)
        except ProblemError as exc:
            results[index] = _rejected(index, body.external_id, _problem_errors(exc, index))
            continue
        written.append((index, body, post, outcome))
    _flush(session, [post for _, _, post, outcome in written if outcome != "unchanged"])
    look_alikes = service.near_duplicates_of(session, [post for _, _, post, _ in written])
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


def _existing(session: Session, agency_id: int, external_ids: list[str]) -> dict[str, Post]:
    found: dict[str, Post] = {}
    for start in range(0, len(external_ids), 500):
        rows = session.scalars(
            select(Post)
            .where(
                Post.agency_id == agency_id, Post.external_id.in_(external_ids[start : start + 500])
            )
            .options(selectinload(Post.skills))
            .with_for_update()
        )
        found.update({p.external_id: p for p in rows if p.external_id})
    return found


def _load_skills_of_changed(
    session: Session, existing: dict[str, Post], parsed: list[tuple[int, PostCreate]]
) -> None:
    """Load skills only for the posts a push changes: most pushes repeat what is there."""
    changed = [
        existing[b.external_id].id
        for _, b in parsed
        if b.external_id in existing
        and existing[b.external_id].content_hash != service.content_hash(b)
    ]
    for start in range(0, len(changed), 500):
        session.scalars(
            select(Post)
            .where(Post.id.in_(changed[start : start + 500]))
            .options(selectinload(Post.skills))
        ).all()


def _prepare(
    body: PostCreate, existing: dict[str, Post], *, principal: Principal, today: date
) -> tuple[Post, Outcome]:
    current = existing.get(body.external_id or "")
    if current is None:
        post, _ = service.build_post(body, principal=principal, today=today)
        return post, "created"
    if (
        current.content_hash == service.content_hash(body)
        and current.status != PostStatus.withdrawn
    ):
        return current, "unchanged"
    service.replace_content(current, body, principal=principal, today=today)
    return current, "updated"


def _preassign_ids(session: Session, new: list[Post]) -> None:
    """On PostgreSQL, take ids from the sequence first: rows with their keys set are sent as one
    pipelined executemany, instead of a multi-row INSERT … RETURNING whose tens of thousands of
    parameters psycopg would rewrite in Python."""
    if not new or session.get_bind().dialect.name != "postgresql":
        return
    ids = session.scalars(
        text("SELECT nextval(pg_get_serial_sequence('posts', 'id')) FROM generate_series(1, :n)"),
        {"n": len(new)},
    ).all()
    for post, post_id in zip(new, ids, strict=True):
        post.id = int(post_id)


def _flush(session: Session, posts: list[Post]) -> None:
    if not posts:
        return
    seq = next_seq(session, POSTS)
    for post in posts:
        post.change_seq = seq
    _preassign_ids(session, [p for p in posts if p.id is None])
    session.add_all(posts)
    try:
        session.flush()
    except IntegrityError as exc:  # another push of the same external ids committed first
        raise Conflict("A concurrent push wrote some of these posts; send the batch again") from exc
