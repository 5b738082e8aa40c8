"""Top posts for a labourer, top labourers for a post, one pair explained, given pairs scored.

Everything is computed as arrays over the whole index; reasons are built only for the
results returned, since they cost Python per pair.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np

from matching.scoring.arrays import LabourerArrays, PostArrays
from matching.scoring.codes import day_number
from matching.scoring.components import (
    common_level,
    corridor,
    distance_km,
    location,
    preference_for_labourers,
    preference_for_pairs,
    preference_for_posts,
    priority,
    sanwu_welfare,
    skills_for_labourers,
    skills_for_pairs,
    skills_for_posts,
    wage,
    welfare_factor,
    welfare_lift,
)
from matching.scoring.context import ScoringContext
from matching.scoring.dtypes import F32, I8, I64, Bool
from matching.scoring.filters import HardFilter, eligible, failed_filters
from matching.scoring.geo import haversine_km
from matching.scoring.params import (
    BOUND_MARGIN,
    CORRIDOR_CEIL,
    LEVEL_CEIL,
    PRIORITY_SANWU,
    PRIORITY_ZERO_EMPLOYMENT,
    SANWU_WELFARE_FIT,
)
from matching.scoring.provinces import ByProvince, run_bounds
from matching.scoring.reasons import (
    filter_reason,
    location_reason,
    preference_reason,
    priority_reasons,
    skill_reasons,
    wage_reason,
    welfare_skill_reason,
    welfare_wage_reason,
)
from matching.scoring.types import (
    COMPONENTS,
    Explanation,
    LabourerProfile,
    Match,
    PostKind,
    PostRecord,
    Reason,
)


@dataclass(frozen=True, eq=False)
class _Scored:
    """Per-pair arrays of one scoring call (length = the larger side)."""

    total: F32
    components: dict[str, F32]
    eligible: Bool
    level: I8
    corridor: Bool


def _score(
    lab: LabourerArrays,
    post: PostArrays,
    ctx: ScoringContext,
    today: int,
    *,
    skills_and_preference: tuple[F32, F32] | None = None,
    passing: Bool | None = None,
) -> _Scored:
    """Every component, the weighted total and the hard-filter mask; one side has one row, or
    both have a row per given pair (score_pairs). `skills_and_preference`: those two
    components, already computed (many labourers, one post: `lab` is then a `per_labourer`
    part; given pairs: computed pair by pair). `passing`: the hard filters' mask, already
    known (a part of the labourers that passed them)."""
    space = ctx.skills
    # np.take(mode="clip") would quietly read a wrong slot for an index past the taxonomy.
    if max(lab.max_index, post.max_index) >= space.size:
        raise ValueError("a taxonomy index is outside the similarity matrix")
    level = common_level(lab, post)
    dist = distance_km(lab, post)
    lift = corridor(lab, post, ctx.corridors)
    if skills_and_preference is not None:
        skills, pref = skills_and_preference
    elif len(lab) == 1:
        skills = skills_for_posts(lab.skills_of(0), post, space)
        pref = preference_for_posts(lab.preferences_of(0), post, space)
    else:
        skills = skills_for_labourers(lab, post.skills_of(0), space, post.skill_floor[0])
        pref = preference_for_labourers(lab, int(post.occupation[0]), space)
    fit = sanwu_welfare(lab, post)
    components = {
        "location": location(level, dist, lift, lab.inv_decay_km),
        "skills": welfare_lift(skills, fit),
        "wage": welfare_lift(wage(lab, post), fit),
        "preference": pref,
        "priority": priority(lab, post),
    }
    total = np.zeros(max(len(lab), len(post)), dtype=np.float32)
    for name, weight in ctx.weights.as_dict().items():  # fixed order: same sums both ways
        total += np.float32(weight) * components[name]
    # Weights sum to 1 only up to rounding; keep the promise of [0, 1] exactly.
    np.clip(total, np.float32(0), np.float32(1), out=total)
    factor = welfare_factor(lab, post)
    if factor is not None:
        total *= factor
    if passing is None:
        passing = eligible(lab, post, level, today)
    return _Scored(total, components, passing, level, lift)


def top_k(total: F32, candidates: Bool, ids: I64, k: int) -> I64:
    """Rows of the k best candidates by (score descending, id ascending): order-independent."""
    rows = np.flatnonzero(candidates)
    if k <= 0 or rows.size == 0:
        return np.empty(0, dtype=np.int64)
    scores = total[rows]
    if rows.size > k:
        # Keep every row tied with the k-th score, so the id tie-break, not argpartition's
        # arbitrary choice among equals, decides who is in.
        kth = np.partition(scores, rows.size - k)[rows.size - k]
        keep = scores >= kth
        rows, scores = rows[keep], scores[keep]
    order = np.lexsort((ids[rows], -scores))[:k]
    return rows[order]


def _restrict(candidates: Bool, mask: Bool | None, n: int) -> Bool:
    mask = _checked(mask, n)
    return candidates if mask is None else candidates & mask


def _checked(mask: Bool | None, n: int) -> Bool | None:
    """A caller's mask as booleans of the right shape (ValueError otherwise), or None."""
    if mask is None:
        return None
    mask = np.asarray(mask, dtype=np.bool_)
    if mask.shape != (n,):
        raise ValueError(f"mask must have shape ({n},), got {mask.shape}")
    return mask


def score_posts_for_labourer(
    labourer: LabourerProfile | LabourerArrays,
    posts: PostArrays,
    ctx: ScoringContext,
    *,
    today: date,
    k: int = 10,
    mask: Bool | None = None,
    by_province: ByProvince | None = None,
) -> list[Match]:
    """The k best eligible posts for one labourer (a profile, or already one row of arrays:
    `LabourerArrays.row` of an index); `mask` can further restrict the posts; `by_province`:
    the posts' province runs, to score only the provinces able to rank (the same result:
    `_best_by_province`)."""
    if len(posts) == 0:
        return []
    lab = (
        labourer
        if isinstance(labourer, LabourerArrays)
        else LabourerArrays.from_profiles([labourer])
    )
    if len(lab) != 1:
        raise ValueError(f"one labourer is scored at a time, not {len(lab)}")
    day = day_number(today)
    mask = _checked(mask, len(posts))
    if by_province is not None and len(posts) > PRUNE_POSTS_ABOVE and k > 0:
        found = _best_by_province(lab, posts, by_province, ctx, day, k, mask)
        if found is not None:
            return [
                _match(_Cell(lab, 0, part, r, scored, r), ctx) for _, _, part, scored, r in found
            ]
    scored = _score(lab, posts, ctx, day)
    rows = top_k(scored.total, _restrict(scored.eligible, mask, len(posts)), posts.ids, k)
    return [_match(_Cell(lab, 0, posts, int(r), scored, int(r)), ctx) for r in rows]


# A labourer's posts are searched province by province, the labourer's own first, when there
# are more than this many (docs/scoring.md, "Posts of a labourer who would go anywhere").
PRUNE_POSTS_ABOVE = 20_000
# Past this share of the posts left to score after the own province, one pass over them all.
_WHOLE_ABOVE = 0.5

_Found = tuple[float, int, PostArrays, "_Scored", int]  # -total, post id, part, its scores, row


def _best_by_province(
    lab: LabourerArrays,
    posts: PostArrays,
    by_province: ByProvince,
    ctx: ScoringContext,
    day: int,
    k: int,
    mask: Bool | None,
) -> list[_Found] | None:
    """The k best posts, scoring only the provinces whose bound (provinces.run_bounds) reaches
    the k-th best total found before them: the labourer's own province first, then the others
    by falling bound. The same posts and totals as scoring every post (each total is computed
    element by element; a province left out cannot reach the k-th best, nor tie it). None when
    so many posts remain to score that one pass over all of them costs less."""
    runs = by_province.runs
    if len(runs) == 0 or int(runs.stop[-1]) != len(posts):
        raise ValueError("the province runs are not those of the posts given")
    bounds = run_bounds(lab, runs, ctx)
    order = np.argsort(-bounds, kind="stable")
    own = order[np.isinf(bounds[order])]
    found: list[_Found] = []

    def score_run(run: int) -> None:
        start, stop = int(runs.start[run]), int(runs.stop[run])
        part = by_province.rows(start, stop)
        scored = _score(lab, part, ctx, day)
        passing = scored.eligible if mask is None else scored.eligible & mask[start:stop]
        for r in top_k(scored.total, passing, part.ids, k):
            found.append((-float(scored.total[r]), int(part.ids[r]), part, scored, int(r)))
        found.sort(key=lambda f: (f[0], f[1]))
        del found[k:]

    def kth() -> float:
        return -found[-1][0] if len(found) == k else -np.inf

    for run in own:
        score_run(int(run))
    rest = [int(run) for run in order[len(own) :] if bounds[run] >= kth()]
    left = sum(int(runs.stop[run] - runs.start[run]) for run in rest)
    if left > _WHOLE_ABOVE * len(posts):
        return None
    for run in rest:
        if bounds[run] < kth():  # the rest are bounded lower still
            break
        score_run(run)
    return found


def score_labourers_for_post(
    post: PostRecord,
    labourers: LabourerArrays,
    ctx: ScoringContext,
    *,
    today: date,
    k: int = 50,
    mask: Bool | None = None,
    prune: bool = True,
) -> list[Match]:
    """The k best eligible labourers for one post; `mask` can further restrict the labourers;
    `prune`: score only the labourers able to rank (the same result: `_able_to_rank`).

    The hard filters go first, over every labourer; the other components are computed only
    for the labourers that pass them (a fifth to a third of an index: those in the post's
    province or willing to go anywhere, seeking, of age), each as it would be over all of
    them (element by element, so the same floats). At 500,000 labourers this halves a post's
    search (issue 14)."""
    if len(labourers) == 0:
        return []
    one = PostArrays.from_records([post])
    day = day_number(today)
    level = common_level(labourers, one)
    passing = eligible(labourers, one, level, day)
    rows = np.flatnonzero(_restrict(passing, mask, len(labourers)))
    if rows.size == 0 or k <= 0:
        return []
    space = ctx.skills
    # Over every labourer through the inverted indexes, then taken: cheaper than finding the
    # passing rows among the postings (searchsorted), 9.8 against 10.7 ms a post at 500,000.
    skills = skills_for_labourers(labourers, one.skills_of(0), space, one.skill_floor[0])
    pref = preference_for_labourers(labourers, int(one.occupation[0]), space)

    def scored_rows(rows: I64) -> tuple[LabourerArrays, _Scored]:
        part = labourers.per_labourer(rows)
        scored = _score(
            part,
            one,
            ctx,
            day,
            skills_and_preference=(skills[rows], pref[rows]),
            passing=np.ones(rows.size, dtype=np.bool_),  # the rows are those that passed
        )
        return part, scored

    if prune and rows.size > PRUNE_ABOVE:
        bounds = _upper_bounds(one, ctx, level, skills, pref, rows)
        rows, (part, scored) = _able_to_rank(rows, k, bounds, scored_rows)
    else:
        part, scored = scored_rows(rows)
    best = top_k(scored.total, scored.eligible, part.ids, k)
    return [_match(_Cell(labourers, int(rows[r]), one, 0, scored, int(r)), ctx) for r in best]


# A post's search scores fully only the passing labourers whose upper bound can reach its
# k-th best score, when more than this many pass (docs/scoring.md, "Candidates of a post").
PRUNE_ABOVE = 20_000
_SEED = 2_000  # labourers with the best bounds scored first, for a k-th best score to beat


def _upper_bounds(
    one: PostArrays, ctx: ScoringContext, level: I8, skills: F32, pref: F32, rows: I64
) -> F32:
    """For each of `rows`, a total the labourer cannot exceed for this post: each component at
    its largest given what is known without gathering the labourer's columns (the shared
    region level, skills, preference), welfare lifts and the corridor counted as if they
    applied, the welfare factor (< 1) as if not. In float32, as the totals: a few units in the
    last place of rounding, far below the margin."""
    weights = {name: np.float32(w) for name, w in ctx.weights.as_dict().items()}
    ceiling = LEVEL_CEIL.copy()  # floor + band, the distance's decay at 1
    ceiling[0] = max(ceiling[0], CORRIDOR_CEIL)
    welfare = bool(one.welfare_like[0])  # a 三无 labourer's skills and wage may count as met
    wage_bound = max(float(one.wage_stated[0] + one.wage_base[0]), 1.0 if welfare else 0.0)
    priority_bound = float(PRIORITY_SANWU * welfare + PRIORITY_ZERO_EMPLOYMENT)
    rest = weights["wage"] * wage_bound + weights["priority"] * priority_bound
    bound = np.take(weights["location"] * ceiling, level[rows])  # per level, then per row
    skills_part = skills[rows]
    if welfare:
        np.maximum(skills_part, SANWU_WELFARE_FIT, out=skills_part)
    skills_part *= weights["skills"]
    bound += skills_part
    preference_part = pref[rows]
    preference_part *= weights["preference"]
    bound += preference_part
    bound += np.float32(rest)
    np.minimum(bound, np.float32(1), out=bound)  # the total is clipped to [0, 1]
    bound += np.float32(BOUND_MARGIN)
    return bound


def _able_to_rank(
    rows: I64, k: int, bounds: F32, scored_rows: Callable[[I64], tuple[LabourerArrays, _Scored]]
) -> tuple[I64, tuple[LabourerArrays, _Scored]]:
    """The rows that may be among the k best, scored: the seed (the rows with the best bounds)
    first; then every row whose bound reaches the seed's k-th best total. A row left out has a
    total below that of k seed rows, so neither it nor a tie with it is in the top k (top_k's
    order is kept). When no row outside the seed reaches it (165 of the benchmark's 198 pruned
    posts), the seed's own scores serve."""
    if rows.size <= _SEED:
        return rows, scored_rows(rows)
    order = np.argpartition(-bounds, _SEED)
    seed, others = rows[order[:_SEED]], order[_SEED:]
    part, scored = scored_rows(seed)
    if seed.size < k:
        return rows, scored_rows(rows)
    kth = np.partition(scored.total, seed.size - k)[seed.size - k]
    if not (bounds[others] >= kth).any():
        return seed, (part, scored)
    able = rows[bounds >= kth]
    return able, scored_rows(able)


def score_pairs(
    lab: LabourerArrays,
    lab_rows: I64,
    posts: PostArrays,
    post_rows: I64,
    ctx: ScoringContext,
    *,
    today: date,
) -> list[Match]:
    """Given pairs (labourer row lab_rows[i] × post row post_rows[i]) scored and explained, in
    their order, eligible or not: what `explain_pair` gives each pair (total, breakdown and
    reasons, the same floats), computed column by column rather than pair by pair. A plan's
    commit explains each of its pushes so (a province's 1.7 million: issue 14)."""
    lab_rows = np.asarray(lab_rows, dtype=np.int64)
    post_rows = np.asarray(post_rows, dtype=np.int64)
    if lab_rows.shape != post_rows.shape or lab_rows.ndim != 1:
        raise ValueError("lab_rows and post_rows must be one-dimensional, of one length")
    if len(lab_rows) == 0:
        return []
    space = ctx.skills
    if max(lab.max_index, posts.max_index) >= space.size:  # as _score refuses it
        raise ValueError("a taxonomy index is outside the similarity matrix")
    skills = skills_for_pairs(lab, lab_rows, posts, post_rows, space)
    pref = preference_for_pairs(lab, lab_rows, posts, post_rows, space)
    scored = _score(lab.per_labourer(lab_rows), posts.per_post(post_rows), ctx,
                    day_number(today), skills_and_preference=(skills, pref))  # fmt: skip
    return [
        _match(_Cell(lab, li, posts, pi, scored, r), ctx)
        for r, (li, pi) in enumerate(zip(lab_rows.tolist(), post_rows.tolist(), strict=True))
    ]


def check_pair(
    profile: LabourerProfile, post: PostRecord, *, today: date
) -> tuple[HardFilter, ...]:
    """The hard filters one pair fails (empty when it is a candidate)."""
    lab, one = LabourerArrays.from_profiles([profile]), PostArrays.from_records([post])
    return failed_filters(lab, one, common_level(lab, one), day_number(today))


def explain_pair(
    profile: LabourerProfile, post: PostRecord, ctx: ScoringContext, *, today: date
) -> Explanation:
    """Score, breakdown and reasons of one pair, with the hard filters it fails, if any."""
    lab, one = LabourerArrays.from_profiles([profile]), PostArrays.from_records([post])
    day = day_number(today)
    scored = _score(lab, one, ctx, day)
    failed = tuple(
        filter_reason(
            f,
            age=-1 if profile.age is None else profile.age,
            age_min=int(one.age_min[0]),
            age_max=int(one.age_max[0]),
            willingness=int(profile.willingness),
        )
        for f in failed_filters(lab, one, scored.level, day)
    )
    return Explanation(
        post_id=post.id,
        labourer_id=profile.id,
        eligible=not failed,
        failed=failed,
        total=float(scored.total[0]),
        breakdown=_breakdown(scored, 0),
        reasons=_reasons(_Cell(lab, 0, one, 0, scored, 0), ctx),
    )


def _breakdown(scored: _Scored, r: int) -> dict[str, float]:
    return {name: float(scored.components[name][r]) for name in COMPONENTS}


@dataclass(frozen=True, slots=True)
class _Cell:
    """One scored pair: labourer row `li` of `lab` × post row `pi` of `post`, whose scores sit
    at index `r` of `scored` (one of the two rows is 0: the scorer runs one against many)."""

    lab: LabourerArrays
    li: int
    post: PostArrays
    pi: int
    scored: _Scored
    r: int


def _match(cell: _Cell, ctx: ScoringContext) -> Match:
    return Match(
        post_id=int(cell.post.ids[cell.pi]),
        labourer_id=int(cell.lab.ids[cell.li]),
        total=float(cell.scored.total[cell.r]),
        breakdown=_breakdown(cell.scored, cell.r),
        reasons=_reasons(cell, ctx),
    )


def _reasons(cell: _Cell, ctx: ScoringContext) -> tuple[Reason, ...]:
    """Reasons for one scored pair."""
    lab, li, post, pi, scored, r = cell.lab, cell.li, cell.post, cell.pi, cell.scored, cell.r
    space = ctx.skills
    out = [
        location_reason(
            int(scored.level[r]),
            haversine_km(
                float(lab.lat[li]), float(lab.lon[li]), float(post.lat[pi]), float(post.lon[pi])
            ),
            bool(scored.corridor[r]),
        )
    ]
    kind = int(post.kind[pi])
    if bool(lab.sanwu[li]) and bool(post.welfare_like[pi]):  # components.sanwu_welfare
        out.append(welfare_skill_reason(kind))
        out.append(
            welfare_wage_reason(
                kind, int(post.wage_min[pi]), int(post.wage_max[pi]), float(post.offered[pi])
            )
        )
    else:
        out += skill_reasons(
            lab.skills_of(li).tolist(),
            post.skills_of(pi).tolist(),
            space,
            workshop=kind == PostKind.workshop and bool(lab.no_skills[li]),
        )
        out.append(
            wage_reason(
                int(post.wage_min[pi]),
                int(post.wage_max[pi]),
                float(post.offered[pi]),
                float(lab.expected_wage[li]),
            )
        )
    pref = preference_reason(lab.preferences_of(li).tolist(), int(post.occupation[pi]), space)
    if pref is not None:
        out.append(pref)
    out += priority_reasons(bool(lab.sanwu[li]), bool(lab.zero_employment[li]), kind)
    return tuple(out)
