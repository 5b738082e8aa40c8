"""Typed errors carrying their HTTP status, rendered as RFC 9457 problem details by one handler."""

from typing import Any, ClassVar

from pydantic import BaseModel, Field

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://matching.invalid/problems/"  # a name, not a page: problem types are ids


class FieldError(BaseModel):
    """One offending input field and why it was refused."""

    field: str = Field(description="Dotted location of the field, e.g. body.items.3.wage_min")
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


class ProblemError(Exception):
    """Base of every expected failure; subclasses fix status, slug and title."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal server error"

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
    slug = "bad-request"
    title = "Bad request"


class Unauthorized(ProblemError):
    status = 401
    slug = "unauthorized"
    title = "Missing or invalid API key"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="matching"'})


class Forbidden(ProblemError):
    status = 403
    slug = "forbidden"
    title = "Not allowed for this API key"


class NotFound(ProblemError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(ProblemError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class PayloadTooLarge(ProblemError):
    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class Unprocessable(ProblemError):
    status = 422
    slug = "validation-error"
    title = "Invalid input"

    @classmethod
    def for_field(cls, field: str, reason: str, code: str | None = None) -> "Unprocessable":
        """A 422 naming one field."""
        return cls(f"{field}: {reason}", errors=[FieldError(field=field, reason=reason, type=code)])


class ServiceUnavailable(ProblemError):
    status = 503
    slug = "unavailable"
    title = "Service unavailable"


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries declaring the problem-details errors a route can return."""
    descriptions = {
        400: "Bad request",
        401: "Missing or invalid API key / 缺少或无效的 API 密钥",
        403: "Role or scope does not allow this / 无权限",
        404: "Not found / 不存在",
        409: "Conflict / 冲突",
        413: "Request body too large / 请求体过大",
        422: "Invalid input; `errors` names each field / 输入无效",
    }
    return {
        status: {
            "description": descriptions.get(status, "Error"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
