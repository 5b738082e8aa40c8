"""A plan's commit: its pushes scored now, then written once (docs/planning.md, "Committing").

A province plan commits 1.7 million pushes. Each is scored and explained at push time, as a
staff push is, but column by column (scoring.core.score_pairs), not one pair at a time; the
rows go to PostgreSQL with COPY, and the items are linked to their pushes by one UPDATE
(issue 14: one pair at a time, the province commit took half an hour).
"""

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from matching.auth.principal import Principal
from matching.clock import china_date, month_of
from matching.compute import INLINE, Engine
from matching.database import copy_field, copy_lines
from matching.errors import Conflict
from matching.exchanges.models import Exchange, ExchangeState
from matching.jobs.progress import Progress
from matching.labourers.models import Labourer
from matching.matches.read_model import ReadModel
from matching.planning.candidates import PARALLEL_FROM
from matching.planning.models import Plan, PlanItem, PlanStatus
from matching.planning.service import get_plan, plan_weights
from matching.pushes.models import Push, PushedBy, push_made
from matching.rules import notices
from matching.scoring import LabourerArrays, Match, PostArrays, Reason, ScoringContext
from matching.scoring.core import score_pairs
from matching.scoring.dtypes import I64
from matching.webhooks.models import NoticeType

# Pairs scored per task: bounds the columns held at once, and paces the job's progress.
PAIRS_PER_STEP = 50_000
# Pushes per INSERT batch where there is no COPY (SQLite).
_INSERT_BATCH = 2000


class PushScore(NamedTuple):
    """One push as scored at commit time, its breakdown and reasons already JSON (as the
    pushes table stores them): compact enough to hold a province's between the read and the
    write."""

    labourer_id: int
    post_id: int
    labourer_region: str
    score: float
    taste_factor: float | None
    breakdown: str
    reasons: str


@dataclass(slots=True)
class Scored:
    """A plan's items scored at push time, ready to write: the pushes of the items whose post
    is still open with openings and whose labourer is still registered, and the pairs of the
    others (skipped, unless pushed meanwhile)."""

    plan_id: int
    pushes: list[PushScore]
    unpushable: set[tuple[int, int]]


def check_commit_month(plan: Plan, today: date) -> None:
    """A draft is committed inside its month only (409 before it, or once it is over)."""
    if plan.status == PlanStatus.draft and plan.month > month_of(today):
        raise Conflict(
            f"Plan {plan.id} is for {plan.month}; it can be committed from {plan.month}-01 "
            f"(pushes are dated the day they are made, today {today}) / 下月计划须到当月再执行"
        )
    if plan.status == PlanStatus.draft and plan.month != month_of(today):
        raise Conflict(
            f"Plan {plan.id} is for {plan.month}; pushes are dated today ({today}). "
            "Make a new plan for this month / 计划已过期，请重新生成"
        )


def score_commit(
    session: Session,
    indexes: ReadModel,
    plan_id: int,
    *,
    principal: Principal,
    now: datetime,
    engine: Engine = INLINE,
    progress: Progress | None = None,
) -> Scored | None:
    """The long, read-only part of a commit: each item's push, scored and explained now (a
    large plan's in tasks on `engine`, PAIRS_PER_STEP pairs each). None when the plan is
    committed already (a 409 if it is not for this month)."""
    progress = progress or Progress()
    progress.stage("load")
    plan = get_plan(session, plan_id, principal)
    check_commit_month(plan, china_date(now))
    if plan.status != PlanStatus.draft:
        return None
    items = session.execute(
        select(PlanItem.labourer_id, PlanItem.post_id, PlanItem.taste_factor)
        .where(PlanItem.plan_id == plan.id)
        .order_by(PlanItem.id)
    ).all()
    labourers = np.array([i[0] for i in items], dtype=np.int64)
    posts = np.array([i[1] for i in items], dtype=np.int64)
    tastes = [i[2] for i in items]
    indexes.use_weights(plan_weights(plan))  # the pushes are scored as the plan was
    # The labourers still registered (seeking or not) and the posts still open with openings.
    wanted = np.unique(labourers)
    held, rows = indexes.labourer_rows(wanted)
    lab = rows.pack()
    lab_row = np.full(len(wanted), -1, dtype=np.int64)
    lab_row[held] = np.arange(len(held))
    posted = indexes.post_table()
    table, post_row = posted.arrays, posted.rows_of(posts)
    post_ok = post_row >= 0
    post_ok[post_ok] = table.openings_left[post_row[post_ok]] > 0
    item_lab = lab_row[np.searchsorted(wanted, labourers)]
    pushable = post_ok & (item_lab >= 0)
    regions = _hukou_regions(session, plan.id)
    progress.stage("score", total=len(items))
    unpushable = {(int(a), int(b)) for a, b in zip(labourers[~pushable], posts[~pushable],
                                                   strict=True)}  # fmt: skip
    progress.advance(len(unpushable))
    steps = [
        _Step(
            item_lab[at],
            post_row[at],
            [regions[i] for i in labourers[at].tolist()],
            [tastes[i] for i in at.tolist()],
            indexes.today,
        )
        for at in _steps(np.flatnonzero(pushable))
    ]
    if sum(len(step.lab_rows) for step in steps) < PARALLEL_FROM:
        engine = INLINE
    with engine.batch() as batch:
        shared = [batch.share(value) for value in (lab, table, indexes.context)]
        done = partial(_advanced, progress, steps)
        parts = batch.map(_score_step, steps, *shared, done=done)
    return Scored(plan.id, [push for part in parts for push in part], unpushable)


class _Step(NamedTuple):
    """A task's pairs (rows of the shared labourers and posts), with what each push records
    beside its score: the labourer's 户籍 region and taste factor."""

    lab_rows: I64
    post_rows: I64
    regions: list[str]
    tastes: list[float | None]
    today: date


def _advanced(progress: Progress, steps: list[_Step], done: int) -> None:
    progress.advance(len(steps[done].lab_rows))


def _score_step(
    lab: LabourerArrays, table: PostArrays, ctx: ScoringContext, step: _Step
) -> list[PushScore]:
    """A step's pushes scored and explained (a task: on a Dask worker for a large plan)."""
    with _cycles_uncollected():
        matches = score_pairs(lab, step.lab_rows, table, step.post_rows, ctx, today=step.today)
        fragments: dict[Reason, str] = {}
        return [
            _push_score(match, region, taste, fragments)
            for match, region, taste in zip(matches, step.regions, step.tastes, strict=True)
        ]


@contextmanager
def _cycles_uncollected() -> Iterator[None]:
    """Python's cycle collector paused: a step makes about a million small objects (matches,
    reasons, their dicts and texts), none of them in a cycle, and the collections they set off
    walked every object alive again and again: with it running, a step of 50,000 pairs took
    2.4-4.6 s on a Dask worker, without it 1.9-2.5 s (a quarter of the province)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _steps(rows: I64) -> Iterator[I64]:
    for start in range(0, len(rows), PAIRS_PER_STEP):
        yield rows[start : start + PAIRS_PER_STEP]


def _hukou_regions(session: Session, plan_id: int) -> dict[int, str]:
    """The 户籍 region of each of the plan's labourers: what a push records."""
    planned = select(PlanItem.labourer_id).where(PlanItem.plan_id == plan_id)
    found = session.execute(
        select(Labourer.id, Labourer.hukou_region).where(Labourer.id.in_(planned))
    )
    return {int(i): str(r) for i, r in found}


def _push_score(
    match: Match, region: str, taste: float | None, fragments: dict[Reason, str]
) -> PushScore:
    """The stored form of a scored push (pushes.models.push_scores, as JSON text). A reason
    repeats across pushes (a county's distance, a wage): each is encoded once."""
    reasons = []
    for reason in match.reasons:
        text = fragments.get(reason)
        if text is None:
            text = fragments[reason] = json.dumps(
                {"code": reason.code, "zh": reason.zh, "en": reason.en}, ensure_ascii=False
            )
        reasons.append(text)
    return PushScore(
        match.labourer_id,
        match.post_id,
        region,
        round(match.total, 4),
        None if taste is None else round(taste, 4),
        # json.dumps's text for these floats (it writes them with repr), built directly.
        "{" + ", ".join(f'"{k}": {round(v, 4)!r}' for k, v in match.breakdown.items()) + "}",
        "[" + ", ".join(reasons) + "]",
    )


def write_commit(
    session: Session,
    scored: Scored,
    *,
    principal: Principal,
    now: datetime,
    attribution_days: int,
    progress: Progress | None = None,
) -> tuple[Plan, bool]:
    """Claim the plan and write its pushes (in the caller's write transaction, after
    `score_commit`'s read: planning.jobs): pairs pushed meanwhile (by staff or another plan)
    keep their push. False, and nothing written, if another commit claimed it first; that
    commit's result is the plan's."""
    progress = progress or Progress()
    progress.stage("write", total=len(scored.pushes))
    plan = get_plan(session, scored.plan_id, principal)
    check_commit_month(plan, china_date(now))
    if not claim(session, plan, principal, now):
        session.expire(plan)
        session.refresh(plan)
        return plan, False
    existing = _pushed_meanwhile(session, plan)
    new = [p for p in scored.pushes if (p.labourer_id, p.post_id) not in existing]
    made = push_made(channel=plan.channel, pushed_by=PushedBy.plan, key_id=principal.key_id,
                     now=now, attribution_days=attribution_days, plan_id=plan.id,
                     note=f"plan {plan.id}", exchange_id=plan.exchange_id)  # fmt: skip
    _write_pushes(session, made, new, progress)
    progress.stage("link", total=1)
    # Every item to its push, new or made meanwhile: one statement (UPDATE … FROM).
    session.execute(
        update(PlanItem)
        .where(
            PlanItem.plan_id == plan.id,
            Push.labourer_id == PlanItem.labourer_id,
            Push.post_id == PlanItem.post_id,
            Push.month == plan.month,
        )
        .values(push_id=Push.id)
        .execution_options(synchronize_session=False)
    )
    progress.advance()
    if new:
        created = list(session.scalars(select(Push.id).where(Push.plan_id == plan.id)))
        notices.notify_pushes(session, created, NoticeType.push_created, now)
    if plan.exchange_id is not None and new:
        _exchange_matched(session, plan.exchange_id, len(new), now)
    result = {
        "created": len(new),
        "already_pushed": len(existing),
        "skipped_closed": len(scored.unpushable - existing),
        "committed_at": now.isoformat(),
    }
    session.execute(
        update(Plan)
        .where(Plan.id == plan.id)
        .values(commit_result=result)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.expire(plan)
    session.refresh(plan)
    return plan, True


def _pushed_meanwhile(session: Session, plan: Plan) -> set[tuple[int, int]]:
    """The plan's pairs pushed this month already (by staff, or by another plan)."""
    found = session.execute(
        select(Push.labourer_id, Push.post_id)
        .join(
            PlanItem,
            (PlanItem.labourer_id == Push.labourer_id) & (PlanItem.post_id == Push.post_id),
        )
        .where(PlanItem.plan_id == plan.id, Push.month == plan.month)
    )
    return {(int(a), int(b)) for a, b in found}


_COLUMNS = ("labourer_id", "post_id", "labourer_region", "score", "taste_factor", "breakdown",
            "reasons")  # fmt: skip


def _write_pushes(
    session: Session, made: dict[str, Any], pushes: list[PushScore], progress: Progress
) -> None:
    """Insert the pushes: COPY on PostgreSQL (one statement for a province's million),
    else INSERTs in batches."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        for start in range(0, len(pushes), _INSERT_BATCH):
            batch = pushes[start : start + _INSERT_BATCH]
            session.execute(insert(Push), [made | _as_row(p) for p in batch])
            progress.advance(len(batch))
        return
    shared = list(made)
    constant = "\t".join(copy_field(made[name]) for name in shared)
    lines = (
        f"{constant}\t{p.labourer_id}\t{p.post_id}\t{copy_field(p.labourer_region)}\t"
        f"{p.score!r}\t{copy_field(p.taste_factor)}\t{copy_field(p.breakdown)}\t"
        f"{copy_field(p.reasons)}\n"
        for p in pushes
    )
    copy_lines(session, f"COPY pushes ({', '.join([*shared, *_COLUMNS])}) FROM STDIN", lines,
               sent=progress.advance)  # fmt: skip


def _as_row(push: PushScore) -> dict[str, Any]:
    row = push._asdict()
    row["breakdown"], row["reasons"] = json.loads(push.breakdown), json.loads(push.reasons)
    return row


def claim(session: Session, plan: Plan, principal: Principal, now: datetime) -> bool:
    """Mark the draft committed, compare-and-set: of two commits at once, one wins; the other
    waits for it, then finds the plan committed."""
    won = session.execute(
        update(Plan)
        .where(Plan.id == plan.id, Plan.status == PlanStatus.draft)
        .values(status=PlanStatus.committed, committed_at=now, committed_by_key_id=principal.key_id)
        .execution_options(synchronize_session=False)
    )
    return getattr(won, "rowcount", 0) == 1


def _exchange_matched(session: Session, exchange_id: int, pushes: int, now: datetime) -> None:
    """A list exchange whose plan made pushes is matched (dated once); its agency hears it."""
    exchange = session.get(Exchange, exchange_id, with_for_update=True)
    if exchange is None or exchange.state not in (ExchangeState.sent, ExchangeState.answered):
        return
    exchange.state, exchange.matched_at = ExchangeState.matched.value, now
    data = {"exchange": {"id": exchange.id, "title": exchange.title, "state": exchange.state},
            "pushes": pushes}  # fmt: skip
    notices.notify(session, exchange.agency_id, NoticeType.exchange_matched,
                   f"exchange:{exchange.id}", data, now)  # fmt: skip
