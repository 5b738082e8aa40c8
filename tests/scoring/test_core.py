"""Both directions of top-k scoring, reasons, explanations and the array builders."""

from collections.abc import Callable
from datetime import date

import numpy as np
import pytest

from matching.scoring import (
    COMPONENTS,
    LabourerArrays,
    LabourerProfile,
    PostArrays,
    PostKind,
    PostRecord,
    Reason,
    ScoringContext,
    Willingness,
    explain_pair,
    score_labourers_for_post,
    score_posts_for_labourer,
)

MakeProfile = Callable[..., LabourerProfile]
MakePost = Callable[..., PostRecord]


def zh(reasons: tuple[Reason, ...]) -> list[str]:
    return [r.zh for r in reasons]


def test_top_posts_best_first_only_candidates(
    ctx: ScoringContext, today: date, make_profile: MakeProfile, make_post: MakePost
) -> None:
    profile = make_profile(willingness=Willingness.prefecture, skills=(1,))
    records = [
        make_post(1, "prefecture", required_skills=(1,)),
        make_post(2, "county", required_skills=(1,)),
        make_post(3, "province", required_skills=(1,)),  # outside willingness
        make_post(4, "township", openings_left=0),  # full
        make_post(5, "township", required_skills=(4,)),
    ]
    matches = score_posts_for_labourer(profile, PostArrays.from_records(records), ctx, today=today)
    assert [m.post_id for m in matches] == [2, 1, 5]
    assert all(m.labourer_id == profile.id for m in matches)
    assert [m.total for m in matches] == sorted((m.total for m in matches), reverse=True)
    assert all(set(m.breakdown) == set(COMPONENTS) for m in matches)


def test_k_limits_and_ties_go_to_the_lower_id(
    ctx: ScoringContext, today: date, make_profile: MakeProfile, make_post: MakePost
) -> None:
    records = [make_post(i) for i in (9, 3, 7, 5, 1)]  # identical but for the id
    posts = PostArrays.from_records(records)
    matches = score_posts_for_labourer(make_profile(), posts, ctx, today=today, k=3)
    assert [m.post_id for m in matches] == [1, 3, 5]
    assert score_posts_for_labourer(make_profile(), posts, ctx, today=today, k=0) == []


def test_mask_restricts_and_must_fit(
    ctx: ScoringContext, today: date, make_profile: MakeProfile, make_post: MakePost
) -> None:
    posts = PostArrays.from_records([make_post(1), make_post(2)])
    mask = np.array([False, True])
    matches = score_posts_for_labourer(make_profile(), posts, ctx, today=today, mask=mask)
    assert [m.post_id for m in matches] == [2]
    with pytest.raises(ValueError, match="mask"):
        score_posts_for_labourer(make_profile(), posts, ctx, today=today, mask=np.ones(3, bool))


def test_empty_indexes_score_nothing(
    ctx: ScoringContext, today: date, make_profile: MakeProfile, make_post: MakePost
) -> None:
    assert (
        score_posts_for_labourer(make_profile(), PostArrays.from_records([]), ctx, today=today)
        == []
    )
    nobody = LabourerArrays.from_profiles([])
    assert score_labourers_for_post(make_post(), nobody, ctx, today=today) == []


def test_taxonomy_index_outside_the_matrix_is_refused(
    ctx: ScoringContext, today: date, make_profile: MakeProfile, make_post: MakePost
) -> None:
    posts = PostArrays.from_records([make_post(required_skills=(ctx.skills.size,))])
    with pytest.raises(ValueError, match="taxonomy"):
        score_posts_for_labourer(make_profile(), posts, ctx, today=today)


def test_reasons_read_as_designed(
    ctx: ScoringContext, today: date, make_profile: MakeProfile, make_post: MakePost
) -> None:
    profile = make_profile(skills=(0,), expected_wage=4000, preferred_occupations=(1,))
    post = make_post(1, "county", required_skills=(1, 2), occupation=1)
    (match,) = score_posts_for_labourer(profile, PostArrays.from_records([post]), ctx, today=today)
    assert zh(match.reasons) == [
        "同县岗位",
        "技能匹配：焊工 → 电焊工",
        "缺少：叉车证",
        "月薪 4500 元 ≥ 期望 4000 元",
        "意向职业：电焊工",
    ]
    assert [r.code for r in match.reasons] == [
        "location.county",
        "skill.related",
        "skill.missing",
        "wage.meets",
        "preference.exact",
    ]
    assert match.reasons[0].en == "Same county"
    assert match.reasons[2].en == "Missing: 叉车证"


@pytest.mark.parametrize(
    ("place", "text"),
    [
        ("township", "同乡镇岗位"),
        ("prefecture", "同市岗位，距离约 82 公里"),
        ("province", "省内岗位，距离约 197 公里"),
        ("corridor", "协作省份岗位，距离约 510 公里"),
        ("other_province", "省外岗位，距离约 1430 公里"),
    ],
)
def test_location_reasons(
    ctx: ScoringContext,
    today: date,
    make_profile: MakeProfile,
    make_post: MakePost,
    place: str,
    text: str,
) -> None:
    explanation = explain_pair(make_profile(), make_post(place=place), ctx, today=today)
    assert explanation.reasons[0].zh == text


def test_more_reasons(
    ctx: ScoringContext, today: date, make_profile: MakeProfile, make_post: MakePost
) -> None:
    profile = make_profile(skills=(3,), zero_employment_household=True)
    post = make_post(wage_min=2500, wage_max=3500, required_skills=(0,))
    texts = zh(explain_pair(profile, post, ctx, today=today).reasons)
    assert texts[1:] == [
        "同类技能：电工 → 焊工",
        "月薪 2500–3500 元（中位 3000 元），低于期望 4000 元",
        "零就业家庭成员优先",
    ]
    general = explain_pair(make_profile(expected_wage=None), make_post(), ctx, today=today)
    assert zh(general.reasons)[1:] == ["普工岗位，无技能要求", "月薪 4500 元，未填期望"]
    on_the_job = explain_pair(make_profile(), make_post(required_skills=(8, 4)), ctx, today=today)
    assert zh(on_the_job.reasons)[1:3] == ["普工：在岗学习", "缺少：缝纫工"]
    workshop = make_post(kind=PostKind.workshop, required_skills=(4,))
    assert zh(explain_pair(make_profile(), workshop, ctx, today=today).reasons)[1:3] == [
        "缺少：缝纫工",
        "扶贫车间岗位，上岗培训",
    ]
    welder = explain_pair(make_profile(skills=(0,)), workshop, ctx, today=today)
    assert welder.breakdown["skills"] == 0.0
    assert "扶贫车间岗位，上岗培训" not in zh(welder.reasons)


def test_a_public_welfare_post_for_a_sanwu_labourer_and_for_others(
    ctx: ScoringContext, today: date, make_profile: MakeProfile, make_post: MakePost
) -> None:
    """The issue's 护林员: 600–800 元 in the labourer's own township, a trade they lack."""
    ranger = make_post(
        place="township", kind=PostKind.public_welfare, wage_min=600, wage_max=800,
        required_skills=(6,),
    )  # fmt: skip
    sanwu = make_profile(sanwu=True, willingness=Willingness.township, skills=(4,))
    explained = explain_pair(sanwu, ranger, ctx, today=today)
    assert explained.breakdown == {
        "location": 1.0, "skills": 1.0, "wage": 1.0, "preference": 0.5,
        "priority": pytest.approx(0.6),
    }  # fmt: skip
    assert zh(explained.reasons)[1:] == [
        "公益性岗位，上岗培训，不要求技能",
        "公益性岗位补贴 600–800 元（中位 700 元），不与期望月薪比较",
        "公益性岗位，优先安置三无人员",
    ]
    # First among the posts of the township, above the labourer's own trade at a full wage.
    sewing = make_post(post_id=101, place="township", required_skills=(4,), wage_min=4000)
    cleaning = make_post(post_id=102, place="township", wage_min=3000, wage_max=3000)
    ranked = score_posts_for_labourer(
        sanwu, PostArrays.from_records([sewing, cleaning, ranger]), ctx, today=today
    )
    assert [m.post_id for m in ranked] == [ranger.id, sewing.id, cleaning.id]
    # Anyone else: ranked below the same post as an ordinary one, and told why.
    other = make_profile(willingness=Willingness.township, skills=(6,), expected_wage=700)
    as_welfare = explain_pair(other, ranger, ctx, today=today)
    ordinary = explain_pair(other, make_post(place="township", wage_min=600, wage_max=800,
                                             required_skills=(6,)), ctx, today=today)  # fmt: skip
    assert as_welfare.total == pytest.approx(ordinary.total * 0.7)
    assert zh(as_welfare.reasons)[-1] == "公益性岗位，优先安置三无人员，推荐度下调"
    # A home-based post is told as one, and is not lowered for anyone.
    home = make_post(place="township", kind=PostKind.home_based, wage_min=3000, wage_max=6000)
    assert zh(explain_pair(sanwu, home, ctx, today=today).reasons)[1:] == [
        "居家就业岗位，上岗培训，不要求技能",
        "居家就业岗位，月薪 3000–6000 元（中位 4500 元），不与期望月薪比较",
        "居家就业岗位，优先安置三无人员",
    ]
    assert not any(r.code == "priority.welfare_reserved"
                   for r in explain_pair(other, home, ctx, today=today).reasons)  # fmt: skip


def test_explain_a_pair_that_fails_filters(
    ctx: ScoringContext, today: date, make_profile: MakeProfile, make_post: MakePost
) -> None:
    profile = make_profile(age=56, willingness=Willingness.county)
    post = make_post(place="prefecture", age_min=18, age_max=55)
    explanation = explain_pair(profile, post, ctx, today=today)
    assert not explanation.eligible
    assert [r.code for r in explanation.failed] == ["filter.age", "filter.relocation"]
    assert zh(explanation.failed) == [
        "年龄 56 岁，不符合岗位年龄要求（18–55 岁）",
        "工作地超出外出意愿（本县）",
    ]
    assert explanation.failed[1].en.endswith("relocation willingness (own county)")
    assert 0 < explanation.total <= 1 and set(explanation.breakdown) == set(COMPONENTS)
    assert (
        score_posts_for_labourer(profile, PostArrays.from_records([post]), ctx, today=today) == []
    )


def test_explain_agrees_with_the_batch(
    ctx: ScoringContext, today: date, make_profile: MakeProfile, make_post: MakePost
) -> None:
    profile = make_profile(skills=(0, 4), preferred_occupations=(3,), sanwu=True)
    records = [
        make_post(i, place, required_skills=skills, occupation=occ, kind=kind)
        for i, (place, skills, occ, kind) in enumerate(
            [
                ("township", (1,), 0, PostKind.home_based),
                ("prefecture", (), None, PostKind.enterprise),
                ("corridor", (2, 4), 6, PostKind.workshop),
                ("other_province", (0, 1, 2, 3, 4, 5, 6, 7), 3, PostKind.base),
            ]
        )
    ]
    matches = score_posts_for_labourer(profile, PostArrays.from_records(records), ctx, today=today)
    assert len(matches) == len(records)
    by_id = {r.id: r for r in records}
    for match in matches:
        explanation = explain_pair(profile, by_id[match.post_id], ctx, today=today)
        assert explanation.total == match.total
        assert explanation.breakdown == match.breakdown
        assert explanation.reasons == match.reasons


def test_top_labourers_for_a_post(
    ctx: ScoringContext, today: date, make_profile: MakeProfile, make_post: MakePost
) -> None:
    profiles = [
        make_profile(id=1, skills=(1,)),
        make_profile(id=2, skills=(0,)),
        make_profile(id=3, skills=(1,), able_and_seeking=False),
        make_profile(id=4, skills=(1,), region="4502", willingness=Willingness.prefecture),
        make_profile(id=5, skills=(), preferred_occupations=(1,)),
    ]
    post = make_post(required_skills=(1,), occupation=1)
    labourers = LabourerArrays.from_profiles(profiles)
    matches = score_labourers_for_post(post, labourers, ctx, today=today, k=10)
    assert [m.labourer_id for m in matches] == [1, 2, 5]
    for match, profile in zip(matches, [profiles[0], profiles[1], profiles[4]], strict=True):
        forward = explain_pair(profile, post, ctx, today=today)
        assert match.post_id == post.id
        assert match.total == pytest.approx(forward.total, abs=1e-6)
        assert match.reasons == forward.reasons


def test_labourer_arrays_take_zero_for_missing_levels(
    ctx: ScoringContext, today: date, make_profile: MakeProfile, make_post: MakePost
) -> None:
    built = LabourerArrays.from_profiles([make_profile(region="4501")])
    assert built.county.tolist() == [-1] and built.township.tolist() == [-1]
    columns = {name: getattr(built, name) for name in LabourerArrays.__dataclass_fields__}
    init = {k: v for k, v in columns.items() if LabourerArrays.__dataclass_fields__[k].init}
    direct = LabourerArrays(**(init | {"county": [0], "township": [0]}))
    post = make_post(place="prefecture")
    assert score_labourers_for_post(post, direct, ctx, today=today)[0].total == pytest.approx(
        score_labourers_for_post(post, built, ctx, today=today)[0].total
    )


def test_arrays_refuse_inconsistent_columns(make_post: MakePost) -> None:
    posts = PostArrays.from_records([make_post(1), make_post(2)])
    fields = PostArrays.__dataclass_fields__
    columns = {k: getattr(posts, k) for k in fields if fields[k].init}
    with pytest.raises(ValueError, match="rows"):
        PostArrays(**(columns | {"wage_max": [1]}))
    with pytest.raises(ValueError, match="indptr"):
        PostArrays(**(columns | {"skill_indptr": [0, 1, 0]}))
    with pytest.raises(ValueError, match="GB/T 2260"):
        PostArrays.from_records([make_post(region="4")])
