"""The process's matching engine as a request dependency."""

from typing import Annotated

from fastapi import Depends, Request

from matching.matches.engine import MatchingEngine


def get_engine(request: Request) -> MatchingEngine:
    """The process's matching engine."""
    engine: MatchingEngine = request.app.state.engine_matching
    return engine


EngineDep = Annotated[MatchingEngine, Depends(get_engine)]
