"""The days a month's figures are about (docs/domain.md, "Targets")."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from matching.clock import china_midnight, month_end, month_start, months_back
from matching.errors import Unprocessable


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """The days a report is about."""

    month_start: date
    month_end: date
    as_of: date  # the month's last day, or today for the current month

    @classmethod
    def day(cls, day: date) -> "ReportPeriod":
        """One day as a period of its own (who is seeking on that day)."""
        return cls(month_start=day, month_end=day, as_of=day)

    @property
    def six_months_before(self) -> date:
        """The as-of day six calendar months earlier (clamped to the month's length)."""
        return months_back(self.as_of, 6)

    @property
    def last_year(self) -> date:
        """The same day a year earlier."""
        return months_back(self.as_of, 12)

    @property
    def year_start(self) -> date:
        """1 January of the report's year."""
        return date(self.month_start.year, 1, 1)

    @property
    def registered_before(self) -> datetime:
        """Labourers registered after the month are not in it (keeps past months reproducible)."""
        return china_midnight(self.month_end + timedelta(days=1))


def parse_month(month: str | None, today: date, *, field: str = "query.month") -> ReportPeriod:
    """The report's days; the current month runs to today, a future month is refused (a 422
    naming `field`, where the request gave the month)."""
    start = today.replace(day=1) if month is None else month_start(month)
    end = month_end(start)
    if start > today:
        raise Unprocessable.for_field(field, f"{month} has not begun yet / 月份尚未开始")
    return ReportPeriod(month_start=start, month_end=end, as_of=min(end, today))
