"""三来三往 list exchanges (docs/partners.md): a seeker list built from the registry when it is
sent, the partner's post supply list, the list matched by the planner, and what came of it."""

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from matching.agencies.models import Agency
from matching.auth.models import Role
from matching.auth.principal import Principal
from matching.clock import china_date
from matching.errors import Conflict, FieldError, NotFound, Unprocessable
from matching.exchanges.models import Exchange, ExchangeLine, ExchangeMember, ExchangeState
from matching.kit.idnumber import age_on
from matching.labourers.models import Labourer, Relocation
from matching.planning.service import Restriction
from matching.posts import batch
from matching.posts.models import Post, PostStatus
from matching.posts.schemas import BatchResult
from matching.pushes.models import Push
from matching.regions.registry import get_registry
from matching.rules import notices
from matching.rules.feedback import HIRED_IN_WINDOW
from matching.rules.population import seeking_on
from matching.scope import check_scope, scope_clause
from matching.skills.taxonomy import get_taxonomy
from matching.webhooks.models import NoticeType

AGE_BANDS = ((16, 24), (25, 34), (35, 44), (45, 54), (55, 120))
NO_TRADE = "无特定工种（普工）"


def reaches(province: str) -> ColumnElement[bool]:
    """Labourers whose relocation willingness reaches a province: anywhere, or their own
    province when willing to go that far."""
    return or_(
        Labourer.relocation == Relocation.anywhere,
        and_(
            Labourer.relocation == Relocation.province, Labourer.hukou_region.startswith(province)
        ),
    )


def trade_of(labourer: Labourer) -> str | None:
    """The trade a labourer is listed under: their first skill that is a trade (not a
    certificate), else their first preferred occupation, else their first certificate, else
    none (general labour)."""
    taxonomy = get_taxonomy()
    skills = [s.skill_id for s in labourer.skills]
    trades = [s for s in skills if (e := taxonomy.get(s)) is not None and e.kind != "certificate"]
    for choice in (trades, labourer.preferred_occupations, skills):
        if choice:
            return choice[0]
    return None


def create_exchange(
    session: Session,
    *,
    region: str,
    agency_id: int,
    title: str | None,
    note: str | None,
    principal: Principal,
    now: datetime,
) -> Exchange:
    """Build the seeker list from the registry as it is now, keep whom it counted, send it."""
    check_scope(principal, region, "region")
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise Unprocessable.for_field("agency_id", f"no agency with id {agency_id} / 无此合作机构")
    if agency.suspended_at is not None:
        raise Conflict(f"Agency {agency_id} is suspended / 该合作机构已暂停")
    today = china_date(now)
    seeking = seeking_on(region, today).subquery()
    people = list(
        session.scalars(
            select(Labourer)
            .where(Labourer.id.in_(select(seeking.c[0])), reaches(agency.province_code))
            .options(selectinload(Labourer.skills))
        )
    )
    if not people:
        count = session.scalar(select(func.count()).select_from(seeking))
        raise Unprocessable.for_field(
            "region",
            f"no willing seeker of {region} will go to province {agency.province_code} "
            f"({count} seeking today) / 没有愿意到合作省份就业的求职者",
        )
    registry = get_registry()
    exchange = Exchange(
        origin_region=region,
        agency_id=agency_id,
        title=title or f"{registry.name_or_code(region)} 求职清单 {today:%Y-%m-%d}",
        note=note,
        state=ExchangeState.sent.value,
        sent_on=today,
        sent_at=now,
        created_by_key_id=principal.key_id,
    )
    session.add(exchange)
    session.flush()
    _write_lines(session, exchange, people, today, agency.province_code)
    notices.notify(
        session,
        agency_id,
        NoticeType.exchange_sent,
        f"exchange:{exchange.id}",
        {"exchange": agency_view(exchange)},
        now,
    )
    session.refresh(exchange)
    return exchange


def _write_lines(
    session: Session, exchange: Exchange, people: list[Labourer], today: date, province: str
) -> None:
    by_trade: dict[str | None, list[Labourer]] = defaultdict(list)
    for person in people:
        by_trade[trade_of(person)].append(person)
    taxonomy = get_taxonomy()
    ordered = sorted(by_trade.items(), key=lambda kv: (-len(kv[1]), kv[0] or "~"))
    for line_no, (occupation, members) in enumerate(ordered, start=1):
        entry = taxonomy.get(occupation) if occupation else None
        wages = sorted(p.expected_wage for p in members if p.expected_wage)
        line = ExchangeLine(
            exchange_id=exchange.id,
            line_no=line_no,
            occupation_id=occupation,
            trade=entry.name if entry else (occupation or NO_TRADE),
            count=len(members),
            wage_median=int(statistics.median(wages)) if wages else None,
            wage_min=wages[0] if wages else None,
            wage_max=wages[-1] if wages else None,
            age_bands=_bands(members, today),
            sexes=dict(Counter(str(p.sex) if p.sex else "unknown" for p in members)),
            # The registry records no wish for housing: whoever would leave home province for
            # the partner's needs it there.
            housing_needed=sum(p.hukou_region[:2] != province for p in members),
            available_from=today,
        )
        session.add(line)
        session.flush()
        session.add_all(
            ExchangeMember(exchange_id=exchange.id, line_id=line.id, labourer_id=p.id)
            for p in members
        )
    session.flush()


def _bands(people: Sequence[Labourer], today: date) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for person in people:
        age = age_on(person.birth_date, today)
        band = next(
            (
                f"{lo}-{hi}" if hi < 120 else f"{lo}+"
                for lo, hi in AGE_BANDS
                if age is not None and lo <= age <= hi
            ),
            "unknown",
        )
        counts[band] += 1
    return dict(counts)


def agency_view(exchange: Exchange) -> dict[str, Any]:
    """The list as the partner sees it: lines only, nobody named."""
    return {
        "id": exchange.id,
        "title": exchange.title,
        "origin": get_registry().name_or_code(exchange.origin_region),
        "state": exchange.state,
        "sent_on": exchange.sent_on.isoformat(),
        "lines": [
            {
                "line_no": ln.line_no,
                "occupation_id": ln.occupation_id,
                "trade": ln.trade,
                "count": ln.count,
                "wage_median": ln.wage_median,
                "wage_min": ln.wage_min,
                "wage_max": ln.wage_max,
                "age_bands": ln.age_bands,
                "sexes": ln.sexes,
                "housing_needed": ln.housing_needed,
                "available_from": ln.available_from.isoformat(),
            }
            for ln in exchange.lines
        ],
    }


def get_exchange(session: Session, exchange_id: int, principal: Principal) -> Exchange:
    """One exchange: the origin's staff (its regions), the agency it was sent to, or admin."""
    exchange = session.get(Exchange, exchange_id)
    if exchange is None or not _may_read(exchange, principal):
        raise NotFound(f"No exchange with id {exchange_id}")
    return exchange


def _may_read(exchange: Exchange, principal: Principal) -> bool:
    if principal.role == Role.agency:
        return exchange.agency_id == principal.agency_id
    return principal.role == Role.admin or principal.covers_region(exchange.origin_region)


def list_exchanges(session: Session, principal: Principal, *, limit: int) -> list[Exchange]:
    """Newest first: an agency's addressed to it, staff's of their regions."""
    query = select(Exchange).order_by(Exchange.id.desc()).limit(limit)
    if principal.role == Role.agency:
        query = query.where(Exchange.agency_id == principal.agency_id)
    elif (clause := scope_clause(principal, Exchange.origin_region)) is not None:
        query = query.where(clause)
    return list(session.scalars(query))


def seekers(session: Session, exchange_id: int) -> int:
    """How many labourers the list counted."""
    return int(
        session.scalar(select(func.count()).where(ExchangeMember.exchange_id == exchange_id)) or 0
    )


def answer(
    session: Session,
    exchange: Exchange,
    items: list[dict[str, Any]],
    *,
    principal: Principal,
    today: date,
    now: datetime,
) -> BatchResult:
    """The partner's posts (upserted as a batch), each linked to the exchange and its line."""
    if principal.role == Role.agency and principal.agency_id != exchange.agency_id:
        raise NotFound(f"No exchange with id {exchange.id}")
    if exchange.state not in (ExchangeState.sent, ExchangeState.answered):
        raise Conflict(
            f"Exchange {exchange.id} is {exchange.state}; it takes no more posts "
            "/ 清单已匹配或已结束"
        )
    acting = Principal(key_id=principal.key_id, role=Role.agency, agency_id=exchange.agency_id)
    lines = {ln.line_no: ln.id for ln in exchange.lines}
    wanted: list[int | None] = []
    bad: dict[int, str] = {}
    clean = []
    for index, item in enumerate(items):
        item = dict(item)
        line_no = item.pop("exchange_line", None)
        if line_no is not None and (type(line_no) is not int or line_no not in lines):
            bad[index] = f"no line {line_no!r} on this list (lines 1–{len(lines)}) / 清单无此行"
        wanted.append(lines.get(line_no) if isinstance(line_no, int) else None)
        clean.append(item)
    result = batch.upsert_batch(session, clean, principal=acting, today=today)
    for index, reason in bad.items():  # the post is written; its line is refused, and said so
        field = f"body.items[{index}].exchange_line"
        result.items[index].errors = [
            *(result.items[index].errors or []),
            FieldError(field=field, reason=reason),
        ]
    # A written post answers the exchange; a refused line leaves it answering no line in
    # particular (the item's errors say why).
    linked = [
        (r.post_id, None if r.index in bad else wanted[r.index])
        for r in result.items
        if r.post_id is not None and r.result != "rejected"
    ]
    by_line: dict[int | None, list[int]] = defaultdict(list)
    for post_id, line_id in linked:
        by_line[line_id].append(post_id)
    for line_id, post_ids in by_line.items():  # one statement a line, not one a post
        session.execute(
            update(Post)
            .where(Post.id.in_(post_ids))
            .values(exchange_id=exchange.id, exchange_line_id=line_id)
            .execution_options(synchronize_session=False)
        )
    if linked and exchange.state == ExchangeState.sent:
        exchange.state, exchange.answered_at = ExchangeState.answered.value, now
        session.flush()
        notices.notify(
            session,
            exchange.agency_id,
            NoticeType.exchange_answered,
            f"exchange:{exchange.id}",
            {"exchange": agency_view(exchange), "posts": len(linked)},
            now,
        )
    return result


def restriction(session: Session, exchange: Exchange, now: datetime) -> Restriction:
    """The plan's limits: the list's labourers and the exchange's posts open now."""
    if exchange.state == ExchangeState.closed:
        raise Conflict(f"Exchange {exchange.id} is closed / 清单已结束")
    members = frozenset(
        session.scalars(
            select(ExchangeMember.labourer_id).where(ExchangeMember.exchange_id == exchange.id)
        )
    )
    posts = frozenset(
        session.scalars(
            select(Post.id).where(
                Post.exchange_id == exchange.id,
                Post.status == PostStatus.open,
                Post.openings_left > 0,
            )
        )
    )
    if not posts:
        raise Conflict(
            f"Exchange {exchange.id} has no open post yet: the partner answers first "
            "/ 合作方尚未提供岗位"
        )
    return Restriction(exchange.id, members, posts)


def close(session: Session, exchange: Exchange, now: datetime) -> Exchange:
    """The exchange is over; its report stays."""
    if exchange.state == ExchangeState.closed:
        raise Conflict(f"Exchange {exchange.id} is closed already / 清单已结束")
    exchange.state, exchange.closed_at = ExchangeState.closed.value, now
    session.flush()
    notices.notify(
        session,
        exchange.agency_id,
        NoticeType.exchange_closed,
        f"exchange:{exchange.id}",
        {"exchange": agency_view(exchange)},
        now,
    )
    return exchange


def check_origin(exchange: Exchange, principal: Principal) -> None:
    """Only the origin's staff (or admin) plan, close and see who is on the list."""
    if principal.role == Role.agency:
        raise NotFound(f"No exchange with id {exchange.id}")
    check_scope(principal, exchange.origin_region, "region")


def tallies(session: Session, exchange: Exchange) -> dict[str, Any]:
    """Per line: posts and openings offered, pushes by state, hires; and per member."""
    offered = session.execute(
        select(Post.exchange_line_id, func.count(), func.sum(Post.openings))
        .where(Post.exchange_id == exchange.id)
        .group_by(Post.exchange_line_id)
    ).all()
    line_of = dict(
        session.execute(
            select(ExchangeMember.labourer_id, ExchangeMember.line_id).where(
                ExchangeMember.exchange_id == exchange.id
            )
        ).all()
    )
    pushes = session.execute(
        select(Push.labourer_id, Push.state, HIRED_IN_WINDOW).where(Push.exchange_id == exchange.id)
    ).all()
    return {"offered": offered, "line_of": line_of, "pushes": pushes}
