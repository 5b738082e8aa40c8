"""Properties of the scorer over generated labourers and posts (hypothesis).

Where a property needs "the truth" (is this pair allowed? how far apart?), it is recomputed
here independently: region codes compared as string prefixes, distances in float64.
"""

import math
import random
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from matching.scoring import (
    LabourerArrays,
    LabourerProfile,
    PostArrays,
    PostKind,
    PostRecord,
    ScoringContext,
    Willingness,
    core,
    explain_pair,
    fused,
    score_labourers_for_post,
    score_posts_for_labourer,
)
from matching.scoring.batch import (
    best_of_group,
    distinct_lists,
    group_skills,
    score_group,
    top_per_row,
)
from matching.scoring.codes import day_number
from matching.scoring.components import best_similarity, skills_for_labourers
from matching.scoring.geo import haversine_km
from matching.scoring.provinces import ByProvince, ProvinceRuns, run_bounds
from matching.scoring.sparse import csr

TODAY = date(2025, 6, 1)
TAXONOMY = 9  # entries in the conftest taxonomy
CORRIDOR = {"44", "45"}
LABOURER_CODES = ["45", "4501", "450103", "450103001", "450103001001", "450123101", "440106"]
POST_CODES = [
    "45",
    "4501",
    "450103",
    "450103001",
    "450103002",
    "450123",
    "450123101",
    "4502",
    "450202",
    "440106",
    "440106005",
    "330106",
]
SEGMENT_ENDS = (2, 4, 6, 9)
REQUIRED = {
    Willingness.township: 4,
    Willingness.county: 3,
    Willingness.prefecture: 2,
    Willingness.province: 1,
    Willingness.anywhere: 0,
}

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

indices = st.lists(st.integers(0, TAXONOMY - 1), max_size=4, unique=True).map(tuple)
latitudes = st.one_of(st.floats(20, 27), st.just(math.nan))
longitudes = st.floats(104, 116)


@st.composite
def profiles(draw: st.DrawFn, labourer_id: int = 1) -> LabourerProfile:
    """Any labourer the registry could hold."""
    return LabourerProfile(
        id=labourer_id,
        region=draw(st.sampled_from(LABOURER_CODES)),
        lat=draw(latitudes),
        lon=draw(longitudes),
        willingness=draw(st.sampled_from(Willingness)),
        able_and_seeking=draw(st.booleans() | st.just(True)),
        age=draw(st.none() | st.integers(16, 70)),
        expected_wage=draw(st.none() | st.integers(0, 9000)),
        skills=draw(indices),
        preferred_occupations=draw(indices),
        sanwu=draw(st.booleans()),
        zero_employment_household=draw(st.booleans()),
    )


days = st.none() | st.integers(-3, 3).map(lambda d: TODAY + timedelta(days=d))


@st.composite
def posts(draw: st.DrawFn, post_id: int = 1) -> PostRecord:
    """Any post the index could hold, open or not."""
    wage_max = draw(st.integers(0, 9000))
    return PostRecord(
        id=post_id,
        region=draw(st.sampled_from(POST_CODES)),
        lat=draw(latitudes),
        lon=draw(longitudes),
        kind=draw(st.sampled_from(PostKind)),
        wage_min=draw(st.integers(0, wage_max)),
        wage_max=wage_max,
        age_min=draw(st.none() | st.integers(16, 40)),
        age_max=draw(st.none() | st.integers(35, 65)),
        openings_left=draw(st.integers(0, 3) | st.just(5)),
        is_open=draw(st.booleans() | st.just(True)),
        valid_from=draw(days),
        valid_until=draw(days),
        occupation=draw(st.none() | st.integers(0, TAXONOMY - 1)),
        required_skills=draw(st.lists(st.integers(0, TAXONOMY - 1), max_size=8).map(tuple)),
    )


@st.composite
def post_lists(draw: st.DrawFn, min_size: int = 1) -> list[PostRecord]:
    """Posts with distinct ids; some are copies of others, so that scores tie."""
    records = [draw(posts(post_id=i)) for i in range(draw(st.integers(min_size, 8)))]
    copies = draw(st.lists(st.sampled_from(records), max_size=3)) if records else []
    for n, post in enumerate(copies):
        records.append(PostRecord(**(post.__dict__ | {"id": 100 + n})))
    return records


def shared_level(a: str, b: str) -> int:
    """How many leading GB/T 2260 levels two codes share (0 = other province)."""
    level = 0
    for end in SEGMENT_ENDS:
        if len(a) < end or len(b) < end or a[:end] != b[:end]:
            break
        level += 1
    return level


def allowed(profile: LabourerProfile, post: PostRecord) -> bool:
    """Every hard filter of docs/domain.md, "Matching", written out plainly."""
    depth = sum(len(profile.region) >= end for end in SEGMENT_ENDS)
    age_ok = profile.age is None or (post.age_min or 0) <= profile.age <= (post.age_max or 200)
    return (
        post.is_open
        and (post.valid_from is None or post.valid_from <= TODAY)
        and (post.valid_until is None or post.valid_until >= TODAY)
        and post.openings_left > 0
        and profile.able_and_seeking
        and age_ok
        and shared_level(profile.region, post.region) >= min(REQUIRED[profile.willingness], depth)
    )


def forward(
    profile: LabourerProfile, records: list[PostRecord], ctx: ScoringContext
) -> dict[int, float]:
    matches = score_posts_for_labourer(
        profile, PostArrays.from_records(records), ctx, today=TODAY, k=len(records)
    )
    return {m.post_id: m.total for m in matches}


@PROPERTY
@given(profile=profiles(), records=post_lists())
def test_scores_lie_in_the_unit_interval(
    ctx: ScoringContext, profile: LabourerProfile, records: list[PostRecord]
) -> None:
    index = PostArrays.from_records(records)
    for match in score_posts_for_labourer(profile, index, ctx, today=TODAY, k=len(records)):
        assert 0.0 <= match.total <= 1.0
        assert all(0.0 <= v <= 1.0 for v in match.breakdown.values())


@PROPERTY
@given(profile=profiles(), records=post_lists())
def test_exactly_the_allowed_posts_are_returned(
    ctx: ScoringContext, profile: LabourerProfile, records: list[PostRecord]
) -> None:
    assert set(forward(profile, records, ctx)) == {p.id for p in records if allowed(profile, p)}


@PROPERTY
@given(
    profile=profiles(),
    seat=st.tuples(st.floats(20, 27), st.floats(104, 116)),
    post=posts(),
    codes=st.lists(st.sampled_from(POST_CODES), min_size=2, max_size=2),
    offset=st.tuples(st.floats(-2, 2), st.floats(-2, 2)),
    fraction=st.floats(0, 1),
)
def test_a_nearer_post_never_scores_lower(
    ctx: ScoringContext,
    profile: LabourerProfile,
    seat: tuple[float, float],
    post: PostRecord,
    codes: list[str],
    offset: tuple[float, float],
    fraction: float,
) -> None:
    profile = LabourerProfile(**(profile.__dict__ | {"lat": seat[0], "lon": seat[1]}))

    def nearness(code: str) -> tuple[int, bool]:
        level = shared_level(profile.region, code)
        return level, level == 0 and {profile.region[:2], code[:2]} == CORRIDOR

    # The nearer post takes the deeper level (and the corridor, if only one has it) and a seat
    # part of the way towards the farther one: nearer in every respect, all else equal.
    deep, shallow = sorted(codes, key=nearness, reverse=True)
    seats = [(seat[0] + f * offset[0], seat[1] + f * offset[1]) for f in (fraction, 1.0)]
    near, far = (
        PostRecord(**(post.__dict__ | {"region": code, "lat": lat, "lon": lon}))
        for code, (lat, lon) in zip((deep, shallow), seats, strict=True)
    )
    km_near, km_far = (haversine_km(*seat, p.lat, p.lon) for p in (near, far))
    # A 50 m margin keeps float32 rounding of nearly equal distances out of it.
    assume(km_near + 0.05 <= km_far)
    scores = [explain_pair(profile, p, ctx, today=TODAY).total for p in (near, far)]
    assert scores[0] >= scores[1] - 1e-6


@PROPERTY
@given(profile=profiles(), records=post_lists(), extra=st.integers(0, TAXONOMY - 1))
def test_adding_a_skill_never_lowers_a_score(
    ctx: ScoringContext, profile: LabourerProfile, records: list[PostRecord], extra: int
) -> None:
    more = LabourerProfile(**(profile.__dict__ | {"skills": (*profile.skills, extra)}))
    before, after = forward(profile, records, ctx), forward(more, records, ctx)
    assert before.keys() == after.keys()
    # The one exception, by design: a workshop trains a hire with no skill at all (0.6 on
    # skills); a labourer with a skill is scored by their skills (docs/scoring.md).
    trained = (
        {r.id for r in records if r.kind == PostKind.workshop} if not profile.skills else set()
    )
    assert all(after[i] >= before[i] for i in before if i not in trained)


@PROPERTY
@given(
    profile=profiles(),
    records=post_lists(),
    k=st.integers(1, 20),
    order=st.randoms(use_true_random=False),
)
def test_results_do_not_depend_on_index_order(
    ctx: ScoringContext,
    profile: LabourerProfile,
    records: list[PostRecord],
    k: int,
    order: random.Random,
) -> None:
    shuffled = list(records)
    order.shuffle(shuffled)
    runs = [
        score_posts_for_labourer(profile, PostArrays.from_records(rs), ctx, today=TODAY, k=k)
        for rs in (records, records, shuffled)
    ]
    assert runs[0] == runs[1] == runs[2]
    keys = [(-m.total, m.post_id) for m in runs[0]]
    assert keys == sorted(keys)


@PROPERTY
@given(profile=profiles(), records=post_lists())
def test_explain_pair_agrees_with_the_batch(
    ctx: ScoringContext, profile: LabourerProfile, records: list[PostRecord]
) -> None:
    index = PostArrays.from_records(records)
    batch = {
        m.post_id: m
        for m in score_posts_for_labourer(profile, index, ctx, today=TODAY, k=len(records))
    }
    for record in records:
        explanation = explain_pair(profile, record, ctx, today=TODAY)
        assert explanation.eligible == (record.id in batch)
        assert explanation.eligible == (not explanation.failed)
        if record.id in batch:
            match = batch[record.id]
            assert math.isclose(explanation.total, match.total, abs_tol=1e-6)
            assert explanation.breakdown.keys() == match.breakdown.keys()
            assert np.allclose(
                list(explanation.breakdown.values()), list(match.breakdown.values()), atol=1e-6
            )
            assert explanation.reasons == match.reasons


@PROPERTY
@given(
    people=st.lists(profiles(), min_size=1, max_size=10),
    post=posts(),
    order=st.randoms(use_true_random=False),
)
def test_top_labourers_agree_with_top_posts(
    ctx: ScoringContext, people: list[LabourerProfile], post: PostRecord, order: random.Random
) -> None:
    people = [LabourerProfile(**(p.__dict__ | {"id": i})) for i, p in enumerate(people)]
    shuffled = list(people)
    order.shuffle(shuffled)
    runs = [
        score_labourers_for_post(
            post, LabourerArrays.from_profiles(ps), ctx, today=TODAY, k=len(people)
        )
        for ps in (people, shuffled)
    ]
    assert runs[0] == runs[1]
    reverse = {m.labourer_id: m.total for m in runs[0]}
    expected = {p.id: explain_pair(p, post, ctx, today=TODAY) for p in people}
    assert set(reverse) == {i for i, e in expected.items() if e.eligible}
    for i, total in reverse.items():
        assert math.isclose(total, expected[i].total, abs_tol=1e-6)


@PROPERTY
@given(
    people=st.lists(profiles(), min_size=1, max_size=80),
    post=posts(),
    seed=st.integers(0, 2**16),
)
def test_candidates_scored_on_the_passing_rows_equal_scoring_everyone(
    ctx: ScoringContext, people: list[LabourerProfile], post: PostRecord, seed: int
) -> None:
    """score_labourers_for_post scores only the labourers that pass the hard filters (and the
    mask): the same labourers, totals, breakdowns and reasons, to the bit, as scoring every
    labourer and ranking the passing ones (what it did before: the reference here)."""
    people = [LabourerProfile(**(p.__dict__ | {"id": i + 1})) for i, p in enumerate(people)]
    labourers = LabourerArrays.from_profiles(people)
    mask = np.random.default_rng(seed).random(len(people)) < 0.8
    one = PostArrays.from_records([post])
    everyone = core._score(labourers, one, ctx, day_number(TODAY))
    rows = core.top_k(everyone.total, everyone.eligible & mask, labourers.ids, 20)
    want = [core._match(core._Cell(labourers, int(r), one, 0, everyone, int(r)), ctx) for r in rows]
    got = score_labourers_for_post(post, labourers, ctx, today=TODAY, k=20, mask=mask)
    assert got == want


@pytest.mark.parametrize(
    ("bounds", "scored"),
    [
        ([0.9, 0.4, 0.1], [[0]]),  # nobody outside the seed reaches its best: the seed serves
        ([0.9, 0.8, 0.1], [[0], [0, 1]]),  # the second can still beat the seed's: scored too
    ],
    ids=["seed-serves", "beyond-the-seed"],
)
def test_labourers_beyond_the_seed_are_scored_when_their_bound_reaches_its_kth(
    monkeypatch: pytest.MonkeyPatch, bounds: list[float], scored: list[list[int]]
) -> None:
    """core._able_to_rank, with totals given by hand (0.5, 0.7, 0.05), k = 1, a seed of one."""
    totals = np.array([0.5, 0.7, 0.05], dtype=np.float32)
    asked: list[list[int]] = []

    def scored_rows(rows: np.ndarray) -> Any:
        asked.append(sorted(rows.tolist()))
        return rows, SimpleNamespace(total=totals[rows])

    monkeypatch.setattr(core, "_SEED", 1)
    rows = np.arange(3, dtype=np.int64)
    able, _ = core._able_to_rank(rows, 1, np.array(bounds, dtype=np.float32), scored_rows)
    assert asked == scored and sorted(able.tolist()) == scored[-1]


@PROPERTY
@given(
    people=st.lists(profiles(), min_size=1, max_size=80),
    post=posts(),
    k=st.integers(1, 20),
    slack=st.integers(-2, 4),
)
def test_candidates_pruned_by_their_bounds_are_the_candidates_of_everyone(
    ctx: ScoringContext,
    people: list[LabourerProfile],
    post: PostRecord,
    k: int,
    slack: int,
) -> None:
    """A large population's search scores only the labourers whose upper bound reaches the
    k-th best total of a seed (core._able_to_rank): forced here on small ones, with seeds
    around k (smaller: everyone is scored; a few more: some labourers outside the seed can
    still rank, or none can and the seed's scores serve), it gives the same labourers,
    totals, breakdowns and reasons as scoring every passing labourer; and no labourer's total
    exceeds its bound."""
    people = [LabourerProfile(**(p.__dict__ | {"id": i + 1})) for i, p in enumerate(people)]
    labourers = LabourerArrays.from_profiles(people)
    whole = score_labourers_for_post(post, labourers, ctx, today=TODAY, k=k, prune=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(core, "PRUNE_ABOVE", 0)
        patch.setattr(core, "_SEED", max(1, k + slack))
        pruned = score_labourers_for_post(post, labourers, ctx, today=TODAY, k=k)
    assert pruned == whole
    one = PostArrays.from_records([post])
    everyone = core._score(labourers, one, ctx, day_number(TODAY))
    rows = np.arange(len(people), dtype=np.int64)
    skills = skills_for_labourers(labourers, one.skills_of(0), ctx.skills, one.skill_floor[0])
    preference = everyone.components["preference"]
    bounds = core._upper_bounds(one, ctx, everyone.level, skills, preference, rows)
    assert (everyone.total.astype(np.float64) <= bounds).all()


@PROPERTY
@given(
    profile=profiles(),
    records=st.lists(posts(), min_size=1, max_size=40),
    k=st.integers(1, 12),
    by_region=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_posts_searched_province_by_province_are_the_posts_of_everyone(
    ctx: ScoringContext,
    profile: LabourerProfile,
    records: list[PostRecord],
    k: int,
    by_region: bool,
    seed: int,
) -> None:
    """A large index's search for one labourer scores the own province, then only the
    provinces whose bound reaches the k-th best total so far (core._best_by_province): forced
    here on small indexes, in region order (a run per province) or not (several), it gives
    the same posts, totals, breakdowns and reasons as scoring every post; and no post's total
    exceeds its run's bound."""
    records = [PostRecord(**(p.__dict__ | {"id": i + 1})) for i, p in enumerate(records)]
    if by_region:
        records.sort(key=lambda p: p.region)
    index = PostArrays.from_records(records)
    mask = np.random.default_rng(seed).random(len(records)) < 0.8
    whole = score_posts_for_labourer(profile, index, ctx, today=TODAY, k=k, mask=mask)
    runs = ProvinceRuns.of(index)
    by_province = ByProvince(runs, index.span)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(core, "PRUNE_POSTS_ABOVE", 0)
        patch.setattr(core, "_WHOLE_ABOVE", 1.0)  # never one pass over everything instead
        pruned = score_posts_for_labourer(
            profile, index, ctx, today=TODAY, k=k, mask=mask, by_province=by_province
        )
    assert pruned == whole
    lab = LabourerArrays.from_profiles([profile])
    totals = core._score(lab, index, ctx, day_number(TODAY)).total
    bounds = run_bounds(lab, runs, ctx)
    run_of_post = np.repeat(np.arange(len(runs)), runs.stop - runs.start)
    assert (totals.astype(np.float64) <= bounds[run_of_post]).all()


def test_province_runs_of_other_posts_are_refused(
    ctx: ScoringContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = PostArrays.from_records([PostRecord(id=1, region="450103", lat=22.8, lon=108.3)])
    other = PostArrays.from_records([])
    profile = LabourerProfile(id=1, region="450103", lat=22.8, lon=108.3)
    monkeypatch.setattr(core, "PRUNE_POSTS_ABOVE", 0)
    elsewhere = ByProvince(ProvinceRuns.of(other), other.span)
    with pytest.raises(ValueError, match="not those of the posts"):
        score_posts_for_labourer(profile, index, ctx, today=TODAY, by_province=elsewhere)


@pytest.mark.parametrize(
    ("bounds", "k", "whole_above", "scored"),
    [
        ((0.0, 0.5, np.inf), 1, 1.0, ["45"]),  # 44's posts cannot reach 45's best
        ((0.0, 0.99, np.inf), 1, 1.0, ["45", "44"]),  # they can: scored too
        ((0.0, 0.99, np.inf), 2, 1.0, ["45", "44"]),  # 33 is left once 44 makes k found
        ((0.99, 0.99, np.inf), 1, 0.5, ["45"]),  # most posts left: one pass over them all
    ],
    ids=["own-province-serves", "another-province-too", "the-rest-bounded-lower", "one-pass"],
)
def test_other_provinces_are_scored_when_their_bound_reaches_the_kth(
    ctx: ScoringContext,
    monkeypatch: pytest.MonkeyPatch,
    bounds: tuple[float, float, float],
    k: int,
    whole_above: float,
    scored: list[str],
) -> None:
    """core._best_by_province with bounds given by hand (runs 33, 44, 45 in the index's order;
    a labourer of 45 who would go anywhere; 33's post is closed): the own province first, then
    the others by falling bound while it reaches the k-th best found; the same posts as
    scoring everything."""
    records = [
        PostRecord(id=1, region="330106", lat=30.3, lon=120.1, is_open=False),
        PostRecord(id=2, region="440106", lat=23.1, lon=113.3),
        PostRecord(id=3, region="450103", lat=22.8, lon=108.3),
    ]
    index = PostArrays.from_records(records)
    profile = LabourerProfile(
        id=1, region="450103", lat=22.8, lon=108.3, willingness=Willingness.anywhere
    )
    asked: list[str] = []

    def rows(start: int, stop: int) -> PostArrays:
        asked.append(str(records[start].region[:2]))
        return index.span(start, stop)

    monkeypatch.setattr(core, "PRUNE_POSTS_ABOVE", 0)
    monkeypatch.setattr(core, "_WHOLE_ABOVE", whole_above)
    monkeypatch.setattr(core, "run_bounds", lambda *_: np.array(bounds, np.float32))
    by_province = ByProvince(ProvinceRuns.of(index), rows)
    found = score_posts_for_labourer(profile, index, ctx, today=TODAY, k=k, by_province=by_province)
    assert asked == scored
    assert found == score_posts_for_labourer(profile, index, ctx, today=TODAY, k=k)
    assert len(found) == k


@PROPERTY
@given(
    people=st.lists(profiles(), min_size=1, max_size=6),
    records=post_lists(),
    picks=st.lists(st.tuples(st.integers(0, 99), st.integers(0, 99)), max_size=30),
)
def test_given_pairs_score_as_each_pair_explained(
    ctx: ScoringContext,
    people: list[LabourerProfile],
    records: list[PostRecord],
    picks: list[tuple[int, int]],
) -> None:
    """score_pairs (a plan's commit) gives each pair, repeated or not, eligible or not, the
    total, breakdown and reasons explain_pair gives it: the same floats, to the bit."""
    people = [LabourerProfile(**(p.__dict__ | {"id": i + 1})) for i, p in enumerate(people)]
    lab, index = LabourerArrays.from_profiles(people), PostArrays.from_records(records)
    lab_rows = np.array([a % len(people) for a, _ in picks], dtype=np.int64)
    post_rows = np.array([b % len(records) for _, b in picks], dtype=np.int64)
    got = core.score_pairs(lab, lab_rows, index, post_rows, ctx, today=TODAY)
    assert len(got) == len(picks)
    for match, li, pi in zip(got, lab_rows.tolist(), post_rows.tolist(), strict=True):
        want = explain_pair(people[li], records[pi], ctx, today=TODAY)
        assert (match.labourer_id, match.post_id) == (people[li].id, records[pi].id)
        assert match.total == want.total
        assert dict(match.breakdown) == dict(want.breakdown)
        assert match.reasons == want.reasons


def test_given_pairs_must_pair_up(ctx: ScoringContext) -> None:
    lab = LabourerArrays.from_profiles([LabourerProfile(id=1, region="45", lat=0, lon=0)])
    index = PostArrays.from_records([PostRecord(id=1, region="45", lat=0, lon=0)])
    assert core.score_pairs(lab, np.zeros(0, np.int64), index, np.zeros(0, np.int64), ctx,
                            today=TODAY) == []  # fmt: skip
    with pytest.raises(ValueError, match="one length"):
        core.score_pairs(lab, np.zeros(2, np.int64), index, np.zeros(1, np.int64), ctx,
                         today=TODAY)  # fmt: skip


@PROPERTY
@given(
    group=st.lists(profiles(), min_size=1, max_size=5),
    records=post_lists(),
    pick=st.integers(0, 4),
)
def test_a_sliced_row_scores_like_the_packed_profile(
    ctx: ScoringContext, group: list[LabourerProfile], records: list[PostRecord], pick: int
) -> None:
    """The group scorer slices single labourers out of a packed group; they must score alike."""
    profile = group[pick % len(group)]
    row = LabourerArrays.from_profiles(group).row(pick % len(group))
    index = PostArrays.from_records(records)
    totals = score_group(row, index, ctx, day_number(TODAY))[0]
    scored = {int(i): float(t) for i, t in zip(index.ids, totals, strict=True) if t > -np.inf}
    assert scored == pytest.approx(forward(profile, records, ctx))


# ------------------------------------------------- many labourers at once (scoring.batch)

# Codes of one county (with and without a township), so that a group can mix them.
GROUP_CODES = ["450103", "450103001", "450103001001", "450103002"]


@st.composite
def groups(draw: st.DrawFn) -> list[LabourerProfile]:
    """Labourers of one county, one seat and one willingness; all else varies."""
    first = draw(profiles(labourer_id=1))
    out = []
    for i in range(draw(st.integers(1, 5))):
        other = draw(profiles(labourer_id=i + 1))
        out.append(
            LabourerProfile(
                **(other.__dict__ | {
                    "region": draw(st.sampled_from(GROUP_CODES)),
                    "lat": first.lat, "lon": first.lon, "willingness": first.willingness,
                })
            )
        )  # fmt: skip
    return out


@PROPERTY
@given(group=groups(), records=post_lists(), k=st.integers(1, 12))
def test_group_scores_equal_one_at_a_time(
    ctx: ScoringContext, group: list[LabourerProfile], records: list[PostRecord], k: int
) -> None:
    posts = PostArrays.from_records(records)
    totals = score_group(LabourerArrays.from_profiles(group), posts, ctx, day_number(TODAY))
    rows, cols = top_per_row(totals, posts.ids, [k] * len(group))
    for i, profile in enumerate(group):
        one = score_posts_for_labourer(profile, posts, ctx, today=TODAY, k=len(records))
        by_id = {m.post_id: np.float32(m.total) for m in one}
        expected = [by_id.get(int(p), -np.inf) for p in posts.ids]
        assert totals[i].tolist() == expected  # bit for bit; -inf where a filter fails
        best = [(int(posts.ids[c]), float(totals[i, c])) for c in cols[rows == i]]
        assert best == [(m.post_id, float(np.float32(m.total))) for m in one[:k]]


@PROPERTY
@given(group=groups(), records=post_lists(), k=st.integers(1, 12), copies=st.integers(2, 4))
def test_a_group_of_repeated_labourers_scores_like_its_first_copy(
    ctx: ScoringContext,
    group: list[LabourerProfile],
    records: list[PostRecord],
    k: int,
    copies: int,
) -> None:
    """The group scorer computes skills, wages and preferences once per distinct list or value
    and spreads them: repeated labourers (as in a county's group) get their first copy's row."""
    posts = PostArrays.from_records(records)
    today = day_number(TODAY)
    once = score_group(LabourerArrays.from_profiles(group), posts, ctx, today)
    repeated = score_group(LabourerArrays.from_profiles(group * copies), posts, ctx, today)
    assert repeated.tolist() == np.tile(once, (copies, 1)).tolist()


@PROPERTY
@given(
    group=groups(),
    records=post_lists(),
    wanted=st.lists(st.integers(0, 12), min_size=5, max_size=5),
    copies=st.integers(1, 3),
)
def test_a_groups_best_posts_without_the_matrix_are_the_matrixs(
    ctx: ScoringContext,
    group: list[LabourerProfile],
    records: list[PostRecord],
    wanted: list[int],
    copies: int,
) -> None:
    """The fused loop (scoring.fused) gives each labourer the same best posts, in the same
    order, with the same float32 totals, as selecting from the group's matrix."""
    labourers = LabourerArrays.from_profiles(group * copies)
    posts = PostArrays.from_records(records)
    want = (wanted * copies)[: len(labourers)]
    totals = score_group(labourers, posts, ctx, day_number(TODAY))
    rows, cols = top_per_row(totals, posts.ids, want)
    got_rows, got_cols, got_totals = best_of_group(labourers, posts, ctx, day_number(TODAY), want)
    assert got_rows.tolist() == rows.tolist()
    assert got_cols.tolist() == cols.tolist()
    assert got_totals.tolist() == totals[rows, cols].tolist()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    group=groups(),
    records=post_lists(),
    wanted=st.lists(st.integers(0, 12), min_size=5, max_size=5),
)
def test_the_compiled_loops_do_what_their_python_says(
    ctx: ScoringContext, group: list[LabourerProfile], records: list[PostRecord], wanted: list[int]
) -> None:
    """scoring.fused's loops as plain Python (numba's py_func: what coverage sees, and what
    the loops mean) give what their compiled versions give."""
    labourers = LabourerArrays.from_profiles(group)
    posts = PostArrays.from_records(records)
    want = wanted[: len(labourers)]
    compiled = best_of_group(labourers, posts, ctx, day_number(TODAY), want)
    names = ("_better", "best_rows", "skill_table", "best_pairs")
    kept = {name: getattr(fused, name) for name in names}
    try:
        for name, function in kept.items():
            setattr(fused, name, function.py_func)
        plain = best_of_group(labourers, posts, ctx, day_number(TODAY), want)
    finally:
        for name, function in kept.items():
            setattr(fused, name, function)
    assert plain[0].tolist() == compiled[0].tolist()
    assert plain[1].tolist() == compiled[1].tolist()
    assert plain[2].tolist() == compiled[2].tolist()


@PROPERTY
@given(
    scores=st.lists(st.sampled_from([-np.inf, 0.1, 0.25, 0.5, 0.75, 0.9]), min_size=1, max_size=12),
    n_cols=st.integers(1, 300),
    n_rows=st.integers(1, 4),
    wanted=st.lists(st.integers(0, 40), min_size=4, max_size=4),
    seed=st.integers(0, 2**16),
)
def test_top_per_row_equals_sorting_every_row(
    scores: list[float], n_cols: int, n_rows: int, wanted: list[int], seed: int
) -> None:
    """Few distinct values, so that ties (broken by id) and -inf are everywhere."""
    rng = np.random.default_rng(seed)
    totals = rng.choice(np.array(scores, dtype=np.float32), size=(n_rows, n_cols))
    ids = rng.permutation(n_cols * 3)[:n_cols].astype(np.int64)
    rows, cols = top_per_row(totals, ids, wanted[:n_rows])
    expected = []
    for r in range(n_rows):
        finite = [c for c in range(n_cols) if np.isfinite(totals[r, c])]
        ranked = sorted(finite, key=lambda c: (-totals[r, c], ids[c]))[: wanted[r]]
        expected += [(r, c) for c in ranked]
    assert list(zip(rows.tolist(), cols.tolist(), strict=True)) == expected


SKILL_LIST = st.lists(st.integers(0, TAXONOMY - 1), max_size=3, unique=True)


@PROPERTY
@given(lists=st.lists(SKILL_LIST, max_size=12))
def test_distinct_lists_name_each_list_by_its_first_row(lists: list[list[int]]) -> None:
    indptr, indices = csr(lists)
    first, inverse = distinct_lists(indptr, indices)
    assert first.tolist() == sorted(
        {tuple(x): i for i, x in reversed(list(enumerate(lists)))}.values()
    )
    assert [lists[first[j]] for j in inverse.tolist()] == lists


@PROPERTY
@given(lists=st.lists(SKILL_LIST, min_size=1, max_size=8), data=st.data())
def test_a_groups_skills_are_the_best_any_member_reaches(
    ctx: ScoringContext, lists: list[list[int]], data: st.DataObject
) -> None:
    indptr, indices = csr(lists)
    rows = data.draw(st.lists(st.integers(0, len(lists) - 1), min_size=1, unique=True))
    got = group_skills(indptr, indices, np.array(rows, dtype=np.int64), ctx.skills)
    each = [best_similarity(indices[indptr[r] : indptr[r + 1]], ctx.skills) for r in rows]
    assert got.tolist() == np.max(each, axis=0).tolist()


# ------------------------------------------------- policy orderings (docs/scoring.md)

# In the conftest taxonomy: 焊工 (0) and 电工 (3) share group 0 without a direct link; 缝纫工
# (4) is in a group of its own; 普工 (8) is general labour.
WELDER, ELECTRICIAN, SEWER, GENERAL = 0, 3, 4, 8


def _total(profile: LabourerProfile, post: PostRecord, ctx: ScoringContext) -> float:
    return explain_pair(profile, post, ctx, today=TODAY).total


def _open(post: PostRecord, **changes: object) -> PostRecord:
    """The post open today with an opening left, in the labourer's county, with changes."""
    fixed = {"is_open": True, "valid_from": None, "valid_until": None, "openings_left": 1,
             "age_min": None, "age_max": None, "region": "450103"}  # fmt: skip
    return PostRecord(**(post.__dict__ | fixed | changes))


@PROPERTY
@given(profile=profiles(), post=posts())
def test_a_public_welfare_post_ranks_below_a_comparable_ordinary_one_for_others(
    ctx: ScoringContext, profile: LabourerProfile, post: PostRecord
) -> None:
    """Anyone but a 三无 labourer: the same post as public-welfare scores lower (or both 0)."""
    profile = LabourerProfile(**(profile.__dict__ | {"sanwu": False}))
    ordinary = _total(profile, _open(post, kind=PostKind.enterprise), ctx)
    welfare = _total(profile, _open(post, kind=PostKind.public_welfare), ctx)
    assert welfare < ordinary or welfare == ordinary == 0


@PROPERTY
@given(profile=profiles(), post=posts(), kind=st.sampled_from(
    [PostKind.public_welfare, PostKind.home_based]))  # fmt: skip
def test_a_welfare_post_scores_as_met_for_a_sanwu_labourer(
    ctx: ScoringContext, profile: LabourerProfile, post: PostRecord, kind: PostKind
) -> None:
    """三无 labourer: skills and wage of a public-welfare or home-based post score 1, whatever
    the pay and the skills asked, so the post scores at least as the same ordinary post."""
    profile = LabourerProfile(**(profile.__dict__ | {"sanwu": True}))
    welfare = explain_pair(profile, _open(post, kind=kind), ctx, today=TODAY)
    assert welfare.breakdown["skills"] == welfare.breakdown["wage"] == 1.0
    assert welfare.total >= _total(profile, _open(post, kind=PostKind.enterprise), ctx)


@PROPERTY
@given(profile=profiles(), post=posts(), skill=st.integers(0, TAXONOMY - 1))
def test_without_skills_a_general_labour_post_scores_at_least_any_other(
    ctx: ScoringContext, profile: LabourerProfile, post: PostRecord, skill: int
) -> None:
    """A labourer with no skills: a post asking for none, or for 普工 only, scores at least
    as the same post asking for any skill; a workshop post at least as a general one."""
    profile = LabourerProfile(**(profile.__dict__ | {"skills": (), "sanwu": False}))
    post = _open(post, kind=PostKind.enterprise)
    none = explain_pair(profile, _open(post, required_skills=()), ctx, today=TODAY)
    general = explain_pair(profile, _open(post, required_skills=(GENERAL,)), ctx, today=TODAY)
    skilled = explain_pair(profile, _open(post, required_skills=(skill,)), ctx, today=TODAY)
    assert none.breakdown["skills"] == general.breakdown["skills"] >= skilled.breakdown["skills"]
    assert none.total == general.total >= skilled.total
    workshop = explain_pair(
        profile, _open(post, kind=PostKind.workshop, required_skills=(skill,)), ctx, today=TODAY
    )
    assert workshop.breakdown["skills"] >= none.breakdown["skills"]


@PROPERTY
@given(profile=profiles(), post=posts())
def test_a_missing_skill_of_the_same_trade_group_scores_above_an_unrelated_one(
    ctx: ScoringContext, profile: LabourerProfile, post: PostRecord
) -> None:
    """A welder asked for 电工 (same group, not linked) scores above one asked for 缝纫工."""
    profile = LabourerProfile(**(profile.__dict__ | {"skills": (WELDER,), "sanwu": False}))
    post = _open(post, kind=PostKind.enterprise)
    exact = explain_pair(profile, _open(post, required_skills=(WELDER,)), ctx, today=TODAY)
    group = explain_pair(profile, _open(post, required_skills=(ELECTRICIAN,)), ctx, today=TODAY)
    other = explain_pair(profile, _open(post, required_skills=(SEWER,)), ctx, today=TODAY)
    assert exact.breakdown["skills"] > group.breakdown["skills"] > other.breakdown["skills"]
    if profile.able_and_seeking and exact.eligible:
        assert exact.total > group.total > other.total
