"""Dates as the offices see them: China Standard Time (UTC+8, no daylight saving)."""

from datetime import UTC, date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "CST")


def today() -> date:
    """Today's date in China."""
    return datetime.now(UTC).astimezone(CHINA).date()
