"""A labourer's taste from their own answers: refusals lower posts like the refused ones,
applications raise them, within bounds."""

import pytest

from matching.scoring.feedback import CEILING, FLOOR, Taste


def test_no_history_changes_nothing() -> None:
    assert Taste().factor == 1.0
    assert Taste().reason("电焊工") is None


def test_refusals_lower_and_applications_raise() -> None:
    one = Taste(occupation_refusals=1)
    assert one.factor == pytest.approx((0 + 0.7) / (3 + 2) / 0.35)
    assert Taste(group_refusals=1).factor > one.factor  # another occupation of the group
    assert Taste(unanswered=1).factor > Taste(group_refusals=1).factor
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
        (Taste(group_applications=1), "applied_similar"),
    ],
)
def test_every_change_has_its_reason(taste: Taste, code: str) -> None:
    reason = taste.reason("电焊工")
    assert reason is not None and reason.code == code
    assert reason.zh and reason.en
