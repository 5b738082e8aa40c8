"""Shared request dependencies: the request's transaction and settings, and the guard against
NUL characters every route runs.

A dependency that neither blocks nor waits is `async`: FastAPI runs a plain `def` dependency in
the thread pool, and each such hop cost a request about as much as its scoring (issue 14). The
session and the key are `async` too, and go to the thread pool themselves only when they must
wait for the database."""

import json
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime
from functools import partial
from typing import Annotated, Any, TypeVar

from anyio import CancelScope
from fastapi import Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session
from starlette.convertors import Convertor, register_url_convertor

from matching import clock
from matching.changes import RecentCounters, use_recent
from matching.database import (
    READ_ONLY,
    WouldWait,
    can_refuse,
    end_session,
    ends_without_io,
    not_waiting,
    open_session,
)
from matching.errors import Unprocessable, field_path
from matching.kit.personal import PersonalData
from matching.settings import Settings

READING = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's one transaction: committed when the handler returns, rolled back on error.

    A reader's session is opened on the event loop (no I/O: database.open_session), and its
    first statement connects in the thread that makes it; it is ended there too when that
    sends nothing (database.ends_without_io: on PostgreSQL, nearly always). A writer's begin
    and end may wait (SQLite's write lock, PostgreSQL's COMMIT) and go to the thread pool. Each
    hop to it cost a match about a tenth of a millisecond (issue 14)."""
    factory = request.app.state.sessionmaker
    recent: RecentCounters = request.app.state.recent_counters
    write = request.method not in READING
    if write:
        session = await run_in_threadpool(partial(open_session, factory, write=True))
    else:
        session = open_session(factory, write=False)
        use_recent(session, recent)
    try:
        yield session
    except BaseException as error:
        with CancelScope(shield=True):  # a cancelled request still ends its transaction
            await _end(session, error)
        raise
    with CancelScope(shield=True):
        await _end(session)
    if write:
        recent.forget()  # this worker's next reader sees what it wrote


async def _end(session: Session, error: BaseException | None = None) -> None:
    if ends_without_io(session):
        end_session(session, error)
    else:
        await run_in_threadpool(end_session, session, error)


T = TypeVar("T")


async def without_waiting(session: Session, work: Callable[[], T]) -> T:
    """A reader's `work` run on the event loop when it sends no statement; else, from its first
    statement on, again from the start in the thread pool (database.not_waiting).

    A match whose key, counters, indexes and answers this worker holds sends none: the hop to
    the thread pool and back was then a fifth of its time over HTTP (0.3 of 2.0 ms, issue 14).
    A worker runs its Python one thread at a time (the GIL), so the loop's turn at scoring
    costs other requests little they had; measured, two workers served 615 -> 875 matches a
    second at 16 connections (README, "Matching"). A catch-up of the indexes, which reads,
    still runs in the pool, and so does any wait for a lock a catch-up holds
    (database.may_wait). The work must be safe to stop at a statement and run again (a
    reader's: it has changed nothing yet)."""
    if session.info.get(READ_ONLY) and can_refuse(session):
        try:
            with not_waiting(session):
                return work()
        except WouldWait:
            pass
    return await run_in_threadpool(work)


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


# scope="function": commit before the response is sent, so a failed commit is an error response.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_today() -> date:
    """Today's date in China, from the service's one clock."""
    return clock.today()


async def get_personal_data(request: Request) -> PersonalData:
    """The app's sealer of personal data."""
    personal: PersonalData = request.app.state.personal
    return personal


async def get_request_id(request: Request) -> str | None:
    """The id of this request (also in the X-Request-ID header)."""
    value = getattr(request.state, "request_id", None)
    return value if isinstance(value, str) else None


async def get_now() -> datetime:
    """The current time, aware, from the service's one clock."""
    return clock.now()


TodayDep = Annotated[date, Depends(get_today)]
NowDep = Annotated[datetime, Depends(get_now)]
PersonalDep = Annotated[PersonalData, Depends(get_personal_data)]
RequestIdDep = Annotated[str | None, Depends(get_request_id)]

# Row ids are 32-bit on every backend; a larger number cannot name a row (and would overflow).
MAX_ID = 2_147_483_647


class IdConvertor(Convertor[int]):
    """`{labourer_id:id}` in a route's path: a number (sign allowed, so that -5 is a 422 naming
    the field, not a 404). Anything else is not that route at all, so `PATCH
    /v1/labourers/duplicates` is a 405 of the `duplicates` path, not a 422 about an id."""

    regex = "-?[0-9]+"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", IdConvertor())
IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="Record id")]


async def check_request(request: Request) -> None:
    """The application's dependency, run for every route: a 422 naming the parameter for a
    query parameter the operation does not take (a misspelt filter would otherwise be ignored
    and every row come back), and a 422 naming the field for a NUL character in a query or
    path parameter or anywhere in a JSON body (no text column stores one: PostgreSQL refuses
    it, and no name, code or term holds one)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is not None:
        known = _query_names(dependant)
        for name in request.query_params:
            if name not in known:
                taken = ", ".join(sorted(known)) or "none"
                raise Unprocessable.for_field(
                    f"query.{_shown(name)}",
                    f"unknown query parameter; this operation takes: {taken} / 未知的查询参数",
                    "unknown_parameter",
                )
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            raise Unprocessable.for_field(f"query.{_shown(name)}", _NUL_REASON, "nul_character")
    for name, value in request.path_params.items():
        if isinstance(value, str) and "\x00" in value:
            raise Unprocessable.for_field(f"path.{name}", _NUL_REASON, "nul_character")
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return
    raw = await request.body()
    if b"\\u0000" not in raw and b"\x00" not in raw:
        return  # the common case: no need to parse the body twice
    try:
        body = json.loads(raw)
    except ValueError:
        return  # the route's own parsing answers a body that is not JSON
    where = _nul_in(body, ("body",))
    if where is not None:
        raise Unprocessable.for_field(_shown(field_path(*where)), _NUL_REASON, "nul_character")


def _query_names(dependant: Any) -> set[str]:
    """The query parameters an operation takes, its dependencies' included (a walk over a
    handful of objects: not worth a cache keyed by something that outlives them)."""
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _shown(name: str) -> str:
    """A field name as the problem shows it: a NUL in the name itself written as \\u0000."""
    return name.replace("\x00", "\\u0000")


_NUL_REASON = "must not contain the NUL character (\\u0000) / 不能包含空字符"


def _nul_in(value: object, path: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    """The path of the first string (or key) holding a NUL character, depth first."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                return (*path, key)
            found = _nul_in(item, (*path, key))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_in(item, (*path, index))
            if found is not None:
                return found
    return None
