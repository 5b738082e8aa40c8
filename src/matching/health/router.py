"""Liveness, readiness and Prometheus metrics."""

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from matching.auth.deps import AdminOnly
from matching.errors import problem_responses
from matching.migrations_state import migration_state

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """Process liveness."""

    status: str = Field(description="ok")


class Readiness(BaseModel):
    """Whether the database is reachable and migrated to head."""

    status: str = Field(description="ready or unavailable")
    database: str = Field(description="ok, unreachable or behind")
    revision: str | None = Field(None, description="The database's migration revision")
    head: str | None = Field(None, description="The code's newest migration revision")


@router.get("/healthz", summary="Liveness / 存活检查", operation_id="healthz")
def healthz() -> Health:
    """The process is alive."""
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="Readiness / 就绪检查",
    operation_id="readyz",
    responses={503: {"model": Readiness, "description": "Database unreachable or not migrated"}},
)
def readyz(request: Request, response: Response) -> Readiness:
    """The database answers and is migrated to the code's head revision."""
    state = migration_state(request.app.state.engine, request.app.state.settings.migrations_dir)
    readiness = Readiness(
        status="ready" if state.current else "unavailable",
        database=state.database,
        revision=state.revision,
        head=state.head,
    )
    if not state.current:
        response.status_code = 503
    return readiness


@router.get(
    "/metrics",
    summary="Prometheus metrics / 监控指标",
    operation_id="metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        **problem_responses(401, 403),
    },
)
def metrics(request: Request, _: AdminOnly) -> Response:
    """Request counts and latencies by route, in the Prometheus text format."""
    body = generate_latest(request.app.state.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
