"""Agency push-in: upsert up to 1,000 posts by (agency, external id), a result per item."""

from datetime import date
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from matching.auth.principal import Principal
from matching.errors import FieldError, ProblemError
from matching.posts import service
from matching.posts.models import Post, PostStatus
from matching.posts.schemas import BatchItemResult, BatchResult, PostCreate, PostUpdate


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


def upsert_batch(
    session: Session, items: list[dict[str, Any]], *, principal: Principal, today: date
) -> BatchResult:
    """Validate every item on its own; good items are written, bad ones reported, in one call."""
    assert principal.agency_id is not None
    parsed: list[tuple[int, PostCreate]] = []
    results: dict[int, BatchItemResult] = {}
    seen: dict[str, int] = {}
    for index, raw in enumerate(items):
        external_id = raw.get("external_id") if isinstance(raw, dict) else None
        try:
            body = PostCreate.model_validate(raw)
        except ValidationError as exc:
            results[index] = _rejected(index, _str(external_id), _validation_errors(exc, index))
            continue
        if body.external_id is None:
            results[index] = _rejected(
                index,
                None,
                [FieldError(field=f"items.{index}.external_id", reason="required in a batch")],
            )
        elif body.external_id in seen:
            reason = f"same external_id as item {seen[body.external_id]}"
            results[index] = _rejected(
                index,
                body.external_id,
                [FieldError(field=f"items.{index}.external_id", reason=reason)],
            )
        else:
            seen[body.external_id] = index
            parsed.append((index, body))
    existing = _existing(
        session, principal.agency_id, [b.external_id for _, b in parsed if b.external_id]
    )
    for index, body in parsed:
        results[index] = _upsert_one(
            session, index, body, existing, principal=principal, today=today
        )
    ordered = [results[i] for i in range(len(items))]
    counts = dict.fromkeys(("created", "updated", "unchanged", "rejected"), 0)
    for r in ordered:
        counts[r.result] += 1
    return BatchResult(counts=counts, items=ordered)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _existing(session: Session, agency_id: int, external_ids: list[str]) -> dict[str, Post]:
    found: dict[str, Post] = {}
    for start in range(0, len(external_ids), 500):
        chunk = external_ids[start : start + 500]
        rows = session.scalars(
            select(Post)
            .where(Post.agency_id == agency_id, Post.external_id.in_(chunk))
            .options(selectinload(Post.skills))
        )
        found.update({p.external_id: p for p in rows if p.external_id})
    return found


def _upsert_one(
    session: Session,
    index: int,
    body: PostCreate,
    existing: dict[str, Post],
    *,
    principal: Principal,
    today: date,
) -> BatchItemResult:
    assert body.external_id is not None
    current = existing.get(body.external_id)
    try:
        # A savepoint per item: one bad item cannot leave half of itself behind.
        with session.begin_nested():
            outcome: Literal["created", "updated", "unchanged"]
            if current is None:
                post, _ = service.create_post(session, body, principal=principal, today=today)
                outcome = "created"
            elif (
                current.content_hash == service.content_hash(body)
                and current.status != PostStatus.withdrawn
            ):
                post, outcome = current, "unchanged"
            else:
                post, outcome = current, "updated"
                _replace(session, current, body, principal=principal, today=today)
    except ProblemError as exc:
        return _rejected(index, body.external_id, _problem_errors(exc, index))
    return BatchItemResult(
        index=index,
        external_id=body.external_id,
        result=outcome,
        post_id=post.id,
        near_duplicates=service.near_duplicates(session, post),
    )


def _replace(
    session: Session, post: Post, body: PostCreate, *, principal: Principal, today: date
) -> None:
    """A push of a known post replaces its content; a withdrawn post comes back to life."""
    if post.status == PostStatus.withdrawn:
        post.status = PostStatus.open
    fields = body.model_dump(exclude={"external_id"})
    if fields["valid_from"] is None:
        fields.pop("valid_from")
    update = PostUpdate.model_validate(fields)
    service.update_post(session, post, update, principal=principal, today=today)
    post.content_hash = service.content_hash(body)
