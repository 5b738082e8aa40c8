"""The process's matcher as a request dependency."""

from typing import Annotated

from fastapi import Depends, Request

from matching.matches.matcher import Matcher


def get_matcher(request: Request) -> Matcher:
    """The process's matcher."""
    matcher: Matcher = request.app.state.matcher
    return matcher


MatcherDep = Annotated[Matcher, Depends(get_matcher)]
