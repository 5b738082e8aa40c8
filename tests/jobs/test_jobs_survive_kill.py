"""kill -9 of the service while a job writes leaves nothing half-written: the plan (or the
commit's pushes) and the job's end were in one transaction that never committed; the restarted
service finds the job's runner gone, marks it failed and retryable, and its retry does the
work once (docs/jobs.md)."""

import time
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from tests.conftest import Service

from matching.jobs.models import Job
from matching.planning.models import Plan, PlanItem
from matching.pushes.models import Push


def _count(sessions: Any, table: Any) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _wait_for_log(running: Service, text: str, timeout: float = 60) -> None:
    """The fault-injection hold is logged when the job reaches it (its stage is not in the
    database yet on SQLite: the work's write transaction holds the lock)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in running.log.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never logged:\n{running.log.read_text(errors='replace')}")


def _wait(http: httpx.Client, job_id: int, headers: dict[str, str]) -> dict[str, Any]:
    job: dict[str, Any] = http.get(f"/v1/jobs/{job_id}", params={"wait": 30},
                                   headers=headers).json()  # fmt: skip
    return job


def _county(http: httpx.Client, staff: dict[str, str], labourer_body: Any, post_body: Any) -> None:
    for _ in range(6):
        body = labourer_body(relocation="county", status_effective_from="2026-01-01")
        assert http.post("/v1/labourers", json=body, headers=staff).status_code == 201
    for _ in range(3):
        body = post_body(workplace_region="430981", openings=2, wage_min=3000, wage_max=4000)
        assert http.post("/v1/posts", json=body, headers=staff).status_code == 201


@pytest.mark.parametrize("stage", ["store", "write", "link"])
def test_kill_9_while_a_job_writes_leaves_nothing_and_the_retry_lands_once(
    service: tuple[Service, Any, dict[str, dict[str, str]]],
    labourer_body: Any,
    post_body: Any,
    stage: str,
) -> None:
    """store: a plan's items are being written; write: a commit's pushes are about to be;
    link: they are written (uncommitted) and the items are about to be linked to them."""
    running, sessions, headers = service
    staff = headers["staff"]
    running.start(headers["admin"])
    http = httpx.Client(base_url=running.base, timeout=60)
    _county(http, staff, labourer_body, post_body)
    plan_id = None
    if stage != "store":  # a plan to commit, made before the hold is set
        made = http.post("/v1/plans", json={"region": "430981"}, headers=staff)
        plan_id = _wait(http, made.json()["id"], staff)["result"]["plan_id"]
    running.stop()
    running.env |= {"MATCHING_JOB_PAUSE_AT": stage, "MATCHING_JOB_PAUSE_SECONDS": "120"}
    running.start(headers["admin"])
    plans_before = _count(sessions, Plan)
    if stage == "store":
        answer = http.post("/v1/plans", json={"region": "430981"}, headers=staff)
    else:
        answer = http.post(f"/v1/plans/{plan_id}/commit", headers=staff)
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["id"]
    _wait_for_log(running, f"holding 120 s in {stage}")
    running.kill()

    # Nothing of the work is there; the job still says running (nobody has looked yet).
    assert _count(sessions, Plan) == plans_before
    assert _count(sessions, Push) == 0
    if stage == "store":
        assert _count(sessions, PlanItem) == (
            0 if plans_before == 0 else _count(sessions, PlanItem)
        )
    with sessions() as session:
        assert session.get(Job, job_id).state == "running"

    del running.env["MATCHING_JOB_PAUSE_AT"]
    running.start(headers["admin"])
    dead = http.get(f"/v1/jobs/{job_id}", headers=staff).json()
    assert dead["state"] == "failed" and dead["retryable"] is True, dead
    assert (
        dead["error"]["status"] == 503
        and "nothing of its work was written" in dead["error"]["detail"]
    )
    assert dead["links"]["retry"] == f"/v1/jobs/{job_id}/retry"
    retried = http.post(dead["links"]["retry"], headers=staff)
    assert retried.status_code == 202, retried.text
    assert retried.headers["location"] == f"/v1/jobs/{retried.json()['id']}"
    again = _wait(http, retried.json()["id"], staff)
    assert again["state"] == "succeeded" and again["attempt"] == 2 and again["retry_of"] == job_id
    assert http.post(dead["links"]["retry"], headers=staff).status_code == 409  # retried once
    if stage == "store":
        assert _count(sessions, Plan) == plans_before + 1
        plan = http.get(again["links"]["result"], headers=staff).json()
        assert _count(sessions, PlanItem) == plan["summary"]["planned_pushes"] > 0
    else:
        plan = http.get(f"/v1/plans/{plan_id}", headers=staff).json()
        assert plan["status"] == "committed"
        assert _count(sessions, Push) == plan["commit_result"]["created"] > 0
