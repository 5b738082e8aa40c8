"""The service's one clock, and dates as the offices see them (China Standard Time, UTC+8).

Every "now" and "today" in the service — row timestamps, push days, status days, expiry,
idempotency retention, report and plan months — comes from `now()` here, so fixing the clock
(`fixed(...)` in a test, `PUT /v1/clock` on a development server) fixes it everywhere at once.
The clock is process-wide on purpose: request handlers, model defaults, background threads and
a live server in a test thread must all agree on the day.
"""

import calendar
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Protocol

CHINA = timezone(timedelta(hours=8), "CST")


class Clock(Protocol):
    """Something that tells the time."""

    def now(self) -> datetime:
        """The current time, aware."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until it is set or advanced (tests, simulations)."""

    def __init__(self, at: datetime) -> None:
        self._at = _aware(at)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The time it was set to."""
        with self._lock:
            return self._at

    def set(self, at: datetime) -> None:
        """Move the clock to `at` (forwards or backwards)."""
        with self._lock:
            self._at = _aware(at)

    def advance(self, delta: timedelta) -> None:
        """Move the clock on by `delta`."""
        with self._lock:
            self._at += delta


_SYSTEM = SystemClock()
_current: Clock = _SYSTEM


def now() -> datetime:
    """The current time, aware, in UTC."""
    return _current.now().astimezone(UTC)


def today() -> date:
    """Today's date in China."""
    return china_date(now())


def wall_now() -> datetime:
    """The machine's time, whatever the service clock says: only for transport — a webhook's
    signature timestamp (its receiver checks it against its own clock), retry delays and the
    overlap of two signing secrets, which must pass in real seconds even while a drill holds
    the service clock still (docs/partners.md)."""
    return _SYSTEM.now().astimezone(UTC)


def current() -> Clock:
    """The clock in use."""
    return _current


def install(clock: Clock | None) -> Clock:
    """Use `clock` from now on (None: the system clock); returns the one it replaces."""
    global _current
    previous, _current = _current, clock or _SYSTEM
    return previous


def is_fixed() -> bool:
    """Whether a fixed clock is in use instead of the system clock."""
    return isinstance(_current, FixedClock)


@contextmanager
def fixed(at: datetime) -> Iterator[FixedClock]:
    """Fix the clock at `at` inside the block; yields it so the block can move it."""
    clock = FixedClock(at)
    previous = install(clock)
    try:
        yield clock
    finally:
        install(previous)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("naive datetime given; use a time-zone-aware value")
    return at.astimezone(UTC)


# China calendar: days, months, periods.


def china_date(moment: datetime) -> date:
    """The calendar day in China of an aware time."""
    return moment.astimezone(CHINA).date()


def china_midnight(day: date) -> datetime:
    """The first instant of a China calendar day, in UTC."""
    return datetime.combine(day, time(0), tzinfo=CHINA).astimezone(UTC)


def month_of(day: date) -> str:
    """YYYY-MM."""
    return f"{day.year:04d}-{day.month:02d}"


def month_start(month: str) -> date:
    """The first day of a YYYY-MM month."""
    year, number = (int(x) for x in month.split("-"))
    return date(year, number, 1)


def month_end(day: date) -> date:
    """The last day of the month that `day` is in."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_month(month: str) -> str:
    """The YYYY-MM after `month`."""
    return month_of(month_end(month_start(month)) + timedelta(days=1))


def months_back(day: date, months: int) -> date:
    """The same day `months` calendar months earlier, clamped to that month's length."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    first = date(year, month + 1, 1)
    return min(first + timedelta(days=day.day - 1), month_end(first))
