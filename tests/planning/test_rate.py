"""Coverage first, then the expected success rate: which of the optimiser's pushes are kept."""

import numpy as np

from matching.planning.competition import expected_hires
from matching.planning.rate import cut_to_rate


def _plan() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    labourer = np.repeat(np.arange(40), 3)
    post = rng.integers(0, 30, 120)
    probability = rng.uniform(0.01, 0.5, 120)
    return labourer, post, probability, np.full(30, 2)


def test_keeps_coverage_then_the_likeliest_while_the_rate_holds() -> None:
    labourer, post, probability, openings = _plan()
    cut = cut_to_rate(labourer, post, probability, openings, required=20, target_rate=0.17)
    assert cut.core == 20 and len(cut.keep) >= 20
    assert cut.hires.rate is not None and cut.hires.rate >= 0.17
    # The core is the 20 pushes of highest q (p discounted by the labourer's likelier pushes).
    from matching.planning.competition import take_probabilities

    q = take_probabilities(labourer, probability)
    core = np.argsort(-q, kind="stable")[:20]
    assert set(core) <= set(cut.keep.tolist())
    # Maximal: adding the likeliest push left out would take the rate below the floor.
    left = np.setdiff1d(np.arange(len(labourer)), cut.keep)
    if len(left):
        nxt = left[np.argmax(probability[left])]
        more = np.sort(np.r_[cut.keep, nxt])
        rate = expected_hires(labourer[more], post[more], probability[more], openings).rate
        assert rate is not None and rate < 0.17


def test_coverage_wins_when_both_cannot_be_met() -> None:
    labourer, post, probability, openings = _plan()
    cut = cut_to_rate(labourer, post, probability * 0.2, openings, required=30, target_rate=0.17)
    assert len(cut.keep) == 30  # the pushes coverage requires, no more
    assert cut.core_rate is not None and cut.core_rate < 0.17


def test_nothing_required_keeps_only_pushes_above_the_rate() -> None:
    labourer, post, probability, openings = _plan()
    cut = cut_to_rate(labourer, post, probability, openings, required=0, target_rate=0.45)
    assert cut.core == 0
    assert (probability[cut.keep] > 0.4).all()
    none = cut_to_rate(labourer, post, probability, openings, required=0, target_rate=0.99)
    assert len(none.keep) == 0
