"""Every role on every route: a table, checked against the app's real routes.

The table is written out by hand on purpose: a new route fails this test until somebody decides
who may call it.
"""

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from matching.app import api_routes, route_roles

OPEN = frozenset[str]()
ADMIN = frozenset({"admin"})
STAFF = frozenset({"admin", "staff"})
ALL = frozenset({"admin", "staff", "agency", "app"})
PUBLISHERS = frozenset({"admin", "staff", "agency"})
ROLES = ("admin", "staff", "agency", "app")

EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/healthz"): OPEN,
    ("GET", "/readyz"): OPEN,
    ("GET", "/metrics"): ADMIN,
    ("GET", "/v1/clock"): ADMIN,
    ("PUT", "/v1/clock"): ADMIN,
    ("DELETE", "/v1/clock"): ADMIN,
    ("POST", "/v1/keys"): ADMIN,
    ("GET", "/v1/keys"): ADMIN,
    ("GET", "/v1/keys/{key_id}"): ADMIN,
    ("DELETE", "/v1/keys/{key_id}"): ADMIN,
    ("POST", "/v1/agencies"): ADMIN,
    ("GET", "/v1/agencies"): ADMIN,
    ("GET", "/v1/agencies/{agency_id}"): frozenset({"admin", "agency"}),
    ("PATCH", "/v1/agencies/{agency_id}"): frozenset({"admin", "agency"}),
    ("POST", "/v1/agencies/{agency_id}/suspend"): ADMIN,
    ("POST", "/v1/agencies/{agency_id}/reinstate"): ADMIN,
    ("POST", "/v1/exchanges"): STAFF,
    ("GET", "/v1/exchanges"): frozenset({"admin", "staff", "agency"}),
    ("GET", "/v1/exchanges/{exchange_id}"): frozenset({"admin", "staff", "agency"}),
    ("POST", "/v1/exchanges/{exchange_id}/posts"): frozenset({"admin", "agency"}),
    ("POST", "/v1/exchanges/{exchange_id}/plan"): STAFF,
    ("POST", "/v1/exchanges/{exchange_id}/close"): STAFF,
    ("GET", "/v1/exchanges/{exchange_id}/report"): frozenset({"admin", "staff", "agency"}),
    ("GET", "/v1/exchanges/{exchange_id}/report.xlsx"): frozenset({"admin", "staff", "agency"}),
    ("POST", "/v1/agencies/{agency_id}/webhook-secret"): frozenset({"admin", "agency"}),
    ("GET", "/v1/agencies/{agency_id}/webhook-messages"): frozenset({"admin", "agency"}),
    ("POST", "/v1/agencies/{agency_id}/webhook-messages/{message_id}/redeliver"): frozenset(
        {"admin", "agency"}
    ),
    ("GET", "/v1/regions"): ALL,
    ("GET", "/v1/regions/{code}"): ALL,
    ("GET", "/v1/skills"): ALL,
    ("GET", "/v1/skills/{skill_id}"): ALL,
    ("POST", "/v1/labourers"): STAFF,
    ("GET", "/v1/labourers"): STAFF,
    ("GET", "/v1/labourers/duplicates"): STAFF,
    ("GET", "/v1/labourers/{labourer_id}"): STAFF,
    ("PATCH", "/v1/labourers/{labourer_id}"): STAFF,
    ("POST", "/v1/labourers/{labourer_id}/merge"): STAFF,
    ("POST", "/v1/labourers/{labourer_id}/status"): STAFF,
    ("GET", "/v1/labourers/{labourer_id}/status"): STAFF,
    ("GET", "/v1/labourers/{labourer_id}/status/history"): STAFF,
    ("GET", "/v1/labourers/import/template"): STAFF,
    ("POST", "/v1/labourers/import"): STAFF,
    ("GET", "/v1/labourers/{labourer_id}/app-link"): STAFF,
    ("PUT", "/v1/labourers/{labourer_id}/app-link"): STAFF,
    ("DELETE", "/v1/labourers/{labourer_id}/app-link"): frozenset({"admin", "staff", "app"}),
    ("POST", "/v1/app/enrolments"): frozenset({"app"}),
    ("POST", "/v1/posts"): PUBLISHERS,
    ("GET", "/v1/posts"): ALL,
    ("POST", "/v1/posts/batch"): frozenset({"admin", "agency"}),
    ("GET", "/v1/posts/duplicates"): STAFF,
    ("GET", "/v1/posts/{post_id}"): ALL,
    ("PATCH", "/v1/posts/{post_id}"): PUBLISHERS,
    ("POST", "/v1/posts/{post_id}/withdraw"): PUBLISHERS,
    ("GET", "/v1/labourers/{labourer_id}/matches"): frozenset({"admin", "staff", "app"}),
    ("GET", "/v1/labourers/{labourer_id}/matches/{post_id}"): frozenset({"admin", "staff", "app"}),
    ("GET", "/v1/posts/{post_id}/candidates"): frozenset({"admin", "staff", "agency"}),
    ("POST", "/v1/pushes"): STAFF,
    ("GET", "/v1/pushes"): STAFF,
    ("GET", "/v1/pushes/{push_id}"): frozenset({"admin", "staff", "app"}),
    ("POST", "/v1/pushes/{push_id}/events"): frozenset({"admin", "staff", "app"}),
    ("GET", "/v1/labourers/{labourer_id}/pushes"): frozenset({"admin", "staff", "app"}),
    ("GET", "/v1/posts/{post_id}/outcomes"): PUBLISHERS,
    ("POST", "/v1/labourers/{labourer_id}/employments"): STAFF,
    ("GET", "/v1/labourers/{labourer_id}/employments"): STAFF,
    ("POST", "/v1/employments/{employment_id}/end"): STAFF,
    ("POST", "/v1/labourers/{labourer_id}/services"): STAFF,
    ("GET", "/v1/labourers/{labourer_id}/services"): STAFF,
    ("GET", "/v1/reports/targets"): STAFF,
    ("GET", "/v1/reports/targets.xlsx"): STAFF,
    ("POST", "/v1/reports/targets.xlsx"): STAFF,
    ("GET", "/v1/reports/agency-posts"): frozenset({"admin", "agency"}),
    ("PUT", "/v1/targets/{region}/{year}"): ADMIN,
    ("GET", "/v1/targets/{region}/{year}"): STAFF,
    ("GET", "/v1/targets"): STAFF,
    ("POST", "/v1/plans"): STAFF,
    ("GET", "/v1/plans"): STAFF,
    ("GET", "/v1/plans/{plan_id}"): STAFF,
    ("POST", "/v1/plans/{plan_id}/commit"): STAFF,
    ("GET", "/v1/scoring/weights"): STAFF,
    ("PUT", "/v1/regions/{code}/seat"): STAFF,
    ("DELETE", "/v1/regions/{code}/seat"): STAFF,
    ("POST", "/v1/scoring/weights/fits"): ADMIN,
    ("GET", "/v1/audit"): ADMIN,
    ("GET", "/v1/jobs"): STAFF,
    ("GET", "/v1/jobs/{job_id}"): STAFF,
    ("POST", "/v1/jobs/{job_id}/cancel"): STAFF,
    ("POST", "/v1/jobs/{job_id}/retry"): STAFF,
    ("GET", "/v1/jobs/{job_id}/result"): STAFF,
    ("GET", "/v1/jobs/{job_id}/file"): STAFF,
}

SAMPLE_PARAMS = {"code": "430981", "skill_id": "S0001", "region": "430981", "year": "2026"}


def _routes(app: FastAPI) -> dict[tuple[str, str], APIRoute]:
    routes = {(m, r.path_format): r for r in api_routes() for m in r.methods or ()}
    documented = {(m.upper(), p) for p, ops in app.openapi()["paths"].items() for m in ops}
    assert set(routes) == documented  # the app serves exactly the routes we inspect
    return routes


def _url(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: SAMPLE_PARAMS.get(m.group(1), "999999"), path)


def test_the_table_covers_every_route(app: FastAPI) -> None:
    assert set(_routes(app)) == set(EXPECTED)


def test_the_guards_match_the_table(app: FastAPI) -> None:
    for key, route in _routes(app).items():
        assert (route_roles(route) or OPEN) == EXPECTED[key], key


@pytest.mark.parametrize(("method", "path"), sorted(EXPECTED))
def test_every_role_on_every_route(
    client: TestClient,
    auth: Callable[..., dict[str, str]],
    method: str,
    path: str,
) -> None:
    allowed = EXPECTED[(method, path)]
    url = _url(path)
    body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None
    anonymous = client.request(method, url, json=body)
    if not allowed:
        assert anonymous.status_code not in (401, 403)
        return
    assert anonymous.status_code == 401
    for role in ROLES:
        response = client.request(method, url, headers=auth(role), json=body)
        if role in allowed:
            assert response.status_code not in (401, 403), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")


def test_revoked_key_is_refused(client: TestClient, auth: Callable[..., dict[str, str]]) -> None:
    admin = auth("admin")
    created = client.post("/v1/keys", json={"name": "temp", "role": "app"}, headers=admin).json()
    temp = {"Authorization": f"Bearer {created['key']}"}
    assert client.get("/v1/agencies", headers=temp).status_code == 403
    assert client.delete(f"/v1/keys/{created['id']}", headers=admin).status_code == 200
    assert client.get("/v1/agencies", headers=temp).status_code == 401
