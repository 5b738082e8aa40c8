"""Typed errors carrying their HTTP status, rendered as RFC 9457 problem details by one handler."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, NamedTuple

from pydantic import BaseModel, Field

PROBLEM_MEDIA_TYPE = "application/problem+json"
INTERNAL_ERROR_DETAIL = "An unexpected error occurred; nothing was changed. Quote the request id."
PROBLEM_BASE = "https://matching.invalid/problems/"  # a name, not a page: problem types are ids


class ProblemKind(NamedTuple):
    """What every problem with one HTTP status says: its type slug, title and, for the OpenAPI
    document, a description."""

    slug: str
    title: str
    description: str


# The one table of problem kinds: typed errors, framework errors (a 405 from routing, a 413
# from the body limit) and the OpenAPI document all take their words from here.
PROBLEM_KINDS: dict[int, ProblemKind] = {
    400: ProblemKind("bad-request", "Bad request", "Bad request / 请求格式错误"),
    401: ProblemKind(
        "unauthorized",
        "Missing or invalid API key",
        "Missing or invalid API key / 缺少或无效的 API 密钥",
    ),
    403: ProblemKind(
        "forbidden", "Not allowed for this API key", "Role or scope does not allow this / 无权限"
    ),
    404: ProblemKind("not-found", "Not found", "Not found / 不存在"),
    405: ProblemKind("method-not-allowed", "Method not allowed", "Method not allowed"),
    406: ProblemKind("not-acceptable", "Not acceptable", "Not acceptable"),
    409: ProblemKind("conflict", "Conflict", "Conflict / 冲突"),
    413: ProblemKind(
        "payload-too-large", "Request body too large", "Request body too large / 请求体过大"
    ),
    415: ProblemKind("unsupported-media-type", "Unsupported media type", "Unsupported media type"),
    429: ProblemKind(
        "too-many-requests",
        "Too many requests",
        "This key's request rate is used up; retry after `Retry-After` seconds / 请求过于频繁",
    ),
    422: ProblemKind(
        "validation-error", "Invalid input", "Invalid input; `errors` names each field / 输入无效"
    ),
    500: ProblemKind("internal-error", "Internal server error", "Internal server error"),
    503: ProblemKind("unavailable", "Service unavailable", "Service unavailable / 服务暂不可用"),
}


def problem_kind(status: int) -> ProblemKind:
    """The kind of problem for an HTTP status (a generic one for a status not in the table)."""
    return PROBLEM_KINDS.get(status, ProblemKind("http-error", "HTTP error", "Error"))


# Where a field is: its part of the request, then names joined by dots and list positions in
# brackets — body.items[3].wage_min, query.month, path.labourer_id, header.Idempotency-Key.
LOCATIONS = ("body", "query", "path", "header")
FIELD_CONVENTION = (
    "Where the field is: the request part (body, query, path, header), then names joined by "
    "dots and list positions in brackets, e.g. `body.items[3].wage_min`, `query.month`, "
    "`header.Idempotency-Key` / 字段位置"
)


def field_path(*parts: str | int) -> str:
    """A field's location in the one convention: field_path("body", "items", 3, "wage_min")."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def located(field: str) -> str:
    """A field name with its request part; a bare name is a body field."""
    head = field.split(".", 1)[0].split("[", 1)[0]
    return field if head in LOCATIONS else f"body.{field}"


class FieldError(BaseModel):
    """One offending input field and why it was refused."""

    field: str = Field(description=FIELD_CONVENTION)
    reason: str = Field(description="Why the value was refused / 原因")
    type: str | None = Field(None, description="Machine-readable reason code")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="URI naming the kind of problem")
    title: str = Field(description="Short summary of the kind of problem")
    status: int = Field(description="HTTP status code")
    detail: str | None = Field(None, description="What went wrong with this request")
    instance: str | None = Field(None, description="The request path")
    request_id: str | None = Field(None, description="Request id, also in the X-Request-ID header")
    errors: list[FieldError] | None = Field(None, description="Offending fields, for 422")
    # Members some problems add, so a generated client can read them (each only where named).
    existing_id: int | None = Field(
        None, description="409 on a duplicate: the record that exists already / 已存在的记录"
    )
    current_state: str | None = Field(
        None, description="409 on an outcome that may not follow: the push's state now / 当前状态"
    )
    allowed: list[str] | None = Field(
        None, description="409 on an outcome: the states that may follow / 可记录的状态"
    )
    post_id: int | None = Field(None, description="409 on a push: the post that is not open")
    post_status: str | None = Field(
        None, description="409 on a push or a hire: the post's status / 岗位状态"
    )
    openings_left: int | None = Field(
        None, description="409 on a hire: openings the post has left / 剩余名额"
    )
    report: dict[str, Any] | None = Field(
        None,
        description="422 on a roster commit with bad rows: the dry run's report (ImportReportRead)",
    )


class ProblemError(Exception):
    """Base of every expected failure; a subclass fixes its status, and takes the slug and
    title of that status from PROBLEM_KINDS."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = PROBLEM_KINDS[500].slug
    title: ClassVar[str] = PROBLEM_KINDS[500].title

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        kind = problem_kind(cls.status)
        cls.slug, cls.title = kind.slug, kind.title

    def __init__(
        self,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra or {}

    @classmethod
    def type_uri(cls) -> str:
        """The problem type URI."""
        return PROBLEM_BASE + cls.slug


class BadRequest(ProblemError):
    status = 400


class Unauthorized(ProblemError):
    status = 401

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="matching"'})


class Forbidden(ProblemError):
    status = 403


class NotFound(ProblemError):
    status = 404


class Conflict(ProblemError):
    status = 409


class PayloadTooLarge(ProblemError):
    status = 413


class Unprocessable(ProblemError):
    status = 422

    @classmethod
    def for_field(cls, field: str, reason: str, code: str | None = None) -> "Unprocessable":
        """A 422 naming one field."""
        where = located(field)
        return cls(f"{where}: {reason}", errors=[FieldError(field=where, reason=reason, type=code)])


def idempotency_key_reused() -> Unprocessable:
    """The 422 for an Idempotency-Key sent again with another request (a stored answer's, a
    job's)."""
    return Unprocessable.for_field(
        "header.Idempotency-Key",
        "this key was used with a different request / 幂等键已用于不同的请求",
        "idempotency_key_reused",
    )


class Problems:
    """The problems of independent checks, gathered so one answer names them all (a form or a
    roster row with three mistakes is corrected in one round, not three)."""

    def __init__(self) -> None:
        self.found: list[ProblemError] = []

    @contextmanager
    def check(self) -> Iterator[None]:
        """Run one check; a problem it raises is kept and the next check runs."""
        try:
            yield
        except ProblemError as exc:
            self.found.append(exc)

    def raise_found(self) -> None:
        """Raise what was found: a refusal that is not a 422 (a region outside the key's
        scope) by itself, else one 422 naming every field."""
        if not self.found:
            return
        other = next((p for p in self.found if not isinstance(p, Unprocessable)), None)
        if other is not None:
            raise other
        if len(self.found) == 1:
            raise self.found[0]
        errors = [e for p in self.found for e in p.errors or []]
        raise Unprocessable("; ".join(p.detail for p in self.found), errors=errors)


class TooManyRequests(ProblemError):
    status = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class ServiceUnavailable(ProblemError):
    status = 503


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries declaring the problem-details errors a route can return."""
    return {
        status: {
            "description": problem_kind(status).description,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
