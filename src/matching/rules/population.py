"""Who the targets count: U and the seekers of a day (docs/domain.md, "Targets" and "Status on
a day"). The report counts U from here and the planner plans for it, so the two agree."""

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select

from matching.labourers.models import EmploymentStatus, LabourAbility, Labourer
from matching.rules.period import ReportPeriod
from matching.rules.status import STATUS_CODE, in_region, stamped_statuses, statuses_on_days

ABLE = Labourer.labour_ability != LabourAbility.none.value
WANTS = Labourer.wants_work.is_(True)


def is_seeking(wants_work: bool, ability: LabourAbility, status: EmploymentStatus) -> bool:
    """Able and willing to work, and unemployed on the day: the matchable labourers."""
    return (
        bool(wants_work) and ability != LabourAbility.none and status == EmploymentStatus.unemployed
    )


def unemployed_willing_clause(statuses: Any, column: str = "at_start") -> list[ColumnElement[bool]]:
    """U: able, willing, and unemployed at the start of the month (`statuses` from
    rules.status.stamped_statuses, or the month's `column` of statuses_on_days)."""
    return [ABLE, WANTS, statuses.c[column] == STATUS_CODE[EmploymentStatus.unemployed]]


def unemployed_willing(region: str, period: ReportPeriod) -> Select[int, str]:
    """The region's U as (labourer id, region code), by id: the labourers the report counts."""
    s = stamped_statuses(region, period, start_only=True)
    return (
        select(Labourer.id, Labourer.hukou_region)
        .join(s, s.c.labourer_id == Labourer.id)
        .where(*in_region(region, period), *unemployed_willing_clause(s))
        .order_by(Labourer.id)
    )


def unemployed_willing_by_month(region: str, periods: list[ReportPeriod]) -> Select[Any]:
    """One row: the size of U for each of `periods` (consecutive months, oldest first), each
    as unemployed_willing counts it, from one pass over the status periods."""
    on = statuses_on_days(region, [p.month_start for p in periods], periods[-1])
    sizes = [
        func.sum(
            case(
                (
                    and_(
                        *unemployed_willing_clause(on, f"on_{k}"),
                        Labourer.created_at < p.registered_before,
                    ),
                    1,
                ),
                else_=0,
            )
        )
        for k, p in enumerate(periods)
    ]
    return (
        select(*sizes)
        .select_from(Labourer)
        .join(on, on.c.labourer_id == Labourer.id)
        .where(*in_region(region, periods[-1]))
    )


def seeking_on(region: str, day: date) -> Select[int, str]:
    """The region's labourers able, willing and unemployed on `day` (registered by then), as
    (labourer id, region code), by id: whom a plan made that day should reach."""
    return unemployed_willing(region, ReportPeriod.day(day))
