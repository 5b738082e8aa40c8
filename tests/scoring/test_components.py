"""Table-driven checks of each score component and each hard filter, one pair at a time."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest

from matching.scoring import (
    Corridors,
    HardFilter,
    LabourerProfile,
    PostKind,
    PostRecord,
    ScoringContext,
    ScoringWeights,
    SkillSpace,
    Willingness,
    check_pair,
    explain_pair,
    region_parts,
)
from matching.scoring.geo import great_circle_km, haversine_km, unit_vectors

MakeProfile = Callable[..., LabourerProfile]
MakePost = Callable[..., PostRecord]


def component(
    ctx: ScoringContext, today: date, profile: LabourerProfile, post: PostRecord, name: str
) -> float:
    return explain_pair(profile, post, ctx, today=today).breakdown[name]


@pytest.mark.parametrize(
    ("code", "parts"),
    [
        ("45", (45, 0, 0, 0)),
        ("4501", (45, 4501, 0, 0)),
        ("450103", (45, 4501, 450103, 0)),
        ("450103001", (45, 4501, 450103, 450103001)),
        ("450103001001", (45, 4501, 450103, 450103001)),
        ("450000", (45, 0, 0, 0)),  # zero segments: the code stops above them
        ("450100", (45, 4501, 0, 0)),
        ("450103000000", (45, 4501, 450103, 0)),
    ],
)
def test_region_parts(code: str, parts: tuple[int, int, int, int]) -> None:
    assert region_parts(code) == parts


@pytest.mark.parametrize("code", ["", "4", "451", "4501031", "00", "0001", "45a1", "４５"])
def test_region_parts_refuses_non_codes(code: str) -> None:
    with pytest.raises(ValueError, match="GB/T 2260"):
        region_parts(code)


@pytest.mark.parametrize(
    ("place", "low", "high"),
    [
        ("township", 1.0, 1.0),
        ("county_other_township", 0.85, 0.85),
        ("county", 0.85, 0.85),  # a county-level workplace: same county, not same township
        ("prefecture", 0.50, 0.70),
        ("province", 0.35, 0.50),
        ("corridor", 0.15, 0.35),
        ("other_province", 0.05, 0.25),
    ],
)
def test_location_bands(
    ctx: ScoringContext,
    today: date,
    make_profile: MakeProfile,
    make_post: MakePost,
    place: str,
    low: float,
    high: float,
) -> None:
    value = component(ctx, today, make_profile(), make_post(place=place), "location")
    assert low - 1e-6 <= value <= high + 1e-6


def test_location_decays_slower_for_the_willing(
    ctx: ScoringContext, today: date, make_profile: MakeProfile, make_post: MakePost
) -> None:
    post = make_post(place="province")
    values = [
        component(ctx, today, make_profile(willingness=w), post, "location")
        for w in (Willingness.province, Willingness.anywhere)
    ]
    assert values[0] < values[1]


@pytest.mark.parametrize("pair", [("44", "45"), ("45", "44")])
def test_corridor_lifts_a_cross_province_post_either_way(
    space: SkillSpace,
    today: date,
    make_profile: MakeProfile,
    make_post: MakePost,
    pair: tuple[str, str],
) -> None:
    post = make_post(place="corridor")
    lifted = ScoringContext(space, corridors=Corridors((pair,)))
    base = component(ScoringContext(space), today, make_profile(), post, "location")
    assert component(lifted, today, make_profile(), post, "location") > base


def test_unknown_seat_counts_as_far(
    ctx: ScoringContext, today: date, make_profile: MakeProfile, make_post: MakePost
) -> None:
    post = make_post(place="prefecture", lat=float("nan"), lon=float("nan"))
    assert component(ctx, today, make_profile(), post, "location") == pytest.approx(0.50)


@pytest.mark.parametrize(
    ("wage_min", "wage_max", "expected", "value"),
    [
        (4500, 4500, 4000, 1.0),
        (4000, 4000, 4000, 1.0),
        (3000, 3000, 4000, 0.5),  # 75% of the expectation
        (2000, 2000, 4000, 0.0),  # half of it or less
        (3000, 5000, 4000, 1.0),  # a range counts at its midpoint
        (0, 3000, 4000, 0.5),  # no minimum: "up to 3000"
        (0, 0, 4000, 0.5),  # not stated
        (4500, 4500, None, 0.7),  # no expectation
        (0, 0, None, 0.5),
    ],
)
def test_wage(
    ctx: ScoringContext,
    today: date,
    make_profile: MakeProfile,
    make_post: MakePost,
    wage_min: int,
    wage_max: int,
    expected: int | None,
    value: float,
) -> None:
    profile = make_profile(expected_wage=expected)
    post = make_post(wage_min=wage_min, wage_max=wage_max)
    assert component(ctx, today, profile, post, "wage") == pytest.approx(value)


@pytest.mark.parametrize(
    ("preferred", "occupation", "value"),
    [
        ((1,), 1, 1.0),
        ((1,), 0, 0.6),  # same group as a preferred occupation
        ((1,), 4, 0.2),
        ((4, 1), 3, 0.6),
        ((), 1, 0.5),  # none given
        ((1,), None, 0.5),  # the post names no occupation
    ],
)
def test_preference(
    ctx: ScoringContext,
    today: date,
    make_profile: MakeProfile,
    make_post: MakePost,
    preferred: tuple[int, ...],
    occupation: int | None,
    value: float,
) -> None:
    profile = make_profile(preferred_occupations=preferred)
    post = make_post(occupation=occupation)
    assert component(ctx, today, profile, post, "preference") == pytest.approx(value)


@pytest.mark.parametrize(
    ("sanwu", "zero", "kind", "value"),
    [
        (True, False, PostKind.public_welfare, 0.6),
        (True, False, PostKind.home_based, 0.6),
        (True, False, PostKind.enterprise, 0.0),
        (True, False, PostKind.workshop, 0.0),
        (False, True, PostKind.enterprise, 0.4),
        (True, True, PostKind.public_welfare, 1.0),
        (False, False, PostKind.public_welfare, 0.0),
    ],
)
def test_priority(
    ctx: ScoringContext,
    today: date,
    make_profile: MakeProfile,
    make_post: MakePost,
    sanwu: bool,
    zero: bool,
    kind: PostKind,
    value: float,
) -> None:
    profile = make_profile(sanwu=sanwu, zero_employment_household=zero)
    post = make_post(kind=kind)
    assert component(ctx, today, profile, post, "priority") == pytest.approx(value)


@pytest.mark.parametrize(
    ("have", "need", "value"),
    [
        ((1,), (1,), 1.0),  # exact
        ((0,), (1,), 0.8),  # related
        ((3,), (1,), 0.4),  # same group
        ((3,), (7,), 0.7),  # related across groups
        ((4,), (1,), 0.0),  # nothing in common
        ((), (1,), 0.0),
        ((1,), (), 0.6),  # general labour still scores
        ((), (), 0.6),
        ((1,), (1, 2), 0.5),  # mean over required skills
        ((0, 1), (1,), 1.0),  # best of the labourer's skills
        ((0, 2), (1, 2), 0.9),
    ],
)
def test_skills(
    ctx: ScoringContext,
    today: date,
    make_profile: MakeProfile,
    make_post: MakePost,
    have: tuple[int, ...],
    need: tuple[int, ...],
    value: float,
) -> None:
    profile = make_profile(skills=have)
    post = make_post(required_skills=need)
    assert component(ctx, today, profile, post, "skills") == pytest.approx(value)


def test_skills_beyond_the_dense_block_count(
    ctx: ScoringContext, today: date, make_profile: MakeProfile, make_post: MakePost
) -> None:
    need = (0, 1, 2, 3, 4, 5, 6, 7)  # more than SKILL_PAD: the rest go to the overflow list
    similarity = ctx.skills.similarity
    expected = float(np.mean([similarity[[1, 5]][:, n].max() for n in need]))
    post = make_post(required_skills=need)
    assert component(ctx, today, make_profile(skills=(1, 5)), post, "skills") == pytest.approx(
        expected
    )


@pytest.mark.parametrize(
    ("profile_kw", "post_kw", "failed"),
    [
        ({}, {}, ()),
        ({}, {"is_open": False}, (HardFilter.post_closed,)),
        ({}, {"valid_from": 1}, (HardFilter.post_not_started,)),  # days from today
        ({}, {"valid_until": -1}, (HardFilter.post_expired,)),
        ({}, {"valid_from": 0, "valid_until": 0}, ()),  # both ends inclusive
        ({}, {"openings_left": 0}, (HardFilter.no_openings,)),
        ({"able_and_seeking": False}, {}, (HardFilter.not_seeking,)),
        ({"age": 17}, {"age_min": 18, "age_max": 55}, (HardFilter.age,)),
        ({"age": 56}, {"age_min": 18, "age_max": 55}, (HardFilter.age,)),
        ({"age": 55}, {"age_min": 18, "age_max": 55}, ()),
        ({"age": None}, {"age_min": 18, "age_max": 55}, ()),  # unknown age is not refused
        ({"age": 60}, {"age_min": 18}, ()),
        (
            {"able_and_seeking": False, "willingness": Willingness.county},
            {"openings_left": 0, "place": "province"},
            (HardFilter.no_openings, HardFilter.not_seeking, HardFilter.relocation),
        ),
    ],
)
def test_hard_filters(
    today: date,
    make_profile: MakeProfile,
    make_post: MakePost,
    profile_kw: dict[str, Any],
    post_kw: dict[str, Any],
    failed: tuple[HardFilter, ...],
) -> None:
    for key in ("valid_from", "valid_until"):
        if key in post_kw:
            post_kw = post_kw | {key: today + timedelta(days=post_kw[key])}
    assert check_pair(make_profile(**profile_kw), make_post(**post_kw), today=today) == failed


PLACE_ORDER = ["township", "county_other_township", "prefecture", "province", "corridor"]


@pytest.mark.parametrize(
    ("willingness", "allowed"),
    [
        (Willingness.township, {"township"}),
        (Willingness.county, {"township", "county_other_township", "county"}),
        (Willingness.prefecture, {"township", "county_other_township", "county", "prefecture"}),
        (
            Willingness.province,
            {"township", "county_other_township", "county", "prefecture", "province"},
        ),
        (Willingness.anywhere, {*PLACE_ORDER, "county", "other_province"}),
    ],
)
def test_relocation_filter(
    today: date,
    make_profile: MakeProfile,
    make_post: MakePost,
    places: dict[str, Any],
    willingness: Willingness,
    allowed: set[str],
) -> None:
    profile = make_profile(willingness=willingness)
    for place in set(places) - {"home"}:
        ok = HardFilter.relocation not in check_pair(profile, make_post(place=place), today=today)
        assert ok == (place in allowed), place


def test_township_willingness_with_a_county_level_code_means_same_county(
    today: date, make_profile: MakeProfile, make_post: MakePost
) -> None:
    profile = make_profile(region="450103", willingness=Willingness.township)
    assert check_pair(profile, make_post(place="county_other_township"), today=today) == ()
    far = make_post(place="prefecture")
    assert check_pair(profile, far, today=today) == (HardFilter.relocation,)


def test_weights_are_normalised() -> None:
    weights = ScoringWeights(2, 2, 2, 2, 2)
    assert weights.as_dict() == dict.fromkeys(weights.as_dict(), 0.2)
    assert sum(ScoringWeights().as_dict().values()) == pytest.approx(1.0)


@pytest.mark.parametrize("values", [(-1, 1, 1, 1, 1), (0, 0, 0, 0, 0), (float("nan"), 1, 1, 1, 1)])
def test_bad_weights_are_refused(values: tuple[float, ...]) -> None:
    with pytest.raises(ValueError, match="weights"):
        ScoringWeights(*values)


def test_corridors_work_both_ways_and_refuse_nonsense() -> None:
    corridors = Corridors.from_pairs([("44", "45"), ("32", "61")])
    assert corridors.links("45", "44") and corridors.links("61", "32")
    assert not corridors.links("44", "61")
    for bad in [("44", "44"), ("4", "45"), ("00", "45")]:
        with pytest.raises(ValueError, match="province"):
            Corridors((bad,))


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        ((39.9042, 116.4074), (31.2304, 121.4737), 1067.0),  # Beijing – Shanghai
        ((22.82, 108.39), (23.13, 113.36), 510.0),
        ((22.82, 108.39), (22.82, 108.39), 0.0),
    ],
)
def test_distances(a: tuple[float, float], b: tuple[float, float], km: float) -> None:
    exact = haversine_km(*a, *b)
    assert exact == pytest.approx(km, abs=5.0)
    ua = unit_vectors(np.array([a[0]], np.float32), np.array([a[1]], np.float32))
    ub = unit_vectors(np.array([b[0]], np.float32), np.array([b[1]], np.float32))
    assert float(great_circle_km(ua, ub)[0]) == pytest.approx(exact, abs=0.05)
