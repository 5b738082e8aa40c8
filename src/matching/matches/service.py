"""Matches for the API: loading the two sides, scoring, and shaping what each role may see."""

from collections.abc import Sequence
from datetime import date
from functools import partial

from sqlalchemy import Integer, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, joinedload, selectinload

from matching.auth.models import Role
from matching.auth.principal import Principal
from matching.errors import NotFound
from matching.labourers import service as labourers
from matching.labourers.models import Labourer
from matching.matches.read_model import ReadModel
from matching.matches.schemas import (
    Breakdown,
    CandidateProfile,
    LabourerMatch,
    LabourerMatches,
    PairExplanation,
    PostMatch,
    PostMatches,
)
from matching.posts import service as posts
from matching.posts.models import Post, PostType
from matching.posts.presenter import present_post
from matching.posts.schemas import PostRead
from matching.rules import feedback, learned_weights
from matching.rules.candidate import indexed_profile
from matching.schemas import ReasonRead
from matching.scope import check_scope
from matching.scoring import LabourerProfile, Match, PostKind, PostRecord, Reason
from matching.skills.taxonomy import get_taxonomy


def _reasons(reasons: Sequence[Reason]) -> list[ReasonRead]:
    return [ReasonRead.of(r) for r in reasons]


def _seeker_profile(
    session: Session, indexes: ReadModel, labourer_id: int, principal: Principal
) -> LabourerProfile:
    """The labourer's profile (404 when there is none, 403 outside the caller's regions)."""
    if principal.role == Role.app:  # enrolment is not in the index: one indexed read
        labourers.check_access(session, labourer_id, principal)
    profile = indexes.profile(labourer_id)
    if profile is None:
        raise NotFound(f"No labourer with id {labourer_id}")
    check_scope(principal, profile.region, "labourer")
    return profile


def _use_province_weights(indexes: ReadModel, profile: LabourerProfile) -> None:
    """Score with the weights in force for the labourer's province (rules.learned_weights)."""
    indexes.use_weights(indexes.province_weights(learned_weights.province_of(profile.region)))


def matches_for_labourer(
    session: Session,
    indexes: ReadModel,
    *,
    labourer_id: int,
    principal: Principal,
    k: int,
    post_type: PostType | None,
    region: str | None,
    min_wage: int | None,
    window: feedback.Window | None = None,
    learned: bool = False,
) -> PostMatches:
    """Top-k open posts for a labourer, with filters; `learned`: ranked with the weights learned
    for the labourer's province where they are in force (rules.learned_weights)."""
    today = indexes.today
    profile = _seeker_profile(session, indexes, labourer_id, principal)
    # Before the scoring: a first match of the labourer reads their answers, and work tried
    # without a statement (deps.without_waiting) then stops before it has scored.
    refused = (
        indexes.refusals(labourer_id, window)
        if window is not None and window.cooldown_months
        else feedback.Refusals(since=today)
    )
    if learned:
        _use_province_weights(indexes, profile)
    found = indexes.top_posts(
        profile,
        k=k,
        post_kind=int(PostKind.parse(post_type)) if post_type else None,
        region=region,
        min_wage=min_wage,
    )
    shown = indexes.shown([m.post_id for m in found], partial(_shown_posts, session, today))
    items = [_post_match(m, shown[m.post_id], labourer_id, refused) for m in found]
    items.sort(key=lambda item: -item.score)  # stable: equal scores keep the matcher's order
    for rank, item in enumerate(items, start=1):
        item.rank = rank
    return PostMatches(
        labourer_id=labourer_id,
        seeking=profile.able_and_seeking,
        index_size=indexes.open_posts(),
        items=items,
    )


def _post_match(
    match: Match, post: PostRead, labourer_id: int, refused: feedback.Refusals
) -> PostMatch:
    """One recommended post, lowered (and said so) when it is like posts refused lately."""
    taste = refused.taste(labourer_id, post.occupation_id)
    factor = taste.factor
    reasons = list(match.reasons)
    occupation = get_taxonomy().get(post.occupation_id) if post.occupation_id else None
    lowered = taste.reason(occupation.name if occupation else post.title)
    if lowered is not None:
        reasons.append(lowered)
    return PostMatch(
        rank=0,
        score=round(match.total * factor, 4),
        breakdown=Breakdown(**match.breakdown),
        reasons=_reasons(reasons),
        post=post,
        taste_factor=factor,
        refused_on=refused.refused_on(labourer_id, post.id),
    )


# Built once: building and keying it each time cost a first showing of ten posts 0.4 of its
# 2.1 ms (issue 14). The skills joined in the same statement: one round trip, not two (ten
# posts read and shown 1.52 -> 1.27 ms on PostgreSQL, median of 200 sets).
_POSTS_SHOWN = (
    select(Post)
    .where(Post.id.in_(bindparam("post_ids", expanding=True)))
    .options(joinedload(Post.skills))
)


def _shown_posts(session: Session, today: date, ids: list[int]) -> dict[int, PostRead]:
    rows = session.scalars(_POSTS_SHOWN, {"post_ids": ids}).unique()
    return {p.id: present_post(p, today) for p in rows}


def candidates_for_post(
    session: Session,
    indexes: ReadModel,
    *,
    post_id: int,
    principal: Principal,
    k: int,
) -> LabourerMatches:
    """Top-k labourers for a post; staff see their regions only, agencies anonymised profiles."""
    record = _searched_post(session, indexes, post_id, principal)
    scopes = (
        None if principal.unrestricted or principal.role == Role.agency else principal.region_scopes
    )
    found = indexes.top_labourers(record, k=k, region_scopes=scopes)
    anonymise = principal.role == Role.agency
    ids = [m.labourer_id for m in found]
    # Presented from the index the search ran on: only the names are read (docs/architecture.md).
    profiles = indexes.profiles(ids)
    names = {} if anonymise else _names(session, ids)
    items = [
        LabourerMatch(
            rank=i + 1,
            score=round(m.total, 4),
            breakdown=Breakdown(**m.breakdown),
            reasons=_reasons(m.reasons),
            labourer_id=None if anonymise else m.labourer_id,
            name=names.get(m.labourer_id),
            profile=CandidateProfile(**indexed_profile(profiles[m.labourer_id])),
        )
        for i, m in enumerate(found)
    ]
    return LabourerMatches(post_id=post_id, anonymised=anonymise, count=len(items), items=items)


def _searched_post(
    session: Session, indexes: ReadModel, post_id: int, principal: Principal
) -> PostRecord:
    """The post as the scorer sees it (404 when there is none, or another agency's): an open
    post's from the post index the search runs on, reading the post again only for an agency
    (whose it is); any other post's from the database (posts.get_post). Loading the post, its
    skills and the places through the ORM was a tenth of a candidate list (issue 14)."""
    record = indexes.post_records([post_id]).get(post_id)
    if record is None:
        return indexes.record_of(posts.get_post(session, post_id, principal))
    posts.check_visible(session, post_id, principal)
    return record


_NAMES = select(Labourer.id, Labourer.name)  # built once, as _POSTS_SHOWN
_NAMES_IN = _NAMES.where(Labourer.id.in_(bindparam("labourer_ids", expanding=True)))
# On PostgreSQL one array parameter: one statement text for any count, which psycopg prepares
# once (an IN list of fifty took 0.3-0.6 ms to send and plan, the array 0.15-0.2).
_NAMES_ANY = _NAMES.where(Labourer.id == any_(bindparam("labourer_ids", type_=ARRAY(Integer))))


def _names(session: Session, ids: list[int]) -> dict[int, str]:
    connection = session.connection()  # Core: plain rows
    names = _NAMES_ANY if connection.dialect.name == "postgresql" else _NAMES_IN
    return {int(i): str(n) for i, n in connection.execute(names, {"labourer_ids": ids})}


def explain(
    session: Session,
    indexes: ReadModel,
    *,
    labourer_id: int,
    post_id: int,
    principal: Principal,
    learned: bool = False,
) -> PairExplanation:
    """One pair with the full explanation, including the hard filters it fails; `learned` as
    for matches_for_labourer."""
    labourer = labourers.get_labourer(session, labourer_id, principal)
    post = session.scalar(select(Post).where(Post.id == post_id).options(selectinload(Post.skills)))
    if post is None:
        raise NotFound(f"No post with id {post_id}")
    profile = indexes.profile(labourer.id)
    assert profile is not None  # get_labourer found it in this transaction
    if learned:
        _use_province_weights(indexes, profile)
    result = indexes.explain(profile, indexes.record_of(post))
    return PairExplanation(
        labourer_id=labourer.id,
        post_id=post.id,
        eligible=result.eligible,
        failed=_reasons(result.failed),
        score=round(result.total, 4),
        breakdown=Breakdown(**result.breakdown),
        reasons=_reasons(result.reasons),
    )
