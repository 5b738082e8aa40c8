"""Building, showing and committing monthly push plans (docs/planning.md).

A plan is for one month — this one, or the next in this month's last days. It covers the
region's U (able, willing and unemployed on the month's 1st, as the targets report counts
them) and the month's new seekers (registered or become unemployed since, seeking today), asks
the matching matcher for each one's best posts, leaves out pairs pushed this month and pairs
refused lately (lowering posts like the refused ones), turns scores into success probabilities
calibrated on early signals and outcomes, and lets the optimiser choose: reach first, then the
pushes coverage requires, then expected hires, within c pushes per labourer and m x openings
left per post. Beyond coverage a push is kept only while the plan's expected success rate —
hires under competition / pushes — stays at or above the target, and `max_pushes` caps it all.
"""

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Integer, and_, case, cast, func, insert, or_, select
from sqlalchemy.orm import Session

from matching.auth.principal import Principal
from matching.clock import china_date, month_of, months_back
from matching.compute import INLINE, Batch, Engine
from matching.database import copy_lines
from matching.errors import NotFound, Unprocessable
from matching.jobs.progress import Progress
from matching.matches.read_model import PostTable, ReadModel
from matching.planning.calibration import (
    DEFAULT_BINS,
    PRIOR,
    PRIOR_HIRE_GIVEN_APPLY,
    Calibration,
    LevelCounts,
    fit_two_stage,
)
from matching.planning.candidates import PARALLEL_FROM, Blocking, Candidates, best_posts
from matching.planning.models import Plan, PlanItem, PlanStatus
from matching.planning.month import PlanMonth, plan_month
from matching.planning.optimizer import (
    PlanInstance,
    PlanOptions,
    PlanSolution,
    solve,
    solve_blocked,
)
from matching.planning.rate import DEFAULT_SUCCESS_MARGIN, RateCut, cut_to_rate
from matching.planning.summary import plan_summary
from matching.posts.models import Post
from matching.pushes.models import Channel, Push, PushState
from matching.rules import feedback, learned_weights
from matching.rules import targets as region_targets
from matching.rules.period import parse_month
from matching.rules.population import seeking_on, unemployed_willing
from matching.scope import check_scope, scope_clause
from matching.scoring import ScoringWeights
from matching.scoring.learned import LEARNED, apply_probability
from matching.settings import Settings

# Above this many labourers the plan is solved county by county (docs/planning.md: by region).
BLOCK_ABOVE = 200_000
CALIBRATION_WINDOW_DAYS = 365


@dataclass(frozen=True, slots=True)
class PlanParams:
    """What the caller may tune; None takes the region's target (coverage, success rate)."""

    pushes_per_labourer: int
    pushes_per_opening: int
    candidates_per_labourer: int
    coverage: float | None
    min_probability: float
    channel: Channel
    month: str | None = None
    success_margin: float = DEFAULT_SUCCESS_MARGIN
    max_pushes: int | None = None


@dataclass(frozen=True, slots=True)
class PlanRules:
    """Service settings a plan follows."""

    attribution_days: int = 60
    signal_days: int = 14
    cooldown_months: int = 3
    memory_months: int = 12
    ahead_days: int = 7
    learning: bool = True  # off: the prior, no cooldown, no taste (a baseline)
    weights: ScoringWeights = field(default_factory=ScoringWeights)  # the settings'
    learned_weights: bool = True  # with learning: the province's learned weights, where better


def rules_from(settings: Settings) -> PlanRules:
    """The plan rules in the service's settings."""
    return PlanRules(
        attribution_days=settings.attribution_days,
        signal_days=settings.signal_days,
        cooldown_months=settings.decline_cooldown_months,
        memory_months=settings.taste_memory_months,
        ahead_days=settings.plan_ahead_days,
        learning=settings.planner_learning,
        weights=settings.weights,
        learned_weights=settings.learned_weights,
    )


# --- calibration ------------------------------------------------------------------------------

_APPLIED = learned_weights.APPLIED
_ENDED_AFTER_APPLYING = (PushState.hired, PushState.rejected)


def _region_chain(region: str) -> list[str]:
    """The region and its ancestors by code length, widest first (43, 4309, 430981, …)."""
    return [region[:n] for n in (2, 4, 6, 9, 12) if n <= len(region)]


def calibrate(session: Session, region: str, today: date, rules: PlanRules) -> Calibration:
    """The two-stage fit (calibration.fit_two_stage) on the last year's pushes of the region's
    province, each pushed labourer's region deciding which levels its push counts at."""
    chain = _region_chain(region)
    signal_closed = today - timedelta(days=rules.signal_days)
    hire_closed = today - timedelta(days=rules.attribution_days)
    depth = _depth(chain)
    dialect = session.get_bind().dialect.name
    scaled = Push.score * DEFAULT_BINS
    bin_ = func.floor(scaled) if dialect == "postgresql" else cast(scaled, Integer)
    applied = Push.state.in_(_APPLIED)
    hired = feedback.HIRED_IN_WINDOW
    resolved = or_(Push.state.in_(_ENDED_AFTER_APPLYING), Push.pushed_on <= hire_closed)
    rows = session.execute(
        select(
            depth.label("depth"),
            bin_.label("bin"),
            (Push.pushed_on <= signal_closed).label("signal"),
            applied.label("applied"),
            and_(applied, resolved).label("resolved"),  # hired is an end state too
            hired.label("hired"),
            func.count(),
            func.sum(Push.score),
            func.sum(func.coalesce(Push.taste_factor, 1.0)),
        )
        .where(
            Push.labourer_region.startswith(chain[0]),
            Push.pushed_on <= today,
            Push.pushed_on > today - timedelta(days=CALIBRATION_WINDOW_DAYS),
            Push.score.is_not(None),
        )
        .group_by("depth", "bin", "signal", "applied", "resolved", "hired")
    ).all()
    levels = [_LevelTally(code) for code in chain]
    for depth_, b, signal, was_applied, was_resolved, was_hired, n, score_sum, taste in rows:
        for level in levels[: int(depth_) + 1]:  # a push counts at every wider level too
            level.add(
                min(max(int(b), 0), DEFAULT_BINS - 1),
                bool(signal), bool(was_applied), bool(was_resolved), bool(was_hired),
                int(n), float(score_sum or 0.0), float(taste or 0.0),
            )  # fmt: skip
    return fit_two_stage([level.counts() for level in levels])


def _depth(chain: list[str]) -> Any:
    """How deep into `chain` a push's labourer region goes (0: only the widest)."""
    whens = [
        (Push.labourer_region.startswith(code), depth)
        for depth, code in reversed(list(enumerate(chain)))
    ]
    return case(*whens, else_=0)


class _LevelTally:
    def __init__(self, region: str) -> None:
        self.region = region
        self.counts_ = LevelCounts.empty(region)
        self.resolved = 0.0
        self.hired = 0.0

    def add(
        self,
        b: int,
        signal: bool,
        applied: bool,
        resolved: bool,
        hired: bool,
        n: int,
        score: float,
        taste: float,
    ) -> None:
        if signal:
            self.counts_.signal_pushes[b] += n
            self.counts_.score_sum[b] += score
            assert self.counts_.exposure is not None
            self.counts_.exposure[b] += taste
            if applied:
                self.counts_.applied[b] += n
        if resolved:
            self.resolved += n
            if hired:
                self.hired += n

    def counts(self) -> LevelCounts:
        c = self.counts_
        return LevelCounts(
            self.region, c.signal_pushes, c.applied, c.score_sum, self.resolved, self.hired,
            c.exposure,
        )  # fmt: skip


def competition_seen(session: Session, region: str, month: PlanMonth) -> float:
    """The competition the region's outcomes already include: of the hires its committed plans
    of the last twelve months expected without competition, the share they expected with it
    (docs/planning.md, "Expected hires under competition"). 1 with no such plan.

    A rate fitted to outcomes is the rate *after* labourers took other jobs and posts filled up
    at the density those months had; the plan's competition model would take that off a second
    time, so the fitted probability is divided by this share before the model applies.
    """
    since = month_of(months_back(month.start, 12))
    summaries = session.scalars(
        select(Plan.summary).where(
            Plan.region == region,
            Plan.status == PlanStatus.committed,
            Plan.month >= since,
            Plan.month < month.month,
        )
    )
    with_competition = without = 0.0
    for summary in summaries:
        with_competition += float(summary.get("expected_hires") or 0.0)
        without += float(summary.get("expected_hires_without_competition") or 0.0)
    if without <= 0 or with_competition <= 0:
        return 1.0
    return min(1.0, with_competition / without)


# --- the plan, step by step -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Restriction:
    """A plan limited to some labourers and some posts: a 三来三往 list's seekers and the posts
    its partner answered with (docs/partners.md). Its pushes carry the exchange's id."""

    exchange_id: int
    labourer_ids: frozenset[int]
    post_ids: frozenset[int]

    def people(self, everyone: "Population") -> "Population":
        """Of the region's population, the restricted labourers (U stays first)."""
        keep = np.isin(everyone.ids, np.fromiter(self.labourer_ids, np.int64))
        return Population(
            everyone.ids[keep],
            [r for r, k in zip(everyone.regions, keep.tolist(), strict=True) if k],
            int(np.count_nonzero(keep[: everyone.u])),
        )

    def posts(self, table: PostTable) -> PostTable:
        """The table with only the restricted posts usable."""
        allowed = np.isin(table.arrays.ids, np.fromiter(self.post_ids, np.int64))
        return replace(table, usable=table.usable & allowed)


@dataclass(frozen=True, slots=True)
class Population:
    """Whom the plan is for: U (the coverage base) first, then the month's new seekers."""

    ids: npt.NDArray[np.int64]
    regions: list[str]
    u: int  # the first u of ids are U

    @property
    def newcomers(self) -> int:
        return len(self.ids) - self.u


def population(session: Session, region: str, month: PlanMonth) -> Population:
    """U as the targets report counts it, plus those seeking today who are not in U; for next
    month's plan, everyone seeking today (who will be U on the 1st unless they find work)."""
    today = month.made_on
    if month.ahead:
        rows = [(int(i), str(r)) for i, r in session.execute(seeking_on(region, today))]
        return Population(np.array([i for i, _ in rows], np.int64), [r for _, r in rows], len(rows))
    period = parse_month(month.month, today)
    u_rows = [(int(i), str(r)) for i, r in session.execute(unemployed_willing(region, period))]
    in_u = {i for i, _ in u_rows}
    new_rows = [
        (int(i), str(r))
        for i, r in session.execute(seeking_on(region, today))
        if int(i) not in in_u
    ]
    rows = u_rows + new_rows
    return Population(np.array([i for i, _ in rows], np.int64), [r for _, r in rows], len(u_rows))


@dataclass(frozen=True, slots=True)
class Pushed:
    """Pairs already pushed in the plan's month."""

    pairs: set[tuple[int, int]]
    per_labourer: dict[int, int]


def pushed_this_month(session: Session, region: str, month: str) -> Pushed:
    """The month's pushes to the region's labourers, as pairs."""
    rows = session.execute(
        select(Push.labourer_id, Push.post_id).where(
            Push.month == month, Push.labourer_region.startswith(region)
        )
    ).all()
    pairs = {(int(a), int(b)) for a, b in rows}
    per_labourer: dict[int, int] = defaultdict(int)
    for lab, _ in pairs:
        per_labourer[lab] += 1
    return Pushed(pairs, dict(per_labourer))


@dataclass(frozen=True, slots=True)
class Goals:
    """The two targets the plan answers to."""

    coverage: float
    success_rate: float  # the region's target (policy: 15%)
    margin: float

    @property
    def rate_floor(self) -> float:
        """The expected success rate the plan keeps (target + margin)."""
        return self.success_rate + self.margin


def goals(session: Session, region: str, month: PlanMonth, params: PlanParams) -> Goals:
    """Coverage and success rate: the request's, else the region's targets for the year."""
    rows = region_targets.rows_for(session, set(region_targets.ancestors(region)), month.start.year)
    resolved = region_targets.resolve(region, rows)

    def target(name: str) -> float:
        value = resolved[name].value  # a region may set a target to 0: only None falls back
        return float(region_targets.DEFAULTS[name] if value is None else value)

    coverage = target("push_ratio") if params.coverage is None else params.coverage
    return Goals(coverage, target("success_rate"), params.success_margin)


@dataclass(frozen=True, slots=True)
class Pairs:
    """Candidate pairs: population row, post id, matching score, and the taste factor the
    labourer's past pushes give the pair's success probability (scoring.feedback)."""

    row: npt.NDArray[np.int64]
    post: npt.NDArray[np.int64]
    score: npt.NDArray[np.float64]
    taste: npt.NDArray[np.float64]
    seeking: int  # population members in the labourer index and seeking
    refused_left_out: int
    candidates_per_labourer: int

    @property
    def lowered(self) -> int:
        return int(np.count_nonzero(self.taste < 1.0))

    @property
    def raised(self) -> int:
        return int(np.count_nonzero(self.taste > 1.0))


def candidate_pairs(
    session: Session,
    indexes: ReadModel,
    region: str,
    people: Population,
    month: PlanMonth,
    pushed: Pushed,
    refusals: feedback.Refusals,
    per_labourer: int,
    *,
    batch: Batch,
    blocking: Blocking | None,
    restriction: Restriction | None = None,
    progress: Progress | None = None,
) -> Pairs:
    """Each seeker's `per_labourer` best posts, less pairs pushed this month or refused lately,
    each with the taste factor of the labourer's refusals and applications."""
    progress = progress or Progress()
    progress.stage("candidates", total=len(people.ids))
    # The seekers straight from the index's columns: no profile object per labourer (a
    # province has two million).
    present, labourers = indexes.labourer_rows(people.ids)
    seeking = np.asarray(labourers.columns["seeking"], dtype=np.bool_)
    seeker_row = present[seeking]  # each seeker's row in the population
    seekers = labourers.take(np.flatnonzero(seeking).astype(np.int64))
    progress.advance(len(people.ids) - len(seekers))  # no search for those not seeking
    refused_per_labourer: dict[int, int] = defaultdict(int)
    for lab, _ in refusals.pairs:
        refused_per_labourer[lab] += 1
    table = indexes.post_table(month.judged_on)
    searched = table if restriction is None else restriction.posts(table)
    wanted = np.array(
        [
            per_labourer + pushed.per_labourer.get(i, 0) + refused_per_labourer.get(i, 0)
            for i in seekers.ids.tolist()
        ],
        dtype=np.int64,
    )
    # A public-welfare post is proposed to 三无 labourers only (docs/planning.md, "Both
    # targets"): the others search the table without those posts, so each still gets its
    # `per_labourer` best others. Matches still show them such a post, lower (WELFARE_FOR_OTHERS).
    sanwu = np.asarray(seekers.columns["sanwu"], dtype=np.bool_)
    without_welfare = replace(searched, usable=searched.usable & ~searched.arrays.public_welfare)
    parts = []
    for who, posts in (
        (np.flatnonzero(sanwu), searched),
        (np.flatnonzero(~sanwu), without_welfare),
    ):
        part = best_posts(
            indexes.context,
            seekers.take(who.astype(np.int64)).pack(),
            posts,
            today=month.judged_on,
            wanted=wanted[who].tolist(),
            batch=batch,
            table=searched,
            blocking=blocking,
            done=progress.advance,
        )
        parts.append((who, part))
    found = Candidates.merged(parts)
    labourer_ids = people.ids[seeker_row[found.rows]] if len(seekers) else np.zeros(0, np.int64)
    keys = _pair_keys(labourer_ids, found.posts)
    taken = _keys_of(pushed.pairs)
    refused = _keys_of(set(refusals.pairs))
    fresh = ~np.isin(keys, taken)
    not_refused = ~np.isin(keys, refused)
    keep = fresh & not_refused
    score = np.array(found.scores, dtype=np.float64)[keep]
    lab_kept, post_kept = labourer_ids[keep], found.posts[keep]
    taste = np.ones(len(score), np.float64)
    history = refusals.labourers_with_history
    if history:
        with_history = np.isin(lab_kept, np.fromiter(history, np.int64, count=len(history)))
        occupations = _occupations(session, np.unique(post_kept[with_history]).tolist())
        for k in np.flatnonzero(with_history).tolist():
            taste[k] = refusals.factor(int(lab_kept[k]), occupations.get(int(post_kept[k])))
    return Pairs(
        row=seeker_row[found.rows][keep],
        post=post_kept,
        score=score,
        taste=taste,
        seeking=len(seekers),
        refused_left_out=int(np.count_nonzero(fresh & ~not_refused)),
        candidates_per_labourer=per_labourer,
    )


def _keys_of(pairs: set[tuple[int, int]]) -> npt.NDArray[np.int64]:
    array = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    return _pair_keys(array[:, 0], array[:, 1])


def _occupations(session: Session, post_ids: list[int]) -> dict[int, str | None]:
    out: dict[int, str | None] = {}
    for chunk in _chunks(post_ids):
        rows = session.execute(select(Post.id, Post.occupation_id).where(Post.id.in_(chunk)))
        out.update((int(i), o) for i, o in rows)
    return out


@dataclass(frozen=True, slots=True)
class Choice:
    """What the optimiser proposed and what the rate step kept."""

    instance: PlanInstance
    solution: PlanSolution
    cut: RateCut
    post_ids: npt.NDArray[np.int64]
    probability: npt.NDArray[np.float64]
    openings: npt.NDArray[np.int64]
    required_total: int
    required: int

    @property
    def chosen(self) -> npt.NDArray[np.int64]:
        """Indices of the kept pairs into the instance's arrays."""
        return self.solution.pairs[self.cut.keep]


def choose(
    session: Session,
    people: Population,
    pairs: Pairs,
    pushed: Pushed,
    calibration: Calibration,
    target: Goals,
    params: PlanParams,
    competition: float = 1.0,
    batch: Batch | None = None,
) -> Choice:
    """The optimiser's plan (reach, coverage, expected hires within the caps and the budget),
    then the pushes beyond coverage that keep the expected success rate (planning.rate)."""
    # Calibrated on pushes' matching scores, less the competition the outcomes already include;
    # the labourer's taste then scales the odds.
    probability = (
        np.clip(calibration.predict(pairs.score) / competition * pairs.taste, 1e-6, 1.0)
        if len(pairs.score)
        else pairs.score
    )
    post_ids, post_index = np.unique(pairs.post, return_inverse=True)
    openings_by_id = _openings_left(session, post_ids.tolist())
    openings = np.array([openings_by_id.get(int(p), 0) for p in post_ids], dtype=np.int64)
    labourer_cap = np.array(
        [
            max(0, params.pushes_per_labourer - pushed.per_labourer.get(i, 0))
            for i in people.ids.tolist()
        ],
        dtype=np.int64,
    )
    required_total = math.ceil(round(target.coverage * people.u, 9))
    required = max(0, required_total - len(pushed.pairs))
    instance = PlanInstance(
        labourer=pairs.row.astype(np.int32),
        post=post_index.astype(np.int32),
        probability=probability,
        labourer_cap=labourer_cap,
        post_cap=openings * params.pushes_per_opening,
        required=required,
        options=PlanOptions(min_probability=params.min_probability, max_pushes=params.max_pushes),
    )
    if len(people.ids) > BLOCK_ABOVE:
        counties = np.array([code[:6] for code in people.regions])
        _, blocks = np.unique(counties, return_inverse=True)
        solution = solve_blocked(instance, blocks, batch=batch)
    else:
        solution = solve(instance)
    picked = solution.pairs
    cut = cut_to_rate(
        instance.labourer[picked].astype(np.int64),
        instance.post[picked].astype(np.int64),
        instance.probability[picked],
        openings,
        required=required,
        target_rate=target.rate_floor,
    )
    return Choice(
        instance, solution, cut, post_ids, probability, openings, required_total, required
    )


MAX_CANDIDATES = 50


def _wider_would_help(choice: Choice, per_labourer: int) -> bool:
    """Coverage missed because posts' caps bind, and the candidate lists can still grow."""
    short = choice.solution.shortfall
    return (
        per_labourer < MAX_CANDIDATES
        and short is not None
        and short.limiting_factor in ("post_caps", "caps_jointly")
    )


def answers(session: Session, region: str, month: PlanMonth, rules: PlanRules) -> feedback.Refusals:
    """The region's refused pairs in the cooldown and its labourers' answers in the memory,
    with whether they answer fitted to them; nothing when the plan does not learn."""
    if not (rules.learning and rules.cooldown_months > 0):
        return feedback.Refusals(since=month.start)
    window = feedback.Window(rules.cooldown_months, rules.memory_months)
    refusals = feedback.for_region(session, region, month.start, window)
    refusals.fit_responsiveness()
    return refusals


@dataclass(frozen=True, slots=True)
class PlanInputs:
    """What a plan chooses from and by: the month's people, pushes so far, goals and the
    request, the labourers' answers, and how scores become probabilities."""

    region: str
    month: PlanMonth
    people: Population
    pushed: Pushed
    target: Goals
    params: PlanParams
    refusals: feedback.Refusals
    calibration: Calibration
    competition: float
    restriction: Restriction | None = None


@dataclass(frozen=True, slots=True)
class Search:
    """The candidate pairs a plan chose from and its choice."""

    pairs: Pairs
    choice: Choice


def search(
    session: Session,
    indexes: ReadModel,
    given: PlanInputs,
    timings: dict[str, float],
    *,
    engine: Engine,
    blocking: Blocking | None,
    progress: Progress | None = None,
) -> Search:
    """Candidates, then the choice; the candidate lists widen (up to 50 a labourer) while posts'
    caps keep coverage short and wider lists could help. Both run as tasks of one batch of the
    engine (matching.compute), which shares the post table once for them all."""
    with engine.batch() as batch:
        return _search(session, indexes, given, timings, batch, blocking, progress or Progress())


def _search(
    session: Session,
    indexes: ReadModel,
    given: PlanInputs,
    timings: dict[str, float],
    batch: Batch,
    blocking: Blocking | None,
    progress: Progress,
) -> Search:
    region, month, people, pushed = given.region, given.month, given.people, given.pushed
    target, params, refusals = given.target, given.params, given.refusals
    calibration, competition = given.calibration, given.competition
    per_labourer = params.candidates_per_labourer
    timings["candidates_s"] = timings["calibrate_and_solve_s"] = timings["solve_s"] = 0.0
    # The labourer index and the post table, brought up to date (built, in a fresh process)
    # before the search: timed apart from it, since only the search spreads over workers.
    progress.stage("indexes")
    t0 = time.perf_counter()
    indexes.labourer_rows(people.ids[:0])
    indexes.post_table(month.judged_on)
    timings["indexes_s"] = time.perf_counter() - t0
    while True:
        t0 = time.perf_counter()
        pairs = candidate_pairs(session, indexes, region, people, month, pushed, refusals,
                                per_labourer, batch=batch, blocking=blocking,
                                restriction=given.restriction, progress=progress)  # fmt: skip
        timings["candidates_s"] += time.perf_counter() - t0
        progress.stage("solve")
        t0 = time.perf_counter()
        choice = choose(session, people, pairs, pushed, calibration, target, params, competition,
                        batch)  # fmt: skip
        timings["solve_s"] += choice.solution.seconds
        timings["calibrate_and_solve_s"] += time.perf_counter() - t0
        if not _wider_would_help(choice, per_labourer):
            return Search(pairs, choice)
        # Posts' caps bind on the best few posts everyone shares: look further down the lists.
        per_labourer = min(MAX_CANDIDATES, per_labourer * 2)


def plan_row(
    region: str,
    month: PlanMonth,
    params: PlanParams,
    target: Goals,
    rules: PlanRules,
    found: Search,
    summary: dict[str, Any],
    calibration: dict[str, Any],
) -> Plan:
    """The draft plan's record: what it was asked, what it found, how it weighed pushes."""
    return Plan(
        region=region,
        month=month.month,
        status=PlanStatus.draft,
        channel=params.channel,
        params={
            "month": month.month,
            "pushes_per_labourer": params.pushes_per_labourer,
            "pushes_per_opening": params.pushes_per_opening,
            "candidates_per_labourer": found.pairs.candidates_per_labourer,
            "coverage": target.coverage,
            "min_probability": params.min_probability,
            "success_target": target.success_rate,
            "success_margin": target.margin,
            "max_pushes": params.max_pushes,
            "decline_cooldown_months": rules.cooldown_months,
        },
        summary=summary,
        calibration=calibration,
    )


@dataclass(slots=True)
class Draft:
    """A plan chosen but not stored: its record and its items (labourer, post, score,
    probability, taste factor), each a list."""

    plan: Plan
    items: tuple[list[int], list[int], list[float], list[float], list[float]]
    timings: dict[str, float]
    started: float


def draft_plan(
    session: Session,
    indexes: ReadModel,
    *,
    region: str,
    params: PlanParams,
    principal: Principal,
    now: datetime,
    rules: PlanRules = PlanRules(),
    engine: Engine = INLINE,
    blocking: Blocking | None = Blocking(),
    restriction: Restriction | None = None,
    progress: Progress | None = None,
) -> Draft:
    """Choose a month's pushes for a region, reading only (a job does this long part outside
    any write transaction); `store_plan` writes it.

    `blocking` narrows the candidate search of labourers with very many posts in reach
    (planning.candidates); None scores every post in reach. A `restriction` limits the plan to
    some labourers and posts (a list exchange: its few posts are searched exactly).
    """
    progress = progress or Progress()
    started = time.perf_counter()
    check_scope(principal, region, "region")
    progress.stage("load")
    month = plan_month(params.month, china_date(now), ahead_days=rules.ahead_days)
    people = population(session, region, month)
    if restriction is not None:
        people, blocking = restriction.people(people), None
    if len(people.ids) >= PARALLEL_FROM:
        engine.prepare()  # the cluster starts while the plan loads
    pushed = pushed_this_month(session, region, month.month)
    target = goals(session, region, month, params)
    refusals = answers(session, region, month, rules)
    timings: dict[str, float] = {"load_s": time.perf_counter() - started}
    progress.stage("calibrate")
    calibration = (
        calibrate(session, region, month.made_on, rules) if rules.learning else Calibration.prior()
    )
    weighing: dict[str, Any] | None = None
    if rules.learning and rules.learned_weights:
        calibration, weighing = _learned(session, indexes, region, month, rules, calibration)
    competition = competition_seen(session, region, month) if calibration.method != PRIOR else 1.0
    given = PlanInputs(region, month, people, pushed, target, params, refusals, calibration,
                       competition, restriction)  # fmt: skip
    found = search(session, indexes, given, timings, engine=engine, blocking=blocking,
                   progress=progress)  # fmt: skip
    pairs, choice = found.pairs, found.choice
    summary = plan_summary(session, region, month, people, pairs, pushed, target, choice)
    weighed = {
        **calibration.to_dict(),
        "responsiveness": _responsiveness(refusals),
        "competition_in_outcomes": round(competition, 4),
        "weights": weighing,
    }
    plan = plan_row(region, month, params, target, rules, found, summary, weighed)
    plan.created_at, plan.created_by_key_id = now, principal.key_id
    plan.exchange_id = None if restriction is None else restriction.exchange_id
    chosen = choice.chosen
    items = (people.ids[choice.instance.labourer[chosen]].tolist(),
             choice.post_ids[choice.instance.post[chosen]].tolist(),
             pairs.score[chosen].tolist(), choice.probability[chosen].tolist(),
             pairs.taste[chosen].tolist())  # fmt: skip
    return Draft(plan, items, timings, started)


def store_plan(session: Session, draft: Draft, progress: Progress | None = None) -> Plan:
    """Write a drafted plan and its items (in the caller's write transaction)."""
    progress = progress or Progress()
    plan, timings = draft.plan, draft.timings
    progress.stage("store", total=len(draft.items[0]))
    session.add(plan)
    session.flush()
    t0 = time.perf_counter()
    _store_items(session, plan.id, zip(*draft.items, strict=True), progress)
    timings["store_s"] = time.perf_counter() - t0
    timings["total_s"] = time.perf_counter() - draft.started
    plan.summary = {**plan.summary, "timings": {k: round(v, 3) for k, v in timings.items()}}
    session.flush()
    return plan


def build_plan(
    session: Session,
    indexes: ReadModel,
    *,
    region: str,
    params: PlanParams,
    principal: Principal,
    now: datetime,
    rules: PlanRules = PlanRules(),
    engine: Engine = INLINE,
    blocking: Blocking | None = Blocking(),
    restriction: Restriction | None = None,
) -> Plan:
    """Choose a month's pushes for a region and store them as a draft plan, in one
    transaction (a list exchange's small plan; a region's plan is a job: planning.jobs)."""
    draft = draft_plan(session, indexes, region=region, params=params, principal=principal,
                       now=now, rules=rules, engine=engine, blocking=blocking,
                       restriction=restriction)  # fmt: skip
    return store_plan(session, draft)


def fit_weights_first(
    session: Session, region: str, params: PlanParams, now: datetime, rules: PlanRules
) -> None:
    """Store this month's weight fit of the region's province if it has none yet, in the
    caller's write transaction: a plan's job drafts in a read transaction, which may not write
    (on SQLite it cannot take the write lock once another writer has been), and `_learned`
    then finds the fit stored."""
    if not (rules.learning and rules.learned_weights):
        return
    month = plan_month(params.month, china_date(now), ahead_days=rules.ahead_days)
    learned_weights.for_plan(session, learned_weights.province_of(region), month.made_on,
                             rules.weights, rules.signal_days)  # fmt: skip


def _learned(
    session: Session,
    indexes: ReadModel,
    region: str,
    month: PlanMonth,
    rules: PlanRules,
    calibration: Calibration,
) -> tuple[Calibration, dict[str, Any]]:
    """This month's weight fit of the plan's province (rules.learned_weights): where its weights
    are in force, the plan scores with them and its P(apply | score) is their curve (the
    two-stage fit's P(hire | applied) kept); the fit's numbers either way, as the plan shows
    them."""
    province = learned_weights.province_of(region)
    fit = learned_weights.for_plan(session, province, month.made_on, rules.weights,
                                   rules.signal_days)  # fmt: skip
    weights = learned_weights.weights_of(fit)
    if weights is not None:
        indexes.use_weights(weights)
        hire = calibration.stages.hire_given_apply if calibration.stages else None
        calibration = Calibration.learned(
            partial(apply_probability, fit.intercept, fit.scale),
            hire_given_apply=PRIOR_HIRE_GIVEN_APPLY if hire is None else hire,
            n_outcomes=fit.pushes,
            stages=calibration.stages,
        )
    return calibration, {
        "fit_id": fit.id,
        "province": province,
        "fitted_on": fit.fitted_on.isoformat(),
        "outcome": fit.outcome,
        "in_force": (weights or rules.weights).shown(),
        "settings": rules.weights.shown(),
        "pushes": fit.pushes,
        "applied": fit.applied,
        "holdout_pushes": fit.holdout_pushes,
        "auc_settings": fit.auc_settings,
        "auc_learned": fit.auc_learned,
    }


def plan_weights(plan: Plan) -> ScoringWeights | None:
    """The learned weights a plan was scored with, or None (the settings' weights)."""
    weighing = (plan.calibration or {}).get("weights") or {}
    if weighing.get("outcome") != LEARNED:
        return None
    return ScoringWeights(**{k: float(v) for k, v in weighing["in_force"].items()})


def _responsiveness(refusals: feedback.Refusals) -> dict[str, float | int]:
    """The fitted answering mixture, as the plan shows it."""
    fitted = refusals.responsiveness
    return {
        "labourers": sum(refusals.records().values()),
        "share": round(fitted.share, 4),
        "unanswered_if_answering": round(fitted.unanswered_if_answering, 4),
        "unanswered_if_not": round(fitted.unanswered_if_not, 4),
    }


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
    session: Session,
    plan_id: int,
    items: Iterable[tuple[int, int, float, float, float]],
    progress: Progress,
) -> None:
    """Write the plan's items (labourer, post, score, probability, taste factor): COPY on
    PostgreSQL (a province plan has millions), else inserts in batches."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        batch: list[dict[str, Any]] = []
        for lab, post, score, probability, taste in items:
            row = {"plan_id": plan_id, "labourer_id": lab, "post_id": post}
            batch.append(row | {"score": round(score, 4), "probability": round(probability, 6),
                                "taste_factor": round(taste, 4)})  # fmt: skip
            if len(batch) == 5000:
                session.execute(insert(PlanItem), batch)
                progress.advance(len(batch))
                batch = []
        if batch:
            session.execute(insert(PlanItem), batch)
            progress.advance(len(batch))
        return
    # Rounded as the SQLite path rounds them: both are the exact decimal's nearest double.
    lines = (f"{plan_id}\t{lab}\t{post}\t{score:.4f}\t{probability:.6f}\t{taste:.4f}\n"
             for lab, post, score, probability, taste in items)  # fmt: skip
    statement = (
        "COPY plan_items (plan_id, labourer_id, post_id, score, probability, taste_factor) "
        "FROM STDIN"
    )
    copy_lines(session, statement, lines, per_write=100_000, sent=progress.advance)


def list_plans(
    session: Session, principal: Principal, *, region: str | None, month: str | None, limit: int
) -> list[Plan]:
    """The newest plans inside the caller's regions, under a region prefix and of a month."""
    query = select(Plan).order_by(Plan.id.desc()).limit(limit)
    scope = scope_clause(principal, Plan.region)
    if scope is not None:
        query = query.where(scope)
    if region:
        query = query.where(Plan.region.startswith(region))
    if month:
        query = query.where(Plan.month == month)
    return list(session.scalars(query))


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


def validate_params(params: PlanParams) -> None:
    """422 for parameters the optimiser cannot honour."""
    if params.candidates_per_labourer < params.pushes_per_labourer:
        raise Unprocessable.for_field(
            "candidates_per_labourer",
            "must be at least pushes_per_labourer / 候选数不能少于每人推送数",
        )
