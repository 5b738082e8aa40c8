"""What came of a list exchange, per line: asked, offered, pushed, answered, hired — in full
for the origin (who was on the list and how each fared), in counts for the partner."""

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.exchanges.models import Exchange, ExchangeMember, ExchangeState
from matching.exchanges.schemas import (
    ExchangeRead,
    ExchangeReport,
    LineRead,
    LineReport,
    MemberReport,
)
from matching.exchanges.service import seekers, tallies
from matching.labourers.models import Labourer
from matching.pushes.models import PushState
from matching.regions.registry import get_registry

# How far a push got, for a member's best outcome (higher is further).
_PROGRESS = [
    PushState.pushed,
    PushState.delivered,
    PushState.no_response,
    PushState.declined,
    PushState.viewed,
    PushState.applied,
    PushState.rejected,
    PushState.interviewed,
    PushState.hired,
]


def present(session: Session, exchange: Exchange) -> ExchangeRead:
    """The exchange with its lines."""
    return ExchangeRead(
        id=exchange.id,
        origin_region=exchange.origin_region,
        origin_name=get_registry().name_or_code(exchange.origin_region),
        agency_id=exchange.agency_id,
        title=exchange.title,
        note=exchange.note,
        state=ExchangeState(exchange.state),
        sent_on=exchange.sent_on,
        sent_at=exchange.sent_at,
        answered_at=exchange.answered_at,
        matched_at=exchange.matched_at,
        closed_at=exchange.closed_at,
        seekers=seekers(session, exchange.id),
        lines=[LineRead.model_validate(ln) for ln in exchange.lines],
    )


def build_report(session: Session, exchange: Exchange, *, anonymised: bool) -> ExchangeReport:
    """Per line and in total; members only for the origin."""
    counts = tallies(session, exchange)
    line_no = {ln.id: ln.line_no for ln in exchange.lines}
    offered: dict[int | None, tuple[int, int]] = {
        line_id: (int(n), int(openings or 0)) for line_id, n, openings in counts["offered"]
    }
    states: dict[int | None, Counter[str]] = defaultdict(Counter)
    hires: Counter[int | None] = Counter()
    per_member: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    for labourer_id, state, hired in counts["pushes"]:
        line_id = counts["line_of"].get(labourer_id)
        states[line_id][str(state)] += 1
        hires[line_id] += bool(hired)
        per_member[labourer_id].append((str(state), bool(hired)))
    lines = [
        _line(
            ln.line_no, ln.trade, ln.count, offered.get(ln.id, (0, 0)), states[ln.id], hires[ln.id]
        )
        for ln in exchange.lines
    ]
    if None in offered:  # posts that answered no line in particular
        lines.append(_line(None, "未指定清单行", 0, offered[None], Counter(), 0))
    totals = _line(
        None,
        "合计",
        sum(ln.asked for ln in lines),
        (sum(ln.posts_offered for ln in lines), sum(ln.openings_offered for ln in lines)),
        sum((states[k] for k in states), Counter()),
        sum(hires.values()),
    )
    members = None
    if not anonymised:
        names = dict(
            session.execute(
                select(Labourer.id, Labourer.name)
                .join(ExchangeMember, ExchangeMember.labourer_id == Labourer.id)
                .where(ExchangeMember.exchange_id == exchange.id)
            ).all()
        )
        members = [
            _member(
                labourer_id,
                str(names.get(labourer_id, "")),
                line_no[line_id],
                per_member.get(labourer_id, []),
            )
            for labourer_id, line_id in sorted(counts["line_of"].items())
        ]
    return ExchangeReport(
        exchange=present(session, exchange),
        anonymised=anonymised,
        lines=lines,
        totals=totals,
        members=members,
    )


def _line(
    no: int | None,
    trade: str,
    asked: int,
    offered: tuple[int, int],
    states: Counter[str],
    hired: int,
) -> LineReport:
    return LineReport(
        line_no=no,
        trade=trade,
        asked=asked,
        posts_offered=offered[0],
        openings_offered=offered[1],
        pushes=sum(states.values()),
        outcomes=dict(sorted(states.items())),
        hires=hired,
    )


def _member(labourer_id: int, name: str, line: int, pushes: list[tuple[str, bool]]) -> MemberReport:
    order = {state.value: i for i, state in enumerate(_PROGRESS)}
    best = max((s for s, _ in pushes), key=lambda s: order.get(s, -1), default=None)
    return MemberReport(
        labourer_id=labourer_id,
        name=name,
        line_no=line,
        pushes=len(pushes),
        best_state=best,
        hired=any(h for _, h in pushes),
    )


def workbook(report: ExchangeReport) -> bytes:
    """The report as an .xlsx: 清单与结果 (lines), and for the origin 名单 (members)."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "清单与结果"
    ex = report.exchange
    sheet.append([ex.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(
        [
            f"输出地 {ex.origin_name}（{ex.origin_region}） · 状态 {ex.state} · "
            f"发送 {ex.sent_on} · 清单人数 {ex.seekers}"
        ]
    )
    sheet.append([])
    header = ["行", "工种", "求职人数", "提供岗位", "提供名额", "推送", "录用", "推送结果"]
    sheet.append(header)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for line in [*report.lines, report.totals]:
        outcomes = "，".join(f"{k} {v}" for k, v in line.outcomes.items())
        sheet.append(
            [
                line.line_no,
                line.trade,
                line.asked,
                line.posts_offered,
                line.openings_offered,
                line.pushes,
                line.hires,
                outcomes,
            ]
        )
    for column, width in zip("ABCDEFGH", (6, 24, 10, 10, 10, 8, 8, 50), strict=True):
        sheet.column_dimensions[column].width = width
    if report.members is not None:
        people = book.create_sheet("名单")
        people.append(["劳动力编号", "姓名", "清单行", "推送次数", "最好结果", "已录用"])
        for cell in people[1]:
            cell.font = Font(bold=True)
        for m in report.members:
            people.append(
                [
                    m.labourer_id,
                    m.name,
                    m.line_no,
                    m.pushes,
                    m.best_state or "",
                    "是" if m.hired else "否",
                ]
            )
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def report_dict(report: ExchangeReport) -> dict[str, Any]:
    """The report as JSON-ready data."""
    return report.model_dump(mode="json")
