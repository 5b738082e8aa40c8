"""Score components as numpy arrays; one side has one row and broadcasts against the other.

Every function here serves "one labourer × N posts" and "N labourers × one post" alike, and
N given pairs (row i of each side: a plan's pushes, scoring.core.score_pairs), except skills
and preference, whose ragged (CSR) side decides the direction; for pairs, those two have their
own functions here, giving the same floats. Blends are written as
arithmetic on 0/1 masks rather than np.where, which is several times slower on random masks.
"""

import numpy as np

from matching.scoring.arrays import LabourerArrays, PostArrays
from matching.scoring.context import Corridors, SkillSpace
from matching.scoring.dtypes import F32, I8, I32, I64, Bool
from matching.scoring.geo import great_circle_km
from matching.scoring.params import (
    CORRIDOR_CEIL,
    CORRIDOR_FLOOR,
    LEVEL_BAND,
    LEVEL_FLOOR,
    NO_SKILLS_REQUIRED,
    PREF_EXACT,
    PREF_GROUP,
    PREF_NONE,
    PREF_OTHER,
    PRIORITY_SANWU,
    PRIORITY_ZERO_EMPLOYMENT,
    SANWU_WELFARE_FIT,
    WAGE_NO_EXPECTATION,
    WELFARE_FOR_OTHERS,
)
from matching.scoring.sparse import PAD, postings

_ONE, _ZERO = np.float32(1), np.float32(0)


def common_level(lab: LabourerArrays, post: PostArrays) -> I8:
    """Deepest shared level (Level) per pair: codes are full prefixes, so equalities nest."""
    level: I8 = (lab.province == post.province).view(np.int8)  # a fresh array: safe to add to
    level += lab.prefecture == post.prefecture  # a labourer's missing level is -1: never equal
    level += lab.county == post.county
    level += lab.township == post.township
    return level


def distance_km(lab: LabourerArrays, post: PostArrays) -> F32:
    """Great-circle distance between county seats, NaN when a seat is unknown."""
    return great_circle_km(lab.unit, post.unit)


def corridor(lab: LabourerArrays, post: PostArrays, corridors: Corridors) -> Bool:
    """True where the two provinces have a labour-cooperation agreement."""
    if len(lab) == 1:
        partners = corridors.table[lab.province[0]]
        if not partners.any():
            return np.zeros(len(post), dtype=np.bool_)
        return np.take(partners, post.province)
    if len(post) == 1:
        return np.take(corridors.table[:, post.province[0]], lab.province)
    pairs: Bool = corridors.table[lab.province, post.province]  # given pairs, row by row
    return pairs


def location(level: I8, dist_km: F32, lift: Bool, inv_decay_km: F32) -> F32:
    """Level band refined by distance; an unknown distance counts as far (band floor)."""
    score = dist_km * -inv_decay_km
    np.exp(score, out=score)
    np.fmax(score, _ZERO, out=score)  # fmax drops NaN: an unknown seat decays fully
    floor, band = np.take(LEVEL_FLOOR, level), np.take(LEVEL_BAND, level)
    if lift.any():  # corridors join two different provinces: only level-0 bands move
        floor += lift * (CORRIDOR_FLOOR - LEVEL_FLOOR[0])
        band += lift * (CORRIDOR_CEIL - CORRIDOR_FLOOR - LEVEL_BAND[0])
    score *= band
    score += floor
    return score


def wage(lab: LabourerArrays, post: PostArrays) -> F32:
    """1 at or above the expectation, linear down to 0 at half of it; fixed values when unknown."""
    return wage_for(lab.expected_wage, lab.wage_expected, post)


def wage_for(expected: F32, has_expectation: F32, post: PostArrays) -> F32:
    """`wage` from the labourer's columns (any shape that broadcasts against the posts', such
    as one row per distinct expectation: the same operations give the same floats)."""
    ratio = post.offered / np.maximum(expected, _ONE)
    meets = np.clip(np.float32(2) * ratio - _ONE, _ZERO, _ONE)
    # No expectation → WAGE_NO_EXPECTATION; no stated wage → post.wage_base.
    known = meets * has_expectation + WAGE_NO_EXPECTATION * (_ONE - has_expectation)
    score: F32 = known * post.wage_stated + post.wage_base
    return score


def priority(lab: LabourerArrays, post: PostArrays) -> F32:
    """三无 labourers toward public-welfare/home-based posts; zero-employment households."""
    sanwu = PRIORITY_SANWU * (lab.sanwu & post.welfare_like)
    score = sanwu + PRIORITY_ZERO_EMPLOYMENT * lab.zero_employment
    return score.astype(np.float32, copy=False)


def sanwu_welfare(lab: LabourerArrays, post: PostArrays) -> Bool:
    """三无 labourer × public-welfare or home-based post: the posts made for them."""
    fit: Bool = lab.sanwu & post.welfare_like
    return fit


def welfare_lift(score: F32, fit: Bool) -> F32:
    """Skills or wage of a 三无 labourer's welfare post scored as met (params.SANWU_WELFARE_FIT);
    a max, so it is exact and the same for any shape."""
    if not fit.any():
        return score
    lifted: F32 = np.maximum(score, fit * SANWU_WELFARE_FIT)
    return lifted


def welfare_factor(lab: LabourerArrays, post: PostArrays) -> F32 | None:
    """The total's factor for a public-welfare post offered to anyone but a 三无 labourer
    (params.WELFARE_FOR_OTHERS), 1 elsewhere; None when no pair is such."""
    others = ~lab.sanwu & post.public_welfare
    if not others.any():
        return None
    factor: F32 = np.where(others, WELFARE_FOR_OTHERS, _ONE)
    return factor


def best_similarity(have: I32, space: SkillSpace) -> F32:
    """Per taxonomy entry, the best similarity any of `have` reaches, and at least what it
    scores without a matching skill (SkillSpace.floor); plus a trailing 0."""
    best = np.zeros(space.size + 1, dtype=np.float32)
    best[:-1] = space.floors
    if len(have):
        np.maximum(best[:-1], np.max(space.similarity[have], axis=0), out=best[:-1])
    return best


def skills_for_posts(have: I32, post: PostArrays, space: SkillSpace) -> F32:
    """Mean over each post's required skills of the labourer's best similarity to it."""
    best = best_similarity(have, space)
    sums = np.zeros(len(post), dtype=np.float32)
    for row in post.skill_pad:  # at most SKILL_PAD rows; PAD clips to the trailing 0
        sums += np.take(best, row, mode="clip")
    if len(post.skill_over_rows):  # unbuffered and in order, so sums keep the post's order
        np.add.at(sums, post.skill_over_rows, np.take(best, post.skill_over_idx))
    score: F32 = sums * post.skill_inv_count + post.skill_base
    if len(have) == 0:  # a workshop trains a hire who has no skill (params.ON_THE_JOB)
        np.maximum(score, post.skill_floor, out=score)
    return score


def skills_for_labourers(
    lab: LabourerArrays, need: I32, space: SkillSpace, floor: np.float32
) -> F32:
    """The same mean for N labourers against one post's required skills `need`; `floor` is
    the post's skill_floor, for the labourers with no skill."""
    if len(need) == 0:
        none = np.full(len(lab), NO_SKILLS_REQUIRED, dtype=np.float32)
        np.maximum(none, lab.no_skills * floor, out=none)
        return none
    sums = np.zeros(len(lab), dtype=np.float32)
    for n in need:  # in the post's order, as skills_for_posts sums them
        column = space.similarity[:, n]
        rows, held = postings(lab.skill_ptr, lab.skill_rows, np.flatnonzero(column))
        best = np.full(len(lab), space.floors[n], dtype=np.float32)
        np.maximum.at(best, rows, np.take(column, held))
        sums += best
    score: F32 = sums * (_ONE / np.float32(len(need)))
    np.maximum(score, lab.no_skills * floor, out=score)
    return score


def preference_lookup(prefs: I32, space: SkillSpace) -> F32:
    """Preference value per taxonomy entry, plus a last slot for "post has no occupation"."""
    if len(prefs) == 0:
        return np.full(space.size + 1, PREF_NONE, dtype=np.float32)
    in_group = np.isin(space.groups, space.groups[prefs])
    table = np.append(PREF_OTHER + (PREF_GROUP - PREF_OTHER) * in_group, PREF_NONE)
    table[prefs] = PREF_EXACT
    return table.astype(np.float32)


def preference_for_posts(prefs: I32, post: PostArrays, space: SkillSpace) -> F32:
    """Occupation preference per post; a post without one clips to the lookup's last slot."""
    return np.take(preference_lookup(prefs, space), post.occupation_slot, mode="clip")


def preference_for_labourers(lab: LabourerArrays, occupation: int, space: SkillSpace) -> F32:
    """Occupation preference per labourer for one post's occupation (-1 = none)."""
    if occupation < 0:
        return np.full(len(lab), PREF_NONE, dtype=np.float32)
    # Only preferences in the occupation's group can score above PREF_OTHER.
    group = np.flatnonzero(space.groups == space.groups[occupation])
    rows, held = postings(lab.pref_ptr, lab.pref_rows, group)
    value = np.where(held == occupation, PREF_EXACT, PREF_GROUP).astype(np.float32)
    best = lab.pref_base.copy()
    np.maximum.at(best, rows, value)
    return best


def skills_for_pairs(
    lab: LabourerArrays, lab_rows: I64, post: PostArrays, post_rows: I64, space: SkillSpace
) -> F32:
    """`skills_for_posts` of given pairs (labourer row lab_rows[i] × post row post_rows[i]),
    element by element: for each of the post's required skills the labourer's best similarity
    (the floor, raised by each of their skills: a maximum, exact in any order), added in the
    post's order (its padded block, then its further skills), times 1 / count, plus the base;
    at least the post's floor for a labourer without skills. The same float32 operations in
    the same order per pair, so the same floats."""
    n = len(lab_rows)
    starts = lab.skill_indptr[lab_rows]
    counts = lab.skill_indptr[lab_rows + 1] - starts

    def best(at: I64, need: I64) -> F32:  # pairs `at`'s best similarity to taxonomy `need`
        value = space.floors[need]
        for k in range(int(counts[at].max(initial=0))):
            has = counts[at] > k
            held = lab.skill_indices[starts[at][has] + k]
            value[has] = np.maximum(value[has], space.similarity[held, need[has]])
        return value

    sums = np.zeros(n, dtype=np.float32)
    everyone = np.arange(n)
    for row in post.skill_pad[:, post_rows]:  # PAD adds the trailing 0 in skills_for_posts
        add = np.zeros(n, dtype=np.float32)
        real = row != PAD
        add[real] = best(everyone[real], row[real])
        sums += add
    post_starts = post.skill_indptr[post_rows]
    post_counts = post.skill_indptr[post_rows + 1] - post_starts
    width = post.skill_pad.shape[0]
    for extra in range(int(post_counts.max(initial=0)) - width):  # each pair's in order
        at = np.flatnonzero(post_counts > width + extra)
        sums[at] += best(at, post.skill_indices[post_starts[at] + width + extra].astype(np.int64))
    score: F32 = sums * post.skill_inv_count[post_rows] + post.skill_base[post_rows]
    none = np.flatnonzero(counts == 0)  # a workshop trains a hire who has no skill
    score[none] = np.maximum(score[none], post.skill_floor[post_rows[none]])
    return score


def preference_for_pairs(
    lab: LabourerArrays, lab_rows: I64, post: PostArrays, post_rows: I64, space: SkillSpace
) -> F32:
    """`preference_for_posts` of given pairs, element by element: the value the labourer's
    `preference_lookup` holds at the post's occupation."""
    starts = lab.pref_indptr[lab_rows]
    counts = lab.pref_indptr[lab_rows + 1] - starts
    occupation = post.occupation[post_rows].astype(np.int64)
    known = occupation >= 0
    group = np.where(known, space.groups[np.maximum(occupation, 0)], -1)
    exact = np.zeros(len(lab_rows), dtype=np.bool_)
    same_group = np.zeros(len(lab_rows), dtype=np.bool_)
    for k in range(int(counts.max(initial=0))):
        at = np.flatnonzero(counts > k)
        held = lab.pref_indices[starts[at] + k]
        exact[at] |= held == occupation[at]
        same_group[at] |= space.groups[held] == group[at]
    # preference_lookup's values, made by the same float32 arithmetic.
    other, in_group = PREF_OTHER + (PREF_GROUP - PREF_OTHER) * np.array([False, True])
    value: F32 = np.where(same_group, in_group, other).astype(np.float32)
    value[exact] = PREF_EXACT
    value[(counts == 0) | ~known] = PREF_NONE
    return value
