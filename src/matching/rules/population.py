"""Who the targets count: U and the seekers of a day (docs/domain.md, "Targets" and "Status on
a day"). The report counts U from here and the planner plans for it, so the two agree."""

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, select

from matching.labourers.models import EmploymentStatus, LabourAbility, Labourer
from matching.rules.period import ReportPeriod
from matching.rules.status import STATUS_CODE, in_region, stamped_statuses

ABLE = Labourer.labour_ability != LabourAbility.none.value
WANTS = Labourer.wants_work.is_(True)


def is_seeking(wants_work: bool, ability: LabourAbility, status: EmploymentStatus) -> bool:
    """Able and willing to work, and unemployed on the day: the matchable labourers."""
    return (
        bool(wants_work) and ability != LabourAbility.none and status == EmploymentStatus.unemployed
    )


def unemployed_willing_clause(statuses: Any) -> list[ColumnElement[bool]]:
    """U: able, willing, and unemployed at the start of the month (`statuses` from
    rules.status.stamped_statuses)."""
    return [ABLE, WANTS, statuses.c.at_start == STATUS_CODE[EmploymentStatus.unemployed]]


def unemployed_willing(region: str, period: ReportPeriod) -> Select[int, str]:
    """The region's U as (labourer id, region code), by id: the labourers the report counts."""
    s = stamped_statuses(region, period, start_only=True)
    return (
        select(Labourer.id, Labourer.hukou_region)
        .join(s, s.c.labourer_id == Labourer.id)
        .where(*in_region(region, period), *unemployed_willing_clause(s))
        .order_by(Labourer.id)
    )


def seeking_on(region: str, day: date) -> Select[int, str]:
    """The region's labourers able, willing and unemployed on `day` (registered by then), as
    (labourer id, region code), by id: whom a plan made that day should reach."""
    return unemployed_willing(region, ReportPeriod.day(day))
