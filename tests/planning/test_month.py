"""Which month a plan may be for."""

from datetime import date

import pytest

from matching.errors import Unprocessable
from matching.planning.month import plan_month


def test_this_month_by_default_and_the_next_in_the_last_days() -> None:
    now = plan_month(None, date(2026, 12, 3), ahead_days=7)
    assert (now.month, now.ahead, now.judged_on) == ("2026-12", False, date(2026, 12, 3))
    ahead = plan_month("2027-01", date(2026, 12, 25), ahead_days=7)
    assert (ahead.month, ahead.ahead, ahead.judged_on) == ("2027-01", True, date(2027, 1, 1))
    assert plan_month("2026-03", date(2026, 2, 22), ahead_days=7).ahead  # 22-28 February


@pytest.mark.parametrize(
    ("month", "today", "words"),
    [
        ("2027-01", date(2026, 12, 24), "can be made from 2026-12-25"),
        ("2027-02", date(2026, 12, 30), "this month (2026-12) or the next (2027-01)"),
        ("2026-11", date(2026, 12, 1), "not 2026-11"),
    ],
)
def test_other_months_are_refused_with_the_reason(month: str, today: date, words: str) -> None:
    with pytest.raises(Unprocessable) as refused:
        plan_month(month, today, ahead_days=7)
    assert words in str(refused.value.detail)


def test_planning_ahead_can_be_switched_off() -> None:
    with pytest.raises(Unprocessable):
        plan_month("2027-01", date(2026, 12, 31), ahead_days=0)
