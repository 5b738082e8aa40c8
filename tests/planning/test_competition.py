"""Expected hires when labourers and posts compete: the closed form against its Monte Carlo."""

import numpy as np
import pytest

from matching.planning.competition import (
    capped_binomial_mean,
    expected_hires,
    simulate_hires,
    take_probabilities,
)


def _random_plan(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labourer = rng.integers(0, 150, 500)
    post = rng.integers(0, 25, 500)
    unique = np.unique(labourer * 1000 + post, return_index=True)[1]
    probability = rng.uniform(0.02, 0.6, 500)
    openings = rng.integers(1, 4, 25)
    return labourer[unique], post[unique], probability[unique], openings


def test_one_labourer_takes_one_job() -> None:
    hires = expected_hires(np.zeros(3, np.int64), np.arange(3), np.full(3, 0.5), np.full(3, 10))
    assert hires.sum_of_probabilities == pytest.approx(1.5)
    assert hires.expected == pytest.approx(1 - 0.5**3)  # at least one success of three
    q = take_probabilities(np.zeros(3, np.int64), np.array([0.2, 0.5, 0.4]))
    np.testing.assert_allclose(q, [0.2 * 0.5 * 0.6, 0.5, 0.4 * 0.5])


def test_one_opening_takes_one_hire() -> None:
    hires = expected_hires(np.arange(10), np.zeros(10, np.int64), np.full(10, 0.5), np.array([1]))
    assert hires.expected == pytest.approx(1 - 0.5**10)
    assert hires.rate == pytest.approx((1 - 0.5**10) / 10)


def test_capped_binomial_mean_is_exact_for_equal_probabilities() -> None:
    from scipy.stats import binom

    for n, p, cap in [(10, 0.3, 2), (5, 0.9, 4), (40, 0.05, 1), (3, 0.5, 0), (3, 0.5, 9)]:
        exact = sum(min(k, cap) * binom.pmf(k, n, p) for k in range(n + 1))
        got = capped_binomial_mean(np.array([n]), np.array([n * p]), np.array([cap]))[0]
        assert got == pytest.approx(exact, abs=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_the_closed_form_is_close_to_and_below_the_simulation(seed: int) -> None:
    labourer, post, probability, openings = _random_plan(seed)
    closed = expected_hires(labourer, post, probability, openings)
    simulated = simulate_hires(labourer, post, probability, openings, draws=3000, seed=seed)
    assert closed.expected < closed.sum_of_probabilities
    assert closed.expected <= openings.sum() and closed.expected <= len(np.unique(labourer))
    assert -0.03 < closed.expected / simulated - 1 < 0.005  # cautious, by 1-2%


def test_no_pushes_no_hires() -> None:
    empty = np.zeros(0, np.int64)
    hires = expected_hires(empty, empty, np.zeros(0), np.zeros(0, np.int64))
    assert (hires.pushes, hires.expected, hires.rate) == (0, 0.0, None)
