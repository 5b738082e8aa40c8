"""A property: however small or empty a region is, plan, report and match calls never answer
5xx (random regions of 0-6 labourers and 0-4 posts, with random statuses, willingness, posts
and clock days, some months into the year)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import finished

from matching.clock import FixedClock
from matching.regions.registry import get_registry

Headers = Callable[..., dict[str, str]]
COUNTIES = sorted(r.code for r in get_registry().children("4309"))  # 益阳's counties
TOWNS = {c: [t.code for t in get_registry().children(c)][:3] or [c] for c in COUNTIES}

person = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["unemployed", "unemployed", "employed_local", "not_seeking"]),
        "relocation": st.sampled_from(["township", "county", "prefecture", "anywhere"]),
        "wants_work": st.booleans(),
        "ability": st.sampled_from(["full", "partial", "none"]),
        "days_ago": st.integers(0, 400),
    }
)
post = st.fixed_dictionaries(
    {
        "where": st.sampled_from(["home", "county", "441900", "330100"]),
        "openings": st.integers(1, 3),
        "post_type": st.sampled_from(["enterprise", "public_welfare", "workshop"]),
    }
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    county=st.sampled_from(COUNTIES),
    people=st.lists(person, max_size=6),
    posts=st.lists(post, max_size=4),
    day=st.integers(0, 364),
    hour=st.sampled_from([15, 16, 2]),  # 23:xx / 00:xx / 10:xx China time
)
def test_no_region_makes_a_server_error(
    client: TestClient,
    auth: Headers,
    test_clock: FixedClock,
    labourer_body: Callable[..., dict[str, Any]],
    post_body: Callable[..., dict[str, Any]],
    county: str,
    people: list[dict[str, Any]],
    posts: list[dict[str, Any]],
    day: int,
    hour: int,
) -> None:
    now = datetime(2026, 1, 1, hour, 30, tzinfo=UTC) + timedelta(days=day)
    test_clock.set(now)
    today = (now + timedelta(hours=8)).date()
    admin = auth("admin")
    town = TOWNS[county][0]
    ids = []
    for p in people:
        body = labourer_body(
            hukou_region=town,
            employment_status=p["status"],
            relocation=p["relocation"],
            wants_work=p["wants_work"],
            labour_ability=p["ability"],
            status_effective_from=(today - timedelta(days=p["days_ago"])).isoformat(),
        )
        response = client.post("/v1/labourers", json=body, headers=admin)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    for p in posts:
        where = {"home": town, "county": county}.get(p["where"], p["where"])
        body = post_body(workplace_region=where, openings=p["openings"], post_type=p["post_type"])
        assert client.post("/v1/posts", json=body, headers=admin).status_code == 201
    month = f"{today.year:04d}-{today.month:02d}"
    calls = [
        finished(client, client.post("/v1/plans", json={"region": county}, headers=admin)),
        finished(client, client.post("/v1/plans", json={"region": town, "coverage": 1.0},
                                     headers=admin)),
        client.get("/v1/reports/targets", params={"region": county, "month": month},
                   headers=admin),
        client.get("/v1/reports/targets", params={"region": town}, headers=admin),
        *(client.get(f"/v1/labourers/{i}/matches", headers=admin) for i in ids),
    ]  # fmt: skip
    for response in calls:
        assert response.status_code < 500, response.text
    plan = calls[0].json()
    if plan["summary"]["planned_pushes"] == 0:  # an empty plan always says why
        assert plan["summary"]["shortfall"] is not None, plan["summary"]
