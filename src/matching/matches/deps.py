"""The process's matcher, and the read model over it, as request dependencies."""

from typing import Annotated

from fastapi import Depends, Request

from matching.deps import SessionDep, TodayDep
from matching.matches.matcher import Matcher
from matching.matches.read_model import ReadModel


async def get_matcher(request: Request) -> Matcher:
    """The process's matcher."""
    matcher: Matcher = request.app.state.matcher
    return matcher


MatcherDep = Annotated[Matcher, Depends(get_matcher)]


async def get_read_model(matcher: MatcherDep, session: SessionDep, today: TodayDep) -> ReadModel:
    """The indexes as this request sees them: through its session, on the service's today."""
    return ReadModel(matcher, session, today)


ReadModelDep = Annotated[ReadModel, Depends(get_read_model)]
