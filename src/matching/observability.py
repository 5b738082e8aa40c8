"""Request ids, one structured log line per request, Prometheus metrics and the body-size limit."""

import json
import logging
import re
import sys
import time
import traceback
import uuid
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matching.errors import (
    INTERNAL_ERROR_DETAIL,
    PROBLEM_BASE,
    PROBLEM_KINDS,
    PROBLEM_MEDIA_TYPE,
    PayloadTooLarge,
)

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_access_log = logging.getLogger("matching.access")
_error_log = logging.getLogger("matching.errors")


def describe_error(exc: BaseException) -> dict[str, Any]:
    """What the log keeps of an unexpected error: its type (and its causes' types), where it was
    raised (file, line, function of each frame) and, for a database error, the SQLSTATE and the
    statement — never a message or parameters, which can carry a row (PostgreSQL's "Failing
    row contains (… name, ID number, birth date …)", a validation error's input)."""
    frames = traceback.extract_tb(exc.__traceback__)
    out: dict[str, Any] = {
        "error_type": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "error_at": [f"{f.filename}:{f.lineno} {f.name}" for f in frames[-8:]],
    }
    original = getattr(exc, "orig", None)
    if original is not None:  # SQLAlchemy's DBAPIError wraps the driver's error
        out["db_error"] = f"{type(original).__module__}.{type(original).__qualname__}"
        out["sqlstate"] = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
        statement = getattr(exc, "statement", None)
        out["statement"] = statement[:500] if isinstance(statement, str) else None
    causes: list[str] = []
    cause = exc.__cause__ or exc.__context__
    while cause is not None and len(causes) < 5:
        causes.append(f"{type(cause).__module__}.{type(cause).__qualname__}")
        cause = cause.__cause__ or cause.__context__
    if causes:
        out["error_causes"] = causes
    return out


class JsonFormatter(logging.Formatter):
    """One JSON object a line: easy to ship and to grep."""

    _skip = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        """Render the record and any `extra` fields as JSON."""
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in self._skip})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg,unused-ignore]
    """Writes to whatever sys.stdout is at the time (test capture, process supervisors)."""

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(level: str, *, as_json: bool) -> None:
    """Send the service's logs to stdout, JSON by default."""
    handler = _StdoutHandler()
    formatter = (
        JsonFormatter() if as_json else logging.Formatter("%(levelname)s %(name)s %(message)s")
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    root = logging.getLogger("matching")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


class Metrics:
    """The service's Prometheus collectors, on a registry of their own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "matching_http_requests_total",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "matching_http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30),
        )


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    # The template as documented ({post_id}, not the {post_id:id} the route is declared with).
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    # Unmatched paths share one label so that scanners cannot blow up the metric's cardinality.
    return path if isinstance(path, str) else "<unmatched>"


class RequestContextMiddleware:
    """Assigns the request id, enforces the body limit, logs and measures every request."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap one HTTP request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.lower().encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        started_response = {"sent": False}

        async def send_tracked(message: Message) -> None:
            if message["type"] == "http.response.start":
                started_response["sent"] = True
            await send_with_id(message)

        try:
            if _declared_length(scope) > self.max_body_bytes:
                await self._too_large(scope, send_with_id, request_id)
                return
            await self.app(scope, _limited(receive, self.max_body_bytes), send_tracked)
        except _BodyTooLarge:
            await self._too_large(scope, send_with_id, request_id)
        except Exception as exc:
            # Answered here, not re-raised: re-raised, it reaches the server, which then closes
            # the client's keep-alive connection, and its 500 carries no request id.
            status_holder["status"] = 500
            _error_log.error(
                "unhandled error", extra={"request_id": request_id, **describe_error(exc)}
            )
            if not started_response["sent"]:
                await self._internal_error(scope, send_with_id, request_id)
        finally:
            self._record(scope, status_holder["status"], started, request_id)

    async def _internal_error(self, scope: Scope, send: Send, request_id: str) -> None:
        body = json.dumps(
            {
                "type": PROBLEM_BASE + PROBLEM_KINDS[500].slug,
                "title": PROBLEM_KINDS[500].title,
                "status": 500,
                "detail": INTERNAL_ERROR_DETAIL,
                "instance": scope.get("path"),
                "request_id": request_id,
            }
        ).encode()
        headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode())]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 500, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _too_large(self, scope: Scope, send: Send, request_id: str) -> None:
        body = json.dumps(
            {
                "type": PayloadTooLarge.type_uri(),
                "title": PayloadTooLarge.title,
                "status": 413,
                "detail": f"The request body exceeds {self.max_body_bytes} bytes",
                "instance": scope.get("path"),
                "request_id": request_id,
            }
        ).encode()
        headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"connection", b"close")]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _record(self, scope: Scope, status: int, started: float, request_id: str) -> None:
        elapsed = time.perf_counter() - started
        route = _route_template(scope)
        method = scope.get("method", "")
        self.metrics.requests.labels(method, route, str(status)).inc()
        self.metrics.latency.labels(method, route).observe(elapsed)
        client = scope.get("client")
        _access_log.info(
            "request",
            extra={
                "request_id": request_id,
                "method": method,
                "path": scope.get("path"),
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "client": client[0] if client else None,
                "key_id": scope.get("state", {}).get("key_id"),
            },
        )


class _BodyTooLarge(StarletteHTTPException):
    """Raised while the body streams in; an HTTPException so FastAPI renders it as a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body exceeds {limit} bytes")


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _VALID_REQUEST_ID.match(candidate) else None
    return None


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


def _limited(receive: Receive, limit: int) -> Receive:
    """Count streamed body bytes too: a chunked upload has no Content-Length to check."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _BodyTooLarge(limit)
        return message

    return wrapped
