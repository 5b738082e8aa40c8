"""The monthly cycle through the API: a county's first month, next month's plan, both targets,
refusals that change the next plan, early signals in the calibration, empty regions."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import finished

from matching.clock import FixedClock

Headers = Callable[..., dict[str, str]]
COUNTY, TOWN = "430981", "430981100"


@pytest.fixture
def first_month(
    test_clock: FixedClock,
    client: TestClient,
    auth: Headers,
    labourer_body: Callable[..., dict[str, Any]],
    post_body: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """A county onboarded on 3 December: ten seekers registered today, four local posts."""
    test_clock.set(datetime(2026, 12, 3, 2, tzinfo=UTC))
    admin = auth("admin")
    people = [
        client.post("/v1/labourers", json=labourer_body(hukou_region=TOWN, relocation="county"),
                    headers=admin).json()["id"]
        for _ in range(10)
    ]  # fmt: skip
    posts = [
        client.post("/v1/posts", json=post_body(workplace_region=COUNTY, openings=2,
                    wage_min=3000, wage_max=4000, valid_until="2027-12-31", occupation="电焊工"),
                    headers=admin)
        .json()["id"]
        for _ in range(4)
    ]  # fmt: skip
    return {"admin": admin, "staff": auth("staff"), "people": people, "posts": posts}


def _plan(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    return finished(
        client, client.post("/v1/plans", json={"region": COUNTY, **body}, headers=headers)
    )


def _pairs(plan: dict[str, Any]) -> set[tuple[int, int]]:
    return {(lab["labourer_id"], p["post_id"]) for lab in plan["labourers"] for p in lab["posts"]}


def test_a_county_first_month_is_not_empty(client: TestClient, first_month: dict[str, Any]) -> None:
    response = _plan(client, first_month["staff"])
    assert response.status_code == 200, response.text
    summary = response.json()["summary"]
    assert summary["unemployed_willing"] == 0  # nobody was unemployed on 1 December here
    assert summary["new_seekers"] == 10
    assert summary["planned_reach"] > 0 and summary["planned_pushes"] > 0
    assert summary["meets_push_target"] is True  # 50% of U = 0
    assert summary["expected_success_rate"] >= summary["success_rate_floor"]


def test_next_month_is_planned_in_the_last_days_and_committed_in_its_month(
    test_clock: FixedClock, client: TestClient, first_month: dict[str, Any]
) -> None:
    staff = first_month["staff"]
    early = _plan(client, staff, month="2027-01")
    assert early.status_code == 422
    assert early.json()["errors"][0]["field"] == "body.month"
    assert "2026-12-25" in early.json()["detail"]
    test_clock.set(datetime(2026, 12, 28, 2, tzinfo=UTC))
    ahead = _plan(client, staff, month="2027-01")
    assert ahead.status_code == 200, ahead.text
    plan = ahead.json()
    assert plan["month"] == plan["params"]["month"] == plan["summary"]["month"] == "2027-01"
    assert plan["summary"]["unemployed_willing"] == 10  # everyone seeking today
    too_soon = client.post(f"/v1/plans/{plan['id']}/commit", headers=staff)
    assert too_soon.status_code == 409
    assert "2027-01-01" in too_soon.json()["detail"]
    test_clock.set(datetime(2026, 12, 31, 16, 30, tzinfo=UTC))  # 1 January, 00:30 in China
    done = finished(client, client.post(f"/v1/plans/{plan['id']}/commit", headers=staff))
    assert done.status_code == 200, done.text
    assert done.json()["commit_result"]["created"] == plan["summary"]["planned_pushes"]


def test_both_targets_and_a_budget(client: TestClient, first_month: dict[str, Any]) -> None:
    staff = first_month["staff"]
    budget = _plan(client, staff, max_pushes=2).json()["summary"]
    assert budget["planned_pushes"] <= 2 and budget["proposed_pushes"] <= 2
    strict = _plan(client, staff, success_margin=0.5).json()["summary"]  # a 65% floor
    assert strict["planned_pushes"] == 0  # nothing is required (U = 0) and nothing is that good
    assert strict["shortfall"]["limiting_factor"] == "nothing_above_rate"
    assert "65.0%" in strict["shortfall"]["message"]


def test_coverage_wins_over_the_rate_and_says_so(
    test_clock: FixedClock, client: TestClient, first_month: dict[str, Any]
) -> None:
    test_clock.set(datetime(2027, 1, 5, 2, tzinfo=UTC))  # January: the ten are now U
    summary = _plan(client, first_month["staff"], success_margin=0.5).json()["summary"]
    assert summary["unemployed_willing"] == 10 and summary["required_pushes"] == 5
    assert summary["planned_pushes"] == 5 and summary["meets_push_target"] is True
    assert summary["meets_success_target"] is False
    shortfall = summary["shortfall"]
    assert shortfall["limiting_factor"] == "success_rate"
    assert "the 5 pushes coverage still requires" in shortfall["message"]
    assert "两项目标无法同时达到" in shortfall["message_zh"]


def test_refused_pairs_are_left_out_next_month_and_marked_in_matches(
    test_clock: FixedClock, client: TestClient, first_month: dict[str, Any]
) -> None:
    staff, lab = first_month["staff"], first_month["people"][0]
    body = {"post_ids": first_month["posts"], "labourer_ids": [lab], "channel": "sms"}
    pushes = client.post("/v1/pushes", json=body, headers=staff).json()["items"]
    refused = pushes[0]
    event = client.post(f"/v1/pushes/{refused['id']}/events", json={"state": "declined"},
                        headers=staff)  # fmt: skip
    assert event.status_code == 200, event.text
    test_clock.set(datetime(2027, 1, 5, 2, tzinfo=UTC))
    plan = _plan(client, staff, candidates_per_labourer=10).json()
    assert (lab, refused["post_id"]) not in _pairs(plan)
    assert plan["summary"]["refused_pairs_left_out"] == 1
    assert plan["summary"]["pairs_lowered_by_refusals"] >= 1  # the same occupation elsewhere
    matches = client.get(f"/v1/labourers/{lab}/matches", headers=staff).json()["items"]
    by_post = {m["post"]["id"]: m for m in matches}
    marked = by_post[refused["post_id"]]
    assert marked["refused_on"] == "2026-12-03"
    assert marked["taste_factor"] < 1
    assert any(r["code"] == "declined_occupation" for r in marked["reasons"])
    assert [m["rank"] for m in matches] == list(range(1, len(matches) + 1))
    assert [m["score"] for m in matches] == sorted((m["score"] for m in matches), reverse=True)
    test_clock.set(datetime(2027, 3, 5, 2, tzinfo=UTC))  # December is 3 months back: over
    later = _plan(client, staff, candidates_per_labourer=10).json()
    assert later["summary"]["refused_pairs_left_out"] == 0


def test_early_signals_calibrate_before_the_hire_window_closes(
    test_clock: FixedClock, client: TestClient, first_month: dict[str, Any]
) -> None:
    staff = first_month["staff"]
    plan = _plan(client, staff).json()
    committed = finished(
        client, client.post(f"/v1/plans/{plan['id']}/commit", headers=staff)
    ).json()
    push_ids = [p["push_id"] for lab in committed["labourers"] for p in lab["posts"]]
    for i, push_id in enumerate(push_ids):
        state = "applied" if i % 2 == 0 else "declined"
        client.post(f"/v1/pushes/{push_id}/events", json={"state": state}, headers=staff)
    test_clock.set(datetime(2026, 12, 20, 2, tzinfo=UTC))  # 17 days on: signals, no window
    calibration = _plan(client, staff).json()["calibration"]
    assert calibration["method"] == "two_stage"
    county = calibration["stages"]["levels"][-1]
    assert county["region"] == COUNTY
    assert county["signal_pushes"] == len(push_ids)
    assert county["applied"] == (len(push_ids) + 1) // 2
    assert county["resolved_applied"] == 0  # applied, the window still open, nobody hired yet


@pytest.mark.parametrize("region", ["430902", "430981100", "441900"])
def test_empty_regions_get_an_empty_plan_with_the_reason(
    client: TestClient, first_month: dict[str, Any], auth: Headers, region: str
) -> None:
    """No labourers (益阳 赫山区, 东莞), or seekers who have no post in reach."""
    response = finished(
        client, client.post("/v1/plans", json={"region": region}, headers=auth("admin"))
    )
    assert response.status_code == 200, response.text
    summary = response.json()["summary"]
    assert summary["planned_pushes"] == 0 or region == "430981100"
    if summary["planned_pushes"] == 0:
        assert summary["shortfall"]["limiting_factor"] in ("no_seekers", "no_posts_in_reach")
        assert any(ch.isdigit() for ch in summary["shortfall"]["message"])


def test_an_application_raises_posts_like_it_and_learning_can_be_switched_off(
    app: Any, test_clock: FixedClock, client: TestClient, first_month: dict[str, Any]
) -> None:
    staff, lab = first_month["staff"], first_month["people"][1]
    body = {"post_ids": first_month["posts"][:1], "labourer_ids": [lab], "channel": "app"}
    push = client.post("/v1/pushes", json=body, headers=staff).json()["items"][0]
    for state in ("applied", "rejected"):  # the employer said no; the labourer wanted it
        response = client.post(f"/v1/pushes/{push['id']}/events", json={"state": state},
                               headers=staff)  # fmt: skip
        assert response.status_code == 200, response.text
    test_clock.set(datetime(2027, 1, 5, 2, tzinfo=UTC))
    summary = _plan(client, staff).json()["summary"]
    assert summary["refused_pairs_left_out"] == 1  # the rejected pair itself
    assert summary["pairs_raised_by_applications"] >= 1  # other welding posts for them
    matches = client.get(f"/v1/labourers/{lab}/matches", headers=staff).json()["items"]
    assert any(r["code"] == "applied_similar" for m in matches for r in m["reasons"])
    app.state.settings = app.state.settings.model_copy(update={"planner_learning": False})
    plain = _plan(client, staff).json()
    assert plain["calibration"]["method"] == "prior"
    assert plain["summary"]["refused_pairs_left_out"] == 0
    assert plain["summary"]["pairs_raised_by_applications"] == 0


def test_the_region_targets_set_the_plan_goals_even_when_zero(
    client: TestClient, first_month: dict[str, Any]
) -> None:
    """A target of 0 is a target (not "unset"): the floor is then the margin alone."""
    admin = first_month["admin"]
    put = client.put(f"/v1/targets/{COUNTY}/2026", json={"success_rate": 0, "push_ratio": 0.8},
                     headers=admin)  # fmt: skip
    assert put.status_code == 200, put.text
    plan = _plan(client, first_month["staff"]).json()
    assert plan["params"]["success_target"] == 0
    assert plan["params"]["coverage"] == 0.8
    assert plan["summary"]["success_rate_floor"] == 0.02


def test_a_labourer_who_never_answers_sinks_and_the_plan_shows_the_fit(
    test_clock: FixedClock, client: TestClient, first_month: dict[str, Any]
) -> None:
    """Two posts left unanswered lower every post for that labourer more than two declined
    posts of the same occupation lower them for a labourer who answered, with the reason."""
    staff = first_month["staff"]
    silent, talker = first_month["people"][2], first_month["people"][3]
    for lab, state in ((silent, "no_response"), (talker, "declined")):
        body = {"post_ids": first_month["posts"][:2], "labourer_ids": [lab], "channel": "app"}
        pushed = client.post("/v1/pushes", json=body, headers=staff)
        assert pushed.status_code in (200, 201), pushed.text
        for push in pushed.json()["items"]:
            response = client.post(f"/v1/pushes/{push['id']}/events", json={"state": state},
                                   headers=staff)  # fmt: skip
            assert response.status_code == 200, response.text
    test_clock.set(datetime(2027, 1, 5, 2, tzinfo=UTC))
    quiet = client.get(f"/v1/labourers/{silent}/matches", headers=staff).json()["items"]
    assert quiet and all(m["taste_factor"] < 0.2 for m in quiet)
    assert all(any(r["code"] == "unanswered" for r in m["reasons"]) for m in quiet)
    spoke = client.get(f"/v1/labourers/{talker}/matches", headers=staff).json()["items"]
    other_post = first_month["posts"][2]  # pushed to neither
    factor = {lab: next(m["taste_factor"] for m in items if m["post"]["id"] == other_post)
              for lab, items in ((silent, quiet), (talker, spoke))}  # fmt: skip
    assert factor[silent] < factor[talker] < 1
    plan = _plan(client, staff, candidates_per_labourer=10).json()
    fit = plan["calibration"]["responsiveness"]
    assert fit["labourers"] == 2
    assert 0 < fit["unanswered_if_answering"] < fit["unanswered_if_not"] < 1
    # April: the pairs' cooldown (December to February) is over, the labourer's record is not.
    test_clock.set(datetime(2027, 4, 5, 2, tzinfo=UTC))
    april = client.get(f"/v1/labourers/{silent}/matches", headers=staff).json()["items"]
    pushed = {m["post"]["id"]: m for m in april if m["post"]["id"] in first_month["posts"][:2]}
    assert pushed and all(m["refused_on"] is None for m in pushed.values())
    assert all(m["taste_factor"] < 0.2 for m in april)
    # A year on (December 2027), the memory (12 months, the push's included) has let it go.
    test_clock.set(datetime(2027, 12, 5, 2, tzinfo=UTC))
    later = client.get(f"/v1/labourers/{silent}/matches", headers=staff).json()["items"]
    assert all(m["taste_factor"] == 1 for m in later)


def test_competition_the_outcomes_include_is_not_taken_off_twice(
    test_clock: FixedClock, client: TestClient, first_month: dict[str, Any]
) -> None:
    """Next month's fitted rates come from outcomes of a month whose plan expected fewer hires
    with competition than without: the plan divides them by that share first, and says so."""
    staff = first_month["staff"]
    plan = _plan(client, staff).json()
    committed = finished(
        client, client.post(f"/v1/plans/{plan['id']}/commit", headers=staff)
    ).json()
    summary = committed["summary"]
    share = summary["expected_hires"] / summary["expected_hires_without_competition"]
    assert share < 1  # ten seekers, four posts of two openings: they compete
    for lab in committed["labourers"]:
        for p in lab["posts"]:
            client.post(f"/v1/pushes/{p['push_id']}/events", json={"state": "applied"},
                        headers=staff)  # fmt: skip
    test_clock.set(datetime(2027, 1, 20, 2, tzinfo=UTC))
    january = _plan(client, staff).json()["calibration"]
    assert january["method"] == "two_stage"
    assert january["competition_in_outcomes"] == pytest.approx(share, abs=1e-4)
    # The first plan had only the prior: nothing to correct.
    assert plan["calibration"]["competition_in_outcomes"] == 1.0


def test_a_committed_plan_shows_the_reasons_scored_at_push_time(
    client: TestClient, first_month: dict[str, Any]
) -> None:
    """The post's wage changes after the commit: the plan still shows what the push said."""
    staff, admin = first_month["staff"], first_month["admin"]
    plan = _plan(client, staff).json()
    committed = finished(
        client, client.post(f"/v1/plans/{plan['id']}/commit", headers=staff)
    ).json()
    item = committed["labourers"][0]["posts"][0]
    stored = client.get(f"/v1/pushes/{item['push_id']}", headers=staff).json()["reasons"]
    assert item["reasons"] == stored and stored
    changed = client.patch(f"/v1/posts/{item['post_id']}", json={"wage_min": 9000,
                           "wage_max": 9500}, headers=admin)  # fmt: skip
    assert changed.status_code == 200, changed.text
    again = client.get(f"/v1/plans/{plan['id']}", headers=staff).json()
    shown = next(p for lab in again["labourers"] for p in lab["posts"]
                 if p["push_id"] == item["push_id"])  # fmt: skip
    assert shown["reasons"] == stored
