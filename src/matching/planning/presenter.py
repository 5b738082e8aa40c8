"""A stored plan as the API shows it: its numbers, and a page of labourers with their posts."""

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.labourers.models import Labourer
from matching.matches.read_model import ReadModel
from matching.pagination import encode_cursor
from matching.planning import service
from matching.planning.models import Plan
from matching.planning.schemas import (
    CalibrationRead,
    CommitResult,
    PlanLabourer,
    PlanParamsRead,
    PlanPost,
    PlanRead,
    PlanSummary,
)
from matching.posts.models import Post
from matching.pushes.models import Push
from matching.regions.registry import get_registry
from matching.schemas import ReasonRead
from matching.scoring import Reason


def present_plan(
    session: Session, indexes: ReadModel, plan: Plan, *, after: int, limit: int
) -> PlanRead:
    """A plan with a page of its labourers (ids after `after`) and their proposed posts.

    A committed item shows the reasons stored with its push, as scored at push time; a draft's
    are scored now against the live indexes (a draft is previewed the day it is made).
    """
    grouped, last = service.plan_items(session, plan, after_labourer=after, limit=limit)
    labourer_ids = list(grouped)
    post_ids = sorted({i.post_id for items in grouped.values() for i in items})
    names = dict(
        session.execute(
            select(Labourer.id, Labourer.name).where(Labourer.id.in_(labourer_ids))
        ).all()
    )
    posts = {p.id: p for p in session.scalars(select(Post).where(Post.id.in_(post_ids)))}
    push_ids = [i.push_id for items in grouped.values() for i in items if i.push_id is not None]
    pushed = dict(
        session.execute(select(Push.id, Push.reasons).where(Push.id.in_(push_ids))).all()
        if push_ids
        else []
    )
    drafted = [i for items in grouped.values() for i in items if i.push_id is None]
    indexes.use_weights(service.plan_weights(plan))
    profiles = indexes.profiles(i.labourer_id for i in drafted) if drafted else {}
    records = indexes.post_records(i.post_id for i in drafted) if drafted else {}
    labourers = []
    for labourer_id, items in grouped.items():
        shown = []
        for item in items:
            post = posts[item.post_id]
            profile, record = profiles.get(labourer_id), records.get(item.post_id)
            reasons: Sequence[Reason | Mapping[str, str]] = ()
            if item.push_id is not None and item.push_id in pushed:
                reasons = pushed[item.push_id] or ()
            elif profile is not None and record is not None:
                reasons = indexes.explain(profile, record).reasons
            shown.append(
                PlanPost(
                    post_id=post.id,
                    title=post.title,
                    employer=post.employer,
                    workplace_region=post.workplace_region,
                    score=item.score,
                    probability=item.probability,
                    reasons=[ReasonRead.of(r) for r in reasons],
                    push_id=item.push_id,
                )
            )
        labourers.append(
            PlanLabourer(labourer_id=labourer_id, name=names.get(labourer_id, ""), posts=shown)
        )
    registry = get_registry()
    return PlanRead(
        id=plan.id,
        region=plan.region,
        region_name=registry.name_or_code(plan.region),
        month=plan.month,
        status=plan.status,
        channel=plan.channel,
        params=PlanParamsRead.model_validate(plan.params),
        summary=PlanSummary.model_validate(plan.summary),
        calibration=CalibrationRead.model_validate(plan.calibration),
        created_at=plan.created_at,
        committed_at=plan.committed_at,
        commit_result=(
            CommitResult.model_validate(plan.commit_result) if plan.commit_result else None
        ),
        labourers=labourers,
        next_cursor=encode_cursor(last) if last is not None else None,
    )
