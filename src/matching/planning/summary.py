"""A plan's numbers, and why it falls short when it does, in English and Chinese."""

from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.labourers.models import Labourer
from matching.planning.month import PlanMonth
from matching.regions.registry import get_registry

if TYPE_CHECKING:
    from matching.planning.service import Choice, Goals, Pairs, Population, Pushed


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def plan_summary(
    session: Session,
    region: str,
    month: PlanMonth,
    people: "Population",
    pairs: "Pairs",
    pushed: "Pushed",
    target: "Goals",
    choice: "Choice",
) -> dict[str, Any]:
    """The numbers of the preview (schema: planning.schemas.PlanSummary)."""
    u = people.u
    instance, solution, cut = choice.instance, choice.solution, choice.cut
    chosen = choice.chosen
    with_candidates = len(np.unique(instance.labourer)) if instance.n_pairs else 0
    planned = len(chosen)
    pushes_after = len(pushed.pairs) + planned
    reached = set(pushed.per_labourer) | set(people.ids[instance.labourer[chosen]].tolist())
    hires = cut.hires
    summary: dict[str, Any] = {
        "month": month.month,
        "unemployed_willing": u,
        "new_seekers": people.newcomers,
        "seeking_in_index": pairs.seeking,
        "labourers_with_candidates": with_candidates,
        "candidate_pairs": instance.n_pairs,
        "refused_pairs_left_out": pairs.refused_left_out,
        "pairs_lowered_by_refusals": pairs.lowered,
        "pairs_raised_by_applications": pairs.raised,
        "already_pushed_this_month": len(pushed.pairs),
        "required_pushes": choice.required_total,
        "still_required": choice.required,
        "proposed_pushes": int(solution.total_pushes),
        "planned_pushes": planned,
        "planned_reach": len(np.unique(instance.labourer[chosen])),
        "expected_push_ratio": round(pushes_after / u, 4) if u else None,
        "expected_reach_ratio": round(min(u, len(reached)) / u, 4) if u else None,
        "expected_hires": round(hires.expected, 2),
        "expected_hires_without_competition": round(hires.sum_of_probabilities, 2),
        "expected_success_rate": round(hires.rate, 4) if hires.rate is not None else None,
        "success_rate_floor": round(target.rate_floor, 4),
        "meets_push_target": pushes_after >= choice.required_total,
        "meets_success_target": hires.rate is None or hires.rate >= target.rate_floor,
        "shortfall": None,
    }
    summary["shortfall"] = _shortfall(session, region, month, people, pairs, choice, summary)
    return summary


def _shortfall(
    session: Session,
    region: str,
    month: PlanMonth,
    people: "Population",
    pairs: "Pairs",
    choice: "Choice",
    s: dict[str, Any],
) -> dict[str, Any] | None:
    """Why the plan misses a target, or is empty; None when it meets both and has pushes."""
    name = get_registry().name_or_code(region)
    seekers = len(people.ids)
    if s["planned_pushes"] == 0 and seekers == 0:
        registered = (
            session.scalar(
                select(func.count())
                .select_from(Labourer)
                .where(Labourer.hukou_region.startswith(region))
            )
            or 0
        )
        return _out(
            "no_seekers",
            f"No labourer of {name} is able, willing and unemployed on {month.made_on} "
            f"({registered:,} registered): U = 0 and there are no new seekers, so there is "
            "nothing to push.",
            f"{name} 在 {month.made_on} 没有有就业意愿的未就业劳动力（已登记 {registered:,} 人），"
            "U = 0，本月无新增求职者，无需推送。",
            s,
        )
    if s["labourers_with_candidates"] == 0:
        return _out(
            "no_posts_in_reach",
            f"None of the {seekers:,} seekers ({s['unemployed_willing']:,} in U, "
            f"{s['new_seekers']:,} new) has an open post inside their relocation willingness "
            f"({pairs.seeking:,} in the labourer index are seeking); "
            f"{s['refused_pairs_left_out']:,} pairs were left out as refused lately.",
            f"{seekers:,} 名求职者（U {s['unemployed_willing']:,} 人，新增 {s['new_seekers']:,} "
            f"人）在外出意愿范围内均无开放岗位（索引中求职 {pairs.seeking:,} 人）；"
            f"近期被拒绝的 {s['refused_pairs_left_out']:,} 个组合未再推荐。",
            s,
        )
    if not s["meets_push_target"]:
        short = choice.solution.shortfall
        no_reach = seekers - s["labourers_with_candidates"]
        en = (
            f"The plan reaches {s['already_pushed_this_month'] + s['planned_pushes']:,} pushes of "
            f"the {s['required_pushes']:,} required (coverage x U = {s['unemployed_willing']:,}). "
            f"Only {s['labourers_with_candidates']:,} of the {seekers:,} labourers have any open "
            f"post inside their relocation willingness ({no_reach:,} have none)."
        )
        zh = (
            f"计划推送后本月共 {s['already_pushed_this_month'] + s['planned_pushes']:,} 次，目标 "
            f"{s['required_pushes']:,} 次（U={s['unemployed_willing']:,}）。{seekers:,} 人中仅 "
            f"{s['labourers_with_candidates']:,} 人在外出意愿范围内有开放岗位"
            f"（{no_reach:,} 人没有）。"
        )
        out = _out(
            short.limiting_factor if short else "candidates",
            en + (" " + short.message if short else ""),
            zh + (short.message_zh if short else ""),
            s,
        )
        out["max_pushes_achievable"] = (
            short.max_pushes_achievable if short else s["proposed_pushes"]
        )
        return out
    if not s["meets_success_target"]:
        cut = choice.cut
        return _out(
            "success_rate",
            f"Both targets cannot be met: the {cut.core:,} pushes coverage still requires have "
            f"an expected success rate of {_pct(cut.core_rate)}, below the floor of "
            f"{_pct(cut.target_rate)}. Coverage comes first, so the plan keeps them and adds "
            f"no others (the optimiser proposed {cut.offered:,}).",
            f"两项目标无法同时达到：覆盖目标仍需的 {cut.core:,} 次推送预计成功率 "
            f"{_pct(cut.core_rate)}，低于 {_pct(cut.target_rate)}。优先保证推送覆盖，"
            f"保留这些推送、不再增加（优化器建议 {cut.offered:,} 次）。",
            s,
        )
    if s["planned_pushes"] == 0:
        return _out(
            "nothing_above_rate",
            f"Coverage is met already ({s['already_pushed_this_month']:,} pushes this month) and "
            f"no further push keeps the expected success rate at {_pct(s['success_rate_floor'])} "
            f"(the optimiser proposed {s['proposed_pushes']:,}).",
            f"本月推送已达覆盖目标（已推送 {s['already_pushed_this_month']:,} 次），再推送将使预计"
            f"成功率低于 {_pct(s['success_rate_floor'])}"
            f"（优化器建议 {s['proposed_pushes']:,} 次）。",
            s,
        )
    return None


def _out(factor: str, en: str, zh: str, s: dict[str, Any]) -> dict[str, Any]:
    return {
        "limiting_factor": factor,
        "message": en,
        "message_zh": zh,
        "labourers_without_candidates": (
            s["unemployed_willing"] + s["new_seekers"] - s["labourers_with_candidates"]
        ),
        "max_pushes_achievable": s["proposed_pushes"],
    }
