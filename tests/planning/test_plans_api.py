"""Monthly plans end to end: preview numbers, caps, shortfall explanations, commit once."""

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from distributed import get_task_stream
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import finished

from matching.clock import FixedClock, china_date
from matching.compute import DaskEngine
from matching.pushes.models import Push

Headers = Callable[..., dict[str, str]]
TOWN = "430981100"


@pytest.fixture(autouse=True)
def _clock(test_clock: FixedClock) -> None:
    test_clock.set(datetime(2026, 11, 20, 2, tzinfo=UTC))


@pytest.fixture
def county(
    client: TestClient,
    auth: Headers,
    labourer_body: Callable[..., dict[str, Any]],
    post_body: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """Twelve seeking labourers (two bound to a township with no posts) and three local posts."""
    admin = auth("admin")
    people = []
    for i in range(12):
        relocation = "township" if i < 2 else "county"
        body = labourer_body(hukou_region=TOWN, relocation=relocation,
                             status_effective_from="2026-01-01")  # fmt: skip
        response = client.post("/v1/labourers", json=body, headers=admin)
        assert response.status_code == 201, response.text
        people.append(response.json()["id"])
    posts = []
    for openings in (1, 1, 2):
        body = post_body(workplace_region="430981", openings=openings, wage_min=3000, wage_max=4000)
        posts.append(client.post("/v1/posts", json=body, headers=admin).json()["id"])
    return {"people": people, "posts": posts, "admin": admin, "staff": auth("staff")}


def _plan(
    client: TestClient, headers: dict[str, str], params: dict[str, Any] | None = None, **extra: Any
) -> Any:
    body = {"region": "430981", **extra}
    return finished(client, client.post("/v1/plans", json=body, headers=headers), params)


def test_the_preview_meets_the_target_within_the_caps(
    client: TestClient, county: dict[str, Any], session: Session
) -> None:
    response = _plan(client, county["staff"], pushes_per_labourer=2, pushes_per_opening=3)
    assert response.status_code == 200, response.text
    plan = response.json()
    summary = plan["summary"]
    assert summary["unemployed_willing"] == 12
    assert summary["required_pushes"] == 6
    assert summary["labourers_with_candidates"] == 10  # the two township-bound have no post
    assert summary["meets_push_target"] is True
    items = [(lab["labourer_id"], p["post_id"]) for lab in plan["labourers"] for p in lab["posts"]]
    per_labourer = Counter(lab for lab, _ in items)
    per_post = Counter(post for _, post in items)
    openings = dict(zip(county["posts"], (1, 1, 2), strict=True))
    assert max(per_labourer.values()) <= 2
    assert all(per_post[p] <= 3 * openings[p] for p in per_post)
    # 12 post slots (3 x 4 openings): the optimiser proposes every one, first reaching 10
    # labourers; the plan keeps the 6 coverage requires and then only pushes that keep the
    # expected success rate at the floor (15% + 2%).
    assert summary["proposed_pushes"] == 12
    assert 6 <= summary["planned_pushes"] == len(items) <= 12
    assert summary["expected_success_rate"] >= summary["success_rate_floor"] == 0.17
    assert summary["meets_success_target"] is True
    assert summary["shortfall"] is None
    # Expected hires count one job per labourer and four openings in all.
    assert 0 < summary["expected_hires"] <= summary["expected_hires_without_competition"]
    assert summary["expected_hires"] <= 4
    first = plan["labourers"][0]["posts"][0]
    assert first["reasons"] and 0 < first["probability"] < 1
    assert plan["calibration"]["method"] == "prior"
    assert session.scalar(select(func.count()).select_from(Push)) == 0, "a preview pushes nothing"


def test_a_shortfall_is_explained_with_numbers(client: TestClient, county: dict[str, Any]) -> None:
    plan = _plan(client, county["staff"], pushes_per_labourer=1, pushes_per_opening=1).json()
    summary = plan["summary"]
    assert summary["planned_pushes"] == 4  # four openings, one push each
    assert summary["meets_push_target"] is False
    shortfall = summary["shortfall"]
    assert shortfall["labourers_without_candidates"] == 2
    assert "Only 10 of the 12 labourers have any open post" in shortfall["message"]
    assert "12 人中仅 10 人" in shortfall["message_zh"]
    assert shortfall["max_pushes_achievable"] == 4


def test_pairs_pushed_this_month_are_left_out(client: TestClient, county: dict[str, Any]) -> None:
    staff, people, posts = county["staff"], county["people"], county["posts"]
    pushed = client.post(
        "/v1/pushes",
        json={"post_ids": posts, "labourer_ids": [people[5]], "channel": "sms"},
        headers=staff,
    )
    assert pushed.status_code == 201
    plan = _plan(client, staff).json()
    assert plan["summary"]["already_pushed_this_month"] == 3
    assert plan["summary"]["required_pushes"] - 3 == plan["summary"]["still_required"]
    planned = {
        (lab["labourer_id"], p["post_id"]) for lab in plan["labourers"] for p in lab["posts"]
    }
    assert not planned & {(people[5], p) for p in posts}


@pytest.mark.parametrize("ids_per_query", [10_000, 2])  # 2: ids read in many small chunks
def test_commit_writes_the_pushes_once(
    client: TestClient,
    county: dict[str, Any],
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    ids_per_query: int,
) -> None:
    from matching.planning import service

    monkeypatch.setattr(service, "_IDS_PER_QUERY", ids_per_query)
    staff = county["staff"]
    plan = _plan(client, staff).json()
    committed = finished(client, client.post(f"/v1/plans/{plan['id']}/commit", headers=staff))
    assert committed.status_code == 200, committed.text
    body = committed.json()
    assert body["status"] == "committed"
    assert body["commit_result"]["created"] == plan["summary"]["planned_pushes"]
    pushes = session.scalars(select(Push).where(Push.plan_id == plan["id"])).all()
    assert len(pushes) == plan["summary"]["planned_pushes"]
    assert {p.pushed_by for p in pushes} == {"plan"}
    assert all(p.reasons for p in pushes)
    assert all(post["push_id"] for lab in body["labourers"] for post in lab["posts"])
    again = finished(client, client.post(f"/v1/plans/{plan['id']}/commit", headers=staff))
    assert again.status_code == 200
    assert again.json()["commit_result"] == body["commit_result"]
    assert session.scalar(select(func.count()).select_from(Push)) == len(pushes)
    # The pushes count in this month's report, and a new plan has nothing left to add.
    report = client.get("/v1/reports/targets", params={"region": "430981", "month": "2026-11"},
                        headers=staff).json()  # fmt: skip
    push_ratio = next(f for f in report["figures"] if f["key"] == "push_ratio")
    assert push_ratio["numerator"] == len(pushes)


def test_a_commit_pushes_what_is_still_open_and_keeps_pairs_pushed_meanwhile(
    client: TestClient, county: dict[str, Any], session: Session
) -> None:
    """Between the preview and the commit a clerk pushes one planned pair and a post is
    withdrawn: the commit keeps the clerk's push (the item is linked to it), skips the
    withdrawn post's items, and scores every push it makes as the pair is explained now."""
    staff, admin = county["staff"], county["admin"]
    plan = _plan(client, staff).json()
    planned = [(lab["labourer_id"], p["post_id"]) for lab in plan["labourers"]
               for p in lab["posts"]]  # fmt: skip
    by_post = Counter(post for _, post in planned)
    withdrawn = max(by_post, key=lambda post: (by_post[post], post))
    meanwhile = next(pair for pair in planned if pair[1] != withdrawn)
    by_hand = {"post_ids": [meanwhile[1]], "labourer_ids": [meanwhile[0]], "channel": "sms"}
    pushed = client.post("/v1/pushes", json=by_hand, headers=staff)
    assert pushed.status_code == 201, pushed.text
    staff_push = pushed.json()["items"][0]["id"]
    assert client.post(f"/v1/posts/{withdrawn}/withdraw", headers=admin).status_code == 200

    committed = finished(client, client.post(f"/v1/plans/{plan['id']}/commit", headers=staff))
    assert committed.status_code == 200, committed.text
    body = committed.json()
    assert body["commit_result"] | {"committed_at": None} == {
        "created": len(planned) - 1 - by_post[withdrawn],
        "already_pushed": 1,
        "skipped_closed": by_post[withdrawn],
        "committed_at": None,
    }
    links = {(lab["labourer_id"], p["post_id"]): p["push_id"] for lab in body["labourers"]
             for p in lab["posts"]}  # fmt: skip
    kept = session.scalars(select(Push).where(Push.labourer_id == meanwhile[0],
                                              Push.post_id == meanwhile[1])).one()  # fmt: skip
    assert (kept.id, kept.pushed_by) == (staff_push, "staff")
    assert links[meanwhile] == staff_push
    assert all(links[pair] is None for pair in planned if pair[1] == withdrawn)
    made = session.scalars(select(Push).where(Push.plan_id == plan["id"])).all()
    assert len(made) == body["commit_result"]["created"]
    for push in made:
        assert links[(push.labourer_id, push.post_id)] == push.id
        assert (push.month, push.note, push.state) == ("2026-11", f"plan {plan['id']}", "pushed")
        explained = client.get(f"/v1/labourers/{push.labourer_id}/matches/{push.post_id}",
                               headers=staff).json()  # fmt: skip
        assert push.score == pytest.approx(explained["score"], abs=1e-4)
        assert push.breakdown == pytest.approx(explained["breakdown"], abs=1e-4)
        assert push.reasons == explained["reasons"]


def test_plan_checks(client: TestClient, county: dict[str, Any], auth: Headers) -> None:
    assert _plan(client, auth("staff", regions=["430902"])).status_code == 403
    bad = _plan(client, county["staff"], pushes_per_labourer=0)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.pushes_per_labourer"
    few = _plan(client, county["staff"], pushes_per_labourer=5, candidates_per_labourer=2)
    assert few.status_code == 422
    assert few.json()["errors"][0]["field"] == "body.candidates_per_labourer"
    assert (
        client.post("/v1/plans", json={"region": "99"}, headers=county["staff"]).status_code == 422
    )
    assert client.post("/v1/plans/999999/commit", headers=county["staff"]).status_code == 404


def test_a_plan_of_a_past_month_cannot_be_committed(
    test_clock: FixedClock, client: TestClient, county: dict[str, Any]
) -> None:
    plan = _plan(client, county["staff"]).json()
    test_clock.set(datetime(2026, 12, 2, 2, tzinfo=UTC))
    stale = client.post(f"/v1/plans/{plan['id']}/commit", headers=county["staff"])
    assert stale.status_code == 409
    assert "2026-11" in stale.json()["detail"]


def test_pages_of_labourers(client: TestClient, county: dict[str, Any]) -> None:
    plan = _plan(client, county["staff"], params={"limit": 3}).json()
    assert len(plan["labourers"]) == 3
    page = {"cursor": plan["next_cursor"], "limit": 50}
    rest = client.get(f"/v1/plans/{plan['id']}", params=page, headers=county["staff"]).json()
    seen = [lab["labourer_id"] for lab in plan["labourers"] + rest["labourers"]]
    assert seen == sorted(seen)
    assert len(seen) == plan["summary"]["planned_reach"]
    listed = client.get("/v1/plans", params={"region": "430981"}, headers=county["staff"]).json()
    assert [p["id"] for p in listed] == [plan["id"]]


def test_a_commit_scored_on_a_two_worker_dask_cluster_is_the_one_scored_here(
    app: FastAPI,
    client: TestClient,
    county: dict[str, Any],
    session: Session,
    dask_engine: DaskEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A large commit scores its pushes in steps on the Dask workers: the same pushes, scores,
    breakdowns and reasons as scoring them in the job's own thread, in the same order."""
    from matching.auth.models import Role
    from matching.auth.principal import Principal
    from matching.compute import INLINE
    from matching.matches.read_model import ReadModel
    from matching.planning import commit

    staff = county["staff"]
    plan = _plan(client, staff).json()
    assert client.post(f"/v1/posts/{county['posts'][0]}/withdraw",
                       headers=county["admin"]).status_code == 200  # fmt: skip
    now = datetime(2026, 11, 20, 2, tzinfo=UTC)
    admin = Principal(key_id=0, role=Role.admin)
    indexes = ReadModel(app.state.matcher, session, china_date(now))
    here = commit.score_commit(session, indexes, plan["id"], principal=admin, now=now,
                               engine=INLINE)  # fmt: skip
    monkeypatch.setattr(commit, "PARALLEL_FROM", 1)
    monkeypatch.setattr(commit, "PAIRS_PER_STEP", 2)  # several tasks, results put in order
    with get_task_stream(client=dask_engine.client) as tasks:
        there = commit.score_commit(session, indexes, plan["id"], principal=admin, now=now,
                                    engine=dask_engine)  # fmt: skip
    assert Counter(task["key"].split("-")[0] for task in tasks.data)["_score_step"] >= 2
    assert here is not None and there is not None
    assert len(here.pushes) >= 3 and here.unpushable
    assert there == here


def test_a_plan_on_a_two_worker_dask_cluster_is_the_in_process_plan(
    app: FastAPI,
    client: TestClient,
    county: dict[str, Any],
    labourer_body: Callable[..., dict[str, Any]],
    post_body: Callable[..., dict[str, Any]],
    dask_engine: DaskEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The prefecture's plan, its candidate search and its county-by-county solve run as tasks
    on a Dask cluster of two worker processes on loopback (reached through
    MATCHING_DASK_SCHEDULER, as an existing cluster is), is the plan made in the job's own
    thread: the same pairs, scores and probabilities, the same summary."""
    from matching.planning import candidates, optimizer, service

    admin = county["admin"]
    for i in range(8):  # a second county, so that the solve has two blocks
        body = labourer_body(hukou_region="430921100", relocation="province" if i % 2 else "county",
                             status_effective_from="2026-01-01")  # fmt: skip
        assert client.post("/v1/labourers", json=body, headers=admin).status_code == 201
    for openings in (1, 3):
        body = post_body(workplace_region="430921", openings=openings, wage_min=2800,
                         wage_max=3900)  # fmt: skip
        assert client.post("/v1/posts", json=body, headers=admin).status_code == 201
    # Any plan this size runs in the job's thread; these make it take the parallel paths.
    monkeypatch.setattr(service, "BLOCK_ABOVE", 0)
    in_process = _plan(client, admin, region="4309").json()
    monkeypatch.setattr(candidates, "PARALLEL_FROM", 1)
    monkeypatch.setattr(optimizer, "PARALLEL_PAIRS", 1)
    scheduler = dask_engine.client.scheduler.address
    assert scheduler.startswith("tcp://127.0.0.1:")
    settings = app.state.settings
    monkeypatch.setattr(app.state, "settings", settings.model_copy(
        update={"dask_scheduler": scheduler}))  # fmt: skip
    with get_task_stream(client=dask_engine.client) as tasks:
        on_dask = _plan(client, admin, region="4309").json()
    ran = Counter(task["key"].split("-")[0] for task in tasks.data)
    assert ran["_score_chunk"] >= 2 and ran["_solve_block"] == 2, ran

    def chosen(plan: dict[str, Any]) -> list[tuple[int, int, float, float]]:
        return [(lab["labourer_id"], p["post_id"], p["score"], p["probability"])
                for lab in plan["labourers"] for p in lab["posts"]]  # fmt: skip

    assert len(chosen(in_process)) >= 10
    assert chosen(on_dask) == chosen(in_process)
    summary = {k: v for k, v in in_process["summary"].items() if k != "timings"}
    assert {k: v for k, v in on_dask["summary"].items() if k != "timings"} == summary


def test_a_public_welfare_post_is_planned_for_sanwu_labourers_only(
    client: TestClient,
    auth: Headers,
    labourer_body: Callable[..., dict[str, Any]],
    post_body: Callable[..., dict[str, Any]],
) -> None:
    """A township's 保洁员 post in a plan goes to its 三无 labourer; the 保洁 labourers who
    would find it first get their best other post instead, even with one candidate each
    (matches still show them the public-welfare post, first)."""
    admin, staff = auth("admin"), auth("staff")
    people = {}
    for name, sanwu in (("三无", True), ("甲", False), ("乙", False)):
        body = labourer_body(hukou_region=TOWN, relocation="county", sanwu=sanwu,
                             skills=[{"term": "保洁"}], expected_wage=1000,
                             status_effective_from="2026-01-01")  # fmt: skip
        response = client.post("/v1/labourers", json=body, headers=admin)
        assert response.status_code == 201, response.text
        people[name] = response.json()["id"]
    welfare = client.post("/v1/posts", headers=admin, json=post_body(
        title="公益性岗位（保洁员）", post_type="public_welfare", workplace_region=TOWN,
        openings=3, wage_min=1200, wage_max=1400, housing=False,
        required_skills=[{"term": "保洁员"}])).json()["id"]  # fmt: skip
    other = client.post("/v1/posts", headers=admin, json=post_body(
        workplace_region="430981", openings=2, wage_min=3000, wage_max=3500,
        housing=False)).json()["id"]  # fmt: skip
    matches = client.get(f"/v1/labourers/{people['甲']}/matches", headers=staff).json()
    assert [item["post"]["id"] for item in matches["items"]] == [welfare, other]
    response = _plan(
        client, staff, {"limit": 50}, coverage=1.0, candidates_per_labourer=1, pushes_per_labourer=1
    )
    assert response.status_code == 200, response.text
    plan = response.json()
    planned = {(lab["labourer_id"], p["post_id"]) for lab in plan["labourers"]
               for p in lab["posts"]}  # fmt: skip
    assert planned == {(people["三无"], welfare), (people["甲"], other), (people["乙"], other)}
    assert plan["summary"]["meets_push_target"] is True
