"""The OpenAPI document as a contract partners generate clients from (README, "Partners").

FastAPI writes the document from the routes; this module finishes it where a generated client
would otherwise guess: the problem-details schema on every error (and its members for a
conflict), every status the service can answer and every response header it sends, uploads and
downloads as binary, and the batch items with their own type. `tests/contract/` generates a
client from the committed document with `openapi-python-client` and runs a partner's and a
clerk's day through it.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from matching.errors import PROBLEM_MEDIA_TYPE, FieldError, Problem, problem_kind
from matching.openapi_examples import EXAMPLES
from matching.posts.schemas import PostBatchItem

_PROBLEM = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
_BINARY = {"type": "string", "format": "binary"}
OCTET_STREAM = "application/octet-stream"

_REQUEST_ID = {
    "description": "The request's id, also in the body of a problem / 请求编号",
    "schema": {"type": "string"},
}
_RETRY_AFTER = {
    "description": "Seconds until the key may call again / 重试等待秒数",
    "schema": {"type": "integer", "minimum": 1},
}
_WWW_AUTHENTICATE = {
    "description": "The scheme to authenticate with: Bearer / 认证方式",
    "schema": {"type": "string"},
}
_LOCATION = {
    "description": "Where the record just created is read / 新记录的地址",
    "schema": {"type": "string"},
}
# The creators that answer 201 with Location (the record's own path).
CREATES_WITH_LOCATION = {
    "create_agency", "create_api_key", "create_labourer", "create_post",
}  # fmt: skip
# The operations that start a job: 202 with Location, the job to follow (docs/jobs.md).
STARTS_JOB = {
    "create_plan", "commit_plan", "import_roster", "retry_job", "build_targets_workbook",
}  # fmt: skip
_JOB_LINKS = {
    "FollowJob": {
        "operationId": "get_job",
        "parameters": {"job_id": "$response.body#/id"},
        "description": "Poll the job it started / 查看任务进度",
    },
}
_JOB_LOCATION = {
    "description": "The job to follow: GET it for the stage, the percent done and, once it "
    "succeeded, the link to its result / 任务地址",
    "schema": {"type": "string"},
}
_REPLAYED = {
    "description": "`true` when this is the stored answer to an earlier request with the same "
    "Idempotency-Key / 幂等重放",
    "schema": {"type": "string", "enum": ["true"]},
}


def build_document(app: FastAPI) -> dict[str, Any]:
    """The finished OpenAPI document of the app (cached on it)."""
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        separate_input_output_schemas=False,
    )
    components = document.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))
    components["Problem"] = problem
    components.setdefault("FieldError", FieldError.model_json_schema())
    # FastAPI's native validation-error schemas are replaced by Problem everywhere.
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    _typed_batch_items(components)
    _binary_parts(components)
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            _finish_operation(operation)
            _example(operation)
    app.openapi_schema = document
    return document


def _finish_operation(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if "422" in responses:  # FastAPI's own entry describes its native error shape
        responses["422"] = _problem_entry(422)
    if "requestBody" in operation:  # the body limit applies to every body
        responses.setdefault("413", _problem_entry(413))
    if operation.get("x-roles"):  # a call with a key: the key may be refused or out of budget
        responses.setdefault("401", _problem_entry(401))
        responses["401"].setdefault("headers", {})["WWW-Authenticate"] = _WWW_AUTHENTICATE
        responses.setdefault("429", _problem_entry(429))
        responses["429"]["headers"] = {"Retry-After": _RETRY_AFTER}
    # Should one happen, a 500 is problem details too, with the request id.
    responses.setdefault("500", _problem_entry(500))
    takes_key = any(
        p.get("in") == "header" and p.get("name", "").lower() == "idempotency-key"
        for p in operation.get("parameters", [])
    )
    for status, response in responses.items():
        headers = response.setdefault("headers", {})
        headers["X-Request-ID"] = _REQUEST_ID
        if takes_key and status.startswith("2"):
            headers["Idempotent-Replayed"] = _REPLAYED
        if status == "201" and operation.get("operationId") in CREATES_WITH_LOCATION:
            headers["Location"] = _LOCATION
        if status == "202" and operation.get("operationId") in STARTS_JOB:
            headers["Location"] = _JOB_LOCATION
            response["links"] = _JOB_LINKS
        _binary_download(response)


def _example(operation: dict[str, Any]) -> None:
    """The operation's working example (matching.openapi_examples): the body Swagger UI fills
    in, and the path values it was written for."""
    example = EXAMPLES.get(operation.get("operationId", ""))
    if example is None:
        return
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter["name"] in example.path:
            parameter["example"] = example.path[parameter["name"]]
        if parameter.get("in") == "query" and parameter["name"] in example.query:
            parameter["example"] = example.query[parameter["name"]]
    if example.value is None:
        return
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        content["application/json"]["examples"] = {
            "demo": {
                "summary": example.summary,
                "description": example.description,
                "value": example.value,
            }
        }


def _binary_download(response: dict[str, Any]) -> None:
    """A file download (a spreadsheet, a CSV) as binary, offered as application/octet-stream
    first: generators model that as bytes, where they skip a type they do not know."""
    content: dict[str, Any] = response.get("content", {})
    files = [t for t in content if t not in ("application/json", PROBLEM_MEDIA_TYPE)]
    if not files:
        return
    response["content"] = {
        OCTET_STREAM: {"schema": _BINARY},
        **{t: {"schema": _BINARY} for t in files},
    }


def _problem_entry(status: int) -> dict[str, Any]:
    return {"description": problem_kind(status).description, "content": dict(_PROBLEM)}


def _typed_batch_items(components: dict[str, Any]) -> None:
    """A batch item is validated one by one (a bad item is reported, not the whole batch), so
    the model takes free-form objects; the document gives them their real type."""
    item = PostBatchItem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, schema in item.pop("$defs", {}).items():
        components.setdefault(name, schema)
    components["PostBatchItem"] = item
    batch = components["PostBatch"]["properties"]["items"]
    batch["items"] = {"$ref": "#/components/schemas/PostBatchItem"}


def _binary_parts(components: dict[str, Any]) -> None:
    """A multipart file part as `format: binary` (OpenAPI 3.0 style): generators model that as
    a file to upload, while 3.1's `contentMediaType` makes some of them send a text field."""
    for schema in components.values():
        for name, prop in list(schema.get("properties", {}).items()):
            if prop.get("contentMediaType") == OCTET_STREAM:
                schema["properties"][name] = {**_BINARY, "description": prop.get("description")}
