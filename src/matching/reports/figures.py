"""The counts behind the targets report, computed in the database, grouped by child region.

Every count is grouped by a prefix of the labourer's region code, so one pass gives the region
and all its child regions (the town table): each labourer, push and household belongs to exactly
one group, and the groups add up.

Status "as of" a day comes from the effective-dated periods in one aggregate pass: each period is
one integer, day × 8 + status code, so the latest period starting on or before a day is the
largest such integer. That gives the status at the start of the month, at the report day and six
months before it, and whether any non-employed period started in between, without a query per
labourer (rules.status.stamped_statuses). U is rules.population's, as the planner's is.
"""

import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    distinct,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from matching.clock import months_back
from matching.employment.models import Employment, ServiceKind, ServiceRecord
from matching.labourers.models import EmploymentStatus, Labourer, PovertyStatus
from matching.posts.models import Post, PostStatus, PostType, SexRequirement
from matching.pushes.models import Push
from matching.rules.feedback import HIRED_IN_WINDOW
from matching.rules.period import ReportPeriod
from matching.rules.population import ABLE, WANTS, unemployed_willing_clause
from matching.rules.status import (
    EMPLOYED_CODES,
    ORGANISATION_CODES,
    STATUS_CODE,
    in_region,
    own_labourers,
    region_prefix,
    stamped_statuses,
)


@dataclass(slots=True)
class Counts:
    """Additive counts for one group of labourers (a region, or the whole report)."""

    registered: int = 0
    able: int = 0
    unemployed_willing: int = 0  # U
    new_seekers: int = 0  # seeking on the as-of day, not in U (registered or unemployed since)
    reached_seekers: int = 0  # in U and pushed a post this month
    employed: int = 0
    stable: int = 0
    willing_base: int = 0
    willing_employed: int = 0
    in_organisation: int = 0
    pushes: int = 0
    pushed_labourers: int = 0
    successful_pushes: int = 0
    wage_sum: int = 0
    wage_jobs: int = 0
    wage_sum_last_year: int = 0
    wage_jobs_last_year: int = 0
    s311_recommendation: int = 0
    s311_guidance: int = 0
    s311_training: int = 0
    s311_all: int = 0
    zero_employment_households: int = 0
    workshops: int = 0
    bases: int = 0
    posts_with_sex_requirement: int = 0

    def add(self, other: "Counts") -> None:
        """Add another group's counts to these."""
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(slots=True)
class GroupedCounts:
    """Counts per group key (a region-code prefix of one length)."""

    groups: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))


def count_groups(
    session: Session, region: str, key_len: int, period: ReportPeriod
) -> GroupedCounts:
    """Every count of the report, grouped by the first `key_len` digits of the region code.

    Two heavy statements — the labourers' statuses, and their year's pushes and services for
    "311" — are independent: for a prefecture or a province on PostgreSQL the second runs on a
    connection of its own at the same time (each statement reads committed data as of its own
    start, as any statement of a read-committed transaction does).
    """
    big = len(region) <= 4
    out = GroupedCounts()
    side = GroupedCounts()
    bind = session.get_bind()
    worker = None
    if big and isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        worker = _Side(bind, lambda s: _service_counts(s, region, key_len, period, side))
        worker.start()
    with _whole_tables(session, big=big):
        _labourer_counts(session, region, key_len, period, out)
    _push_counts(session, region, key_len, period, out)
    _wage_counts(session, region, key_len, period, out)
    post_counts(session, region, key_len, period, out)
    if worker is None:
        with _whole_tables(session, big=big):
            _service_counts(session, region, key_len, period, side)
    else:
        worker.finish()
    for key, counts in side.groups.items():
        out.groups[key].add(counts)
    return out


class _Side(threading.Thread):
    """One statement on a connection of its own, in a thread; `finish` re-raises its error."""

    def __init__(self, engine: Engine, run: Callable[[Session], None]) -> None:
        super().__init__(name="report-side-query", daemon=True)
        self.engine, self.run_in = engine, run
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with Session(self.engine) as session, session.begin(), _whole_tables(session, big=True):
                session.execute(text("SET LOCAL jit = off"))
                self.run_in(session)
        except BaseException as exc:  # handed to the request thread
            self.error = exc

    def finish(self) -> None:
        self.join()
        if self.error is not None:
            raise self.error


@contextmanager
def _whole_tables(session: Session, *, big: bool) -> Iterator[None]:
    """For a prefecture or a province, have PostgreSQL read whole tables and hash-aggregate.

    Left to itself it walks the per-labourer aggregates in index order to merge-join them, which
    reads the heap of pushes at random: measured 1.5× slower for a province (report_bench.py).
    """
    if not big or session.get_bind().dialect.name != "postgresql":
        yield
        return
    settings = ("enable_mergejoin", "enable_indexscan", "enable_bitmapscan")
    for name in settings:
        session.execute(text(f"SET LOCAL {name} = off"))
    session.execute(text("SET LOCAL work_mem = '256MB'"))
    try:
        yield
    finally:
        for name in (*settings, "work_mem"):
            session.execute(text(f"RESET {name}"))


def _flag(condition: ColumnElement[bool]) -> Any:
    return case((condition, 1), else_=0)


def _labourer_facts(region: str, key_len: int, period: ReportPeriod) -> Any:
    """One row per labourer of the region: its group key, household and 0/1 flags, so one pass
    over the labourers serves both the counts per region and the households."""
    s = stamped_statuses(region, period)
    at_end, at_six = s.c.at_end, s.c.at_six
    u = and_(*unemployed_willing_clause(s))
    pushed = (
        select(Push.labourer_id.label("labourer_id"))
        .where(
            Push.pushed_on >= period.month_start,
            Push.pushed_on <= period.month_end,
            region_prefix(Push.labourer_region, region),
        )
        .group_by(Push.labourer_id)
        .subquery("pushed")
    )
    unemployed = STATUS_CODE[EmploymentStatus.unemployed]
    new_seeker = and_(
        ABLE,
        WANTS,
        at_end == unemployed,
        or_(s.c.at_start.is_(None), s.c.at_start != unemployed),
    )
    employed = and_(ABLE, at_end.in_(EMPLOYED_CODES))
    willing = and_(
        ABLE,
        WANTS,
        Labourer.poverty_status != PovertyStatus.exited.value,
        or_(at_end.is_(None), at_end != STATUS_CODE[EmploymentStatus.not_seeking]),
    )
    return (
        select(
            func.substr(Labourer.hukou_region, 1, key_len).label("key"),
            Labourer.household_id.label("household_id"),
            _flag(ABLE).label("able"),
            _flag(u).label("unemployed_willing"),
            _flag(and_(u, pushed.c.labourer_id.is_not(None))).label("reached_seekers"),
            _flag(new_seeker).label("new_seekers"),
            _flag(employed).label("employed"),
            _flag(and_(employed, at_six.in_(EMPLOYED_CODES), s.c.broke.is_(None))).label("stable"),
            _flag(willing).label("willing_base"),
            _flag(and_(willing, at_end.in_(EMPLOYED_CODES))).label("willing_employed"),
            _flag(and_(ABLE, at_end.in_(ORGANISATION_CODES))).label("in_organisation"),
            _flag(and_(ABLE, WANTS)).label("able_willing"),
            _flag(at_end.in_(EMPLOYED_CODES)).label("employed_any"),
        )
        .select_from(Labourer)
        .outerjoin(s, s.c.labourer_id == Labourer.id)
        .outerjoin(pushed, pushed.c.labourer_id == Labourer.id)
        .where(*in_region(region, period))
        .cte("facts")
    )


_LABOURER_COUNTS = (
    "able", "unemployed_willing", "reached_seekers", "new_seekers", "employed", "stable",
    "willing_base", "willing_employed", "in_organisation",
)  # fmt: skip


def _labourer_counts(
    session: Session, region: str, key_len: int, period: ReportPeriod, out: GroupedCounts
) -> None:
    """The labourer-based counts per group and the zero-employment households, in one statement.

    A household (零就业家庭) has an able, willing member and nobody employed; it is counted in
    the group of its lowest region code.
    """
    facts = _labourer_facts(region, key_len, period)
    zero = literal(0)
    per_group = select(
        facts.c.key,
        func.count().label("registered"),
        *(func.sum(facts.c[name]).label(name) for name in _LABOURER_COUNTS),
        zero.label("zero_employment_households"),
    ).group_by(facts.c.key)
    households = (
        select(
            func.min(facts.c.key).label("key"),
            func.max(facts.c.able_willing).label("willing"),
            func.max(facts.c.employed_any).label("employed"),
        )
        .where(facts.c.household_id.is_not(None))
        .group_by(facts.c.household_id)
        .subquery("households")
    )
    per_household = (
        select(
            households.c.key,
            zero.label("registered"),
            *(zero.label(name) for name in _LABOURER_COUNTS),
            func.count().label("zero_employment_households"),
        )
        .where(households.c.willing == 1, households.c.employed == 0)
        .group_by(households.c.key)
    )
    _collect(session, union_all(per_group, per_household), out)


def _service_counts(
    session: Session, region: str, key_len: int, period: ReportPeriod, out: GroupedCounts
) -> None:
    """ "311" per unemployed, willing labourer this year: ≥ 3 recommendations (pushes and
    recorded ones), ≥ 1 career guidance, ≥ 1 training information."""
    s = stamped_statuses(region, period, start_only=True)
    pushes_ytd = (
        select(Push.labourer_id.label("labourer_id"), func.count().label("n"))
        .where(
            Push.pushed_on >= period.year_start,
            Push.pushed_on <= period.month_end,
            region_prefix(Push.labourer_region, region),
        )
        .group_by(Push.labourer_id)
        .subquery("pushes_ytd")
    )

    def kind(k: ServiceKind) -> Any:
        return func.sum(case((ServiceRecord.kind == k.value, 1), else_=0))

    services_ytd = (
        select(
            ServiceRecord.labourer_id.label("labourer_id"),
            kind(ServiceKind.recommendation).label("rec"),
            kind(ServiceKind.guidance).label("guidance"),
            kind(ServiceKind.training_info).label("training"),
        )
        .where(
            ServiceRecord.provided_on >= period.year_start,
            ServiceRecord.provided_on <= period.month_end,
            own_labourers(region, period, ServiceRecord.labourer_id),
        )
        .group_by(ServiceRecord.labourer_id)
        .subquery("services_ytd")
    )
    recs = func.coalesce(pushes_ytd.c.n, 0) + func.coalesce(services_ytd.c.rec, 0)
    rec_ok = recs >= 3
    guidance_ok = func.coalesce(services_ytd.c.guidance, 0) >= 1
    training_ok = func.coalesce(services_ytd.c.training, 0) >= 1
    key = func.substr(Labourer.hukou_region, 1, key_len)
    query = (
        select(
            key.label("key"),
            func.sum(_flag(rec_ok)).label("s311_recommendation"),
            func.sum(_flag(guidance_ok)).label("s311_guidance"),
            func.sum(_flag(training_ok)).label("s311_training"),
            func.sum(_flag(and_(rec_ok, guidance_ok, training_ok))).label("s311_all"),
        )
        .select_from(Labourer)
        .join(s, s.c.labourer_id == Labourer.id)
        .outerjoin(pushes_ytd, pushes_ytd.c.labourer_id == Labourer.id)
        .outerjoin(services_ytd, services_ytd.c.labourer_id == Labourer.id)
        .where(*in_region(region, period), *unemployed_willing_clause(s))
        .group_by(key)
    )
    _collect(session, query, out)


def _push_counts(
    session: Session, region: str, key_len: int, period: ReportPeriod, out: GroupedCounts
) -> None:
    """The month's pushes, the labourers pushed and the pushes that led to a hire in time."""
    key = func.substr(Push.labourer_region, 1, key_len)
    query = (
        select(
            key.label("key"),
            func.count().label("pushes"),
            func.count(distinct(Push.labourer_id)).label("pushed_labourers"),
            func.sum(case((HIRED_IN_WINDOW, 1), else_=0)).label("successful_pushes"),
        )
        .where(
            Push.pushed_on >= period.month_start,
            Push.pushed_on <= period.month_end,
            region_prefix(Push.labourer_region, region),
        )
        .group_by(key)
    )
    _collect(session, query, out)


def _wage_counts(
    session: Session, region: str, key_len: int, period: ReportPeriod, out: GroupedCounts
) -> None:
    """Every job with a recorded wage held at some time in the month (to the as-of day),
    ended or not, and the same for the month a year earlier."""

    def held_in(first: date, last: date) -> ColumnElement[bool]:
        return and_(
            Employment.start_date <= last,
            or_(Employment.end_date.is_(None), Employment.end_date >= first),
            Employment.monthly_wage.is_not(None),
        )

    now = held_in(period.month_start, period.as_of)
    before = held_in(months_back(period.month_start, 12), period.last_year)
    key = func.substr(Labourer.hukou_region, 1, key_len)
    query = (
        select(
            key.label("key"),
            func.sum(case((now, Employment.monthly_wage), else_=0)).label("wage_sum"),
            func.sum(case((now, 1), else_=0)).label("wage_jobs"),
            func.sum(case((before, Employment.monthly_wage), else_=0)).label("wage_sum_last_year"),
            func.sum(case((before, 1), else_=0)).label("wage_jobs_last_year"),
        )
        .join(Labourer, Labourer.id == Employment.labourer_id)
        .where(or_(now, before), region_prefix(Labourer.hukou_region, region))
        .group_by(key)
    )
    _collect(session, query, out)


def post_counts(
    session: Session, region: str, key_len: int, period: ReportPeriod, out: GroupedCounts
) -> None:
    """Workshops and bases with a post in the month, and posts asking for one sex (flagged).

    Workshops and bases are distinct employers, so they do not add up across groups: an
    employer with posts in two towns is one for their county. Count the total separately.
    """
    key = func.substr(Post.workplace_region, 1, key_len)
    live = and_(
        region_prefix(Post.workplace_region, region),
        Post.status != PostStatus.withdrawn.value,
        Post.valid_from <= period.month_end,
        or_(Post.valid_until.is_(None), Post.valid_until >= period.month_start),
    )

    def employers(kind: PostType) -> Any:
        return func.count(distinct(case((Post.post_type == kind.value, Post.employer))))

    query = (
        select(
            key.label("key"),
            employers(PostType.workshop).label("workshops"),
            employers(PostType.base).label("bases"),
            func.sum(case((Post.sex_requirement != SexRequirement.any.value, 1), else_=0)).label(
                "posts_with_sex_requirement"
            ),
        )
        .where(live)
        .group_by(key)
    )
    _collect(session, query, out)


def _collect(session: Session, query: Any, out: GroupedCounts) -> None:
    for row in session.execute(query).mappings():
        counts = out.groups[str(row["key"])]
        for name, value in row.items():
            if name != "key":
                setattr(counts, name, getattr(counts, name) + int(value or 0))
