"""One place that renders every error as RFC 9457 problem details."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from matching.errors import (
    INTERNAL_ERROR_DETAIL,
    PROBLEM_BASE,
    PROBLEM_KINDS,
    PROBLEM_MEDIA_TYPE,
    FieldError,
    Problem,
    ProblemError,
    Unprocessable,
    field_path,
    problem_kind,
)
from matching.kit.bilingual import in_order, prefers_english, validation_reason
from matching.observability import describe_error

logger = logging.getLogger("matching.errors")

_BODY_PARSE_ERROR = "There was an error parsing the body"


def problem_response(
    request: Request,
    *,
    status: int,
    type_uri: str,
    title: str,
    detail: str | None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """Build an application/problem+json response for this request, its messages in the
    order of the caller's Accept-Language (Chinese first unless English is preferred)."""
    english_first = prefers_english(request.headers.get("accept-language"))
    if detail is not None:
        detail = in_order(detail, english_first=english_first)
    if errors:
        errors = [
            e.model_copy(update={"reason": in_order(e.reason, english_first=english_first)})
            for e in errors
        ]
    problem = Problem(
        type=type_uri,
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        request_id=getattr(request.state, "request_id", None),
        errors=errors,
    )
    body = problem.model_dump(exclude_none=True)
    body.update(extra or {})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def validation_field_errors(exc: RequestValidationError) -> list[FieldError]:
    """Turn FastAPI/Pydantic validation errors into named fields with reasons in Chinese and
    English."""
    fields = []
    for error in exc.errors():
        reason = validation_reason(error)
        fields.append(
            FieldError(field=field_path(*error["loc"]), reason=reason, type=error["type"])
        )
    return fields


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        request,
        status=exc.status,
        type_uri=exc.type_uri(),
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_field_errors(exc)
    detail = "; ".join(f"{e.field}: {e.reason}" for e in errors[:5])
    return problem_response(
        request,
        status=422,
        type_uri=Unprocessable.type_uri(),
        title=Unprocessable.title,
        detail=detail,
        errors=errors,
    )


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _BODY_PARSE_ERROR:
        # FastAPI's 400 for a body it cannot decode (bad UTF-8, broken form) is bad input too.
        return problem_response(
            request,
            status=422,
            type_uri=Unprocessable.type_uri(),
            title=Unprocessable.title,
            detail="body: cannot be decoded (send UTF-8 JSON) / 请求体无法解析",
            errors=[FieldError(field="body", reason="cannot be decoded", type="body_decode")],
        )
    slug, title, _ = problem_kind(exc.status_code)
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No resource at {request.url.path} / 路径不存在"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed = allowed_methods(request)
        detail = f"{request.method} is not allowed on {request.url.path}; allowed: {allowed}"
        headers["Allow"] = allowed
    return problem_response(
        request,
        status=exc.status_code,
        type_uri=PROBLEM_BASE + slug,
        title=title,
        detail=detail,
        headers=headers,
    )


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path: Starlette names only the first matching
    route's, and GET and POST of one path are two routes. The table of path patterns and
    methods is the application's (`app.state.route_methods`)."""
    table = getattr(request.app.state, "route_methods", ())
    path = request.url.path
    methods = {m for pattern, served in table if pattern.match(path) for m in served}
    return ", ".join(sorted(methods))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Only reached outside RequestContextMiddleware (which answers errors itself): no message.
    request_id = getattr(request.state, "request_id", None)
    logger.error("unhandled error", extra={"request_id": request_id, **describe_error(exc)})
    return problem_response(
        request,
        status=500,
        type_uri=PROBLEM_BASE + PROBLEM_KINDS[500].slug,
        title=PROBLEM_KINDS[500].title,
        detail=INTERNAL_ERROR_DETAIL,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers so every error leaves as problem details."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unexpected)
