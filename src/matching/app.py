"""The application factory."""

import inspect
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route

from matching import __version__, clock
from matching.agencies.router import router as agencies_router
from matching.audit.router import router as audit_router
from matching.auth.deps import RequireRoles
from matching.auth.known_keys import KnownKeys
from matching.auth.router import router as keys_router
from matching.changes import RecentCounters
from matching.compute import close_engines
from matching.database import make_engine, make_sessionmaker
from matching.deps import check_request
from matching.docs import install_offline_docs
from matching.employment.router import router as employment_router
from matching.exchanges.router import router as exchanges_router
from matching.handlers import install_problem_handlers
from matching.health.clock import router as clock_router
from matching.health.router import router as health_router
from matching.jobs.router import router as jobs_router
from matching.jobs.runner import JobRunner, RunnerPolicy
from matching.kit.personal import PersonalData
from matching.labourers.app_router import router as app_link_router
from matching.labourers.import_router import import_kind
from matching.labourers.import_router import router as import_router
from matching.labourers.router import router as labourers_router
from matching.learning.router import router as learning_router
from matching.matches.matcher import Matcher
from matching.matches.read_model import ReadModel
from matching.matches.router import router as matches_router
from matching.observability import Metrics, RequestContextMiddleware, configure_logging
from matching.openapi_document import build_document
from matching.planning import jobs as planning_jobs
from matching.planning.router import router as plans_router
from matching.posts.router import router as posts_router
from matching.pushes.router import router as pushes_router
from matching.ratelimit import BULK, DEFAULT, RateLimiter
from matching.regions.router import router as regions_router
from matching.reports.router import router as reports_router
from matching.reports.router import workbook_kind
from matching.settings import Settings, get_settings
from matching.skills.router import router as skills_router
from matching.webhooks.delivery import Deliverer, DeliveryPolicy, DeliveryThread
from matching.webhooks.router import router as webhooks_router

logger = logging.getLogger("matching.app")

DESCRIPTION = """
就业扶贫岗位匹配服务 — job matching for registered poor labourers (建档立卡贫困劳动力).

Keeps the two libraries (两库: labourers and posts), scores every labourer–post pair by location,
skills and relocation willingness, records every job push and its outcome, and reports each region
against its monthly targets (pushes ≥ 50% of unemployed willing labourers, success rate > 15%).

**Authorize**: click *Authorize* and paste an API key (`matching keys create`). Every error is an
RFC 9457 problem-details document (`application/problem+json`).
"""

ROUTERS = (
    health_router,
    clock_router,
    keys_router,
    agencies_router,
    regions_router,
    skills_router,
    import_router,
    labourers_router,
    app_link_router,
    posts_router,
    matches_router,
    pushes_router,
    employment_router,
    reports_router,
    plans_router,
    learning_router,
    exchanges_router,
    webhooks_router,
    audit_router,
    jobs_router,
)

TAGS = [
    {"name": "health", "description": "Liveness, readiness, metrics / 健康检查与监控"},
    {"name": "keys", "description": "API keys and roles (admin) / API 密钥与角色"},
    {"name": "agencies", "description": "Partner-province HR agencies / 合作机构"},
    {"name": "regions", "description": "GB/T 2260 administrative divisions / 行政区划"},
    {"name": "skills", "description": "Skill and occupation taxonomy / 技能与职业分类"},
    {"name": "labourers", "description": "Registered poor labourers / 贫困劳动力库"},
    {"name": "posts", "description": "Job posts / 岗位库"},
    {"name": "matching", "description": "Explainable matches / 人岗匹配"},
    {"name": "pushes", "description": "Job pushes and their outcomes / 岗位推送与结果"},
    {"name": "employment", "description": "Jobs held and 311 services / 就业与服务记录"},
    {"name": "reports", "description": "Monthly targets and the town table / 任务完成情况"},
    {"name": "plans", "description": "Monthly push plans: preview, then commit / 月度推送计划"},
    {"name": "scoring", "description": "Weights learned from each province's outcomes / 评分权重"},
    {"name": "exchanges", "description": "三来三往: seeker lists and post supply lists / 清单对接"},
    {"name": "webhooks", "description": "Outcome notices to agencies / 合作机构回调通知"},
    {"name": "audit", "description": "Who revealed or changed whose data (admin) / 审计日志"},
    {
        "name": "jobs",
        "description": "Long work followed by polling: plans, commits, imports / 任务",
    },
]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start building the matching indexes in the background (requests never wait for it),
    and the delivery of the agencies' notices, stopped again at shutdown."""
    settings = app.state.settings
    if settings.warm_indexes:
        threading.Thread(
            target=_warm_indexes, args=(app,), name="index-warmup", daemon=True
        ).start()
    delivery = None
    if settings.webhook_delivery:
        deliverer = Deliverer(app.state.sessionmaker, app.state.personal.cipher,
                              delivery_policy(settings))  # fmt: skip
        delivery = DeliveryThread(deliverer, settings.webhook_poll_seconds)
        delivery.start()
    app.state.jobs.start()
    yield
    app.state.jobs.close()
    close_engines()  # the local Dask cluster a large plan started (matching.compute)
    if delivery is not None:
        delivery.close()


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    """How the notices are delivered, from the settings (public callbacks only in production)."""
    return DeliveryPolicy(
        timeout_s=settings.webhook_timeout_seconds,
        lease_s=settings.webhook_lease_seconds,
        first_retry_s=settings.webhook_first_retry_seconds,
        public_only=settings.environment == "production",
    )


def _warm_indexes(app: FastAPI) -> None:
    try:
        app.state.matcher.warm(app.state.sessionmaker, clock.today())
        logger.info("matching indexes built")
    except Exception:  # e.g. not migrated yet: the first request builds them instead
        logger.exception("could not build the matching indexes ahead of requests")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service: database, routes, docs, errors, logging and metrics."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, as_json=settings.log_json)
    app = FastAPI(
        # ASCII: generated clients take their package name from the title (pip refuses others).
        title="Job Matching API",
        summary="就业扶贫岗位匹配服务 — job matching for registered poor labourers",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        docs_url=None,
        redoc_url=None,
        separate_input_output_schemas=False,
        lifespan=_lifespan,
        dependencies=[Depends(check_request)],
    )
    engine = make_engine(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.metrics = Metrics()
    app.state.personal = PersonalData(settings)
    app.state.matcher = Matcher(settings)
    app.state.recent_counters = RecentCounters(settings.change_counters_max_age_seconds)
    app.state.known_keys = KnownKeys()  # keys this worker has authenticated (auth.known_keys)
    app.state.jobs = job_runner(
        app.state.sessionmaker, app.state.matcher, app.state.personal, lambda: app.state.settings
    )
    app.state.rate_limiter = RateLimiter(
        {DEFAULT: settings.rate_limits.model_dump(), BULK: settings.bulk_rate_limits.model_dump()}
    )
    for router in ROUTERS:
        app.include_router(router)
    install_problem_handlers(app)
    install_offline_docs(app)
    # What a 405 lists in Allow: every route's path pattern and methods (handlers.allowed_methods).
    app.state.route_methods = [
        (route.path_regex, frozenset(route.methods or ()))
        for route in [*api_routes(), *app.router.routes]
        if isinstance(route, Route) and route.methods
    ]
    if settings.cors_origins:  # an allow-list only: nothing cross-origin unless configured
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Location", "Retry-After", "Idempotent-Replayed"],
        )
    app.add_middleware(
        RequestContextMiddleware, metrics=app.state.metrics, max_body_bytes=settings.max_body_bytes
    )
    _document_roles()
    app.openapi = lambda: build_document(app)  # type: ignore[method-assign]
    return app


def job_runner(
    sessions: sessionmaker[Session],
    matcher: Matcher,
    personal: PersonalData,
    settings: Callable[[], Settings],
    *,
    inline: bool = False,
) -> JobRunner:
    """The process's job runner with every kind of job (docs/jobs.md); `inline` runs each job
    in the request that queued it (tests whose sessions share one connection). `settings`
    gives them as they are when a job runs."""

    def read_model_for(session: Session, today: date) -> ReadModel:
        return ReadModel(matcher, session, today)

    kinds = {
        **planning_jobs.kinds(read_model_for, settings),
        **import_kind(personal),
        **workbook_kind(settings),
    }
    now = settings()
    policy = RunnerPolicy(
        slots=now.job_slots,
        heartbeat_s=now.job_heartbeat_seconds,
        stale_after_s=now.job_stale_seconds,
        pause_at=now.job_pause_at,
        pause_s=now.job_pause_seconds,
        inline=inline,
    )
    return JobRunner(sessions, kinds, policy)


def api_routes() -> list[APIRoute]:
    """Every API route of the service (each feature router's routes carry their full path)."""
    return [route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)]


def route_roles(route: APIRoute) -> frozenset[str] | None:
    """The roles a route admits, read from its RequireRoles guard; None if the route is open."""
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        if isinstance(dependant.call, RequireRoles):
            return frozenset(dependant.call.roles)
        pending.extend(dependant.dependencies)
    return None


def _document_roles() -> None:
    """Write each route's admitted roles into its OpenAPI description and `x-roles`."""
    for route in api_routes():
        roles = route_roles(route)
        route.openapi_extra = {**(route.openapi_extra or {}), "x-roles": sorted(roles or ())}
        label = ", ".join(sorted(roles)) if roles else "open (no key) / 无需密钥"
        # Rebuilt from the docstring each time: the routers are shared by every app instance.
        doc = inspect.getdoc(route.endpoint) or ""
        route.description = f"{doc}\n\n**Roles / 角色**: {label}".strip()
