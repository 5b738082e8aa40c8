"""Outcome notices to a partner agency (issue 17, item 1): written in the transaction of the
change, delivered signed to a real receiver on loopback, verified with the Standard Webhooks
reference library, retried under the same webhook-id, logged, redelivered on request."""

import time
from collections.abc import Callable
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook
from tests.conftest import Receiver
from tests.webhooks.conftest import Partner

LABOURER_FIELDS = {"name", "id_number", "phone", "labourer_id", "hukou_region"}


def _post_and_push(
    partner: Partner,
    labourer_body: Callable[..., dict[str, Any]],
    post_body: Callable[..., dict[str, Any]],
    *,
    openings: int = 2,
) -> dict[str, Any]:
    """The agency posts a vacancy; staff register a labourer and push it to them."""
    c = partner.client
    post = c.post("/v1/posts", json=post_body(openings=openings, external_id="DG-0001"),
                  headers=partner.agency)  # fmt: skip
    assert post.status_code == 201, post.text
    labourer = c.post("/v1/labourers", json=labourer_body(), headers=partner.staff)
    assert labourer.status_code == 201, labourer.text
    body = {"post_ids": [post.json()["id"]], "labourer_ids": [labourer.json()["id"]],
            "channel": "app"}  # fmt: skip
    pushed = c.post("/v1/pushes", json=body, headers=partner.staff)
    assert pushed.status_code == 201, pushed.text
    return dict(pushed.json()["items"][0])


def _messages(partner: Partner, **params: Any) -> list[dict[str, Any]]:
    url = f"/v1/agencies/{partner.agency_id}/webhook-messages"
    response = partner.client.get(url, params=params, headers=partner.agency)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_a_push_and_its_outcome_reach_the_agency_signed_and_anonymised(
    partner: Partner,
    receiver: Receiver,
    labourer_body: Callable[..., dict[str, Any]],
    post_body: Callable[..., dict[str, Any]],
) -> None:
    push = _post_and_push(partner, labourer_body, post_body, openings=1)
    for state in ("viewed", "applied", "hired"):
        moved = partner.client.post(f"/v1/pushes/{push['id']}/events", json={"state": state},
                                    headers=partner.staff)  # fmt: skip
        assert moved.status_code == 200, moved.text
    deliverer = partner.deliverer()
    assert deliverer.run_once() == 5  # pushed, viewed, applied, hired, and the post filled
    got = receiver.wait_for(5)
    verifier = Webhook(partner.secret)
    notices = [verifier.verify(r.body, r.headers) for r in got]
    assert [n["type"] for n in notices] == [
        "push.created", "push.viewed", "push.applied", "push.hired", "post.filled",
    ]  # fmt: skip
    assert len({r.headers["webhook-id"] for r in got}) == 5
    created = notices[0]["data"]
    assert created["post"]["external_id"] == "DG-0001"
    assert created["push"]["id"] == push["id"]
    assert set(created["candidate"]) == {"age", "sex", "home_county", "relocation", "skills",
                                         "expected_wage"}  # fmt: skip
    assert not LABOURER_FIELDS & set(created["candidate"]) and "李四" not in got[0].body.decode()
    assert notices[3]["data"]["push"]["hired_on"] is not None
    assert notices[4]["data"]["post"]["openings_left"] == 0
    log = _messages(partner)
    assert {m["state"] for m in log} == {"delivered"}
    assert all(m["attempts"][0]["status_code"] == 200 for m in log)


def test_only_the_chosen_types_and_nothing_for_an_agency_that_does_not_listen(
    partner: Partner,
    receiver: Receiver,
    labourer_body: Callable[..., dict[str, Any]],
    post_body: Callable[..., dict[str, Any]],
) -> None:
    url = f"/v1/agencies/{partner.agency_id}"
    chosen = partner.client.patch(url, json={"webhook_events": ["push.hired", "push.declined"]},
                                  headers=partner.agency)  # fmt: skip
    assert chosen.json()["webhook_events"] == ["push.declined", "push.hired"]
    push = _post_and_push(partner, labourer_body, post_body)
    partner.client.post(f"/v1/pushes/{push['id']}/events", json={"state": "declined"},
                        headers=partner.staff)  # fmt: skip
    assert [m["type"] for m in _messages(partner)] == ["push.declined"]
    partner.client.patch(url, json={"callback_url": None}, headers=partner.agency)
    other = partner.client.post("/v1/posts", json=post_body(external_id="DG-0002"),
                                headers=partner.agency)  # fmt: skip
    labourer = partner.client.get("/v1/labourers", headers=partner.staff).json()["items"][0]
    partner.client.post(
        "/v1/pushes",
        headers=partner.staff,
        json={"post_ids": [other.json()["id"]], "labourer_ids": [labourer["id"]], "channel": "sms"},
    )
    assert len(_messages(partner)) == 1  # no callback address: nothing written


def test_a_refused_change_writes_no_notice(
    partner: Partner,
    labourer_body: Callable[..., dict[str, Any]],
    post_body: Callable[..., dict[str, Any]],
) -> None:
    """A hire on a post already filled is refused after its notice was written: the notice
    goes with the rest of the transaction."""
    first = _post_and_push(partner, labourer_body, post_body, openings=1)
    other = partner.client.post("/v1/labourers", json=labourer_body(), headers=partner.staff)
    second = partner.client.post(
        "/v1/pushes",
        headers=partner.staff,
        json={
            "post_ids": [first["post_id"]],
            "labourer_ids": [other.json()["id"]],
            "channel": "app",
        },
    )
    for push_id in (first["id"], second.json()["items"][0]["id"]):
        for state in ("applied", "hired"):
            last = partner.client.post(f"/v1/pushes/{push_id}/events", json={"state": state},
                                       headers=partner.staff)  # fmt: skip
    assert last.status_code == 409, last.text  # the only opening went to the first
    told = [m["type"] for m in _messages(partner)]
    assert told.count("push.hired") == 1 and told.count("post.filled") == 1
    assert len(told) == 6  # two pushes made, two applications, one hire, the post filled


def test_a_receiver_that_fails_then_answers_gets_it_twice_with_one_id(
    partner: Partner,
    receiver: Receiver,
    labourer_body: Callable[..., dict[str, Any]],
    post_body: Callable[..., dict[str, Any]],
) -> None:
    receiver.answers = [500]
    _post_and_push(partner, labourer_body, post_body)
    deliverer = partner.deliverer(first_retry_s=0.05)
    deliverer.run_once()
    [log] = _messages(partner)
    assert log["state"] == "pending" and log["next_attempt_at"] is not None
    time.sleep(0.2)  # past the first retry's delay (0.05 s, jitter at most ×1.5)
    deliverer.run_once()
    first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    [log] = _messages(partner)
    assert log["state"] == "delivered"
    assert [a["status_code"] for a in log["attempts"]] == [500, 200]
    assert deliverer.run_once() == 0  # delivered: never again unless asked
    again = partner.client.post(
        f"/v1/agencies/{partner.agency_id}/webhook-messages/{log['id']}/redeliver",
        headers=partner.agency,
    )
    assert again.status_code == 202, again.text
    deliverer.run_once()
    assert receiver.wait_for(3)[2].headers["webhook-id"] == log["id"]


def test_a_day_of_failures_marks_the_agency_failing_until_a_delivery_succeeds(
    partner: Partner,
    receiver: Receiver,
    labourer_body: Callable[..., dict[str, Any]],
    post_body: Callable[..., dict[str, Any]],
) -> None:
    from datetime import timedelta

    receiver.answers = [503]
    _post_and_push(partner, labourer_body, post_body)
    partner.deliverer(retry_for=timedelta(0)).run_once()  # the retry window is already over
    [log] = _messages(partner, state="failed")
    assert log["next_attempt_at"] is None
    agency = partner.client.get(f"/v1/agencies/{partner.agency_id}", headers=partner.agency)
    assert agency.json()["webhook_failing_since"] is not None
    partner.client.post(
        f"/v1/agencies/{partner.agency_id}/webhook-messages/{log['id']}/redeliver",
        headers=partner.agency,
    )
    partner.deliverer().run_once()
    agency = partner.client.get(f"/v1/agencies/{partner.agency_id}", headers=partner.agency)
    assert agency.json()["webhook_failing_since"] is None


def test_a_rotated_secret_overlaps_then_the_old_one_stops(
    partner: Partner,
    receiver: Receiver,
    labourer_body: Callable[..., dict[str, Any]],
    post_body: Callable[..., dict[str, Any]],
) -> None:
    url = f"/v1/agencies/{partner.agency_id}/webhook-secret"
    rotated = partner.client.post(url, json={"overlap_hours": 24}, headers=partner.agency).json()
    assert rotated["previous_valid_until"] is not None
    _post_and_push(partner, labourer_body, post_body)
    partner.deliverer().run_once()
    [overlapping] = receiver.wait_for(1)
    assert len(overlapping.headers["webhook-signature"].split(" ")) == 2
    for secret in (partner.secret, rotated["secret"]):  # a receiver on either verifies
        Webhook(secret).verify(overlapping.body, overlapping.headers)
    final = partner.client.post(url, json={"overlap_hours": 0}, headers=partner.agency).json()
    push = partner.client.get("/v1/pushes", headers=partner.staff).json()["items"][0]
    partner.client.post(f"/v1/pushes/{push['id']}/events", json={"state": "viewed"},
                        headers=partner.staff)  # fmt: skip
    partner.deliverer().run_once()
    latest = receiver.wait_for(2)[1]
    assert len(latest.headers["webhook-signature"].split(" ")) == 1
    Webhook(final["secret"]).verify(latest.body, latest.headers)
    with pytest.raises(Exception, match=r"(?i)signature"):
        Webhook(rotated["secret"]).verify(latest.body, latest.headers)


def test_an_expired_post_is_told_once(
    partner: Partner,
    receiver: Receiver,
    post_body: Callable[..., dict[str, Any]],
    test_clock: Any,
) -> None:
    from datetime import timedelta

    today = test_clock.now()
    since, until = (today - timedelta(days=30)).date(), (today + timedelta(days=2)).date()
    body = post_body(external_id="DG-OLD", valid_from=since.isoformat(),
                     valid_until=until.isoformat())  # fmt: skip
    assert partner.client.post("/v1/posts", json=body, headers=partner.agency).status_code == 201
    deliverer = partner.deliverer()
    assert deliverer.sweep_expired_posts() == 0
    test_clock.set(today + timedelta(days=5))
    assert deliverer.sweep_expired_posts() == 1
    assert deliverer.sweep_expired_posts() == 0  # told once
    deliverer.run_once()
    [got] = receiver.wait_for(1)
    assert got.notice["type"] == "post.expired"
    assert got.notice["data"]["post"]["external_id"] == "DG-OLD"


def test_the_log_is_the_agencys_own_and_bad_requests_name_the_field(
    partner: Partner, auth: Any, make_agency: Any
) -> None:
    base = f"/v1/agencies/{partner.agency_id}"
    assert partner.client.get(f"{base}/webhook-messages", headers=partner.staff).status_code == 403
    bad = partner.client.post(f"{base}/webhook-secret", json={"overlap_hours": 1000},
                              headers=partner.agency)  # fmt: skip
    assert bad.status_code == 422 and "body.overlap_hours" in bad.text
    unknown = partner.client.patch(base, json={"webhook_events": ["push.teleported"]},
                                   headers=partner.agency)  # fmt: skip
    assert unknown.status_code == 422 and "body.webhook_events" in unknown.text
    missing = partner.client.post(f"{base}/webhook-messages/msg_{'0' * 32}/redeliver",
                                  headers=partner.agency)  # fmt: skip
    assert missing.status_code == 404
    assert partner.client.get(f"{base}/webhook-messages", params={"state": "lost"},
                              headers=partner.agency).status_code == 422  # fmt: skip
