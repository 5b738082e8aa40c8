"""Building, showing and committing monthly push plans.

A plan takes the region's U (labourers able and willing to work and unemployed at the start of
the month, as in the targets report), asks the matching engine for each one's best posts, turns
scores into success probabilities (calibrated on the region's recorded outcomes), and lets the
optimizer choose the pushes: reach first, then at least the pushes still needed this month,
then the most expected hires, within c pushes per labourer and m × openings left per post.
"""

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import and_, insert, select, update
from sqlalchemy.orm import Session

from matching.auth.principal import Principal
from matching.clock import china_date, month_of
from matching.errors import Conflict, NotFound, Unprocessable
from matching.labourers.models import Labourer
from matching.labourers.service import check_scope
from matching.matches.engine import MatchingEngine
from matching.planning.calibration import Calibration
from matching.planning.candidates import Blocking, best_posts
from matching.planning.models import Plan, PlanItem, PlanStatus
from matching.planning.optimizer import (
    PlanInstance,
    PlanOptions,
    PlanSolution,
    solve,
    solve_blocked,
)
from matching.posts.models import Post, PostStatus
from matching.pushes.models import Channel, Push, PushedBy
from matching.pushes.service import push_row
from matching.reports.figures import unemployed_willing
from matching.reports.service import parse_month
from matching.scoring import explain_pair

# Above this many labourers the plan is solved county by county (DESIGN §7: split by region).
BLOCK_ABOVE = 200_000
CALIBRATION_WINDOW_DAYS = 365


@dataclass(frozen=True, slots=True)
class PlanParams:
    """What the caller may tune."""

    pushes_per_labourer: int
    pushes_per_opening: int
    candidates_per_labourer: int
    coverage: float
    min_probability: float
    channel: Channel


def calibrate(session: Session, region: str, today: date, attribution_days: int) -> Calibration:
    """Fit score → success on the region's pushes whose attribution window has closed."""
    closed = today - timedelta(days=attribution_days)
    rows = session.execute(
        select(
            Push.score,
            and_(Push.hired_on.is_not(None), Push.hired_on <= Push.attribution_until),
        ).where(
            Push.labourer_region.startswith(region),
            Push.pushed_on <= closed,
            Push.pushed_on > closed - timedelta(days=CALIBRATION_WINDOW_DAYS),
            Push.score.is_not(None),
        )
    ).all()
    if not rows:
        return Calibration.prior()
    scores = np.fromiter((r[0] for r in rows), dtype=np.float64, count=len(rows))
    hired = np.fromiter((bool(r[1]) for r in rows), dtype=np.bool_, count=len(rows))
    return Calibration.fit(scores, hired)


def build_plan(
    session: Session,
    engine: MatchingEngine,
    *,
    region: str,
    params: PlanParams,
    principal: Principal,
    now: datetime,
    attribution_days: int,
    workers: int = 1,
    blocking: Blocking | None = Blocking(),
) -> Plan:
    """Choose the month's pushes for a region and store them as a draft plan.

    `blocking` narrows the candidate search of labourers with very many posts in reach
    (planning.candidates); None scores every post in reach.
    """
    started = time.perf_counter()
    check_scope(principal, region, "region")
    today = china_date(now)
    month = month_of(today)
    period = parse_month(month, today)
    u_rows = [(int(i), str(r)) for i, r in session.execute(unemployed_willing(region, period))]
    u_ids = np.array([i for i, _ in u_rows], dtype=np.int64)
    already = session.execute(
        select(Push.labourer_id, Push.post_id).where(
            Push.month == month, Push.labourer_region.startswith(region)
        )
    ).all()
    pushed_pairs = {(int(a), int(b)) for a, b in already}
    pushed_per_labourer: dict[int, int] = defaultdict(int)
    for lab, _ in pushed_pairs:
        pushed_per_labourer[lab] += 1
    required_total = math.ceil(round(params.coverage * len(u_ids), 9))
    required = max(0, required_total - len(pushed_pairs))

    timings: dict[str, float] = {"load_s": time.perf_counter() - started}
    t0 = time.perf_counter()
    posts_snap = engine.post_snapshot(session, today)
    labourers_snap = engine.labourer_snapshot(session, today)
    profiles = labourers_snap.records
    timings["indexes_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    seekers = [
        (index, profile)
        for index, labourer_id in enumerate(u_ids.tolist())
        if (profile := profiles.get(labourer_id)) is not None and profile.able_and_seeking
    ]
    seeking = len(seekers)
    found = best_posts(
        engine.context,
        [p for _, p in seekers],
        posts_snap,
        today=today,
        wanted=[
            params.candidates_per_labourer + pushed_per_labourer.get(p.id, 0) for _, p in seekers
        ],
        workers=workers,
        blocking=blocking,
    )
    seeker_index = np.array([i for i, _ in seekers], dtype=np.int64)
    seeker_ids = u_ids[seeker_index] if seeking else np.zeros(0, np.int64)
    pushed = np.array(sorted(pushed_pairs), dtype=np.int64).reshape(-1, 2)
    fresh = ~np.isin(
        _pair_keys(seeker_ids[found.rows], found.posts), _pair_keys(pushed[:, 0], pushed[:, 1])
    )
    pair_lab = seeker_index[found.rows][fresh]
    pair_post = found.posts[fresh]
    pair_score = found.scores[fresh]
    timings["candidates_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    calibration = calibrate(session, region, today, attribution_days)
    scores = np.array(pair_score, dtype=np.float64)
    probability = np.clip(calibration.predict(scores), 1e-6, 1.0) if len(scores) else scores
    post_ids, post_index = np.unique(np.array(pair_post, dtype=np.int64), return_inverse=True)
    openings = _openings_left(session, post_ids.tolist())
    post_cap = np.array([openings.get(int(p), 0) for p in post_ids], dtype=np.int64)
    labourer_cap = np.array(
        [
            max(0, params.pushes_per_labourer - pushed_per_labourer.get(i, 0))
            for i in u_ids.tolist()
        ],
        dtype=np.int64,
    )
    instance = PlanInstance(
        labourer=np.array(pair_lab, dtype=np.int32),
        post=post_index.astype(np.int32),
        probability=probability,
        labourer_cap=labourer_cap,
        post_cap=post_cap * params.pushes_per_opening,
        required=required,
        options=PlanOptions(min_probability=params.min_probability),
    )
    if len(u_ids) > BLOCK_ABOVE:
        counties = np.array([code[:6] for _, code in u_rows])
        _, blocks = np.unique(counties, return_inverse=True)
        solution = solve_blocked(instance, blocks)
    else:
        solution = solve(instance)
    timings["solve_s"] = solution.seconds
    timings["calibrate_and_solve_s"] = time.perf_counter() - t0

    chosen = solution.pairs
    chosen_lab = u_ids[instance.labourer[chosen]]
    chosen_post = post_ids[instance.post[chosen]]
    summary = _summary(
        u=len(u_ids),
        seeking=seeking,
        already=len(pushed_pairs),
        already_reached=len(pushed_per_labourer),
        required_total=required_total,
        required=required,
        instance=instance,
        solution=solution,
        chosen_lab=chosen_lab,
    )
    plan = Plan(
        region=region,
        month=month,
        status=PlanStatus.draft,
        channel=params.channel,
        params={
            "pushes_per_labourer": params.pushes_per_labourer,
            "pushes_per_opening": params.pushes_per_opening,
            "candidates_per_labourer": params.candidates_per_labourer,
            "coverage": params.coverage,
            "min_probability": params.min_probability,
        },
        summary=summary,
        calibration=calibration.to_dict(),
        created_at=now,
        created_by_key_id=principal.key_id,
    )
    session.add(plan)
    session.flush()
    t0 = time.perf_counter()
    items = zip(chosen_lab.tolist(), chosen_post.tolist(), scores[chosen].tolist(),
                probability[chosen].tolist(), strict=True)  # fmt: skip
    _store_items(session, plan.id, items)
    timings["store_s"] = time.perf_counter() - t0
    timings["total_s"] = time.perf_counter() - started
    plan.summary = {**summary, "timings": {k: round(v, 3) for k, v in timings.items()}}
    session.flush()
    return plan


def _pair_keys(
    labourers: npt.NDArray[np.int64], posts: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """One int64 per (labourer, post) pair, for set operations on arrays (ids fit 31 bits)."""
    keys: npt.NDArray[np.int64] = (labourers.astype(np.int64) << 32) | posts.astype(np.int64)
    return keys


# Ids per IN list: PostgreSQL's protocol takes at most 65,535 parameters per statement, and a
# province plan names ~70,000 posts.
_IDS_PER_QUERY = 10_000


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _IDS_PER_QUERY):
        yield ids[start : start + _IDS_PER_QUERY]


def _openings_left(session: Session, post_ids: list[int]) -> dict[int, int]:
    """Openings left of these posts, from the database (the index may lag a hire)."""
    out: dict[int, int] = {}
    for chunk in _chunks(post_ids):
        rows = session.execute(select(Post.id, Post.openings_left).where(Post.id.in_(chunk)))
        out.update((int(i), int(n)) for i, n in rows)
    return out


def _store_items(
    session: Session, plan_id: int, items: Iterable[tuple[int, int, float, float]]
) -> None:
    """Write the plan's items (labourer, post, score, probability): COPY on PostgreSQL (a
    province plan has millions), else inserts in batches."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        batch: list[dict[str, Any]] = []
        for lab, post, score, probability in items:
            row = {"plan_id": plan_id, "labourer_id": lab, "post_id": post}
            batch.append(row | {"score": round(score, 4), "probability": round(probability, 6)})
            if len(batch) == 5000:
                session.execute(insert(PlanItem), batch)
                batch = []
        if batch:
            session.execute(insert(PlanItem), batch)
        return
    raw = connection.connection.driver_connection
    assert raw is not None
    copy_sql = "COPY plan_items (plan_id, labourer_id, post_id, score, probability) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
        lines: list[str] = []
        for lab, post, score, probability in items:
            # Rounded as the SQLite path rounds them: both are the exact decimal's nearest double.
            lines.append(f"{plan_id}\t{lab}\t{post}\t{score:.4f}\t{probability:.6f}\n")
            if len(lines) == 100_000:
                copy.write("".join(lines))
                lines = []
        if lines:
            copy.write("".join(lines))


def _summary(
    *,
    u: int,
    seeking: int,
    already: int,
    already_reached: int,
    required_total: int,
    required: int,
    instance: PlanInstance,
    solution: PlanSolution,
    chosen_lab: np.ndarray,
) -> dict[str, Any]:
    with_candidates = int(np.count_nonzero(np.bincount(instance.labourer, minlength=max(u, 1))))
    planned = int(solution.total_pushes)
    pushes_after = already + planned
    summary: dict[str, Any] = {
        "unemployed_willing": u,
        "seeking_in_index": seeking,
        "labourers_with_candidates": with_candidates,
        "candidate_pairs": instance.n_pairs,
        "already_pushed_this_month": already,
        "required_pushes": required_total,
        "still_required": required,
        "planned_pushes": planned,
        "planned_reach": len(np.unique(chosen_lab)),
        "expected_push_ratio": round(pushes_after / u, 4) if u else None,
        "expected_reach_ratio": None,
        "expected_hires": round(solution.objective, 2),
        "meets_push_target": pushes_after >= required_total,
        "shortfall": None,
    }
    if u:
        summary["expected_reach_ratio"] = round(
            min(u, already_reached + summary["planned_reach"]) / u, 4
        )
    if not summary["meets_push_target"]:
        short = solution.shortfall
        no_reach = u - with_candidates
        en = (
            f"The plan reaches {pushes_after:,} pushes of the {required_total:,} required "
            f"(50% of U = {u:,}). Only {with_candidates:,} of the {u:,} labourers have any open "
            f"post inside their relocation willingness ({no_reach:,} have none"
            + (f"; {u - seeking:,} are no longer seeking" if seeking < u else "")
            + ")."
        )
        zh = (
            f"计划推送后本月共 {pushes_after:,} 次，目标 {required_total:,} 次（U={u:,} 的 50%）。"
            f"{u:,} 人中仅 {with_candidates:,} 人在外出意愿范围内有开放岗位（{no_reach:,} 人没有"
            + (f"；{u - seeking:,} 人已不再求职" if seeking < u else "")
            + "）。"
        )
        summary["shortfall"] = {
            "message": en + (" " + short.message if short else ""),
            "message_zh": zh + (short.message_zh if short else ""),
            "labourers_without_candidates": no_reach,
            "limiting_factor": short.limiting_factor if short else "candidates",
            "max_pushes_achievable": short.max_pushes_achievable if short else planned,
        }
    return summary


def get_plan(session: Session, plan_id: int, principal: Principal) -> Plan:
    """One plan inside the caller's regions."""
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"No plan with id {plan_id}")
    check_scope(principal, plan.region, "plan")
    return plan


def plan_items(
    session: Session, plan: Plan, *, after_labourer: int, limit: int
) -> tuple[dict[int, list[PlanItem]], int | None]:
    """The plan's items for a page of labourers (by id), and the last labourer id if more."""
    labourer_ids = list(
        session.scalars(
            select(PlanItem.labourer_id)
            .where(PlanItem.plan_id == plan.id, PlanItem.labourer_id > after_labourer)
            .group_by(PlanItem.labourer_id)
            .order_by(PlanItem.labourer_id)
            .limit(limit + 1)
        )
    )
    more = len(labourer_ids) > limit
    labourer_ids = labourer_ids[:limit]
    grouped: dict[int, list[PlanItem]] = {i: [] for i in labourer_ids}
    if labourer_ids:
        for item in session.scalars(
            select(PlanItem)
            .where(PlanItem.plan_id == plan.id, PlanItem.labourer_id.in_(labourer_ids))
            .order_by(PlanItem.labourer_id, PlanItem.score.desc())
        ):
            grouped[item.labourer_id].append(item)
    return grouped, (labourer_ids[-1] if more else None)


def commit_plan(
    session: Session,
    engine: MatchingEngine,
    plan_id: int,
    *,
    principal: Principal,
    now: datetime,
    attribution_days: int,
) -> tuple[Plan, bool]:
    """Write the plan's pushes once; a second commit writes nothing and answers the first's result.

    Pairs pushed meanwhile (by staff or another plan) keep their push; posts no longer open are
    skipped. The score and reasons stored with each push are computed now, at push time.
    """
    plan = get_plan(session, plan_id, principal)
    today = china_date(now)
    if plan.status == PlanStatus.draft and plan.month != month_of(today):
        raise Conflict(
            f"Plan {plan.id} is for {plan.month}; pushes are dated today ({today}). "
            "Make a new plan for this month / 计划已过期，请重新生成"
        )
    # Compare-and-set: of two commits at once, one writes; the other waits, then finds it done.
    won = session.execute(
        update(Plan)
        .where(Plan.id == plan.id, Plan.status == PlanStatus.draft)
        .values(status=PlanStatus.committed, committed_at=now, committed_by_key_id=principal.key_id)
        .execution_options(synchronize_session=False)
    )
    if getattr(won, "rowcount", 0) != 1:
        session.expire(plan)
        session.refresh(plan)
        return plan, False
    items = list(session.scalars(select(PlanItem).where(PlanItem.plan_id == plan.id)))
    existing = _pushes_by_pair(
        session,
        Push.month == plan.month,
        Push.labourer_region.startswith(plan.region),
    )
    rows, linked, skipped = [], 0, 0
    fresh = _Fresh.load(session, engine, items, today)
    for item in items:
        pair = (item.labourer_id, item.post_id)
        if pair in existing:
            item.push_id = existing[pair]
            linked += 1
            continue
        scored = fresh.score(item, engine, today)
        if scored is None:
            skipped += 1
            continue
        rows.append(
            push_row(
                item.labourer_id,
                item.post_id,
                fresh.regions[item.labourer_id],
                scored,
                channel=plan.channel,
                pushed_by=PushedBy.plan,
                key_id=principal.key_id,
                now=now,
                attribution_days=attribution_days,
                plan_id=plan.id,
                note=f"plan {plan.id}",
            )
        )
    for start in range(0, len(rows), 2000):
        session.execute(insert(Push), rows[start : start + 2000])
    if rows:
        new = _pushes_by_pair(session, Push.plan_id == plan.id)
        for item in items:
            if item.push_id is None:
                item.push_id = new.get((item.labourer_id, item.post_id))
    result = {
        "created": len(rows),
        "already_pushed": linked,
        "skipped_closed": skipped,
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


def _pushes_by_pair(session: Session, *where: Any) -> dict[tuple[int, int], int]:
    rows = session.execute(select(Push.labourer_id, Push.post_id, Push.id).where(*where))
    return {(int(a), int(b)): int(c) for a, b, c in rows}


@dataclass(slots=True)
class _Fresh:
    """The current state of a plan's labourers and posts, for scoring its pushes at push time."""

    posts: dict[int, Post]
    profiles: Any
    records: Any
    regions: dict[int, str]

    @classmethod
    def load(
        cls, session: Session, engine: MatchingEngine, items: list[PlanItem], today: date
    ) -> "_Fresh":
        post_ids = sorted({i.post_id for i in items})
        labourer_ids = sorted({i.labourer_id for i in items})
        posts: dict[int, Post] = {}
        for chunk in _chunks(post_ids):
            posts.update((p.id, p) for p in session.scalars(select(Post).where(Post.id.in_(chunk))))
        regions: dict[int, str] = {}
        for chunk in _chunks(labourer_ids):
            found = session.execute(
                select(Labourer.id, Labourer.hukou_region).where(Labourer.id.in_(chunk))
            )
            regions.update((int(i), str(r)) for i, r in found)
        return cls(
            posts=posts,
            profiles=engine.labourer_snapshot(session, today).records,
            records=engine.post_snapshot(session, today).records,
            regions=regions,
        )

    def score(self, item: PlanItem, engine: MatchingEngine, today: date) -> Any:
        """The pair's explanation now, or None when the post closed or the labourer left."""
        post = self.posts.get(item.post_id)
        profile = self.profiles.get(item.labourer_id)
        record = self.records.get(item.post_id)
        if post is None or post.status != PostStatus.open or post.openings_left == 0:
            return None
        if profile is None or record is None:
            return None
        return explain_pair(profile, record, engine.context, today=today)


def validate_params(params: PlanParams) -> None:
    """422 for parameters the optimiser cannot honour."""
    if params.candidates_per_labourer < params.pushes_per_labourer:
        raise Unprocessable.for_field(
            "candidates_per_labourer",
            "must be at least pushes_per_labourer / 候选数不能少于每人推送数",
        )
