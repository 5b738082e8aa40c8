"""Success probability of a push from its matching score, before and after outcomes are known.

The planner weighs pushes by p, the probability that a push leads to a hire. Until the service
has seen enough resolved pushes, p comes from a documented prior; afterwards from the
outcomes, smoothed toward that prior where they are thin.

**The prior** is not measured: it encodes the policy target and two judgements, interpolated
linearly in log-odds between anchors (score -> p):

- 0.65 -> 0.15: the programme's target is a 15% success rate for recommended pushes, and a
  typical recommended pair scores 0.6-0.7, so the middle of that band sits on the target;
- 1.0 -> 0.35: even a perfect fit on place, skills and wage converts one push in three at best
  (family duties, competing offers, the post filling first);
- 0.3 -> 0.02: a weak match is close to a cold call;
- 0.0 -> 0.003: the 0.3-0.65 log-odds slope continued down to 0.

**The fit** (`Calibration.fit`), once ``min_outcomes`` pushes are resolved: scores in 10 equal
bins; each bin's hire rate is the mean of a Beta posterior whose prior is the prior curve at the
bin's mean score with ``pseudo_count`` pseudo-pushes, so a thin bin stays near the prior and a
full one follows its data; pool-adjacent-violators then makes the rates non-decreasing in score
(weighted by pushes + pseudo-count), and `predict` interpolates linearly between bins' mean
scores, flat beyond the outermost ones. The result is small and serialisable (`to_dict`).

**The two-stage fit** (`fit_two_stage`, what plans use) does not wait for the 60-day hire window
to close. It splits success in two, P(hire | score) = P(apply | score) x P(hire | applied):

- P(apply | score) is fitted on pushes at least ``signal_days`` old (default 14), by which time
  a labourer has applied or not: applied means the push reached applied, interviewed, hired or
  rejected (a rejection comes after an application); viewed, declined, no response and silence
  count as not applied. Ten score bins, as in the binned fit, then made non-decreasing.
  The labourer's taste factor at push time (scoring.feedback: their declines, applications and
  silences) is a known offset: a push is expected to apply with the bin's rate times its
  factor, so each bin's rate is applications over the sum of its pushes' factors (`exposure`),
  and the plan multiplies it by the factor again. Without the offset, a month whose pushes went
  mostly to labourers who answer would teach a high rate that the next plan multiplies by their
  high factor a second time.
- P(hire | applied) is one rate, fitted on applied pushes whose outcome is known: hired within
  the window, rejected or declined, or the window closed without a hire.

Both are estimated per region level and *pooled from the parent where the region has little*:
going from the province down to the plan's region, each level's rate is its own count plus
``pseudo_count`` pseudo-pushes at its parent's rate (the province's parent is the prior: the
prior curve divided by a prior P(hire | applied) of 0.4 for applying, and 0.4 itself). A county
with ten outcomes thus speaks mostly with its prefecture's voice; one with thousands with its own.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

PRIOR_ANCHORS: Final = ((0.0, 0.003), (0.3, 0.02), (0.65, 0.15), (1.0, 0.35))
DEFAULT_MIN_OUTCOMES: Final = 200
DEFAULT_BINS: Final = 10
DEFAULT_PSEUDO_COUNT: Final = 20.0
PRIOR: Final = "prior"
BINNED: Final = "binned"
TWO_STAGE: Final = "two_stage"
LEARNED: Final = "learned"
LEARNED_KNOTS: Final = 21
PRIOR_HIRE_GIVEN_APPLY: Final = 0.4  # of applications, how many end in a hire (a judgement)
MAX_APPLY_RATE: Final = 0.9

_ANCHOR_SCORES = np.array([s for s, _ in PRIOR_ANCHORS])
_ANCHOR_LOGITS = np.log([p / (1 - p) for _, p in PRIOR_ANCHORS])


def prior_probability(score: npt.ArrayLike) -> F64:
    """The prior p(score), vectorised, strictly increasing; scores are clipped to [0, 1]."""
    s = np.clip(np.asarray(score, dtype=np.float64), 0.0, 1.0)
    logit = np.interp(s, _ANCHOR_SCORES, _ANCHOR_LOGITS)
    p: F64 = 1.0 / (1.0 + np.exp(-logit))
    return p


def _pool_adjacent_violators(values: F64, weights: F64) -> F64:
    """The weighted least-squares non-decreasing fit to values (a handful of bins: a plain loop)."""
    means: list[float] = []
    sizes: list[float] = []
    counts: list[int] = []
    for value, weight in zip(values.tolist(), weights.tolist(), strict=True):
        means.append(value)
        sizes.append(weight)
        counts.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            w = sizes[-2] + sizes[-1]
            means[-2] = (means[-2] * sizes[-2] + means[-1] * sizes[-1]) / w
            sizes[-2] = w
            counts[-2] += counts[-1]
            del means[-1], sizes[-1], counts[-1]
    return np.repeat(np.array(means, dtype=np.float64), counts)


@dataclass(frozen=True)
class Calibration:
    """Score -> success probability: the prior, or a monotone binned fit to outcomes.

    ``method`` is ``"prior"`` or ``"binned"``; ``n_outcomes`` is how many resolved pushes the fit
    saw (also recorded when there were too few and the prior was kept), for reports.
    """

    method: str = PRIOR
    n_outcomes: int = 0
    knots: tuple[float, ...] = ()
    values: tuple[float, ...] = ()
    pseudo_count: float = 0.0
    stages: "StageFit | None" = None

    def __post_init__(self) -> None:
        if self.method not in (PRIOR, BINNED, TWO_STAGE, LEARNED):
            raise ValueError(f"unknown calibration method {self.method!r}")
        if self.n_outcomes < 0:
            raise ValueError("n_outcomes must be >= 0")
        if self.method in (BINNED, TWO_STAGE, LEARNED):
            knots, values = np.array(self.knots), np.array(self.values)
            if len(knots) == 0 or len(knots) != len(values):
                raise ValueError("a binned calibration needs one value per knot")
            if not (np.all(np.diff(knots) > 0) and np.all(np.diff(values) >= 0)):
                raise ValueError("knots must increase and values must not decrease")
            if knots[0] < 0 or knots[-1] > 1 or values[0] < 0 or values[-1] > 1:
                raise ValueError("knots and values must lie in [0, 1]")

    @classmethod
    def prior(cls, n_outcomes: int = 0) -> "Calibration":
        """The documented prior, noting how many outcomes were seen (too few to fit)."""
        return cls(method=PRIOR, n_outcomes=n_outcomes)

    @classmethod
    def learned(
        cls,
        apply_probability: Callable[[F64], F64],
        *,
        hire_given_apply: float,
        n_outcomes: int,
        stages: "StageFit | None" = None,
    ) -> "Calibration":
        """P(hire | score) = P(apply | score) x P(hire | applied) where P(apply | score) is the
        curve of a province's learned weights (scoring.learned: sigmoid of the score under those
        weights) and P(hire | applied) the two-stage fit's; on LEARNED_KNOTS scores."""
        knots = np.linspace(0.0, 1.0, LEARNED_KNOTS)
        values = np.clip(apply_probability(knots) * hire_given_apply, 1e-6, 1.0)
        return cls(
            method=LEARNED,
            n_outcomes=n_outcomes,
            knots=tuple(float(x) for x in knots),
            values=tuple(float(x) for x in np.maximum.accumulate(values)),
            stages=stages,
        )

    @classmethod
    def fit(
        cls,
        scores: npt.ArrayLike,
        hired: npt.ArrayLike,
        *,
        min_outcomes: int = DEFAULT_MIN_OUTCOMES,
        bins: int = DEFAULT_BINS,
        pseudo_count: float = DEFAULT_PSEUDO_COUNT,
    ) -> "Calibration":
        """Fit to resolved pushes (score, hired?); the prior while there are < min_outcomes."""
        s = np.asarray(scores, dtype=np.float64)
        h = np.asarray(hired)
        if s.ndim != 1 or s.shape != h.shape:
            raise ValueError("scores and hired must be one-dimensional and of equal length")
        if h.dtype != np.bool_:
            if not np.isin(h, (0, 1)).all():
                raise ValueError("hired must be boolean")
            h = h.astype(bool)
        if not np.isfinite(s).all():
            raise ValueError("scores must be finite")
        if bins < 1 or pseudo_count <= 0:
            raise ValueError("bins must be >= 1 and pseudo_count > 0")
        n = len(s)
        if n < min_outcomes:
            return cls.prior(n)
        s = np.clip(s, 0.0, 1.0)
        b = np.minimum((s * bins).astype(np.int64), bins - 1)
        count = np.bincount(b, minlength=bins).astype(np.float64)
        hires = np.bincount(b, weights=h.astype(np.float64), minlength=bins)
        total = np.bincount(b, weights=s, minlength=bins)
        middle = (np.arange(bins) + 0.5) / bins
        center = np.where(count > 0, total / np.maximum(count, 1), middle)
        prior = prior_probability(center)
        rate = (hires + pseudo_count * prior) / (count + pseudo_count)
        monotone = _pool_adjacent_violators(rate, count + pseudo_count)
        return cls(
            method=BINNED,
            n_outcomes=n,
            knots=tuple(float(x) for x in center),
            values=tuple(float(x) for x in monotone),
            pseudo_count=float(pseudo_count),
        )

    def predict(self, scores: npt.ArrayLike) -> F64:
        """p for each score (any shape), non-decreasing in score."""
        if self.method == PRIOR:
            return prior_probability(scores)
        # binned, two-stage and learned: the fitted curve, interpolated between its knots
        s = np.clip(np.asarray(scores, dtype=np.float64), 0.0, 1.0)
        p: F64 = np.interp(s, np.array(self.knots), np.array(self.values))
        return p

    def to_dict(self) -> dict[str, Any]:
        """A small JSON-ready dict; `from_dict` reads it back."""
        out: dict[str, Any] = {
            "method": self.method,
            "n_outcomes": self.n_outcomes,
            "knots": list(self.knots),
            "values": list(self.values),
            "pseudo_count": self.pseudo_count,
        }
        if self.stages is not None:
            out["stages"] = self.stages.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Calibration":
        """The calibration `to_dict` wrote (validated again)."""
        return cls(
            method=str(data["method"]),
            n_outcomes=int(data["n_outcomes"]),
            knots=tuple(float(x) for x in data.get("knots", ())),
            values=tuple(float(x) for x in data.get("values", ())),
            pseudo_count=float(data.get("pseudo_count", 0.0)),
            stages=StageFit.from_dict(data["stages"]) if data.get("stages") else None,
        )


@dataclass(frozen=True, slots=True)
class LevelCounts:
    """One region level's early signals and outcomes, per score bin (arrays of `bins`)."""

    region: str
    signal_pushes: F64  # pushes whose signal window has closed
    applied: F64  # of those, the ones that applied
    score_sum: F64  # sum of their scores (for the bins' mean scores)
    resolved_applied: float  # applied pushes whose outcome is known
    hired: float  # of those, hired within the attribution window
    # Sum of the signal pushes' taste factors (None: all 1): each push's expected applications
    # are its labourer's factor times the bin's rate, so the rate is applied / exposure.
    exposure: F64 | None = None

    @classmethod
    def empty(cls, region: str, bins: int = DEFAULT_BINS) -> "LevelCounts":
        """A level with no pushes yet."""
        zeros = np.zeros(bins, np.float64)
        return cls(region, zeros, zeros.copy(), zeros.copy(), 0.0, 0.0, zeros.copy())

    @property
    def apply_exposure(self) -> F64:
        """What the bin's apply rate divides by: the pushes, each weighed by its taste factor."""
        return self.signal_pushes if self.exposure is None else self.exposure


@dataclass(frozen=True, slots=True)
class StageFit:
    """The two stages of a two-stage fit, for the plan's record."""

    apply_rate: tuple[float, ...]  # P(apply) at the knots
    hire_given_apply: float
    levels: tuple[dict[str, Any], ...]  # per level, widest first: region and its counts

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "apply_rate": list(self.apply_rate),
            "hire_given_apply": self.hire_given_apply,
            "levels": list(self.levels),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "StageFit":
        """What `to_dict` wrote."""
        return cls(
            apply_rate=tuple(float(x) for x in data["apply_rate"]),
            hire_given_apply=float(data["hire_given_apply"]),
            levels=tuple(dict(x) for x in data["levels"]),
        )


def fit_two_stage(
    levels: list[LevelCounts], *, pseudo_count: float = DEFAULT_PSEUDO_COUNT
) -> Calibration:
    """P(hire | score) = P(apply | score) x P(hire | applied), each level pooled toward its
    parent (`levels` widest first, the plan's region last); the prior when nothing is known."""
    if not levels or pseudo_count <= 0:
        raise ValueError("at least one level and a positive pseudo_count are needed")
    widest = levels[0]  # holds every narrower level's pushes too
    bins = len(widest.signal_pushes)
    if widest.signal_pushes.sum() == 0 and widest.resolved_applied == 0:
        return Calibration.prior()
    total, score_sum = widest.signal_pushes, widest.score_sum
    middle = (np.arange(bins) + 0.5) / bins
    center = np.where(total > 0, score_sum / np.maximum(total, 1), middle)
    apply_rate = np.minimum(prior_probability(center) / PRIOR_HIRE_GIVEN_APPLY, MAX_APPLY_RATE)
    hire_rate = PRIOR_HIRE_GIVEN_APPLY
    for level in levels:
        apply_rate = (level.applied + pseudo_count * apply_rate) / (
            level.apply_exposure + pseudo_count
        )
        hire_rate = (level.hired + pseudo_count * hire_rate) / (
            level.resolved_applied + pseudo_count
        )
    own = levels[-1]
    apply_rate = _pool_adjacent_violators(apply_rate, own.signal_pushes + pseudo_count)
    curve = np.clip(apply_rate * hire_rate, 1e-6, 1.0)
    return Calibration(
        method=TWO_STAGE,
        n_outcomes=int(own.signal_pushes.sum()),
        knots=tuple(float(x) for x in center),
        values=tuple(float(x) for x in curve),
        pseudo_count=float(pseudo_count),
        stages=StageFit(
            apply_rate=tuple(float(x) for x in apply_rate),
            hire_given_apply=float(hire_rate),
            levels=tuple(
                {
                    "region": level.region,
                    "signal_pushes": int(level.signal_pushes.sum()),
                    "applied": int(level.applied.sum()),
                    "resolved_applied": int(level.resolved_applied),
                    "hired": int(level.hired),
                }
                for level in levels
            ),
        ),
    )
