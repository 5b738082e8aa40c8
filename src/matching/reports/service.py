"""Assembling the targets report: figures, targets, met / not met, per region and child region."""

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select, text
from sqlalchemy.orm import Session

from matching.auth.principal import Principal
from matching.clock import month_end, months_back
from matching.pushes.models import Push
from matching.regions.registry import get_registry
from matching.reports.figures import Counts, GroupedCounts, count_groups, post_counts
from matching.reports.schemas import (
    Figure,
    MonthPoint,
    RegionFigures,
    RegionTasks,
    TargetsReport,
)
from matching.rules import targets
from matching.rules.feedback import HIRED_IN_WINDOW
from matching.rules.period import ReportPeriod, parse_month
from matching.rules.population import unemployed_willing_by_month
from matching.rules.status import region_prefix
from matching.scope import check_scope


@dataclass(frozen=True, slots=True)
class _Def:
    key: str
    zh: str
    en: str
    unit: str
    comparison: str
    compute: Callable[[Counts], tuple[float | None, float | None, float | None]]
    target_key: str | None


def _ratio(num: float, den: float) -> tuple[float | None, float | None, float | None]:
    return (num / den if den else None), num, den


FIGURES: tuple[_Def, ...] = (
    _Def("unemployed_willing", "有就业意愿未就业人数 (U)", "Unemployed, able and willing (U)",
         "count", "reported", lambda c: (c.unemployed_willing, None, None), None),
    _Def("new_seekers", "本月新增求职人数 (不在 U 内)", "New seekers since the 1st (not in U): "
         "registered or become unemployed this month, seeking on the as-of day", "count",
         "reported", lambda c: (c.new_seekers, None, None), None),
    _Def("push_ratio", "月推送人次 / U", "Pushes this month / U", "ratio", ">=",
         lambda c: _ratio(c.pushes, c.unemployed_willing), "push_ratio"),
    _Def("reach", "推送覆盖人数 / U", "Distinct labourers pushed / U", "ratio", "reported",
         lambda c: _ratio(c.pushed_labourers, c.unemployed_willing), None),
    _Def("success_rate", "推荐成功率", "Pushes leading to a hire / pushes", "ratio", ">",
         lambda c: _ratio(c.successful_pushes, c.pushes), "success_rate"),
    _Def("employed_share", "已就业占比", "Employed / able labourers", "ratio", ">=",
         lambda c: _ratio(c.employed, c.able), "employed_share"),
    _Def("stable_share", "稳定就业6个月以上占比", "Employed ≥ 6 months unbroken / employed",
         "ratio", ">=", lambda c: _ratio(c.stable, c.employed), "stable_share"),
    _Def("willing_employment", "有劳动能力有意愿未脱贫人员就业率",
         "Employed / able, willing, not exited", "ratio", ">",
         lambda c: _ratio(c.willing_employed, c.willing_base), "willing_employment"),
    _Def("unit_employment", "单位就业占比", "Employed by an organisation / employed", "ratio",
         ">", lambda c: _ratio(c.in_organisation, c.employed), "unit_employment"),
    _Def("mean_wage", "月均工资", "Mean monthly wage of the month's jobs", "yuan", ">=",
         lambda c: (c.wage_sum / c.wage_jobs if c.wage_jobs else None, c.wage_sum,
                    c.wage_jobs or None), None),
    _Def("services_311", "311 服务达标人数 / U", "U given 3 recommendations, 1 guidance, "
         "1 training info this year / U", "ratio", ">=",
         lambda c: _ratio(c.s311_all, c.unemployed_willing), "services_311"),
    _Def("zero_employment_households", "零就业家庭户数", "Zero-employment households", "count",
         "<=", lambda c: (c.zero_employment_households, None, None), "zero_employment_households"),
    _Def("workshops", "扶贫车间数", "Poverty-alleviation workshops with posts", "count", ">=",
         lambda c: (c.workshops, None, None), "workshops"),
    _Def("bases", "就业扶贫基地数", "Employment bases with posts", "count", ">=",
         lambda c: (c.bases, None, None), "bases"),
    _Def("posts_with_sex_requirement", "含性别要求岗位数 (需核查)",
         "Posts asking for one sex (usually unlawful; review)", "count", "reported",
         lambda c: (c.posts_with_sex_requirement, None, None), None),
)  # fmt: skip


def _met(value: float | None, comparison: str, target: float | None) -> bool | None:
    if value is None or target is None or comparison == "reported":
        return None
    if comparison == ">=":
        return value >= target - 1e-12
    if comparison == ">":
        return value > target
    return value <= target


def region_figures(
    code: str, counts: Counts, resolved: dict[str, targets.Resolved]
) -> RegionFigures:
    """Every figure of one region with its target and verdict."""
    figures = []
    for d in FIGURES:
        value, num, den = d.compute(counts)
        target = resolved[d.target_key] if d.target_key else None
        target_value, set_by = (target.value, target.set_by) if target else (None, None)
        detail: dict[str, float] = {}
        comparison = d.comparison
        if d.key == "mean_wage":
            last = (
                counts.wage_sum_last_year / counts.wage_jobs_last_year
                if counts.wage_jobs_last_year
                else None
            )
            target_value, set_by = last, None
            detail = {"jobs_last_year": counts.wage_jobs_last_year}
        elif d.key == "services_311":
            detail = {
                "recommendations_3": counts.s311_recommendation,
                "guidance_1": counts.s311_guidance,
                "training_info_1": counts.s311_training,
            }
        elif d.key == "push_ratio":
            detail = {"pushes": counts.pushes}
        figures.append(
            Figure(
                key=d.key,
                name_zh=d.zh,
                name_en=d.en,
                value=None if value is None else round(float(value), 4),
                numerator=num,
                denominator=den,
                unit=d.unit,
                comparison=comparison,
                target=None if target_value is None else round(target_value, 4),
                target_set_by=set_by,
                met=_met(value, comparison, target_value),
                detail=detail,
            )
        )
    registry = get_registry()
    return RegionFigures(
        region=code,
        region_name=registry.name_or_code(code),
        figures=figures,
        tasks=_tasks(counts, resolved["push_ratio"].value),
        met=sum(f.met is True for f in figures),
        not_met=sum(f.met is False for f in figures),
    )


def _tasks(counts: Counts, push_target: float | None) -> RegionTasks:
    u = counts.unemployed_willing
    # The push target is a share of U: ceil, so meeting the count meets the share.
    needed = math.ceil(push_target * u - 1e-9) - counts.pushes if push_target else 0
    return RegionTasks(
        pushes_needed=max(0, needed),
        seekers_not_reached=max(0, u - counts.reached_seekers),
        missing_recommendations=max(0, u - counts.s311_recommendation),
        missing_guidance=max(0, u - counts.s311_guidance),
        missing_training_info=max(0, u - counts.s311_training),
    )


def targets_report(
    session: Session,
    *,
    region: str,
    month: str | None,
    today: date,
    principal: Principal,
    attribution_days: int,
) -> TargetsReport:
    """The report for a region and month (default: the current month)."""
    check_scope(principal, region, "region")
    period = parse_month(month, today)
    if session.get_bind().dialect.name == "postgresql":
        # These few large aggregates run once per request; compiling them (JIT) costs more than
        # it saves (measured in benchmarks/report_bench.py).
        session.execute(text("SET LOCAL jit = off"))
    registry = get_registry()
    children = [c.code for c in registry.children(region)] if len(region) < 12 else []
    key_len = max((len(c) for c in children), default=len(region))
    grouped = count_groups(session, region, key_len, period)
    total, by_child, other = _roll_up(grouped, children)
    # Distinct employers do not add up across child regions: count the region's own.
    own_posts = GroupedCounts()
    post_counts(session, region, len(region), period, own_posts)
    mine = own_posts.groups.get(region, Counts())
    total.workshops, total.bases = mine.workshops, mine.bases
    rows = targets.rows_for(
        session, set(targets.ancestors(region)) | set(children), period.month_start.year
    )
    overall = region_figures(region, total, targets.resolve(region, rows))
    child_reports = [
        region_figures(code, by_child[code], targets.resolve(code, rows)) for code in children
    ]
    notes = [
        "U counts labourers able and willing to work whose status was unemployed on "
        f"{period.month_start}; employment figures use the status on {period.as_of}.",
        "A push counts as a success when its hire came within the attribution window "
        f"(the {attribution_days} days in force when it was pushed).",
        "Labourers registered after the month are not counted; ability and willingness are "
        "their current values (record a dated 'not_seeking' status to change willingness "
        "for past months).",
    ]
    if other.registered or other.pushes:
        notes.append(
            f"{other.registered} labourers (and {other.pushes} pushes) are registered at "
            f"{region} itself, not in any child region: counted in the total only."
        )
    return TargetsReport(
        **overall.model_dump(),
        month=f"{period.month_start:%Y-%m}",
        month_start=period.month_start,
        as_of=period.as_of,
        year_start=period.year_start,
        attribution_days=attribution_days,
        children=child_reports,
        notes=notes,
    )


def _roll_up(
    grouped: GroupedCounts, children: list[str]
) -> tuple[Counts, dict[str, Counts], Counts]:
    """Add the groups into the total and into the child region each group lies in."""
    total, other = Counts(), Counts()
    by_child = {c: Counts() for c in children}
    lengths = sorted({len(c) for c in children}, reverse=True)
    for key, counts in grouped.groups.items():
        total.add(counts)
        child = next((key[:n] for n in lengths if key[:n] in by_child), None)
        (by_child[child] if child else other).add(counts)
    return total, by_child, other


def monthly_trend(
    session: Session,
    *,
    region: str,
    month: str | None,
    today: date,
    principal: Principal,
    months: int = 12,
) -> list[MonthPoint]:
    """The push ratio and success rate of the region's last `months` months up to `month`,
    oldest first, each against the targets of its year. U and the pushes only, each month as
    the report defines them, in two statements for all the months (a month before anyone was
    registered has U 0 and no ratio)."""
    check_scope(principal, region, "region")
    last = parse_month(month, today)
    starts = [months_back(last.month_start, back) for back in range(months - 1, -1, -1)]
    periods = [
        ReportPeriod(month_start=d, month_end=month_end(d), as_of=min(month_end(d), today))
        for d in starts
    ]
    u = [int(n or 0) for n in session.execute(unemployed_willing_by_month(region, periods)).one()]
    pushes, successes = _pushes_by_month(session, region, periods)
    resolved_by_year = {
        year: targets.resolve(
            region, targets.rows_for(session, set(targets.ancestors(region)), year)
        )
        for year in {d.year for d in starts}
    }
    points = []
    for k, start in enumerate(starts):
        resolved = resolved_by_year[start.year]
        key = f"{start:%Y-%m}"
        made, hired = pushes.get(key, 0), successes.get(key, 0)
        points.append(
            MonthPoint(
                month=key,
                unemployed_willing=u[k],
                pushes=made,
                successful_pushes=hired,
                push_ratio=round(made / u[k], 4) if u[k] else None,
                success_rate=round(hired / made, 4) if made else None,
                push_target=resolved["push_ratio"].value,
                success_target=resolved["success_rate"].value,
            )
        )
    return points


def _pushes_by_month(
    session: Session, region: str, periods: list[ReportPeriod]
) -> tuple[dict[str, int], dict[str, int]]:
    """Pushes of each month and those that succeeded, as the report counts them."""
    rows = session.execute(
        select(Push.month, func.count(), func.sum(case((HIRED_IN_WINDOW, 1), else_=0)))
        .where(
            Push.pushed_on >= periods[0].month_start,
            Push.pushed_on <= periods[-1].month_end,
            region_prefix(Push.labourer_region, region),
        )
        .group_by(Push.month)
    ).all()
    return {m: int(n) for m, n, _ in rows}, {m: int(h or 0) for m, _, h in rows}
