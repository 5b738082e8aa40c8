"""A labourer's record from their own answers: refusals lower posts like the refused ones,
applications raise them, within bounds; pushes left unanswered lower every post, answers raise
them, through a two-kind mixture fitted to a region's records."""

import random
from collections import Counter

import pytest

from matching.scoring.feedback import (
    CEILING,
    FLOOR,
    LOWEST,
    PRIOR_RESPONSIVENESS,
    Responsiveness,
    Taste,
)


def test_no_history_changes_nothing() -> None:
    assert Taste().factor == 1.0
    assert Taste().reason("电焊工") is None


def test_refusals_lower_and_applications_raise() -> None:
    one = Taste(occupation_refusals=1)
    assert one.factor == pytest.approx((0 + 0.7) / (3 + 2) / 0.35)
    assert Taste(group_refusals=1).factor > one.factor  # another occupation of the group
    assert Taste(occupation_refusals=3).factor == FLOOR
    assert Taste(occupation_applications=1).factor > 1.5
    assert Taste(occupation_applications=5).factor == CEILING
    mixed = Taste(occupation_refusals=1, occupation_applications=1)
    assert mixed.factor == pytest.approx((3 + 0.7) / (6 + 2) / 0.35)


@pytest.mark.parametrize(
    ("taste", "code"),
    [
        (Taste(occupation_refusals=1), "declined_occupation"),
        (Taste(group_refusals=2), "declined_group"),
        (Taste(unanswered=2), "unanswered"),
        (Taste(unanswered=1, occupation_refusals=1), "declined_occupation"),
        (Taste(group_applications=1), "applied_similar"),
        (Taste(answered=2), "answers_pushes"),
    ],
)
def test_every_change_has_its_reason(taste: Taste, code: str) -> None:
    reason = taste.reason("电焊工")
    assert reason is not None and reason.code == code
    assert reason.zh and reason.en


def test_unanswered_pushes_say_more_with_each_one() -> None:
    """With the prior: one push unanswered halves the odds, two leave about an eighth; answers
    raise them a little (most labourers answer), and the factor never reaches 0."""
    prior = PRIOR_RESPONSIVENESS
    assert prior.factor(0, 0) == 1.0
    one, two = prior.factor(1, 0), prior.factor(2, 0)
    assert one == pytest.approx(0.12 / (0.12 + 0.17) / 0.8)
    assert 0.1 < two < 0.2 < one < 0.6
    assert 1.0 < prior.factor(0, 1) < prior.factor(0, 3) < 1 / prior.share
    assert prior.factor(1, 3) > prior.factor(1, 0)  # one silence among answers is forgiven
    assert Taste(unanswered=6).factor == LOWEST
    assert Taste(unanswered=1, occupation_applications=1).factor == pytest.approx(
        Taste(occupation_applications=1).kind * one
    )


def _simulated_records(
    truth: Responsiveness, labourers: int, rng: random.Random
) -> Counter[tuple[int, int]]:
    records: Counter[tuple[int, int]] = Counter()
    for _ in range(labourers):
        answers = rng.random() < truth.share
        rate = truth.unanswered_if_answering if answers else truth.unanswered_if_not
        pushes = rng.randint(1, 4)
        unanswered = sum(rng.random() < rate for _ in range(pushes))
        records[(unanswered, pushes - unanswered)] += 1
    return records


@pytest.mark.parametrize(
    "truth",
    [
        Responsiveness(share=0.75, unanswered_if_answering=0.1, unanswered_if_not=0.9),
        Responsiveness(share=0.9, unanswered_if_answering=0.2, unanswered_if_not=0.7),
        Responsiveness(share=0.6, unanswered_if_answering=0.05, unanswered_if_not=0.95),
    ],
)
def test_fit_recovers_known_parameters(truth: Responsiveness) -> None:
    """EM on 3,000 simulated labourers with one to four pushes each."""
    fitted = Responsiveness.fit(_simulated_records(truth, 3000, random.Random(7)))
    assert fitted.share == pytest.approx(truth.share, abs=0.04)
    assert fitted.unanswered_if_answering == pytest.approx(truth.unanswered_if_answering, abs=0.03)
    assert fitted.unanswered_if_not == pytest.approx(truth.unanswered_if_not, abs=0.04)


def test_a_few_records_keep_the_prior() -> None:
    """Ten labourers who all answered do not convince it that everyone answers."""
    fitted = Responsiveness.fit(Counter({(0, 1): 10}))
    assert fitted.share == pytest.approx(PRIOR_RESPONSIVENESS.share, abs=0.1)
    assert Responsiveness.fit(Counter()) == PRIOR_RESPONSIVENESS


def test_one_kind_only_means_a_silence_says_nothing() -> None:
    """Everyone leaves half their pushes unanswered: there are no two kinds to tell apart, so
    the fitted factor of a silence is about 1 (the prior alone would halve it)."""
    fitted = Responsiveness.fit(Counter({(1, 1): 2000}))
    assert fitted.unanswered_if_answering < fitted.unanswered_if_not
    assert 0.95 < fitted.factor(1, 0) < 1.05
    assert PRIOR_RESPONSIVENESS.factor(1, 0) < 0.6
