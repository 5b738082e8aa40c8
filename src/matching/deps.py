"""Shared request dependencies: the request's transaction and settings."""

from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from matching import clock
from matching.database import session_scope
from matching.kit.personal import PersonalData
from matching.settings import Settings


def get_session(request: Request) -> Iterator[Session]:
    """The request's one transaction: committed when the handler returns, rolled back on error."""
    write = request.method not in ("GET", "HEAD", "OPTIONS")
    yield from session_scope(request.app.state.sessionmaker, write=write)


def get_app_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


# scope="function": commit before the response is sent, so a failed commit is an error response.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_today() -> date:
    """Today's date in China, from the service's one clock."""
    return clock.today()


def get_personal_data(request: Request) -> PersonalData:
    """The app's sealer of personal data."""
    personal: PersonalData = request.app.state.personal
    return personal


def get_request_id(request: Request) -> str | None:
    """The id of this request (also in the X-Request-ID header)."""
    value = getattr(request.state, "request_id", None)
    return value if isinstance(value, str) else None


def get_now() -> datetime:
    """The current time, aware, from the service's one clock."""
    return clock.now()


TodayDep = Annotated[date, Depends(get_today)]
NowDep = Annotated[datetime, Depends(get_now)]
PersonalDep = Annotated[PersonalData, Depends(get_personal_data)]
RequestIdDep = Annotated[str | None, Depends(get_request_id)]

# Row ids are 32-bit on every backend; a larger number cannot name a row (and would overflow).
MAX_ID = 2_147_483_647
IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="Record id")]
