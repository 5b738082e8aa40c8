"""The service clock (服务时钟): read it, and — outside production — fix and move it for drills
and simulations (a county's year run in minutes: benchmarks/year_sim.py)."""

from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, Field, field_validator

from matching import clock
from matching.auth.deps import AdminOnly
from matching.deps import SettingsDep
from matching.errors import Forbidden, problem_responses
from matching.settings import Settings

router = APIRouter(tags=["health"], responses=problem_responses(401, 403))


class ClockRead(BaseModel):
    """What the service takes "now" and "today" to be."""

    now: datetime = Field(description="The service's current time (UTC)")
    today: str = Field(description="Today in China (UTC+8), YYYY-MM-DD")
    fixed: bool = Field(description="True while a fixed clock replaces the system clock")


EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


class ClockSet(BaseModel):
    """Where to put the clock."""

    now: AwareDatetime = Field(
        description="An instant with its offset, 2000-2099, e.g. 2027-01-01T08:00+08:00"
    )

    @field_validator("now")
    @classmethod
    def in_range(cls, value: datetime) -> datetime:
        """Refuse instants no office will live in (and dates that overflow a year's arithmetic)."""
        if not EARLIEST <= value < LATEST:
            raise ValueError("must lie between 2000 and 2099")
        return value


def _read() -> ClockRead:
    return ClockRead(now=clock.now(), today=clock.today().isoformat(), fixed=clock.is_fixed())


def _check_control(settings: Settings) -> None:
    if settings.environment == "production" or not settings.clock_control:
        raise Forbidden(
            "The clock can be set only outside production with MATCHING_CLOCK_CONTROL=true "
            "/ 生产环境不可调整时钟"
        )


@router.get("/v1/clock", summary="Read the service clock / 服务时钟", operation_id="get_clock")
def get_clock(_: AdminOnly) -> ClockRead:
    """The time and the China day every record and report of this process is stamped with."""
    return _read()


@router.put(
    "/v1/clock",
    summary="Fix the service clock (not in production) / 设定服务时钟",
    operation_id="set_clock",
    responses=problem_responses(422),
)
def set_clock(body: ClockSet, _: AdminOnly, settings: SettingsDep) -> ClockRead:
    """Fix this process's clock at an instant (for drills and simulations; refused in
    production). Every later "now" — timestamps, push days, report and plan months — reads it
    until it is set again or released. It is per process: run one worker."""
    _check_control(settings)
    current = clock.current()
    if isinstance(current, clock.FixedClock):
        current.set(body.now)
    else:
        clock.install(clock.FixedClock(body.now))
    return _read()


@router.delete(
    "/v1/clock",
    summary="Release the service clock / 恢复系统时钟",
    operation_id="release_clock",
)
def release_clock(_: AdminOnly, settings: SettingsDep) -> ClockRead:
    """Go back to the system clock."""
    _check_control(settings)
    clock.install(None)
    return _read()
