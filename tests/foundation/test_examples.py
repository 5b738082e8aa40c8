"""Examples that work (issue 16, item 3): every request body in the OpenAPI document has an
example, and every example, sent in order to a fresh demo database, answers a 2xx; sent again,
it answers a 2xx or the conflict it documents."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from matching.agencies.models import Agency
from matching.app import create_app
from matching.auth import service as keys
from matching.auth.models import Role
from matching.clock import FixedClock
from matching.database import session_scope
from matching.demo import load_demo
from matching.kit.idnumber import id_check_digit, parse_id_number
from matching.openapi_document import build_document
from matching.openapi_examples import EXAMPLES, NEW_LABOURER_ID, RequestExample
from matching.settings import Settings

# The day the examples are written for: a mid-November morning in China.
EXAMPLE_DAY = datetime(2026, 11, 20, 2, tzinfo=UTC)


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield method, path, operation


@pytest.fixture
def demo(
    fresh_settings: Settings, test_clock: FixedClock
) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    """A database of its own with the demo data, loaded on EXAMPLE_DAY, and a key per role."""
    test_clock.set(EXAMPLE_DAY)
    app = create_app(fresh_settings)
    secrets: dict[str, str] = {}
    for session in session_scope(app.state.sessionmaker):
        _, secrets["admin"] = load_demo(session, fresh_settings)
        agency_id = session.scalar(select(Agency.id).where(Agency.province_code == "44"))
        extras: list[tuple[Role, dict[str, Any]]] = [
            (Role.staff, {"region_scopes": ["430981"]}),
            (Role.agency, {"agency_id": agency_id}),
            (Role.app, {}),
        ]
        for role, extra in extras:
            _, secrets[role.value] = keys.create_key(
                session, name=f"examples {role.value}", role=role, **extra
            )
    headers = {role: {"Authorization": f"Bearer {secret}"} for role, secret in secrets.items()}
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client, headers
    finally:
        app.state.engine.dispose()


def test_every_request_body_has_an_example(app: Any) -> None:
    document = build_document(app)
    with_bodies = {
        operation["operationId"]: operation
        for _, _, operation in _operations(document)
        if "requestBody" in operation
    }
    assert set(with_bodies) == set(EXAMPLES)
    for operation_id, operation in with_bodies.items():
        example = EXAMPLES[operation_id]
        content = operation["requestBody"]["content"]
        if example.value is not None:
            assert content["application/json"]["examples"]["demo"]["value"] == example.value
        if example.again is not None:  # the conflict it answers when sent again is documented
            assert str(example.again) in operation["responses"], operation_id
        params = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "path"}
        assert set(example.path) == set(params), operation_id
        for name, value in example.path.items():
            assert params[name]["example"] == value


def test_the_example_id_number_agrees_with_its_sex_and_birth_date() -> None:
    parsed = parse_id_number(NEW_LABOURER_ID)
    assert NEW_LABOURER_ID[-1] == id_check_digit(NEW_LABOURER_ID[:17])
    body = EXAMPLES["create_labourer"].value
    assert body is not None
    assert parsed.sex == "male" and body["name"] == "刘建军"
    assert parsed.birth_date.isoformat() == "1988-07-16"


def _send(client: TestClient, document: dict[str, Any], headers: dict[str, str], op_id: str) -> Any:
    example: RequestExample = EXAMPLES[op_id]
    method, path, _ = next(
        (m, p, o) for m, p, o in _operations(document) if o["operationId"] == op_id
    )
    url = path.format(**example.path)
    if example.value is not None:
        return client.request(
            method.upper(), url, params=example.query, json=example.value, headers=headers
        )
    template = client.get("/v1/labourers/import/template", headers=headers)
    assert template.status_code == 200, template.text
    files = {"file": ("花名册模板.xlsx", template.content)}
    return client.request(method.upper(), url, params=example.query, files=files, headers=headers)


def test_every_example_works_on_the_demo_data_in_order(
    demo: tuple[TestClient, dict[str, dict[str, str]]], app: Any, test_clock: FixedClock
) -> None:
    client, headers = demo
    document = build_document(app)
    for op_id, example in EXAMPLES.items():
        response = _send(client, document, headers[example.role], op_id)
        assert 200 <= response.status_code < 300, (op_id, response.status_code, response.text)
    assert test_clock.now() > EXAMPLE_DAY  # set_clock moved it on: back to November
    test_clock.set(EXAMPLE_DAY)
    for op_id, example in EXAMPLES.items():
        response = _send(client, document, headers[example.role], op_id)
        expected = {example.again} if example.again else set(range(200, 300))
        assert response.status_code in expected, (op_id, response.status_code, response.text)
