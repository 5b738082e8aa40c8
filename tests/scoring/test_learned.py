"""Weights learned from outcomes (scoring.learned): the fit recovers known weights on
simulated outcomes, keeps every weight >= 0, and falls back where data is thin or no better."""

import numpy as np
import pytest

from matching.scoring import COMPONENTS, ScoringWeights
from matching.scoring.learned import LEARNED, NO_GAIN, THIN_DATA, auc, fit_weights

SETTINGS = ScoringWeights()


def simulate(
    true: dict[str, float], n: int, *, intercept: float = -3.0, scale: float = 4.0, seed: int = 7
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pushes whose labourers apply with sigmoid(intercept + scale x sum w x + log taste)."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, len(COMPONENTS)))
    w = np.array([true.get(c, 0.0) for c in COMPONENTS])
    taste = rng.choice([0.4, 1.0, 1.0, 1.0, 2.1], size=n)
    logit = intercept + scale * (x @ w) + np.log(taste)
    applied = rng.random(n) < 1 / (1 + np.exp(-logit))
    return x, applied, taste, np.arange(n) // 3  # three pushes a labourer


def test_the_fit_recovers_known_weights_and_beats_the_settings_on_the_holdout() -> None:
    true = {"location": 0.6, "skills": 0.3, "wage": 0.1}
    fit = fit_weights(*simulate(true, 30000), SETTINGS)
    assert fit.outcome == LEARNED and fit.used and fit.weights is not None
    learned = fit.weights.as_dict()
    for name in COMPONENTS:
        assert learned[name] == pytest.approx(true.get(name, 0.0), abs=0.05), name
    assert fit.scale == pytest.approx(4.0, rel=0.2)
    assert fit.intercept == pytest.approx(-3.0, abs=0.4)
    assert fit.auc_learned is not None and fit.auc_settings is not None
    assert fit.auc_learned > fit.auc_settings
    # One labourer in five is held out, whole.
    assert fit.holdout_pushes + fit.pushes == 30000
    # The curve plans use: P(apply) at a score, for a labourer of taste 1.
    assert fit.apply_probability([0.0, 1.0]) == pytest.approx(
        1 / (1 + np.exp([3.0, -1.0])), abs=0.05
    )


def test_a_component_that_lowers_applications_gets_weight_zero_not_negative() -> None:
    x, applied, taste, ids = simulate({"location": 0.7, "skills": 0.3}, 6000, seed=3)
    # Turn wage into a reason *not* to apply: the monotone fit holds its weight at 0.
    rng = np.random.default_rng(5)
    x[:, COMPONENTS.index("wage")] = np.where(applied, rng.random(len(x)) * 0.5,
                                              0.5 + rng.random(len(x)) * 0.5)  # fmt: skip
    fit = fit_weights(x, applied, taste, ids, SETTINGS)
    assert fit.weights is not None
    assert fit.weights.wage == 0.0
    assert min(fit.weights.as_dict().values()) >= 0.0


def test_thin_data_keeps_the_settings() -> None:
    fit = fit_weights(*simulate({"location": 1.0}, 300), SETTINGS)
    assert fit.outcome == THIN_DATA and not fit.used and fit.weights is None
    few_applications = simulate({"location": 1.0}, 3000, intercept=-9.0)
    assert fit_weights(*few_applications, SETTINGS).outcome == THIN_DATA


def test_outcomes_the_settings_already_explain_keep_the_settings() -> None:
    fit = fit_weights(*simulate(SETTINGS.as_dict(), 8000, seed=11), SETTINGS)
    assert fit.outcome == NO_GAIN and not fit.used
    assert fit.auc_learned == pytest.approx(fit.auc_settings, abs=0.005)


def test_bad_input_is_refused() -> None:
    x, applied, taste, ids = simulate({"location": 1.0}, 10)
    with pytest.raises(ValueError, match="one row per push"):
        fit_weights(x, applied[:5], taste, ids, SETTINGS)
    with pytest.raises(ValueError, match="taste factors > 0"):
        fit_weights(x, applied, taste * 0, ids, SETTINGS)


def test_auc_counts_ties_half_and_needs_both_classes() -> None:
    labels = np.array([True, False, True, False])
    assert auc(np.array([0.9, 0.1, 0.8, 0.2]), labels) == 1.0
    assert auc(np.array([0.5, 0.5, 0.5, 0.5]), labels) == 0.5
    assert auc(np.array([0.1, 0.9, 0.2, 0.8]), labels) == 0.0
    assert auc(np.array([0.1, 0.2]), np.array([True, True])) is None
