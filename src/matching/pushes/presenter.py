"""Turning stored pushes into response bodies."""

from datetime import date

from matching.posts.models import Post
from matching.posts.service import status_on
from matching.pushes.models import Push
from matching.pushes.schemas import EventRead, PostBrief, PushRead
from matching.schemas import ReasonRead


def present_push(push: Push, post: Post | None = None, *, today: date | None = None) -> PushRead:
    """A push with its timeline (and the post's summary, for the inbox)."""
    brief = None
    if post is not None and today is not None:
        brief = PostBrief(
            id=post.id,
            title=post.title,
            employer=post.employer,
            workplace_region=post.workplace_region,
            wage_min=post.wage_min,
            wage_max=post.wage_max,
            status=status_on(post, today),
        )
    return PushRead(
        id=push.id,
        labourer_id=push.labourer_id,
        post_id=push.post_id,
        month=push.month,
        pushed_on=push.pushed_on,
        pushed_at=push.pushed_at,
        channel=push.channel,
        pushed_by=push.pushed_by,
        plan_id=push.plan_id,
        score=push.score,
        breakdown=push.breakdown or {},
        reasons=[ReasonRead.of(r) for r in push.reasons or []],
        state=push.state,
        state_at=push.state_at,
        hired_on=push.hired_on,
        attribution_until=push.attribution_until,
        note=push.note,
        post=brief,
        events=[
            EventRead(
                state=e.state, occurred_at=e.occurred_at, recorded_at=e.recorded_at, note=e.note
            )
            for e in push.events
        ],
    )
