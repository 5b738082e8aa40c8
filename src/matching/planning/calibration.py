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
"""

from collections.abc import Mapping
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

    def __post_init__(self) -> None:
        if self.method not in (PRIOR, BINNED):
            raise ValueError(f"unknown calibration method {self.method!r}")
        if self.n_outcomes < 0:
            raise ValueError("n_outcomes must be >= 0")
        if self.method == BINNED:
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
        s = np.clip(np.asarray(scores, dtype=np.float64), 0.0, 1.0)
        p: F64 = np.interp(s, np.array(self.knots), np.array(self.values))
        return p

    def to_dict(self) -> dict[str, Any]:
        """A small JSON-ready dict; `from_dict` reads it back."""
        return {
            "method": self.method,
            "n_outcomes": self.n_outcomes,
            "knots": list(self.knots),
            "values": list(self.values),
            "pseudo_count": self.pseudo_count,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Calibration":
        """The calibration `to_dict` wrote (validated again)."""
        return cls(
            method=str(data["method"]),
            n_outcomes=int(data["n_outcomes"]),
            knots=tuple(float(x) for x in data.get("knots", ())),
            values=tuple(float(x) for x in data.get("values", ())),
            pseudo_count=float(data.get("pseudo_count", 0.0)),
        )
