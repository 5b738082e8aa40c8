"""Monthly push planning: which posts to push to which labourers, as a lexicographic min-cost flow.

`optimizer` chooses the pushes and `calibration` turns matching scores into the success
probabilities it weighs; both are pure (numpy in, numpy out: no database, no matcher), so they
are re-exported here.
"""

from matching.planning.calibration import Calibration, prior_probability
from matching.planning.optimizer import (
    PlanInstance,
    PlanOptions,
    PlanSolution,
    Shortfall,
    solve,
    solve_blocked,
)

__all__ = [
    "Calibration",
    "PlanInstance",
    "PlanOptions",
    "PlanSolution",
    "Shortfall",
    "prior_probability",
    "solve",
    "solve_blocked",
]
