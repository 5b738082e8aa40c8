"""Weights learned from a province's outcomes, through the API: the fit, its hold-out check and
fall-back, and the plans and matches that score with it (docs/scoring.md, "Learned weights")."""

import math
import random
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session
from tests.conftest import finished, statements_with

from matching.clock import FixedClock
from matching.learning.models import LearnedWeights
from matching.pushes.models import Channel, Push, PushedBy, PushState
from matching.scoring import COMPONENTS
from matching.scoring.learned import LEARNED

Headers = Callable[..., dict[str, str]]
TOWN = "430981100"
TODAY = date(2026, 11, 20)
# The province's labourers apply by place and skills only; the settings weigh wage, preference
# and priority too.
TRUE = {"location": 0.7, "skills": 0.3}


@pytest.fixture(autouse=True)
def _clock(test_clock: FixedClock) -> None:
    test_clock.set(datetime(2026, 11, 20, 2, tzinfo=UTC))


@pytest.fixture
def province(
    client: TestClient,
    auth: Headers,
    labourer_body: Callable[..., dict[str, Any]],
    post_body: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """Forty seekers of 沅江市 and five posts of the county."""
    admin = auth("admin")
    people = [
        client.post("/v1/labourers", headers=admin, json=labourer_body(
            hukou_region=TOWN, relocation="county", status_effective_from="2026-01-01",
        )).json()["id"]
        for _ in range(40)
    ]  # fmt: skip
    posts = [
        client.post("/v1/posts", headers=admin, json=post_body(
            workplace_region="430981", openings=3, wage_min=3000, wage_max=4000,
            valid_until="2027-12-31",
        )).json()["id"]
        for _ in range(5)
    ]  # fmt: skip
    return {"people": people, "posts": posts, "admin": admin, "staff": auth("staff")}


def outcomes(session: Session, people: list[int], posts: list[int], months: int = 10) -> int:
    """A year of pushes (every labourer × post × month) whose labourers applied by TRUE."""
    rng = random.Random(2027)
    rows = []
    for m in range(months):
        pushed_on = date(2026, 1 + m, 10)
        for labourer in people:
            for post in posts:
                breakdown = {c: round(rng.random(), 4) for c in COMPONENTS}
                fit = sum(w * breakdown[c] for c, w in TRUE.items())
                applied = rng.random() < 1 / (1 + math.exp(3.0 - 6.0 * fit))
                rows.append({
                    "labourer_id": labourer, "post_id": post, "month": f"{pushed_on:%Y-%m}",
                    "pushed_on": pushed_on, "pushed_at": datetime(2026, 1 + m, 10, 2, tzinfo=UTC),
                    "labourer_region": TOWN, "channel": Channel.app, "pushed_by": PushedBy.staff,
                    "score": 0.5, "taste_factor": 1.0, "breakdown": breakdown, "reasons": [],
                    "state": PushState.applied if applied else PushState.declined,
                    "state_at": datetime(2026, 1 + m, 12, 2, tzinfo=UTC),
                    "attribution_until": pushed_on + timedelta(days=60),
                })  # fmt: skip
    session.execute(insert(Push), rows)
    session.flush()
    return len(rows)


def test_a_province_with_outcomes_learns_weights_that_beat_the_settings(
    client: TestClient, session: Session, province: dict[str, Any]
) -> None:
    outcomes(session, province["people"], province["posts"])
    before = client.get("/v1/scoring/weights", params={"province": "43"},
                        headers=province["staff"]).json()  # fmt: skip
    assert before["source"] == "settings" and before["fits"] == []
    response = client.post("/v1/scoring/weights/fits", json={"province": "430000"},
                           headers=province["admin"])  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/v1/scoring/weights?province=43"
    fit = response.json()
    assert fit["outcome"] == "learned", fit
    assert fit["pushes"] + fit["holdout_pushes"] == 2000
    assert fit["auc_learned"] > fit["auc_settings"]
    learned = fit["weights"]
    assert (
        learned["location"]
        > learned["skills"]
        > max(learned["wage"], learned["preference"], learned["priority"])
    )
    now = client.get("/v1/scoring/weights", params={"province": "43"},
                     headers=province["staff"]).json()  # fmt: skip
    assert now["source"] == "learned"
    assert now["in_force"] == pytest.approx(learned, abs=1e-5)
    assert [f["id"] for f in now["fits"]] == [fit["id"]]

    # A labourer's matches rank with them: the total is the learned weighted sum.
    matches = client.get(f"/v1/labourers/{province['people'][0]}/matches",
                         headers=province["staff"]).json()["items"]  # fmt: skip
    assert matches
    for item in matches:
        expected = sum(learned[c] * item["breakdown"][c] for c in COMPONENTS)
        assert item["score"] == pytest.approx(min(expected, 1.0) * item["taste_factor"], abs=2e-4)

    # A plan of the province scores with them, and says so.
    plan = finished(
        client, client.post("/v1/plans", json={"region": "430981"}, headers=province["staff"])
    )
    assert plan.status_code == 200, plan.text
    calibration = plan.json()["calibration"]
    assert calibration["method"] == "learned"
    assert calibration["weights"]["outcome"] == "learned"
    assert calibration["weights"]["fit_id"] == fit["id"]  # this month's fit: not fitted again
    assert calibration["weights"]["in_force"] == pytest.approx(learned, abs=1e-5)
    values = calibration["values"]
    assert values == sorted(values) and 0 < values[0] < values[-1] < 1


def test_a_plan_fits_its_province_once_a_month(
    client: TestClient, session: Session, province: dict[str, Any], test_clock: FixedClock
) -> None:
    outcomes(session, province["people"], province["posts"])
    first = finished(
        client, client.post("/v1/plans", json={"region": "430981"}, headers=province["staff"])
    )
    fit_id = first.json()["calibration"]["weights"]["fit_id"]
    again = finished(
        client, client.post("/v1/plans", json={"region": "4309"}, headers=province["admin"])
    )
    assert again.json()["calibration"]["weights"]["fit_id"] == fit_id
    test_clock.set(datetime(2026, 12, 2, 2, tzinfo=UTC))
    december = finished(
        client, client.post("/v1/plans", json={"region": "430981"}, headers=province["staff"])
    )
    assert december.json()["calibration"]["weights"]["fit_id"] != fit_id
    fits = client.get("/v1/scoring/weights", params={"province": "43"},
                      headers=province["staff"]).json()["fits"]  # fmt: skip
    assert [f["fitted_on"] for f in fits] == ["2026-12-02", "2026-11-20"]


def test_thin_data_keeps_the_settings_weights(
    client: TestClient, session: Session, province: dict[str, Any]
) -> None:
    outcomes(session, province["people"], province["posts"], months=1)  # 200 pushes
    fit = client.post("/v1/scoring/weights/fits", json={"province": "43"},
                      headers=province["admin"]).json()  # fmt: skip
    assert fit["outcome"] == "thin_data" and fit["weights"] is None
    now = client.get("/v1/scoring/weights", params={"province": "43"},
                     headers=province["staff"]).json()  # fmt: skip
    assert now["source"] == "settings" and now["in_force"] == now["settings_weights"]
    plan = finished(
        client, client.post("/v1/plans", json={"region": "430981"}, headers=province["staff"])
    ).json()
    assert plan["calibration"]["method"] != "learned"
    assert plan["calibration"]["weights"]["outcome"] == "thin_data"
    assert plan["calibration"]["weights"]["in_force"] == pytest.approx(now["settings_weights"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"province": "4309"}, "body.province"),
        ({"province": "99"}, "body.province"),
        ({}, "body.province"),
        ({"province": "43", "x": 1}, "body.x"),
    ],
)
def test_a_bad_province_is_refused_naming_the_field(
    client: TestClient, auth: Headers, body: dict[str, Any], field: str
) -> None:
    response = client.post("/v1/scoring/weights/fits", json=body, headers=auth("admin"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    listed = client.get("/v1/scoring/weights", params={"province": "430981"},
                        headers=auth("admin"))  # fmt: skip
    assert listed.status_code == 422
    assert listed.json()["errors"][0]["field"] == "query.province"


def test_only_an_admin_fits_and_no_agency_reads(client: TestClient, auth: Headers) -> None:
    staff = client.post("/v1/scoring/weights/fits", json={"province": "43"}, headers=auth("staff"))
    assert staff.status_code == 403
    agency = client.get("/v1/scoring/weights", params={"province": "43"}, headers=auth("agency"))
    assert agency.status_code == 403


def test_with_learned_weights_off_the_settings_weights_rank_everything(
    app: Any, client: TestClient, session: Session, province: dict[str, Any]
) -> None:
    outcomes(session, province["people"], province["posts"])
    fit = client.post("/v1/scoring/weights/fits", json={"province": "43"},
                      headers=province["admin"]).json()  # fmt: skip
    assert fit["outcome"] == "learned"
    app.state.settings = app.state.settings.model_copy(update={"learned_weights": False})
    now = client.get("/v1/scoring/weights", params={"province": "43"},
                     headers=province["staff"]).json()  # fmt: skip
    assert now["learning"] is False and now["source"] == "settings"
    assert now["in_force"] == now["settings_weights"] and now["fits"][0]["id"] == fit["id"]
    settings = now["settings_weights"]
    matches = client.get(f"/v1/labourers/{province['people'][0]}/matches",
                         headers=province["staff"]).json()["items"]  # fmt: skip
    for item in matches:
        expected = sum(settings[c] * item["breakdown"][c] for c in COMPONENTS)
        assert item["score"] == pytest.approx(min(expected, 1.0) * item["taste_factor"], abs=2e-4)
    plan = finished(
        client, client.post("/v1/plans", json={"region": "430981"}, headers=province["staff"])
    ).json()
    assert plan["calibration"]["method"] != "learned"
    assert plan["calibration"]["weights"] is None


@pytest.fixture
def fit_reads(connection: Connection) -> Iterator[list[str]]:
    """The statements that read the learned weights, as the test's requests send them."""
    with statements_with(connection, "FROM learned_weights") as sent:
        yield sent


def test_a_worker_reads_the_weights_once_until_a_fit_is_stored(
    client: TestClient, session: Session, fit_reads: list[str], province: dict[str, Any]
) -> None:
    """A labourer's matches read the province's fit once per worker and day, and again as soon
    as any fit is stored, even by hand (the weights counter: migration 0018)."""

    def matches() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = client.get(
            f"/v1/labourers/{province['people'][0]}/matches", headers=province["staff"]
        ).json()["items"]
        assert items
        return items

    def ranked_with(weights: dict[str, float], items: list[dict[str, Any]]) -> bool:
        return all(
            item["score"] == pytest.approx(
                min(sum(weights[c] * item["breakdown"][c] for c in COMPONENTS), 1.0)
                * item["taste_factor"], abs=2e-4)
            for item in items
        )  # fmt: skip

    first = matches()
    settings_weights = client.get("/v1/scoring/weights", params={"province": "43"},
                                  headers=province["staff"]).json()["settings_weights"]  # fmt: skip
    assert ranked_with(settings_weights, first)
    fit_reads.clear()
    matches()
    assert fit_reads == []  # the second match used what the worker kept
    weights = {c: TRUE.get(c, 0.0) for c in COMPONENTS}
    session.execute(
        insert(LearnedWeights).values(
            province="43", fitted_on=TODAY, outcome=LEARNED, weights=weights,
            settings_weights=settings_weights, intercept=0.0, scale=1.0, pushes=1000,
            applied=300, holdout_pushes=200, auc_settings=0.6, auc_learned=0.7,
        )
    )  # fmt: skip
    now = matches()
    assert len(fit_reads) == 1
    assert ranked_with(weights, now) and not ranked_with(settings_weights, now)
