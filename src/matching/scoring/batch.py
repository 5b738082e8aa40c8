"""Many labourers × many posts at once: the best posts of a whole group of labourers.

Bulk planning needs each labourer's best few posts for hundreds of thousands of labourers;
scoring them one at a time costs a Python round per labourer and per array pass. Here a
group of labourers who live in the same county (same county seat, same codes above the
township) and share a relocation willingness is scored against a set of posts as one matrix.
Inside such a group the location score of a post differs between labourers only by whether
they share its township, so it is computed per post and picked per pair; wage and preference
are computed once per distinct expected wage or preference set.

Every pair's total is computed with the same float32 operations, in the same order, as the
one-labourer scorer, so the results are identical, ties and all (tests/scoring pin this).
"""

from collections.abc import Callable, Sequence

import numpy as np

from matching.scoring.arrays import LabourerArrays, PostArrays
from matching.scoring.components import (
    best_similarity,
    corridor,
    distance_km,
    location,
    preference_lookup,
    wage,
    welfare_lift,
)
from matching.scoring.context import ScoringContext
from matching.scoring.dtypes import F32, I64, Bool
from matching.scoring.params import PRIORITY_SANWU, PRIORITY_ZERO_EMPLOYMENT, WELFARE_FOR_OTHERS

# Columns that must be equal for every labourer of one group.
GROUP_COLUMNS = ("province", "prefecture", "county", "lat", "lon", "willingness")


def group_keys(lab: LabourerArrays) -> I64:
    """One row of integers per labourer, equal for labourers of one group (GROUP_COLUMNS);
    seats are compared by their bits, so that unknown (NaN) seats group together."""
    columns = [np.asarray(getattr(lab, name)) for name in GROUP_COLUMNS]
    as_ints = [c.view(np.int32) if c.dtype == np.float32 else c for c in columns]
    keys = np.stack([c.astype(np.int64) for c in as_ints], axis=1)
    return keys.reshape(len(lab), len(GROUP_COLUMNS))  # (0, 6) for no labourers, not an error


def _check_group(lab: LabourerArrays) -> None:
    keys = group_keys(lab)
    if len(keys) and not (keys == keys[:1]).all():
        raise ValueError(f"a labourer group must share {', '.join(GROUP_COLUMNS)}")


def score_group(lab: LabourerArrays, posts: PostArrays, ctx: ScoringContext, today: int) -> F32:
    """Totals of every labourer (rows) × post (columns); -inf where a hard filter fails.

    `lab` must be one group (see GROUP_COLUMNS); `today` is a day number.
    """
    _check_group(lab)
    n_lab, n_post = len(lab), len(posts)
    if n_lab == 0 or n_post == 0:
        return np.full((n_lab, n_post), -np.inf, dtype=np.float32)
    space = ctx.skills
    if max(lab.max_index, posts.max_index) >= space.size:
        raise ValueError("a taxonomy index is outside the similarity matrix")
    first = lab.row(0)
    weights = {name: np.float32(w) for name, w in ctx.weights.as_dict().items()}

    # Location: the shared part per post, plus one level where the township is shared too.
    above = (first.province == posts.province).view(np.int8)
    above += first.prefecture == posts.prefecture
    above += first.county == posts.county
    same_town = lab.township[:, None] == posts.township[None, :]
    dist = distance_km(first, posts)
    lift = corridor(first, posts, ctx.corridors)
    loc_apart = weights["location"] * location(above, dist, lift, first.inv_decay_km)
    loc_town = weights["location"] * location(above + np.int8(1), dist, lift, first.inv_decay_km)
    total = np.where(same_town, loc_town[None, :], loc_apart[None, :])  # = 0 + w × location

    fit = lab.sanwu[:, None] & posts.welfare_like[None, :]  # components.sanwu_welfare
    parts: dict[str, F32] = {
        "skills": welfare_lift(_skills(lab, posts, ctx), fit),
        "wage": welfare_lift(_by_value(lab.expected_wage, lambda i: wage(lab.row(i), posts)), fit),
        "preference": _preferences(lab, posts, ctx),
        "priority": _priority(lab, posts),
    }
    for name, weight in weights.items():  # the one-labourer scorer's order
        if name != "location":
            total += weight * parts[name]
    np.clip(total, np.float32(0), np.float32(1), out=total)
    others = ~lab.sanwu[:, None] & posts.public_welfare[None, :]  # components.welfare_factor
    if others.any():
        total *= np.where(others, WELFARE_FOR_OTHERS, np.float32(1))

    # Hard filters (filters.filter_masks), pair by pair.
    ok = posts.is_open & (posts.valid_from <= today) & (posts.valid_until >= today)
    ok &= posts.openings_left > 0
    fine = ok[None, :] & lab.seeking[:, None]
    age_known = (lab.age >= 0)[:, None]
    age = lab.age[:, None]
    fine &= ~age_known | ((age >= posts.age_min[None, :]) & (age <= posts.age_max[None, :]))
    fine &= (above[None, :] + same_town) >= lab.required_level[:, None]
    total[~fine] = -np.inf
    return total


def _by_value(values: F32, one: Callable[[int], F32]) -> F32:
    """Stack a per-labourer row computed once per distinct value of `values`."""
    _, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    rows = np.stack([one(int(i)) for i in first.tolist()])
    result: F32 = rows[inverse.reshape(-1)]
    return result


def _skills(lab: LabourerArrays, posts: PostArrays, ctx: ScoringContext) -> F32:
    """components.skills_for_posts for every labourer (same sums, same order)."""
    space = ctx.skills
    best = np.stack([best_similarity(lab.skills_of(i), space) for i in range(len(lab))])
    sums = np.zeros((len(lab), len(posts)), dtype=np.float32)
    for row in posts.skill_pad:
        sums += np.take(best, row, axis=1, mode="clip")
    for post_row, index in zip(
        posts.skill_over_rows.tolist(), posts.skill_over_idx.tolist(), strict=True
    ):
        sums[:, post_row] += best[:, index]
    sums *= posts.skill_inv_count[None, :]
    sums += posts.skill_base[None, :]
    np.maximum(sums, lab.no_skills[:, None] * posts.skill_floor[None, :], out=sums)
    return sums


def _preferences(lab: LabourerArrays, posts: PostArrays, ctx: ScoringContext) -> F32:
    """components.preference_for_posts for every labourer, one lookup per preference set."""
    keys = [lab.preferences_of(i).tobytes() for i in range(len(lab))]
    tables: dict[bytes, int] = {}
    rows: list[int] = []
    for i, key in enumerate(keys):
        rows.append(tables.setdefault(key, i))
    distinct = sorted(set(rows))
    at = {row: j for j, row in enumerate(distinct)}
    lookups = np.stack([preference_lookup(lab.preferences_of(i), ctx.skills) for i in distinct])
    per_distinct = np.take(lookups, posts.occupation_slot, axis=1, mode="clip")
    result: F32 = per_distinct[np.array([at[r] for r in rows], dtype=np.int64)]
    return result


def _priority(lab: LabourerArrays, posts: PostArrays) -> F32:
    """components.priority for every pair."""
    sanwu = PRIORITY_SANWU * (lab.sanwu[:, None] & posts.welfare_like[None, :])
    score = sanwu + (PRIORITY_ZERO_EMPLOYMENT * lab.zero_employment)[:, None]
    result: F32 = score.astype(np.float32, copy=False)
    return result


def top_per_row(totals: F32, ids: I64, wanted: Sequence[int]) -> tuple[I64, I64]:
    """(row, column) of each row's `wanted[row]` best finite totals, by score descending then
    id ascending (as core.top_k orders them), rows in order."""
    n_rows, n_cols = totals.shape
    k = max(wanted, default=0)
    if n_rows == 0 or n_cols == 0 or k <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    if n_cols > k:
        # Every column tied with a row's k-th score stays in, so ids break the ties.
        kth = np.partition(totals, n_cols - k, axis=1)[:, n_cols - k]
        keep: Bool = (totals >= kth[:, None]) & np.isfinite(totals)
    else:
        keep = np.isfinite(totals)
    rows, cols = np.nonzero(keep)
    order = np.lexsort((ids[cols], -totals[rows, cols], rows))
    rows, cols = rows[order], cols[order]
    # Rank of each entry inside its row; keep the row's first wanted[row].
    starts = np.searchsorted(rows, rows, side="left")
    rank = np.arange(len(rows)) - starts
    limit = np.asarray(wanted, dtype=np.int64)[rows]
    chosen = rank < limit
    return rows[chosen].astype(np.int64), cols[chosen].astype(np.int64)


def shared_score(
    home: LabourerArrays, wage_at: LabourerArrays, required_level: int, posts: PostArrays,
    ctx: ScoringContext,
) -> F32:  # fmt: skip
    """The part of a group's totals every member shares, per post: location from the group's
    home (`home`: one member's row), wage at one expectation (`wage_at`: one row) and the
    general-labour (or workshop) part of skills; -inf where the post is out of the group's reach
    (`required_level`: the least deep common level any member needs).

    A bound for narrowing a large pool, not a total: members differ from it only in skills,
    wage and preference, and in the township they share or not (planning.candidates).
    """
    above = (home.province == posts.province).view(np.int8)
    above += home.prefecture == posts.prefecture
    above += home.county == posts.county
    loc = location(above, distance_km(home, posts), corridor(home, posts, ctx.corridors),
                   home.inv_decay_km)  # fmt: skip
    weights = ctx.weights
    shared: F32 = (
        np.float32(weights.location) * loc
        + np.float32(weights.wage) * wage(wage_at, posts)
        + np.float32(weights.skills) * np.maximum(posts.skill_base, posts.skill_floor)
    )
    shared[above < required_level] = -np.inf
    return shared
