"""Outcome counts of posts, for their publishers: numbers only, never who."""

from collections import defaultdict
from collections.abc import Sequence

from pydantic import BaseModel, Field
from sqlalchemy import and_, func, select, true
from sqlalchemy.orm import Session

from matching.posts.models import Post
from matching.pushes.models import Push, PushEvent, PushState

_CHAIN_RANK = {
    PushState.delivered: 1,
    PushState.viewed: 2,
    PushState.applied: 3,
    PushState.interviewed: 4,
    PushState.hired: 5,
}


class OutcomeCounts(BaseModel):
    """How far a post's pushes went. `reached` counts pushes that got at least that far."""

    post_id: int
    external_id: str | None = None
    title: str
    month: str | None = Field(None, description="Only pushes of this month, when given")
    openings: int
    openings_left: int
    pushes: int = Field(description="推送次数")
    reached: dict[str, int] = Field(
        description="delivered / viewed / applied / interviewed / hired: pushes that got that far"
    )
    ended: dict[str, int] = Field(description="declined / rejected / no_response")
    hires: int = Field(description="录用人数 (from pushes)")


class OutcomePage(BaseModel):
    """A page of posts' outcome counts."""

    items: list[OutcomeCounts]
    next_cursor: str | None = None


def outcome_counts(
    session: Session, posts: Sequence[Post], month: str | None
) -> list[OutcomeCounts]:
    """One entry per post, in the order given."""
    ids = [p.id for p in posts]
    totals: dict[int, int] = defaultdict(int)
    ended: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    furthest: dict[int, dict[int, int]] = defaultdict(dict)  # post -> push -> chain rank
    if ids:
        scope = and_(Push.post_id.in_(ids), Push.month == month if month else true())
        for post_id, state, n in session.execute(
            select(Push.post_id, Push.state, func.count())
            .where(scope)
            .group_by(Push.post_id, Push.state)
        ):
            totals[post_id] += int(n)
            if state in (PushState.declined, PushState.rejected, PushState.no_response):
                ended[post_id][str(state)] += int(n)
        for post_id, push_id, state in session.execute(
            select(Push.post_id, PushEvent.push_id, PushEvent.state)
            .join(Push, Push.id == PushEvent.push_id)
            .where(scope, PushEvent.state.in_(list(_CHAIN_RANK)))
        ):
            rank = _CHAIN_RANK[state]
            if rank > furthest[post_id].get(push_id, 0):
                furthest[post_id][push_id] = rank
    out = []
    for post in posts:
        ranks = list(furthest[post.id].values())
        reached = {str(s): sum(r >= rank for r in ranks) for s, rank in _CHAIN_RANK.items()}
        out.append(
            OutcomeCounts(
                post_id=post.id,
                external_id=post.external_id,
                title=post.title,
                month=month,
                openings=post.openings,
                openings_left=post.openings_left,
                pushes=totals[post.id],
                reached=reached,
                ended={
                    s: ended[post.id].get(s, 0) for s in ("declined", "rejected", "no_response")
                },
                hires=reached["hired"],
            )
        )
    return out
