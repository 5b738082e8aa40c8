"""Score -> success probability: the documented prior, and the monotone binned fit."""

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.planning import Calibration, prior_probability
from matching.planning.calibration import PRIOR_ANCHORS

GRID = np.linspace(0.0, 1.0, 201)


def test_prior_hits_its_anchors_and_increases() -> None:
    for score, p in PRIOR_ANCHORS:
        assert float(prior_probability(score)) == pytest.approx(p)
    values = prior_probability(GRID)
    assert (np.diff(values) > 0).all()
    # The policy target: a typical recommended push (score 0.6-0.7) succeeds about 15% of times.
    assert 0.1 < float(prior_probability(0.6)) < 0.15 < float(prior_probability(0.7)) < 0.2
    assert prior_probability(-1.0) == prior_probability(0.0)  # scores are clipped to [0, 1]
    assert prior_probability(np.array([[0.3, 1.0]])).shape == (1, 2)


def test_too_few_outcomes_keep_the_prior() -> None:
    rng = np.random.default_rng(1)
    scores = rng.random(199)
    calibration = Calibration.fit(scores, rng.random(199) < 0.5, min_outcomes=200)
    assert calibration.method == "prior"
    assert calibration.n_outcomes == 199
    np.testing.assert_array_equal(calibration.predict(GRID), prior_probability(GRID))


def true_curve(score: np.ndarray) -> np.ndarray:
    return 0.02 + 0.4 * score**2


@pytest.mark.parametrize("seed", range(3))
def test_fit_recovers_a_known_monotone_curve(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.random(40_000)
    hired = rng.random(40_000) < true_curve(scores)
    calibration = Calibration.fit(scores, hired)
    assert calibration.method == "binned"
    assert calibration.n_outcomes == 40_000
    inside = np.linspace(0.05, 0.95, 91)  # between the outermost bins' mean scores
    error = np.abs(calibration.predict(inside) - true_curve(inside))
    assert error.max() < 0.03
    assert error.mean() < 0.01


def test_thin_bins_stay_near_the_prior() -> None:
    # 250 pushes, all scored 0.85-0.95 and all failed: the low empty bins keep the prior
    # exactly; the full bins fall far below it but not to zero (pooled by PAV with the empty
    # bins just below them, whose prior rates would otherwise exceed theirs).
    scores = np.linspace(0.85, 0.95, 250)
    calibration = Calibration.fit(scores, np.zeros(250, dtype=bool))
    assert calibration.method == "binned"
    assert calibration.predict(0.05) == pytest.approx(float(prior_probability(0.05)))
    fitted = float(calibration.predict(0.9))
    assert 0 < fitted < float(prior_probability(0.9)) / 4
    assert (np.diff(calibration.predict(GRID)) >= 0).all()


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(200, 3000),
    base=st.floats(0.0, 0.5),
    slope=st.floats(-0.5, 0.5),
)
def test_predictions_never_decrease_with_score(
    seed: int, n: int, base: float, slope: float
) -> None:
    # Whatever the outcomes - even a falling true curve - the fitted curve is non-decreasing.
    rng = np.random.default_rng(seed)
    scores = rng.beta(2, 2, size=n)
    hired = rng.random(n) < np.clip(base + slope * scores, 0, 1)
    calibration = Calibration.fit(scores, hired)
    predicted = calibration.predict(GRID)
    assert (np.diff(predicted) >= -1e-12).all()
    assert ((predicted >= 0) & (predicted <= 1)).all()


def test_round_trip_through_a_dict() -> None:
    rng = np.random.default_rng(5)
    scores = rng.random(1000)
    fitted = Calibration.fit(scores, rng.random(1000) < true_curve(scores))
    for calibration in (fitted, Calibration.prior(12)):
        data = json.loads(json.dumps(calibration.to_dict()))
        again = Calibration.from_dict(data)
        assert again == calibration
        np.testing.assert_array_equal(again.predict(GRID), calibration.predict(GRID))


@pytest.mark.parametrize(
    "data",
    [
        {"method": "magic", "n_outcomes": 1},
        {"method": "binned", "n_outcomes": 300, "knots": [0.2, 0.1], "values": [0.1, 0.2]},
        {"method": "binned", "n_outcomes": 300, "knots": [0.1, 0.2], "values": [0.3, 0.2]},
        {"method": "binned", "n_outcomes": 300, "knots": [0.1], "values": []},
    ],
)
def test_malformed_dicts_are_refused(data: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        Calibration.from_dict(data)


def test_fit_validates_its_input() -> None:
    with pytest.raises(ValueError, match="equal length"):
        Calibration.fit(np.zeros(3), np.zeros(2, dtype=bool))
    with pytest.raises(ValueError, match="boolean"):
        Calibration.fit(np.zeros(3), np.array([0, 2, 1]))
    with pytest.raises(ValueError, match="finite"):
        Calibration.fit(np.array([np.nan] * 300), np.zeros(300, dtype=bool))
    accepted = Calibration.fit(np.full(300, 0.5), np.array([0, 1] * 150))
    assert accepted.method == "binned"


# --- the two-stage fit: early signals, pooled from the parent region --------------------------


def _level(
    region: str,
    scores: np.ndarray,
    applied: np.ndarray,
    hired: np.ndarray,
    taste: np.ndarray | None = None,
) -> Any:
    from matching.planning.calibration import LevelCounts

    b = np.minimum((scores * 10).astype(int), 9)
    return LevelCounts(
        region=region,
        signal_pushes=np.bincount(b, minlength=10).astype(float),
        applied=np.bincount(b, weights=applied.astype(float), minlength=10).astype(float),
        score_sum=np.bincount(b, weights=scores, minlength=10).astype(float),
        resolved_applied=float(applied.sum()),
        hired=float((applied & hired).sum()),
        exposure=None
        if taste is None
        else np.bincount(b, weights=taste, minlength=10).astype(float),
    )


def _simulate(rng: np.random.Generator, n: int, hire_given_apply: float) -> tuple[np.ndarray, ...]:
    scores = rng.random(n)
    applied = rng.random(n) < 0.05 + 0.5 * scores
    hired = rng.random(n) < hire_given_apply
    return scores, applied, hired


def test_two_stage_recovers_known_rates_from_early_signals() -> None:
    from matching.planning.calibration import fit_two_stage

    rng = np.random.default_rng(3)
    county = _simulate(rng, 20_000, 0.3)
    province = tuple(np.r_[a, b] for a, b in zip(county, _simulate(rng, 20_000, 0.3), strict=True))
    fit = fit_two_stage([_level("43", *province), _level("430981", *county)])
    assert fit.method == "two_stage" and fit.stages is not None
    inside = np.linspace(0.1, 0.9, 17)
    truth = (0.05 + 0.5 * inside) * 0.3
    assert np.abs(fit.predict(inside) - truth).max() < 0.015
    assert abs(fit.stages.hire_given_apply - 0.3) < 0.02
    assert Calibration.from_dict(json.loads(json.dumps(fit.to_dict()))) == fit


def test_a_thin_region_is_pooled_from_its_parent() -> None:
    from matching.planning.calibration import fit_two_stage

    rng = np.random.default_rng(4)
    province = _simulate(rng, 30_000, 0.2)
    # 15 pushes in the county, all of which applied and were hired: far from the province.
    county = (rng.random(15), np.ones(15, bool), np.ones(15, bool))
    fit = fit_two_stage([_level("43", *province), _level("430981", *county)])
    assert fit.stages is not None
    # 15 outcomes against 20 pseudo-pushes at the province's rate: pulled most of the way back.
    assert 0.2 < fit.stages.hire_given_apply < (15 + 20 * 0.2) / 35 + 0.02
    alone = fit_two_stage([_level("430981", *county)])
    assert alone.stages is not None and alone.stages.hire_given_apply > fit.stages.hire_given_apply


def test_no_signal_anywhere_keeps_the_prior() -> None:
    from matching.planning.calibration import LevelCounts, fit_two_stage

    fit = fit_two_stage([LevelCounts.empty("43"), LevelCounts.empty("430981")])
    assert fit.method == "prior"
    np.testing.assert_array_equal(fit.predict(GRID), prior_probability(GRID))


def test_the_taste_factor_at_push_time_is_an_offset() -> None:
    """Half the pushes went to labourers who answer (factor 1.25), half to silent ones (0.1):
    each applied with base rate x factor. Weighing each push by its factor recovers the base
    rate, so the plan's base x factor is right; counting pushes alone learns the average."""
    from matching.planning.calibration import fit_two_stage

    rng = np.random.default_rng(11)
    n = 40_000
    scores = rng.random(n)
    taste = np.where(rng.random(n) < 0.5, 1.25, 0.1)
    base = 0.05 + 0.4 * scores
    applied = rng.random(n) < base * taste
    hired = rng.random(n) < 0.5
    with_offset = fit_two_stage([_level("43", scores, applied, hired, taste)])
    without = fit_two_stage([_level("43", scores, applied, hired)])
    inside = np.linspace(0.1, 0.9, 17)
    truth = (0.05 + 0.4 * inside) * 0.5
    assert np.abs(with_offset.predict(inside) - truth).max() < 0.015
    assert (without.predict(inside) < truth * 0.8).all()  # the average labourer (0.675)
