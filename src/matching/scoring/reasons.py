"""Plain-language reasons (Chinese and English) for one pair; built only for shown results."""

import math

import numpy as np

from matching.scoring.arrays import AGE_NONE_MAX, AGE_NONE_MIN
from matching.scoring.context import SkillSpace
from matching.scoring.filters import HardFilter
from matching.scoring.params import ON_THE_JOB
from matching.scoring.types import Level, PostKind, Reason, Willingness

_LEVEL_TEXT = {
    Level.township: ("同乡镇岗位", "Same township"),
    Level.county: ("同县岗位", "Same county"),
    Level.prefecture: ("同市岗位", "Same prefecture"),
    Level.province: ("省内岗位", "Same province"),
    Level.other_province: ("省外岗位", "Another province"),
}
_CORRIDOR_TEXT = ("协作省份岗位", "Partner province (labour cooperation)")
_WILLINGNESS_TEXT = {
    Willingness.township: ("本乡镇", "own township"),
    Willingness.county: ("本县", "own county"),
    Willingness.prefecture: ("本市", "own prefecture"),
    Willingness.province: ("本省", "own province"),
    Willingness.anywhere: ("不限", "anywhere"),
}
_KIND_TEXT = {
    PostKind.public_welfare: ("公益性岗位", "public-welfare post"),
    PostKind.home_based: ("居家就业岗位", "home-based post"),
}


def location_reason(level: int, dist_km: float, corridor: bool) -> Reason:
    """「同市岗位，距离约 85 公里」, or inside a county 「同县岗位，距离约 18 公里」 where the
    two points differ (a township's seat or a post's own point is known), else 「同县岗位」."""
    lvl = Level(level)
    lift = corridor and lvl == Level.other_province
    zh, en = _CORRIDOR_TEXT if lift else _LEVEL_TEXT[lvl]
    code = "location.corridor" if lift else f"location.{lvl.name}"
    if lvl >= Level.county and not dist_km >= 1:  # both at one seat: the distance says nothing
        return Reason(code, zh, en)
    if math.isnan(dist_km):
        return Reason(code, f"{zh}，距离未知", f"{en}, distance unknown")
    km = round(dist_km)
    return Reason(code, f"{zh}，距离约 {km} 公里", f"{en}, about {km} km")


WORKSHOP = Reason(
    "skill.workshop",
    "扶贫车间岗位，上岗培训",
    "Poverty-alleviation workshop: trains its hires",
)


def skill_reasons(
    have: list[int], need: list[int], space: SkillSpace, *, workshop: bool = False
) -> list[Reason]:
    """Per required skill: matched exactly, by a related or same-group skill, learnt on the
    job (general labour), or missing; and a workshop's training where it lifts the score."""
    if not need:
        return [
            Reason(
                "skill.none_required", "普工岗位，无技能要求", "General labour, no skills required"
            )
        ]
    floors = space.floors[need].tolist()
    if have:
        sub = space.similarity[np.ix_(have, need)]
        best = sub.argmax(axis=0).tolist()  # first of equals: the labourer's earlier skill
        sims = sub[best, range(len(need))].tolist()
    else:
        best, sims = [-1] * len(need), [0.0] * len(need)
    out = []
    for b, n, sim, floor in zip(best, need, sims, floors, strict=True):
        if floor > 0 and sim < floor:
            name = space.name(n)
            out.append(
                Reason("skill.on_the_job", f"{name}：在岗学习", f"{name}: learnt on the job")
            )
        else:
            out.append(_skill_reason(have[b], n, sim, space) if b >= 0 else _missing(n, space))
    if workshop and sum(max(s, f) for s, f in zip(sims, floors, strict=True)) < float(
        ON_THE_JOB
    ) * len(need):
        out.append(WORKSHOP)
    return out


def _skill_reason(have: int, need: int, sim: float, space: SkillSpace) -> Reason:
    if sim <= 0:
        return _missing(need, space)
    a, b = space.name(have), space.name(need)
    if have == need:
        return Reason("skill.exact", f"技能匹配：{b}", f"Skill match: {b}")
    # Above what group membership alone gives, the taxonomy links the two skills directly.
    if space.groups[have] != space.groups[need] or sim > space.group_similarity:
        return Reason("skill.related", f"技能匹配：{a} → {b}", f"Related skill: {a} → {b}")
    return Reason("skill.group", f"同类技能：{a} → {b}", f"Same skill group: {a} → {b}")


def _missing(need: int, space: SkillSpace) -> Reason:
    name = space.name(need)
    return Reason("skill.missing", f"缺少：{name}", f"Missing: {name}")


def wage_reason(wage_min: int, wage_max: int, offered: float, expected: float) -> Reason:
    """「月薪 4500 元 ≥ 期望 4000 元」; a range shows the midpoint it was scored at."""
    if offered <= 0:
        return Reason("wage.not_stated", "月薪未注明", "Wage not stated")
    zh, en = _offer_text(wage_min, wage_max, round(offered))
    if expected <= 0:
        return Reason(
            "wage.no_expectation",
            f"月薪 {zh}，未填期望",
            f"Monthly wage {en}, no expectation given",
        )
    exp = round(expected)
    if offered >= expected:
        return Reason(
            "wage.meets", f"月薪 {zh} ≥ 期望 {exp} 元", f"Monthly wage {en} ≥ expected {exp} yuan"
        )
    return Reason(
        "wage.below", f"月薪 {zh}，低于期望 {exp} 元", f"Monthly wage {en} < expected {exp} yuan"
    )


def welfare_skill_reason(kind: int) -> Reason:
    """A 三无 labourer's public-welfare or home-based post: taught on the post."""
    zh, en = _KIND_TEXT[PostKind(kind)]
    return Reason(
        "skill.welfare",
        f"{zh}，上岗培训，不要求技能",
        f"{en[0].upper()}{en[1:]}: trained on the post, no skills required",
    )


def welfare_wage_reason(kind: int, wage_min: int, wage_max: int, offered: float) -> Reason:
    """A 三无 labourer's public-welfare or home-based post: its pay (a public-welfare post's is a
    subsidy) is not held against their expectation."""
    zh_kind, en_kind = _KIND_TEXT[PostKind(kind)]
    if offered <= 0:
        return Reason("wage.welfare", f"{zh_kind}，月薪未注明", f"{en_kind}, pay not stated")
    zh, en = _offer_text(wage_min, wage_max, round(offered))
    if kind == PostKind.public_welfare:
        return Reason(
            "wage.welfare",
            f"公益性岗位补贴 {zh}，不与期望月薪比较",
            f"Public-welfare pay {en}, not compared with the expected wage",
        )
    return Reason(
        "wage.welfare",
        f"{zh_kind}，月薪 {zh}，不与期望月薪比较",
        f"{en_kind[0].upper()}{en_kind[1:]}, monthly pay {en}, not compared with the expected wage",
    )


def _offer_text(wage_min: int, wage_max: int, mid: int) -> tuple[str, str]:
    if 0 < wage_min < wage_max:
        return (
            f"{wage_min}–{wage_max} 元（中位 {mid} 元）",
            f"{wage_min}–{wage_max} yuan (midpoint {mid})",
        )
    return f"{mid} 元", f"{mid} yuan"


def preference_reason(prefs: list[int], occupation: int, space: SkillSpace) -> Reason | None:
    """Whether the post's occupation is preferred, in a preferred group, or neither."""
    if not prefs or occupation < 0:
        return None
    name = space.name(occupation)
    if occupation in prefs:
        return Reason("preference.exact", f"意向职业：{name}", f"Preferred occupation: {name}")
    if space.groups[occupation] in space.groups[prefs].tolist():
        return Reason(
            "preference.group",
            f"与意向职业同类：{name}",
            f"Same group as a preferred occupation: {name}",
        )
    return Reason("preference.other", f"非意向职业：{name}", f"Not a preferred occupation: {name}")


def priority_reasons(sanwu: bool, zero_employment: bool, kind: int) -> list[Reason]:
    """Priority groups this pair serves, or that a public-welfare post is kept for."""
    reasons = []
    if sanwu and kind in _KIND_TEXT:
        zh, en = _KIND_TEXT[PostKind(kind)]
        reasons.append(
            Reason(
                "priority.sanwu",
                f"{zh}，优先安置三无人员",
                f"{en[0].upper()}{en[1:]}: 三无 labourers are placed first",
            )
        )
    elif kind == PostKind.public_welfare:
        reasons.append(
            Reason(
                "priority.welfare_reserved",
                "公益性岗位，优先安置三无人员，推荐度下调",
                "Public-welfare post: 三无 labourers are placed first, ranked lower",
            )
        )
    if zero_employment:
        reasons.append(
            Reason(
                "priority.zero_employment",
                "零就业家庭成员优先",
                "Priority: zero-employment household",
            )
        )
    return reasons


_FILTER_TEXT = {
    HardFilter.post_closed: ("岗位已关闭", "The post is not open"),
    HardFilter.post_not_started: ("岗位尚未开始招聘", "The post is not yet valid"),
    HardFilter.post_expired: ("岗位已过有效期", "The post has expired"),
    HardFilter.no_openings: ("岗位已招满", "No openings left"),
    HardFilter.not_seeking: ("无劳动能力或无就业意愿", "The labourer is not able and seeking work"),
}


def filter_reason(
    failed: HardFilter, *, age: int, age_min: int, age_max: int, willingness: int
) -> Reason:
    """Why a pair is not a candidate."""
    code = f"filter.{failed.value}"
    if failed == HardFilter.age:
        zh, en = _age_range(age_min, age_max)
        return Reason(
            code,
            f"年龄 {age} 岁，不符合岗位年龄要求（{zh}）",
            f"Age {age} does not meet the post's age requirement ({en})",
        )
    if failed == HardFilter.relocation:
        zh, en = _WILLINGNESS_TEXT[Willingness(willingness)]
        return Reason(
            code,
            f"工作地超出外出意愿（{zh}）",
            f"Workplace is outside the labourer's relocation willingness ({en})",
        )
    return Reason(code, *_FILTER_TEXT[failed])


def _age_range(age_min: int, age_max: int) -> tuple[str, str]:
    if age_max >= AGE_NONE_MAX:
        return f"{age_min} 岁以上", f"{age_min} or over"
    if age_min <= AGE_NONE_MIN:
        return f"{age_max} 岁以下", f"up to {age_max}"
    return f"{age_min}–{age_max} 岁", f"{age_min}–{age_max}"
