"""Property-based run over every operation (fixed seed): no server error, no response that
breaks the documented schema, status code or content type."""

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


@pytest.fixture
def api_schema(app: FastAPI) -> schemathesis.BaseSchema:
    """The app's own OpenAPI document, exercised in-process."""
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,  # a fixed seed: the same cases every run
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(
    case: schemathesis.Case[Any], auth: Callable[..., dict[str, str]]
) -> None:
    case.call_and_validate(headers=auth("admin"), checks=CHECKS)
