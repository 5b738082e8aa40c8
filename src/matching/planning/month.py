"""Which month a plan is for: this one, or the next in this month's last days."""

from dataclasses import dataclass
from datetime import date, timedelta

from matching.clock import month_end, month_of, month_start, next_month
from matching.errors import Unprocessable


@dataclass(frozen=True, slots=True)
class PlanMonth:
    """The plan's month and the day its candidates are judged on."""

    month: str  # YYYY-MM
    start: date
    end: date
    made_on: date  # today, China time
    ahead: bool  # a plan for next month, made before it begins

    @property
    def judged_on(self) -> date:
        """Posts must be open and labourers' ages are taken on this day: today, or the first
        day of a month that has not begun."""
        return self.start if self.ahead else self.made_on


def plan_month(requested: str | None, today: date, *, ahead_days: int) -> PlanMonth:
    """The month a plan may be made for today; 422 naming `month` otherwise."""
    current = month_of(today)
    month = requested or current
    start = month_start(month)
    if month == current:
        return PlanMonth(month, start, month_end(start), today, ahead=False)
    if month != next_month(current):
        raise Unprocessable.for_field(
            "month",
            f"a plan is for this month ({current}) or the next ({next_month(current)}), "
            f"not {month} / 只能制定本月或下月计划",
        )
    opens = month_end(today) - timedelta(days=ahead_days - 1)
    if ahead_days == 0 or today < opens:
        when = "is not allowed" if ahead_days == 0 else f"can be made from {opens}"
        raise Unprocessable.for_field(
            "month",
            f"next month's plan ({month}) {when} (the last {ahead_days} days of {current}) / "
            f"下月计划可在本月最后 {ahead_days} 天制定",
        )
    return PlanMonth(month, start, month_end(start), today, ahead=True)
