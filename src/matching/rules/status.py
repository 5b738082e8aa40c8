"""A labourer's employment status on a day (docs/domain.md, "Status on a day").

Statuses are effective-dated periods: the status in force on a day is the latest period
starting on or before it. Read three ways, one rule: for one labourer (`current_period`, or
`status_as_of` inside a query), for several (`periods_on`, `statuses_on`), and for every
labourer of a region at several days at once in one aggregate (`stamped_statuses`): each
period is one integer, day × 8 + status code, so the latest period on or before a day is the
largest such integer, and integers aggregate and compare faster than text.
"""

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from matching.database import id_chunks
from matching.labourers.models import EmploymentStatus, Labourer
from matching.labourers.models import StatusPeriod as Period
from matching.rules.period import ReportPeriod

EMPLOYED = [s.value for s in EmploymentStatus if s.is_employed]
# 单位就业: everything employed except self-employment / flexible work.
IN_ORGANISATION = [s for s in EMPLOYED if s != EmploymentStatus.self_employed.value]


def status_as_of(labourer_id: Any, as_of: date) -> Any:
    """SQL for the status in force on a date (the latest period starting on or before it)."""
    return (
        select(Period.status)
        .where(Period.labourer_id == labourer_id, Period.effective_from <= as_of)
        .order_by(Period.effective_from.desc())
        .limit(1)
        .scalar_subquery()
    )


def current_period(session: Session, labourer_id: int, as_of: date) -> Period | None:
    """The period in force on a date."""
    return session.scalar(
        select(Period)
        .where(Period.labourer_id == labourer_id, Period.effective_from <= as_of)
        .order_by(Period.effective_from.desc())
        .limit(1)
    )


def periods_on(session: Session, labourer_ids: list[int], day: date) -> dict[int, Period]:
    """The period in force on a day for each of several labourers (a query per 20,000, so a
    whole roster's people stay inside the databases' parameter limits)."""
    found: dict[int, Period] = {}
    for chunk in id_chunks(labourer_ids):
        if not chunk:
            continue
        periods = session.scalars(
            select(Period)
            .where(Period.labourer_id.in_(chunk), Period.effective_from <= day)
            .order_by(Period.labourer_id, Period.effective_from)
        )
        found.update((p.labourer_id, p) for p in periods)  # later periods overwrite earlier
    return found


def statuses_on(
    session: Session, labourer_ids: list[int] | None, day: date
) -> dict[int, EmploymentStatus]:
    """The status in force on a day by labourer, for these labourers or (None) for all, read
    as plain rows (an index load reads every labourer's)."""
    found: dict[int, EmploymentStatus] = {}
    query = (
        select(Period.labourer_id, Period.status)
        .where(Period.effective_from <= day)
        .order_by(Period.labourer_id, Period.effective_from)
    )
    for chunk in id_chunks(labourer_ids):
        rows = session.execute(
            query if chunk is None else query.where(Period.labourer_id.in_(chunk))
        )
        found.update(rows.all())  # later periods overwrite earlier; enum values already
    return found


# Status codes for the integer stamps.
STATUS_CODE = {status: code for code, status in enumerate(EmploymentStatus)}
CODES = 8
EMPLOYED_CODES = [STATUS_CODE[EmploymentStatus(s)] for s in EMPLOYED]
ORGANISATION_CODES = [STATUS_CODE[EmploymentStatus(s)] for s in IN_ORGANISATION]


def status_code() -> Any:
    """A period's status as its code (SQL)."""
    return case(
        {s.value: code for s, code in STATUS_CODE.items()}, value=Period.status, else_=CODES - 1
    )


class DaysSince2000(FunctionElement[int]):
    """Whole days from 2000-01-01 to a date column, on either database."""

    type = Integer()
    inherit_cache = True


@compiles(DaysSince2000)
def _days_sqlite(element: DaysSince2000, compiler: Any, **kw: Any) -> str:
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - 2451544.5 AS INTEGER)"


@compiles(DaysSince2000, "postgresql")
def _days_postgresql(element: DaysSince2000, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} - DATE '2000-01-01')"


def region_prefix(column: Any, region: str) -> ColumnElement[bool]:
    """Rows whose region code starts with `region` (every row for the empty prefix)."""
    return column.startswith(region) if region else literal(True)


def in_region(region: str, period: ReportPeriod) -> list[ColumnElement[bool]]:
    """The region's labourers registered by the end of the period (a record merged into
    another is not one: its person is counted under the survivor)."""
    return [
        region_prefix(Labourer.hukou_region, region),
        Labourer.created_at < period.registered_before,
        Labourer.merged_into_id.is_(None),
    ]


def own_labourers(region: str, period: ReportPeriod, column: Any) -> ColumnElement[bool]:
    """Rows of the region's labourers, for a county; for a prefecture or province every row.

    A county's report restricts the aggregates to its labourers up front; for a prefecture or
    a province that semi-join costs more than aggregating every row (the final join filters).
    """
    if len(region) < 6:
        return literal(True)
    restricted: ColumnElement[bool] = column.in_(
        select(Labourer.id).where(*in_region(region, period))
    )
    return restricted


def stamped_statuses(region: str, period: ReportPeriod, *, start_only: bool = False) -> Any:
    """Per labourer: the status code at the month's start, on the as-of day and six months
    earlier, and whether a non-employed period started since then (one aggregate).

    With `start_only`, only the status at the month's start (`at_start`).
    """
    six = period.six_months_before
    rows = _stamped_periods(region, period, period.month_start if start_only else period.as_of)

    def status_on(day: date | None) -> Any:
        stamp = rows.c.stamp if day is None else case((rows.c.day <= day, rows.c.stamp))
        return func.max(stamp) % CODES

    if start_only:
        columns = [status_on(None).label("at_start")]  # the rows end at the month's start
    else:
        columns = [
            status_on(period.month_start).label("at_start"),
            status_on(None).label("at_end"),  # the rows end at the as-of day
            status_on(six).label("at_six"),
            func.max(
                case((and_(rows.c.day > six, (rows.c.stamp % CODES).not_in(EMPLOYED_CODES)), 1))
            ).label("broke"),
        ]
    return select(rows.c.labourer_id, *columns).group_by(rows.c.labourer_id).subquery("statuses")


def statuses_on_days(region: str, days: list[date], period: ReportPeriod) -> Any:
    """Per labourer of the region registered by the end of `period`, the status code on each
    of `days` as columns `on_0`, `on_1` …, in one aggregate over the periods (as
    stamped_statuses does for its three days): the months of a trend in one pass."""
    rows = _stamped_periods(region, period, max(days))
    columns = [
        (func.max(case((rows.c.day <= day, rows.c.stamp))) % CODES).label(f"on_{k}")
        for k, day in enumerate(days)
    ]
    return select(rows.c.labourer_id, *columns).group_by(rows.c.labourer_id).subquery("on_days")


def _stamped_periods(region: str, period: ReportPeriod, until: date) -> Any:
    """The region's periods starting by `until`, each stamped day × CODES + status code, so the
    latest one on or before a day is the largest stamp."""
    return (
        select(
            Period.labourer_id.label("labourer_id"),
            Period.effective_from.label("day"),
            (DaysSince2000(Period.effective_from) * CODES + status_code()).label("stamp"),
        )
        .where(Period.effective_from <= until, own_labourers(region, period, Period.labourer_id))
        .subquery("periods")
    )
