"""Component weights learned from a province's outcomes (docs/scoring.md, "Learned weights").

The settings' weights are a judgement. Once a province has pushed enough, its outcomes say how
much each component matters to whether a labourer takes a push up. The fit:

- **Data.** Pushes old enough for the labourer to have answered (`signal_days`), each with the
  breakdown it was scored with (x: five components in [0, 1]), whether the labourer applied
  (y: the push reached applied, interviewed, hired or rejected) and the labourer's taste factor
  at push time (t: their own record, scoring.feedback).
- **Model.** Logistic regression, logit P(apply) = b0 + sum_k beta_k x_k + log t, with every
  beta_k >= 0: a better fit on any component never makes a push less likely to be taken up
  (monotone), and the taste factor is a known offset (the plan multiplies by it again). A small
  ridge penalty keeps the fit stable where a component barely varies. Solved by Newton steps
  with an active set (a coefficient that would turn negative is held at 0).
- **Weights.** w_k = beta_k / sum beta: ranking by sum w_k x_k is ranking by the fitted logit.
  So P(apply | score) = sigmoid(b0 + B x score) with B = sum beta, the curve plans use.
- **Hold-out check.** One labourer in five (by id) is held out; the weights are fitted on the
  rest, and used only if, on the held-out pushes, they rank applications above the others
  better than the settings' weights do (AUC, higher by at least `margin`). Otherwise, or where
  data is thin (fewer than `min_pushes` pushes or `min_applied` applications to fit on), the
  settings' weights stay.
"""

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from matching.scoring.types import COMPONENTS, ScoringWeights

F64 = npt.NDArray[np.float64]

DEFAULT_MIN_PUSHES: Final = 400
DEFAULT_MIN_APPLIED: Final = 40
DEFAULT_MARGIN: Final = 0.005
HOLDOUT_EVERY: Final = 5  # labourers whose id % 5 == 0 are held out
RIDGE: Final = 1.0  # on the component coefficients, not the intercept
LEARNED: Final = "learned"
THIN_DATA: Final = "thin_data"
NO_GAIN: Final = "no_gain"


@dataclass(frozen=True, slots=True)
class WeightFit:
    """What a fit found and whether its weights are used (`outcome`: learned, thin_data or
    no_gain); `intercept` and `scale` give P(apply | score under `weights`) for a labourer of
    taste 1 as sigmoid(intercept + scale x score)."""

    outcome: str
    weights: ScoringWeights | None
    intercept: float
    scale: float
    pushes: int  # fitted on
    applied: int
    holdout_pushes: int
    auc_settings: float | None  # on the held-out pushes
    auc_learned: float | None

    @property
    def used(self) -> bool:
        """True when the learned weights replace the settings' ones."""
        return self.outcome == LEARNED and self.weights is not None

    def apply_probability(self, scores: npt.ArrayLike) -> F64:
        """P(apply | score) for a labourer of taste 1."""
        return apply_probability(self.intercept, self.scale, scores)


def apply_probability(intercept: float, scale: float, scores: npt.ArrayLike) -> F64:
    """sigmoid(intercept + scale x score): a fit's P(apply | score) for a labourer of taste 1."""
    s = np.clip(np.asarray(scores, dtype=np.float64), 0.0, 1.0)
    p: F64 = 1.0 / (1.0 + np.exp(-(intercept + scale * s)))
    return p


def auc(scores: F64, labels: npt.NDArray[np.bool_]) -> float | None:
    """P(a random positive scores above a random negative), ties counted half; None when one
    class is missing (Mann-Whitney U over average ranks)."""
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    average_rank = ends - (counts - 1) / 2.0  # 1-based average rank of each distinct value
    ranks = average_rank[inverse.reshape(-1)]
    u = ranks[labels].sum() - positives * (positives + 1) / 2.0
    return float(u / (positives * negatives))


def _loss(beta: F64, x: F64, y: F64, offset: F64) -> float:
    eta = x @ beta + offset
    # log(1 + e^eta) - y * eta, stably
    return float(np.sum(np.logaddexp(0.0, eta) - y * eta) + 0.5 * RIDGE * beta[1:] @ beta[1:])


def fit_logistic(x: F64, y: F64, offset: F64, iterations: int = 50) -> F64:
    """[b0, beta_1 … beta_k] of the monotone logistic regression above (beta_k >= 0)."""
    n, k = x.shape
    design = np.hstack([np.ones((n, 1)), x])
    ridge = np.diag([0.0] + [RIDGE] * k)
    mean = min(max(float(y.mean()), 1e-3), 1 - 1e-3)
    beta = np.zeros(k + 1)
    beta[0] = np.log(mean / (1 - mean))
    free = np.ones(k + 1, dtype=np.bool_)
    loss = _loss(beta, design, y, offset)
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(design @ beta + offset)))
        gradient = design.T @ (p - y) + ridge @ beta
        # A coefficient at 0 whose gradient would push it negative stays at 0 this step.
        free = np.ones(k + 1, dtype=np.bool_)
        free[1:] = ~((beta[1:] <= 0) & (gradient[1:] > 0))
        hessian = (design * (p * (1 - p))[:, None]).T @ design + ridge
        step = np.zeros(k + 1)
        step[free] = np.linalg.solve(hessian[np.ix_(free, free)], gradient[free])
        size = 1.0
        while size > 1e-6:
            trial = beta - size * step
            trial[1:] = np.maximum(trial[1:], 0.0)
            trial_loss = _loss(trial, design, y, offset)
            if trial_loss <= loss:
                break
            size /= 2
        else:
            break
        done = loss - trial_loss < 1e-9 * max(1.0, abs(loss))
        beta, loss = trial, trial_loss
        if done:
            break
    return beta


def fit_weights(
    breakdown: npt.ArrayLike,
    applied: npt.ArrayLike,
    taste: npt.ArrayLike,
    labourer_ids: npt.ArrayLike,
    settings: ScoringWeights,
    *,
    min_pushes: int = DEFAULT_MIN_PUSHES,
    min_applied: int = DEFAULT_MIN_APPLIED,
    margin: float = DEFAULT_MARGIN,
) -> WeightFit:
    """The fit of the module docstring: `breakdown` (n, 5) in COMPONENTS order, `applied` (n,)
    booleans, `taste` (n,) factors > 0, `labourer_ids` (n,) for the hold-out split."""
    x = np.asarray(breakdown, dtype=np.float64).reshape(-1, len(COMPONENTS))
    y = np.asarray(applied, dtype=np.bool_)
    t = np.asarray(taste, dtype=np.float64)
    ids = np.asarray(labourer_ids, dtype=np.int64)
    n = len(x)
    if y.shape != (n,) or t.shape != (n,) or ids.shape != (n,):
        raise ValueError("breakdown, applied, taste and labourer_ids must have one row per push")
    if n and (not np.isfinite(x).all() or not (np.isfinite(t).all() and (t > 0).all())):
        raise ValueError("breakdowns must be finite and taste factors > 0")
    held = ids % HOLDOUT_EVERY == 0
    train = ~held
    base = np.array([settings.as_dict()[c] for c in COMPONENTS])

    def thin(pushes: int, applied_: int) -> WeightFit:
        return WeightFit(THIN_DATA, None, 0.0, 0.0, pushes, applied_, int(held.sum()), None, None)

    if int(train.sum()) < min_pushes or int(y[train].sum()) < min_applied:
        return thin(int(train.sum()), int(y[train].sum()))
    beta = fit_logistic(x[train], y[train].astype(np.float64), np.log(t[train]))
    scale = float(beta[1:].sum())
    if scale <= 0:  # no component speaks for applying: nothing to weigh by
        return WeightFit(NO_GAIN, None, float(beta[0]), 0.0, int(train.sum()),
                         int(y[train].sum()), int(held.sum()), None, None)  # fmt: skip
    learned = beta[1:] / scale
    auc_settings = auc(x[held] @ base, y[held])
    auc_learned = auc(x[held] @ learned, y[held])
    better = (
        auc_settings is not None and auc_learned is not None
        and auc_learned >= auc_settings + margin
    )  # fmt: skip
    weights = None
    if better:
        weights = ScoringWeights(**dict(zip(COMPONENTS, (float(w) for w in learned), strict=True)))
    return WeightFit(
        outcome=LEARNED if better else NO_GAIN,
        weights=weights,
        intercept=float(beta[0]),
        scale=scale,
        pushes=int(train.sum()),
        applied=int(y[train].sum()),
        holdout_pushes=int(held.sum()),
        auc_settings=auc_settings,
        auc_learned=auc_learned,
    )
