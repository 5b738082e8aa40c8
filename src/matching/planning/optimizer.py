"""The monthly push plan: which candidate (labourer, post) pairs to push, as min-cost flow.

Each month staff must make at least R = ceil(50% x U) pushes among the region's U unemployed,
willing labourers, reaching as many distinct labourers as possible and maximising the expected
number of hires. Given candidate pairs (i, j, p_ij), a cap c_i on pushes per labourer (default
3) and b_j per post (default 5 x openings left), the plan is defined lexicographically:

1. maximise reach, the number of distinct labourers with at least one push;
2. then (``PlanOptions.prefer_required``, on by default) maximise min(pushes, R): the coverage
   target is a duty, so a plan that can make R pushes must not stop short of R because fewer,
   likelier pushes have a larger sum of p (this level changes nothing when the plan without it
   already makes >= R pushes, as is usual: every extra push adds p > 0);
3. then maximise sum p_ij, the expected hires.

Subject to the caps and to each pair being pushed at most once; ``max_pushes`` caps the total,
``min_probability`` drops weak pairs before anything else. Probabilities enter the integer costs
as w_ij = clip(round(p_ij x SCALE), 1, SCALE), SCALE = 10^6, so "exact" means exact for p
rounded to 10^-6.

**Network.** source -> labourer i by two arcs: capacity 1 (the first push, which is what reach
counts) and capacity c_i - 1; labourer i -> post j at capacity 1 and cost -w_ij; post j -> sink
at capacity b_j; a source -> sink bypass, so that the solver may make fewer pushes than the
supply K (the most pushes the caps allow, or ``max_pushes``). Two ways to get the three levels
from it, both implemented (``PlanOptions.method``) and tested against an exact MILP:

*bonus* (one min-cost flow): the first-push arcs cost -BONUS, and the bypass is split into
capacity K - R at cost 0 and capacity R at cost +M, so each push short of R costs M more.
Why BONUS and M are large enough: let A be a min-cost flow and B a feasible plan better on
level 1 (or equal there and better on level 2). B - A decomposes into simple cycles in A's
residual network. A simple cycle passes the source at most once, so it changes reach by at most
one and pushes by at most one, and a cycle that gains a labourer never loses a push (it leaves
the source by a first-push arc and returns by a reversed labourer arc or a reversed bypass), nor
the reverse. Its pair arcs alternate: forward (a new push, cost -w <= -1) and reversed (a push
withdrawn, cost +w <= SCALE), each reversed one leaving a different post for a different
labourer, so at most k = min(labourers, posts, K) of them: the cycle's pair costs sum to less
than SCALE x k. With M = SCALE x k + 1 and BONUS = 2M, a cycle that gains a labourer (or, at
equal reach, a push short of R) has negative cost, which A's optimality forbids; so A is optimal
on level 1, then 2, then 3. Bounding per augmenting cycle rather than per plan keeps BONUS near
SCALE x min(L, P) instead of SCALE x (total pushes), which matters for integer range: OR-Tools'
cost-scaling solver multiplies every cost by (nodes + 1) and refuses costs above
2^63 / (2 (nodes + 1)), and its node potentials grow further; so SCALE is lowered when
BONUS x (nodes + 1) would come within a factor 128 of 2^63 (a 2-million-labourer province
solved unblocked would get SCALE ~ 10^5), and halved a hundredfold on BAD_COST_RANGE.

*staged* (the default, about twice as fast: the huge BONUS costs the cost-scaling solver many
more refinement rounds): a max flow with first-push arcs only gives the largest reach Y (at most
K); a max flow with all arcs gives the most pushes F, and Z = min(R, F, K) (augmenting paths
never withdraw a first push, so F pushes are possible at reach Y); then one min-cost flow with
costs -w only, in which a source holding Y units feeds only the first-push arcs, a second
source holding K - Y feeds the further-push arcs and a bypass of capacity K - max(Y, Z). Every
feasible flow then has reach exactly Y and at least Z pushes, and the min-cost one maximises
sum p among them.

**Blocks.** `solve_blocked` solves region blocks (e.g. counties) one at a time, each post's cap
shared beforehand among the blocks with candidates for it in proportion to those candidates'
sum of p (largest remainder; never more than a block's own candidate pairs), then offers what
the blocks left unused, block by block, each re-solved with its own used capacity plus the
leftover. Every global cap holds by construction. The loss against the unblocked optimum comes
from shares fixed before the blocks' needs are known: on county-local synthetic instances
(benchmarks/planner_bench.py, tests) about 1% of expected hires and under 0.5% of reach; with
no locality at all (every post shared by every block) about 4-5% of expected hires. Shares by
candidate count instead of sum of p lost twice as much; shares from a first uncoordinated solve
only a tenth less, for 50% more time. Blocking saves memory, not time: on the benchmark's
province (2 million labourers, 20 million pairs, 100 counties) the whole solve took 123 s of CPU
and 3.5 GB, the blocked one 147 s and 0.66 GB, losing 0.87% of expected hires and 0.02% of
reach.
"""

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
from ortools.graph.python import max_flow, min_cost_flow  # type: ignore[import-untyped]

from matching.compute import Batch, InlineBatch

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]

DEFAULT_PUSHES_PER_LABOURER: Final = 3
DEFAULT_PUSHES_PER_OPENING: Final = 5
DEFAULT_COVERAGE: Final = 0.5
DEFAULT_SCALE: Final = 1_000_000  # probabilities resolved to 1e-6 in the integer costs
MIN_SCALE: Final = 100  # coarser than 1% would blur expected hires: refuse instead
# Below this many usable pairs a blocked solve's first pass is not worth sending to workers.
PARALLEL_PAIRS: Final = 200_000
_COST_HEADROOM: Final = 128  # BONUS x (nodes + 1) stays this far below 2^63
_INT63: Final = 2**63 - 1
# Blocks' claims on a shared post are their sums of p in units of 1e-3: exact integers whose
# products with a cap (<= the pairs, < 2e7) stay far inside int64.
_WEIGHT_UNIT: Final = 1000


@dataclass(frozen=True)
class PlanOptions:
    """How a plan may deviate from "every useful push": a cap on pushes, a floor on p.

    ``prefer_required`` keeps the middle level of the objective (see the module docstring); turn
    it off to get the plain two-level (reach, then sum p) plan.
    """

    max_pushes: int | None = None
    min_probability: float = 0.0
    prefer_required: bool = True
    method: Literal["staged", "bonus"] = "staged"

    def __post_init__(self) -> None:
        if self.method not in ("staged", "bonus"):
            raise ValueError("method must be 'staged' or 'bonus'")
        if self.max_pushes is not None and self.max_pushes < 0:
            raise ValueError("max_pushes must be >= 0")
        if not 0.0 <= self.min_probability <= 1.0:
            raise ValueError("min_probability must be in [0, 1]")


@dataclass(frozen=True, eq=False, init=False)
class PlanInstance:
    """A month's candidate graph: parallel per-pair arrays plus caps and the coverage target.

    ``labourer[k]``, ``post[k]``, ``probability[k]`` describe candidate pair k; labourer ids
    index ``labourer_cap`` (one entry per unemployed, willing labourer of the region, including
    those without any candidate: its length is U), post ids index ``post_cap``. ``required`` is
    R, the pushes the month must make. Arrays are coerced to their dtypes on construction;
    duplicate pairs are allowed (the most probable copy counts, once).
    """

    labourer: I32
    post: I32
    probability: F64
    labourer_cap: I64
    post_cap: I64
    required: int
    options: PlanOptions = field(default_factory=PlanOptions)

    def __init__(
        self,
        labourer: npt.ArrayLike,
        post: npt.ArrayLike,
        probability: npt.ArrayLike,
        labourer_cap: npt.ArrayLike,
        post_cap: npt.ArrayLike,
        required: int,
        options: PlanOptions | None = None,
    ) -> None:
        """Any array-likes in; contiguous arrays of the fields' dtypes kept, once checked."""
        lab_cap = _int_array(labourer_cap, np.int64, "labourer_cap")
        cap = _int_array(post_cap, np.int64, "post_cap")
        lab = _int_array(labourer, np.int32, "labourer")
        pst = _int_array(post, np.int32, "post")
        p = np.ascontiguousarray(probability, dtype=np.float64)
        if p.ndim != 1:
            raise ValueError("probability must be one-dimensional")
        if not len(lab) == len(pst) == len(p):
            raise ValueError("labourer, post and probability must have one entry per pair")
        if len(lab) and (lab.min() < 0 or lab.max() >= len(lab_cap)):
            raise ValueError("labourer ids must index labourer_cap")
        if len(pst) and (pst.min() < 0 or pst.max() >= len(cap)):
            raise ValueError("post ids must index post_cap")
        if len(p) and not (np.isfinite(p).all() and p.min() > 0 and p.max() <= 1):
            raise ValueError("probabilities must be in (0, 1]")
        if (len(lab_cap) and lab_cap.min() < 0) or (len(cap) and cap.min() < 0):
            raise ValueError("caps must be >= 0")
        if required < 0:
            raise ValueError("required must be >= 0")
        for name, value in (
            ("labourer", lab),
            ("post", pst),
            ("probability", p),
            ("labourer_cap", lab_cap),
            ("post_cap", cap),
            ("required", int(required)),
            ("options", options or PlanOptions()),
        ):
            object.__setattr__(self, name, value)

    @classmethod
    def from_candidates(
        cls,
        labourer: npt.ArrayLike,
        post: npt.ArrayLike,
        probability: npt.ArrayLike,
        *,
        n_labourers: int,
        openings_left: npt.ArrayLike,
        pushes_per_labourer: int | npt.ArrayLike = DEFAULT_PUSHES_PER_LABOURER,
        pushes_per_opening: int = DEFAULT_PUSHES_PER_OPENING,
        coverage: float = DEFAULT_COVERAGE,
        options: PlanOptions | None = None,
    ) -> "PlanInstance":
        """The policy defaults: c_i = 3, b_j = 5 x openings left, R = ceil(coverage x U)."""
        openings = np.asarray(openings_left, dtype=np.int64)
        caps = np.broadcast_to(np.asarray(pushes_per_labourer, dtype=np.int64), (n_labourers,))
        return cls(
            labourer=np.asarray(labourer),
            post=np.asarray(post),
            probability=np.asarray(probability, dtype=np.float64),
            labourer_cap=caps.copy(),
            post_cap=openings * pushes_per_opening,
            required=required_pushes(n_labourers, coverage),
            options=options or PlanOptions(),
        )

    @property
    def n_labourers(self) -> int:
        """U, the labourers the coverage target is counted over."""
        return len(self.labourer_cap)

    @property
    def n_posts(self) -> int:
        return len(self.post_cap)

    @property
    def n_pairs(self) -> int:
        return len(self.labourer)


@dataclass(frozen=True)
class Shortfall:
    """Why a plan makes fewer than R pushes, in numbers a caller can put in front of staff.

    Counts are over usable pairs: at or above ``min_probability``, with a non-zero cap at both
    ends, duplicates counted once. ``max_pushes_achievable`` is the exact maximum number of
    pushes the caps allow (a max flow), ignoring ``max_pushes``.
    """

    required: int
    planned: int
    labourers_total: int
    labourers_with_any_pair: int  # before min_probability and caps
    labourers_with_candidates: int
    pairs_below_min_probability: int
    max_pushes_by_labourer_caps: int  # sum_i min(c_i, candidates of i)
    max_pushes_by_post_caps: int  # sum_j min(b_j, candidates of j)
    max_pushes_achievable: int
    max_pushes_option: int | None
    # max_pushes | labourer_caps | post_caps | caps_jointly | blocks | objective
    limiting_factor: str
    message: str
    message_zh: str


@dataclass(frozen=True, eq=False)
class PlanSolution:
    """The chosen pushes (indices into the instance's pair arrays, ascending) and their totals."""

    pairs: I64
    total_pushes: int
    reach: int
    objective: float  # sum of p over chosen pairs: the expected hires
    required: int
    meets_required: bool
    shortfall: Shortfall | None
    scale: int  # smallest probability resolution used in the integer costs
    seconds: float
    stats: dict[str, float] = field(default_factory=dict)


def required_pushes(n_labourers: int, coverage: float = DEFAULT_COVERAGE) -> int:
    """R = ceil(coverage x U), robust to 0.5 x U landing a hair above an integer in floats."""
    return math.ceil(round(coverage * n_labourers, 9))


def solve(instance: PlanInstance) -> PlanSolution:
    """The exact plan (for p rounded to 1/SCALE): by ``options.method``, see the module doc."""
    started = time.perf_counter()
    part = _make_part(instance, np.flatnonzero(_usable(instance)))
    chosen, scale = _solve_part(
        part,
        instance.probability[part.idx],
        instance.labourer_cap[part.labourers],
        instance.post_cap[part.posts],
        instance.options.max_pushes,
        instance.required,
        instance.options,
    )
    return _finish(instance, [part], [chosen], scale, started, {"blocks": 1.0})


def solve_blocked(
    instance: PlanInstance, block_of_labourer: npt.ArrayLike, *, batch: Batch | None = None
) -> PlanSolution:
    """Solve region blocks independently, sharing posts' caps, then offer the leftovers.

    ``block_of_labourer`` gives each labourer (all U of them) a block id, e.g. its county.
    A post's cap b_j is first shared among the blocks with candidates for it, in proportion to
    the sum of p of each block's candidate pairs for it (largest remainder; a block never gets
    more than its own candidate pairs). R and ``max_pushes`` are shared by the blocks' labourer
    counts. The
    blocks are solved one by one; then the capacity they left unused (and unused
    ``max_pushes``) is offered, block by block in order of the sum of p of their unchosen pairs
    into posts with capacity left, each re-solved with its own used capacity plus the leftover,
    so no global cap can be exceeded and no block ends worse than after the first pass.

    The first pass's blocks are independent: with a `batch` (matching.compute) and at least
    PARALLEL_PAIRS usable pairs they are solved as its tasks. The second pass takes what the
    blocks before left, so it runs in order, here.
    """
    started = time.perf_counter()
    blocks = np.asarray(block_of_labourer)
    if blocks.shape != (instance.n_labourers,) or not np.issubdtype(blocks.dtype, np.integer):
        raise ValueError("block_of_labourer must give an integer block to every labourer")
    _, block_id = np.unique(blocks, return_inverse=True)
    n_blocks = int(block_id.max()) + 1 if len(block_id) else 0
    idx = np.flatnonzero(_usable(instance))
    pair_block = block_id[instance.labourer[idx]]
    order = np.argsort(pair_block, kind="stable")
    idx = idx[order]
    bounds = np.searchsorted(pair_block[order], np.arange(n_blocks + 1))
    del order, pair_block
    parts = [_make_part(instance, idx[bounds[b] : bounds[b + 1]]) for b in range(n_blocks)]
    del idx
    weights = [
        np.maximum(
            1,
            np.rint(
                np.bincount(
                    part.post, weights=instance.probability[part.idx], minlength=len(part.posts)
                )
                * _WEIGHT_UNIT
            ),
        ).astype(np.int64)
        for part in parts
    ]
    shares = _split_post_caps(instance.post_cap, parts, weights)
    del weights
    population = np.bincount(block_id, minlength=n_blocks)
    targets = _largest_remainder(instance.required, population)
    max_pushes = instance.options.max_pushes
    supplies = None if max_pushes is None else _largest_remainder(max_pushes, population)

    def run(b: int, post_cap: I64, supply: int | None) -> tuple[Bool, int]:
        part = parts[b]
        return _solve_part(
            part,
            instance.probability[part.idx],
            instance.labourer_cap[part.labourers],
            post_cap,
            supply,
            int(targets[b]),
            instance.options,
        )

    first = [
        (part, instance.probability[part.idx], instance.labourer_cap[part.labourers], shares[b],
         None if supplies is None else int(supplies[b]), int(targets[b]), instance.options)
        for b, part in enumerate(parts)
    ]  # fmt: skip
    usable_pairs = sum(len(part.idx) for part in parts)
    if batch is None or n_blocks < 2 or usable_pairs < PARALLEL_PAIRS:
        batch = InlineBatch()
    solved = batch.map(_solve_block, first)
    del first
    chosen: list[Bool] = [picked for picked, _ in solved]
    scale = min([DEFAULT_SCALE, *(block_scale for _, block_scale in solved)])
    first_pushes = sum(int(c.sum()) for c in chosen)
    first_reach = sum(
        int(np.count_nonzero(np.bincount(p.lab[c]))) for p, c in zip(parts, chosen, strict=True)
    )
    first_objective = sum(
        float(instance.probability[p.idx[c]].sum()) for p, c in zip(parts, chosen, strict=True)
    )

    leftover = instance.post_cap.copy()
    for part, picked in zip(parts, chosen, strict=True):
        leftover[part.posts] -= np.bincount(part.post[picked], minlength=len(part.posts))
    pushes_left = None if max_pushes is None else max_pushes - first_pushes

    def offer(b: int) -> float:
        """Sum of p of block b's unchosen pairs into posts with capacity left."""
        part = parts[b]
        open_pairs = ~chosen[b] & (leftover[part.posts[part.post]] > 0)
        return float(instance.probability[part.idx[open_pairs]].sum())

    potential = np.array([offer(b) for b in range(n_blocks)])
    second = 0
    for b in np.argsort(-potential, kind="stable"):
        if potential[b] <= 0 or offer(int(b)) <= 0:
            continue
        part = parts[b]
        used = np.bincount(part.post[chosen[b]], minlength=len(part.posts))
        supply = None if pushes_left is None else int(chosen[b].sum()) + pushes_left
        picked, block_scale = run(int(b), used + leftover[part.posts], supply)
        scale = min(scale, block_scale)
        leftover[part.posts] -= np.bincount(part.post[picked], minlength=len(part.posts)) - used
        if pushes_left is not None:
            pushes_left -= int(picked.sum()) - int(chosen[b].sum())
        chosen[b] = picked
        second += 1
    stats = {
        "blocks": float(n_blocks),
        "first_pass_pushes": float(first_pushes),
        "first_pass_reach": float(first_reach),
        "first_pass_objective": first_objective,
        "second_pass_blocks": float(second),
    }
    return _finish(instance, parts, chosen, scale, started, stats)


# --- internals ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Part:
    """One subproblem's usable pairs, deduplicated, with compact local labourer and post ids."""

    idx: I64  # pair indices into the instance arrays
    lab: I64  # local labourer id per pair
    post: I64  # local post id per pair
    labourers: I64  # global id of each local labourer, ascending
    posts: I64  # global id of each local post, ascending
    post_demand: I64  # candidate pairs per local post


def _int_array(value: npt.ArrayLike, dtype: type[np.signedinteger[Any]], name: str) -> Any:
    """value as a contiguous 1-D array of dtype, refusing non-integers and overflow."""
    array = np.asarray(value)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if len(array) == 0:
        return np.zeros(0, dtype=dtype)
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold integers")
    info = np.iinfo(dtype)
    if array.min() < info.min or array.max() > info.max:
        raise ValueError(f"{name} does not fit {np.dtype(dtype).name}")
    return np.ascontiguousarray(array, dtype=dtype)


def _usable(instance: PlanInstance) -> Bool:
    """Pairs the plan may use: p at or above the floor, and a non-zero cap at both ends."""
    mask: Bool = (
        (instance.probability >= instance.options.min_probability)
        & (instance.labourer_cap[instance.labourer] > 0)
        & (instance.post_cap[instance.post] > 0)
    )
    return mask


def _make_part(instance: PlanInstance, idx: I64) -> _Part:
    """Compress ids to 0..n-1 and keep the most probable copy of any duplicated pair."""
    labourers, lab = np.unique(instance.labourer[idx], return_inverse=True)
    posts, post = np.unique(instance.post[idx], return_inverse=True)
    lab, post = lab.astype(np.int64), post.astype(np.int64)
    if len(idx) > 1:
        key = lab * len(posts) + post
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        if (sorted_key[1:] == sorted_key[:-1]).any():
            order = np.lexsort((-instance.probability[idx], key))
            sorted_key = key[order]
            first = np.ones(len(order), dtype=bool)
            first[1:] = sorted_key[1:] != sorted_key[:-1]
            keep = np.sort(order[first])
            idx, lab, post = idx[keep], lab[keep], post[keep]
    return _Part(
        idx=idx.astype(np.int64),
        lab=lab,
        post=post,
        labourers=labourers.astype(np.int64),
        posts=posts.astype(np.int64),
        post_demand=np.bincount(post, minlength=len(posts)).astype(np.int64),
    )


def _choose_scale(n_nodes: int, cost_multiple: int) -> int:
    """The finest SCALE whose largest cost, SCALE x cost_multiple, keeps the integers safe.

    Safe: largest cost x (nodes + 1) stays a factor 128 below 2^63 (see the module docstring).
    """
    largest_cost = _INT63 // (_COST_HEADROOM * (n_nodes + 1))
    scale = min(DEFAULT_SCALE, largest_cost // max(cost_multiple, 1))
    if scale < MIN_SCALE:
        raise ValueError(f"{n_nodes:,} nodes are too many for exact integer costs")
    return scale


def _max_flow(tails: I32, heads: I32, capacities: I64) -> int:
    """Maximum flow from node 0 to node 1."""
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(tails, heads, capacities)
    status = flow.solve(0, 1)
    if status != flow.OPTIMAL:
        raise RuntimeError(f"max flow failed: {status.name}")
    return int(flow.optimal_flow())


def _min_cost(
    tails: I32,
    heads: I32,
    capacities: I64,
    costs: Callable[[int], I64],
    supplies: dict[int, int],
    n_pairs: int,
    scale: int,
) -> tuple[Bool, int]:
    """Min-cost flow; the first n_pairs arcs' use, and the SCALE that worked.

    ``costs(scale)`` gives every arc's cost at a SCALE; on BAD_COST_RANGE the solve is retried
    at SCALE / 100 while that stays >= MIN_SCALE.
    """
    while True:
        flow = min_cost_flow.SimpleMinCostFlow()
        flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs(scale))
        flow.set_nodes_supplies(
            np.array(list(supplies), dtype=np.int32),
            np.array(list(supplies.values()), dtype=np.int64),
        )
        status = flow.solve()
        if status == flow.OPTIMAL:
            chosen: Bool = np.asarray(flow.flows(np.arange(n_pairs, dtype=np.int32))) > 0
            return chosen, scale
        if status == flow.BAD_COST_RANGE and scale // 100 >= MIN_SCALE:
            scale //= 100
            continue
        raise RuntimeError(f"min-cost flow failed: {status.name}")


def _solve_block(
    block: tuple[_Part, F64, I64, I64, int | None, int, PlanOptions],
) -> tuple[Bool, int]:
    """A task of the first pass: one block's part solved with its share of the caps (a
    module-level function, so a Dask worker imports it by name)."""
    return _solve_part(*block)


def _solve_part(
    part: _Part,
    probability: F64,
    labourer_cap: I64,
    post_cap: I64,
    supply_cap: int | None,
    target: int,
    options: PlanOptions,
) -> tuple[Bool, int]:
    """Chosen mask over the part's pairs, and the SCALE used; see the module docstring.

    Nodes: 0 source, 1 sink, 2 the staged method's second-push source, then labourers, then
    posts. Arcs: pairs first (so flows 0..n_pairs-1 are the pairs), then the first-push arcs,
    the further-push arcs, the post arcs, and the bypasses.
    """
    n_pairs, n_lab, n_post = len(part.idx), len(part.labourers), len(part.posts)
    lab_cap = np.minimum(labourer_cap, np.bincount(part.lab, minlength=n_lab))
    post_cap = np.minimum(post_cap, part.post_demand)
    supply = min(int(lab_cap.sum()), int(post_cap.sum()), n_pairs)
    if supply_cap is not None:
        supply = min(supply, supply_cap)
    if supply <= 0:
        return np.zeros(n_pairs, dtype=bool), DEFAULT_SCALE
    target = min(target, supply) if options.prefer_required else 0
    n_nodes = 3 + n_lab + n_post
    multi = np.flatnonzero(lab_cap > 1)
    lab_nodes = np.arange(3, 3 + n_lab, dtype=np.int32)
    post_nodes = np.arange(3 + n_lab, n_nodes, dtype=np.int32)
    pair_tails, pair_heads = lab_nodes[part.lab], post_nodes[part.post]
    sources = np.zeros(n_lab, dtype=np.int32)
    sinks = np.ones(n_post, dtype=np.int32)
    ones = np.ones(n_pairs + n_lab, dtype=np.int64)
    further = lab_cap[multi] - 1

    def arcs(second_source: int, *bypass: tuple[int, int]) -> tuple[I32, I32, I64]:
        tails = [pair_tails, sources, np.full(len(multi), second_source, np.int32), post_nodes]
        heads = [pair_heads, lab_nodes, lab_nodes[multi], sinks]
        return (
            np.concatenate([*tails, np.array([t for t, _ in bypass], np.int32)]),
            np.concatenate([*heads, np.ones(len(bypass), np.int32)]),
            np.concatenate([ones, further, post_cap, np.array([c for _, c in bypass], np.int64)]),
        )

    def weights(scale: int) -> I64:
        w: I64 = np.clip(np.rint(probability * scale), 1, scale).astype(np.int64)
        return w

    zeros = np.zeros(n_lab + len(multi) + n_post, dtype=np.int64)
    if options.method == "bonus":
        k = min(n_lab, int(np.count_nonzero(post_cap)), supply)
        tails, heads, capacities = arcs(0, (0, supply - target), (0, target))

        def bonus_costs(scale: int) -> I64:
            m = scale * k + 1
            costs = np.concatenate([-weights(scale), zeros, [0, m]])
            costs[n_pairs : n_pairs + n_lab] = -2 * m
            return costs

        scale = _choose_scale(n_nodes, 2 * (k + 1))
        return _min_cost(
            tails, heads, capacities, bonus_costs, {0: supply, 1: -supply}, n_pairs, scale
        )

    first_only = np.concatenate([ones, np.zeros(len(multi), np.int64), post_cap])
    tails, heads, capacities = arcs(0)
    reach = min(_max_flow(tails, heads, first_only), supply)
    pushes = min(_max_flow(tails, heads, capacities), target) if target > reach else 0
    tails, heads, capacities = arcs(2, (2, supply - max(pushes, reach)))

    def staged_costs(scale: int) -> I64:
        return np.concatenate([-weights(scale), zeros, [0]])

    supplies = {0: reach, 2: supply - reach, 1: -supply}
    scale = _choose_scale(n_nodes, 1)
    return _min_cost(tails, heads, capacities, staged_costs, supplies, n_pairs, scale)


def _largest_remainder(total: int, weights: I64) -> I64:
    """Split an integer total in proportion to integer weights, exactly, largest remainder."""
    weights = np.asarray(weights, dtype=np.int64)
    whole = int(weights.sum())
    if whole == 0:
        return np.zeros(len(weights), dtype=np.int64)
    base = total * weights // whole
    remainder = total * weights % whole
    extra = total - int(base.sum())
    order = np.lexsort((np.arange(len(weights)), -remainder))
    base[order[:extra]] += 1
    result: I64 = base
    return result


def _split_post_caps(post_cap: I64, parts: Sequence[_Part], weights: Sequence[I64]) -> list[I64]:
    """Each post's cap shared among the parts in proportion to their weights, largest remainder.

    ``weights[b]`` gives part b's positive integer weight for each of its posts. A part never
    gets more than its candidate pairs for a post (it could not use more); what that leaves of
    a cap is not re-shared here but offered in the second pass.
    """
    if not parts:
        return []
    sizes = [len(p.posts) for p in parts]
    rows_post = np.concatenate([p.posts for p in parts])
    demand = np.concatenate([p.post_demand for p in parts])
    weight = np.concatenate(weights).astype(np.int64)
    rows_block = np.repeat(np.arange(len(parts)), sizes)
    n_posts = len(post_cap)
    pairs = np.bincount(rows_post, weights=demand, minlength=n_posts).astype(np.int64)
    cap = np.minimum(post_cap, pairs)  # what all parts together could use
    total = np.bincount(rows_post, weights=weight, minlength=n_posts).astype(np.int64)
    row_total = total[rows_post]
    row_cap = cap[rows_post]
    base = row_cap * weight // row_total
    remainder = row_cap * weight % row_total
    left = cap - np.bincount(rows_post, weights=base, minlength=n_posts).astype(np.int64)
    order = np.lexsort((rows_block, -remainder, rows_post))
    sorted_post = rows_post[order]
    rank = np.arange(len(order)) - np.searchsorted(sorted_post, sorted_post, side="left")
    base[order[rank < left[sorted_post]]] += 1
    share = np.minimum(base, demand)
    return list(np.split(share, np.cumsum(sizes)[:-1]))


def _max_pushes(instance: PlanInstance, idx: I64) -> int:
    """The most pushes the caps allow over the given pairs: one max flow."""
    labs, lab = np.unique(instance.labourer[idx], return_inverse=True)
    posts, post = np.unique(instance.post[idx], return_inverse=True)
    n_lab, n_post = len(labs), len(posts)
    lab_cap = np.minimum(instance.labourer_cap[labs], np.bincount(lab, minlength=n_lab))
    post_cap = np.minimum(instance.post_cap[posts], np.bincount(post, minlength=n_post))
    lab_nodes = np.arange(2, 2 + n_lab, dtype=np.int32)
    post_nodes = np.arange(2 + n_lab, 2 + n_lab + n_post, dtype=np.int32)
    return _max_flow(
        np.concatenate([np.zeros(n_lab, np.int32), lab_nodes[lab], post_nodes]).astype(np.int32),
        np.concatenate([lab_nodes, post_nodes[post], np.ones(n_post, np.int32)]).astype(np.int32),
        np.concatenate([lab_cap, np.ones(len(idx), np.int64), post_cap]).astype(np.int64),
    )


def _finish(
    instance: PlanInstance,
    parts: Sequence[_Part],
    chosen: Sequence[Bool],
    scale: int,
    started: float,
    stats: dict[str, float],
) -> PlanSolution:
    pairs = np.sort(np.concatenate([p.idx[c] for p, c in zip(parts, chosen, strict=True)]))
    pairs = pairs.astype(np.int64)
    total = len(pairs)
    reach = int(np.count_nonzero(np.bincount(instance.labourer[pairs], minlength=1)))
    objective = float(instance.probability[pairs].sum())
    meets = total >= instance.required
    shortfall = None
    if not meets:
        kept = np.concatenate([p.idx for p in parts]) if parts else np.zeros(0, np.int64)
        shortfall = _shortfall(instance, kept, total, len(parts) > 1)
    return PlanSolution(
        pairs=pairs,
        total_pushes=total,
        reach=reach,
        objective=objective,
        required=instance.required,
        meets_required=meets,
        shortfall=shortfall,
        scale=scale,
        seconds=time.perf_counter() - started,
        stats=stats,
    )


def _shortfall(instance: PlanInstance, kept: I64, planned: int, blocked: bool) -> Shortfall:
    """Count what limits the pushes: candidates, each side's caps, both jointly, or the option."""
    u = instance.n_labourers
    any_pair = int(np.count_nonzero(np.bincount(instance.labourer, minlength=u)))
    lab_deg = np.bincount(instance.labourer[kept], minlength=u)
    post_deg = np.bincount(instance.post[kept], minlength=instance.n_posts)
    with_candidates = int(np.count_nonzero(lab_deg))
    below = int(np.count_nonzero(instance.probability < instance.options.min_probability))
    by_labourers = int(np.minimum(instance.labourer_cap, lab_deg).sum())
    by_posts = int(np.minimum(instance.post_cap, post_deg).sum())
    achievable = _max_pushes(instance, kept) if len(kept) else 0
    option = instance.options.max_pushes
    required = instance.required
    if option is not None and option < required and option < achievable:
        factor = "max_pushes"
    elif achievable >= required:
        factor = "blocks" if blocked else "objective"
    elif by_labourers <= by_posts and by_labourers < required:
        factor = "labourer_caps"
    elif by_posts < required:
        factor = "post_caps"
    else:
        factor = "caps_jointly"
    floor = instance.options.min_probability
    dropped_en = f" ({below:,} pairs below p={floor:g} dropped)" if below else ""
    dropped_zh = f"（已剔除成功概率低于 {floor:g} 的 {below:,} 对）" if below else ""
    message = (
        f"Required {required:,} pushes for {u:,} labourers but the plan makes {planned:,}. "
        f"Only {with_candidates:,} labourers have any candidate post{dropped_en}; "
        f"{any_pair:,} have any pair at all. Labourers' caps allow at most {by_labourers:,} "
        f"pushes, posts' caps at most {by_posts:,}, both together at most {achievable:,}."
    )
    message_zh = (
        f"本月需推送 {required:,} 次（{u:,} 名劳动力），计划只能推送 {planned:,} 次。"
        f"仅 {with_candidates:,} 人有可推送的候选岗位{dropped_zh}，{any_pair:,} 人有任何候选；"
        f"按每人推送上限最多 {by_labourers:,} 次，按岗位推送上限最多 {by_posts:,} 次，"
        f"两者同时满足最多 {achievable:,} 次。"
    )
    if factor == "max_pushes":
        message += f" The option max_pushes={option:,} caps the plan."
        message_zh += f"推送总数上限 max_pushes={option:,} 限制了计划。"
    elif factor == "blocks":
        message += " Solving region by region split posts' caps; solve unblocked to reach it."
        message_zh += "按地区分块求解时岗位名额被分摊所致，整体求解可以达到。"
    elif factor == "objective":
        message += " prefer_required is off, so fewer, likelier pushes were preferred."
        message_zh += "未启用 prefer_required，计划选择了更少但成功率更高的推送。"
    return Shortfall(
        required=required,
        planned=planned,
        labourers_total=u,
        labourers_with_any_pair=any_pair,
        labourers_with_candidates=with_candidates,
        pairs_below_min_probability=below,
        max_pushes_by_labourer_caps=by_labourers,
        max_pushes_by_post_caps=by_posts,
        max_pushes_achievable=achievable,
        max_pushes_option=option,
        limiting_factor=factor,
        message=message,
        message_zh=message_zh,
    )
