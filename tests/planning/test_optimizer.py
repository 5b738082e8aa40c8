"""The push planner against an independent exact optimum (scipy's MILP), and its guarantees.

The reference solves the same lexicographic problem as three integer programs in turn: the
largest reach; then, at that reach, the most pushes up to R (when prefer_required); then, at
both, the largest sum of p. Nothing of the flow network is shared with it.
"""

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pytest
from distributed import get_task_stream
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from matching.compute import DaskEngine
from matching.planning import (
    PlanInstance,
    PlanOptions,
    PlanSolution,
    optimizer,
    solve,
    solve_blocked,
)

ROUNDING = 1e-5  # probabilities enter the costs to 1e-6; a dozen pushes stay well inside this


@dataclass(frozen=True)
class Exact:
    reach: int
    pushes: int  # min(pushes, R) when prefer_required, else the optimum's pushes
    objective: float


def exact(instance: PlanInstance) -> Exact:
    """The lexicographic optimum by successive MILPs over x (pairs) and y (labourer reached)."""
    opts = instance.options
    usable = (
        (instance.probability >= opts.min_probability)
        & (instance.labourer_cap[instance.labourer] > 0)
        & (instance.post_cap[instance.post] > 0)
    )
    lab, post, p = instance.labourer[usable], instance.post[usable], instance.probability[usable]
    n, u, m = len(lab), instance.n_labourers, instance.n_posts
    if n == 0:
        return Exact(0, 0, 0.0)
    by_lab = np.zeros((u, n))
    by_lab[lab, np.arange(n)] = 1
    by_post = np.zeros((m, n))
    by_post[post, np.arange(n)] = 1
    a_lab = np.hstack([by_lab, np.zeros((u, u))])
    a_post = np.hstack([by_post, np.zeros((m, u))])
    a_reach = np.hstack([-by_lab, np.eye(u)])  # y_i <= sum_j x_ij
    push_row = np.concatenate([np.ones(n), np.zeros(u)])
    reach_row = np.concatenate([np.zeros(n), np.ones(u)])
    base = [
        LinearConstraint(a_lab, -np.inf, instance.labourer_cap),
        LinearConstraint(a_post, -np.inf, instance.post_cap),
        LinearConstraint(a_reach, -np.inf, 0),
    ]
    if opts.max_pushes is not None:
        base.append(LinearConstraint(push_row, -np.inf, opts.max_pushes))
    integrality = np.ones(n + u)
    bounds = Bounds(0, 1)

    def best(objective: np.ndarray, extra: list[LinearConstraint]) -> float:
        result = milp(-objective, constraints=base + extra, integrality=integrality, bounds=bounds)
        assert result.success
        return float(-result.fun)

    reach = round(best(reach_row, []))
    fixed = [LinearConstraint(reach_row, reach, np.inf)]
    pushes = None
    if opts.prefer_required:
        pushes = min(round(best(push_row, fixed)), instance.required)
        fixed.append(LinearConstraint(push_row, pushes, np.inf))
    objective = best(np.concatenate([p, np.zeros(u)]), fixed)
    if pushes is None:
        result = milp(
            -np.concatenate([p, np.zeros(u)]),
            constraints=base + fixed,
            integrality=integrality,
            bounds=bounds,
        )
        pushes = round(float(push_row @ result.x))
    return Exact(reach, pushes, objective)


def random_instance(seed: int, *, max_labourers: int = 12, max_posts: int = 8) -> PlanInstance:
    rng = np.random.default_rng(seed)
    u = int(rng.integers(1, max_labourers + 1))
    m = int(rng.integers(1, max_posts + 1))
    density = rng.uniform(0.1, 0.7)
    grid = rng.random((u, m)) < density
    lab, post = np.nonzero(grid)
    if rng.random() < 0.3:  # ties: a few distinct values only
        p = rng.choice([0.05, 0.1, 0.3, 0.6], size=len(lab))
    else:
        p = rng.uniform(0.01, 1.0, size=len(lab))
    options = PlanOptions(
        max_pushes=None if rng.random() < 0.6 else int(rng.integers(0, 2 * u + 1)),
        min_probability=0.0 if rng.random() < 0.7 else 0.2,
        prefer_required=bool(rng.random() < 0.8),
    )
    return PlanInstance(
        labourer=lab,
        post=post,
        probability=p,
        labourer_cap=rng.integers(0, 4, size=u),
        post_cap=rng.integers(0, 5, size=m),
        required=int(rng.integers(0, 2 * u + 1)),
        options=options,
    )


def check_feasible(instance: PlanInstance, solution: PlanSolution) -> None:
    """Caps, duplicates, options, and that the reported totals match the chosen pairs."""
    pairs = solution.pairs
    assert len(np.unique(pairs)) == len(pairs)
    keys = instance.labourer[pairs].astype(np.int64) * instance.n_posts + instance.post[pairs]
    assert len(np.unique(keys)) == len(keys), "a (labourer, post) pair pushed twice"
    lab_load = np.bincount(instance.labourer[pairs], minlength=instance.n_labourers)
    post_load = np.bincount(instance.post[pairs], minlength=instance.n_posts)
    assert (lab_load <= instance.labourer_cap).all()
    assert (post_load <= instance.post_cap).all()
    opts = instance.options
    assert (instance.probability[pairs] >= opts.min_probability).all()
    if opts.max_pushes is not None:
        assert len(pairs) <= opts.max_pushes
    assert solution.total_pushes == len(pairs)
    assert solution.reach == np.count_nonzero(lab_load)
    assert solution.objective == pytest.approx(instance.probability[pairs].sum())
    assert solution.meets_required == (len(pairs) >= instance.required)
    assert (solution.shortfall is None) == solution.meets_required


def check_optimal(instance: PlanInstance, solution: PlanSolution) -> None:
    truth = exact(instance)
    assert solution.reach == truth.reach
    if instance.options.prefer_required:
        assert min(solution.total_pushes, instance.required) == truth.pushes
    assert solution.objective >= 0.99 * truth.objective
    assert solution.objective == pytest.approx(truth.objective, abs=ROUNDING)


def with_options(instance: PlanInstance, **changes: Any) -> PlanInstance:
    return replace(instance, options=replace(instance.options, **changes))


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_solve_matches_the_exact_lexicographic_optimum(seed: int) -> None:
    instance = random_instance(seed)
    for method in ("staged", "bonus"):
        variant = with_options(instance, method=method)
        solution = solve(variant)
        check_feasible(variant, solution)
        check_optimal(variant, solution)


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("method", ["staged", "bonus"])
def test_solve_matches_exact_on_fixed_seeds(seed: int, method: str) -> None:
    instance = with_options(random_instance(seed), method=method)
    solution = solve(instance)
    check_feasible(instance, solution)
    check_optimal(instance, solution)


@pytest.mark.parametrize("seed", range(3))
def test_the_two_formulations_agree_on_medium_instances(seed: int) -> None:
    # Too large for the MILP: the staged flows and the one-flow BONUS form check each other.
    rng = np.random.default_rng(seed)
    instance, _ = local_instance(
        seed, labourers=3000, blocks=6, posts_per_block=30, remote=100, local=0.7
    )
    instance = with_options(
        instance, max_pushes=[None, 4000, 2000][seed], min_probability=rng.uniform(0, 0.1)
    )
    staged = solve(instance)
    bonus = solve(with_options(instance, method="bonus"))
    check_feasible(instance, staged)
    check_feasible(instance, bonus)
    assert staged.reach == bonus.reach
    assert min(staged.total_pushes, instance.required) == min(bonus.total_pushes, instance.required)
    assert staged.objective == pytest.approx(bonus.objective, abs=1e-6 * staged.total_pushes)


def test_reach_comes_before_probability() -> None:
    # Labourer 0 could take both posts at p=0.9; giving post 1 to labourer 1 (p=0.1) reaches two.
    instance = PlanInstance(
        labourer=[0, 0, 1],
        post=[0, 1, 1],
        probability=[0.9, 0.9, 0.1],
        labourer_cap=[3, 3],
        post_cap=[1, 1],
        required=1,
    )
    solution = solve(instance)
    assert solution.reach == 2
    assert sorted(solution.pairs.tolist()) == [0, 2]
    assert solution.objective == pytest.approx(1.0)


def test_prefer_required_makes_the_pushes_the_target_needs() -> None:
    # Labourer 0 (cap 1) takes post 0 (p 0.9) or post 1 (0.05); labourer 1 (cap 2) wants post 0
    # (0.05) and post 2 (0.9); every post has room for one push.
    instance = PlanInstance(
        labourer=[0, 0, 1, 1],
        post=[0, 1, 0, 2],
        probability=[0.9, 0.05, 0.05, 0.9],
        labourer_cap=[1, 2],
        post_cap=[1, 1, 1],
        required=3,
    )
    # Reach 2 either way. Most pushes: 0-1, 1-0, 1-2 = 3 (p 1.0); most p: 0-0, 1-2 = 2 (p 1.8).
    with_target = solve(instance)
    assert (with_target.reach, with_target.total_pushes) == (2, 3)
    assert with_target.objective == pytest.approx(1.0)
    assert with_target.meets_required
    plain = solve(
        PlanInstance(
            labourer=instance.labourer,
            post=instance.post,
            probability=instance.probability,
            labourer_cap=instance.labourer_cap,
            post_cap=instance.post_cap,
            required=3,
            options=PlanOptions(prefer_required=False),
        )
    )
    assert (plain.reach, plain.total_pushes) == (2, 2)
    assert plain.objective == pytest.approx(1.8)
    assert plain.shortfall is not None
    assert plain.shortfall.limiting_factor == "objective"
    assert plain.shortfall.max_pushes_achievable == 3


def test_duplicate_pairs_count_once_at_their_best() -> None:
    instance = PlanInstance(
        labourer=[0, 0, 0],
        post=[0, 0, 0],
        probability=[0.2, 0.7, 0.4],
        labourer_cap=[3],
        post_cap=[5],
        required=1,
    )
    solution = solve(instance)
    assert solution.pairs.tolist() == [1]
    assert solution.objective == pytest.approx(0.7)


def test_max_pushes_and_min_probability() -> None:
    rng = np.random.default_rng(7)
    lab, post = np.nonzero(rng.random((30, 10)) < 0.5)
    p = rng.uniform(0.01, 0.5, size=len(lab))
    instance = PlanInstance(
        labourer=lab,
        post=post,
        probability=p,
        labourer_cap=np.full(30, 3),
        post_cap=np.full(10, 6),
        required=15,
        options=PlanOptions(max_pushes=20, min_probability=0.1),
    )
    solution = solve(instance)
    check_feasible(instance, solution)
    assert solution.total_pushes == 20
    assert solution.reach == 20  # reach first: twenty different labourers
    assert solution.meets_required


def test_shortfall_counts_labourers_without_candidates() -> None:
    # 20 labourers (R = 10), only 3 with candidates, 3 pushes each at most: 9 < 10.
    lab = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2, 5])
    post = np.array([0, 1, 2, 3, 0, 1, 1, 2, 3, 0])
    p = np.array([0.3, 0.3, 0.3, 0.3, 0.2, 0.2, 0.4, 0.4, 0.4, 0.01])
    instance = PlanInstance.from_candidates(
        lab,
        post,
        p,
        n_labourers=20,
        openings_left=[2, 2, 2, 2],
        options=PlanOptions(min_probability=0.05),
    )
    assert instance.required == 10
    solution = solve(instance)
    assert not solution.meets_required
    assert solution.total_pushes == 8  # 3 + 2 + 3
    short = solution.shortfall
    assert short is not None
    assert short.required == 10
    assert short.planned == 8
    assert short.labourers_total == 20
    assert short.labourers_with_any_pair == 4
    assert short.labourers_with_candidates == 3
    assert short.pairs_below_min_probability == 1
    assert short.max_pushes_by_labourer_caps == 8
    assert short.max_pushes_by_post_caps == 9  # min(10, 2) + min(10, 3) + 2 + 2
    assert short.max_pushes_achievable == 8
    assert short.limiting_factor == "labourer_caps"
    assert "Only 3 labourers" in short.message
    assert "仅 3 人" in short.message_zh


def test_shortfall_by_post_caps_and_jointly() -> None:
    # Ten labourers all want the same post with one opening (cap 5): 5 < R = 8.
    instance = PlanInstance(
        labourer=np.arange(10),
        post=np.zeros(10, dtype=np.int32),
        probability=np.full(10, 0.2),
        labourer_cap=np.full(10, 3),
        post_cap=[5],
        required=8,
    )
    short = solve(instance).shortfall
    assert short is not None
    assert (short.max_pushes_by_post_caps, short.max_pushes_achievable) == (5, 5)
    assert short.limiting_factor == "post_caps"
    # Labourers 0 and 1 (cap 2) share posts 0 and 1 (cap 1): posts bind there; labourers 2 and
    # 3 (cap 1) share posts 2 and 3 (cap 2): labourers bind there. Each side's caps alone allow
    # 6 pushes, together only 4.
    joint = PlanInstance(
        labourer=[0, 0, 1, 1, 2, 2, 3, 3],
        post=[0, 1, 0, 1, 2, 3, 2, 3],
        probability=[0.1] * 8,
        labourer_cap=[2, 2, 1, 1],
        post_cap=[1, 1, 2, 2],
        required=5,
    )
    short = solve(joint).shortfall
    assert short is not None
    assert (short.max_pushes_by_labourer_caps, short.max_pushes_by_post_caps) == (6, 6)
    assert short.max_pushes_achievable == 4
    assert short.limiting_factor == "caps_jointly"


def test_shortfall_from_max_pushes() -> None:
    instance = PlanInstance(
        labourer=np.arange(10),
        post=np.arange(10),
        probability=np.full(10, 0.2),
        labourer_cap=np.full(10, 3),
        post_cap=np.full(10, 5),
        required=5,
        options=PlanOptions(max_pushes=3),
    )
    short = solve(instance).shortfall
    assert short is not None
    assert short.max_pushes_achievable == 10
    assert short.limiting_factor == "max_pushes"
    assert "max_pushes=3" in short.message


def test_empty_and_uncoverable_instances() -> None:
    empty = PlanInstance(
        labourer=np.zeros(0, np.int32),
        post=np.zeros(0, np.int32),
        probability=np.zeros(0),
        labourer_cap=np.full(4, 3),
        post_cap=np.zeros(0, np.int64),
        required=2,
    )
    solution = solve(empty)
    assert (solution.total_pushes, solution.reach, solution.objective) == (0, 0, 0.0)
    assert solution.shortfall is not None
    assert solution.shortfall.max_pushes_achievable == 0
    nothing_needed = PlanInstance(
        labourer=np.zeros(0, np.int32),
        post=np.zeros(0, np.int32),
        probability=np.zeros(0),
        labourer_cap=np.zeros(0, np.int64),
        post_cap=np.zeros(0, np.int64),
        required=0,
    )
    assert solve(nothing_needed).meets_required


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("probability", [0.0]),
        ("probability", [1.5]),
        ("probability", [np.nan]),
        ("labourer", [3]),
        ("post", [-1]),
        ("labourer_cap", [-1]),
    ],
)
def test_instances_are_validated(field: str, value: list[float]) -> None:
    kwargs: dict[str, object] = {
        "labourer": [0],
        "post": [0],
        "probability": [0.5],
        "labourer_cap": [3],
        "post_cap": [5],
        "required": 1,
    }
    kwargs[field] = value
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        PlanInstance(**kwargs)  # type: ignore[arg-type]


# --- blocks ---------------------------------------------------------------------------------


def local_instance(
    seed: int, *, labourers: int, blocks: int, posts_per_block: int, remote: int, local: float
) -> tuple[PlanInstance, np.ndarray]:
    """Labourers in blocks, each with ~10 candidates: mostly its block's posts, some remote."""
    rng = np.random.default_rng(seed)
    block = rng.integers(0, blocks, size=labourers)
    n_local = blocks * posts_per_block
    degree = rng.integers(5, 16, size=labourers)
    lab = np.repeat(np.arange(labourers), degree)
    is_local = rng.random(len(lab)) < local
    local_post = block[lab] * posts_per_block + rng.integers(0, posts_per_block, size=len(lab))
    popularity = 1.0 / np.arange(1, remote + 1)  # a few remote posts are wanted by many
    remote_post = n_local + rng.choice(remote, size=len(lab), p=popularity / popularity.sum())
    post = np.where(is_local, local_post, remote_post)
    p = np.clip(rng.beta(2, 10, size=len(lab)), 0.005, 1.0)
    openings = rng.integers(1, 5, size=n_local + remote)
    instance = PlanInstance.from_candidates(
        lab, post, p, n_labourers=labourers, openings_left=openings
    )
    return instance, block


def check_blocked(instance: PlanInstance, block: np.ndarray) -> tuple[float, float]:
    """Feasible, never better than the whole optimum, the second pass never loses reach."""
    whole = solve(instance)
    blocked = solve_blocked(instance, block)
    check_feasible(instance, blocked)
    assert blocked.reach <= whole.reach
    assert blocked.reach >= blocked.stats["first_pass_reach"]
    if blocked.reach == whole.reach:
        assert blocked.objective <= whole.objective + ROUNDING * whole.total_pushes
    return 1 - blocked.objective / whole.objective, 1 - blocked.reach / whole.reach


@pytest.mark.parametrize("seed", range(3))
def test_blocked_respects_global_caps_and_stays_close(seed: int) -> None:
    # Measured over seeds 0-19 of this family: objective loss 1.1-1.3%, reach loss 0.
    instance, block = local_instance(
        seed, labourers=3000, blocks=12, posts_per_block=20, remote=150, local=0.7
    )
    objective_loss, reach_loss = check_blocked(instance, block)
    assert objective_loss <= 0.02
    assert reach_loss <= 0.005


def test_blocked_with_random_blocks_and_tight_options() -> None:
    # No locality at all (every post shared by every block) and a max_pushes cap: the worst case.
    rng = np.random.default_rng(11)
    base, _ = local_instance(
        5, labourers=2000, blocks=1, posts_per_block=100, remote=100, local=0.5
    )
    instance = PlanInstance(
        labourer=base.labourer,
        post=base.post,
        probability=base.probability,
        labourer_cap=base.labourer_cap,
        post_cap=base.post_cap,
        required=base.required,
        options=PlanOptions(max_pushes=2500, min_probability=0.05),
    )
    block = rng.integers(0, 8, size=instance.n_labourers)
    objective_loss, reach_loss = check_blocked(instance, block)
    assert solve_blocked(instance, block).total_pushes <= 2500
    assert objective_loss <= 0.06  # measured 3.8-4.7% over 10 seeds
    assert reach_loss <= 0.01  # measured 0


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), blocks=st.integers(1, 4))
def test_blocked_is_feasible_on_small_instances(seed: int, blocks: int) -> None:
    instance = random_instance(seed)
    block = np.random.default_rng(seed).integers(0, blocks, size=instance.n_labourers)
    solution = solve_blocked(instance, block)
    check_feasible(instance, solution)
    assert solution.reach <= exact(instance).reach
    if blocks == 1 or len(np.unique(block)) == 1:
        check_optimal(instance, solution)


def test_blocked_needs_a_block_per_labourer() -> None:
    instance, _ = local_instance(0, labourers=50, blocks=2, posts_per_block=5, remote=5, local=0.5)
    with pytest.raises(ValueError, match="block"):
        solve_blocked(instance, np.zeros(49, dtype=np.int64))


def test_blocks_solved_on_a_dask_cluster_are_the_blocks_solved_here(
    dask_engine: DaskEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first pass's blocks as tasks on two worker processes: the same pushes, bit for bit,
    with max_pushes shared among the blocks as well."""
    instance, block = local_instance(
        3, labourers=3000, blocks=12, posts_per_block=20, remote=150, local=0.7
    )
    capped = with_options(instance, max_pushes=2000)
    monkeypatch.setattr(optimizer, "PARALLEL_PAIRS", 1)
    for case in (instance, capped):
        here = solve_blocked(case, block)
        with get_task_stream(client=dask_engine.client) as tasks, dask_engine.batch() as batch:
            there = solve_blocked(case, block, batch=batch)
        assert sum(t["key"].startswith("_solve_block-") for t in tasks.data) == 12  # a block each
        assert np.array_equal(there.pairs, here.pairs)
        assert there.stats["first_pass_objective"] == here.stats["first_pass_objective"]
        assert there.stats["second_pass_blocks"] == here.stats["second_pass_blocks"]
