"""The jobs API as clients meet it: the same job for a repeated Idempotency-Key, a job seen only
by those whose scope covers it, a roster commit that fails with its report and writes nothing,
cancel and retry only where they apply (docs/jobs.md)."""

import csv
import io
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.downloads import XLSX
from matching.jobs.models import Job
from matching.labourers.models import Labourer
from matching.planning.models import Plan

Headers = Callable[..., dict[str, str]]
HEADER = ["姓名", "身份证号", "联系电话", "户籍地区划代码", "就业状态", "有就业意愿",
          "外出意愿", "技能", "期望月薪"]  # fmt: skip


def _roster(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _count(session: Session, table: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_repeated_idempotency_key_returns_the_same_job(
    client: TestClient, auth: Headers, session: Session
) -> None:
    staff = {**auth("staff"), "Idempotency-Key": "plan-2026-11-430981"}
    first = client.post("/v1/plans", json={"region": "430981"}, headers=staff)
    assert first.status_code == 202, first.text
    again = client.post("/v1/plans", json={"region": "430981"}, headers=staff)
    assert again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    other = client.post("/v1/plans", json={"region": "430981", "coverage": 1.0}, headers=staff)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "header.Idempotency-Key"
    assert _count(session, Plan) == 1 and _count(session, Job) == 1


def test_a_job_is_seen_by_its_region_and_admins_only(client: TestClient, auth: Headers) -> None:
    staff = auth("staff")
    job = client.post("/v1/plans", json={"region": "430981"}, headers=staff).json()
    assert client.get(f"/v1/jobs/{job['id']}", headers=auth("staff")).status_code == 200
    assert client.get(f"/v1/jobs/{job['id']}", headers=auth("admin")).status_code == 200
    elsewhere = auth("staff", regions=["430902"])
    hidden = client.get(f"/v1/jobs/{job['id']}", headers=elsewhere)
    assert hidden.status_code == 404
    assert client.get("/v1/jobs", headers=elsewhere).json() == []
    listed = client.get("/v1/jobs", params={"kind": "plan", "state": "succeeded"}, headers=staff)
    assert [j["id"] for j in listed.json()] == [job["id"]]
    assert client.get(f"/v1/jobs/{job['id']}", headers=auth("agency")).status_code == 403
    assert client.get("/v1/jobs/999999", headers=staff).status_code == 404
    assert client.get("/v1/jobs/1", params={"wait": 31}, headers=staff).status_code == 422


def test_the_list_finds_the_callers_jobs_behind_many_of_other_regions(
    client: TestClient, auth: Headers
) -> None:
    """The scope is a condition of the query: a station's job is listed even when the newest
    jobs, many more than the page, are another county's."""
    staff = auth("staff")
    ours = client.post("/v1/plans", json={"region": "430981"}, headers=staff).json()
    admin = auth("admin")
    for _ in range(5):
        client.post("/v1/plans", json={"region": "430902"}, headers=admin)
    listed = client.get("/v1/jobs", params={"limit": 1}, headers=staff).json()
    assert [j["id"] for j in listed] == [ours["id"]]
    assert len(client.get("/v1/jobs", params={"limit": 3}, headers=admin).json()) == 3


def test_an_ended_job_cannot_be_cancelled_nor_a_succeeded_one_retried(
    client: TestClient, auth: Headers
) -> None:
    staff = auth("staff")
    job = client.post("/v1/plans", json={"region": "430981"}, headers=staff).json()
    done = client.get(f"/v1/jobs/{job['id']}", headers=staff).json()
    assert done["state"] == "succeeded" and done["percent"] == 100.0
    assert done["links"]["cancel"] is None and done["links"]["retry"] is None
    assert done["result"]["plan_id"] and done["links"]["result"].startswith("/v1/plans/")
    cancel = client.post(f"/v1/jobs/{job['id']}/cancel", headers=staff)
    assert cancel.status_code == 409
    retry = client.post(f"/v1/jobs/{job['id']}/retry", headers=staff)
    assert retry.status_code == 409 and "retryable" in retry.json()["detail"]


def test_a_roster_commit_with_a_bad_row_fails_with_its_report_and_writes_nothing(
    client: TestClient, auth: Headers, session: Session, new_id_number: Callable[..., str]
) -> None:
    staff = auth("staff")
    rows = [
        ["王五", new_id_number(), "", "430981", "未就业", "是", "省外", "电焊", "4000"],
        ["坏行", "not-an-id", "", "430981", "未就业", "是", "省外", "", ""],
    ]
    before = _count(session, Labourer)
    answer = client.post("/v1/labourers/import?dry_run=false", headers=staff,
                         files={"file": ("roster.csv", _roster(rows))})  # fmt: skip
    assert answer.status_code == 202, answer.text
    job = client.get(answer.headers["Location"], headers=staff).json()
    assert job["state"] == "failed" and job["retryable"] is False
    assert job["error"]["status"] == 422
    assert job["error"]["report"]["errors"][0]["line"] == 3
    assert "nothing was written" in job["error"]["detail"]
    assert client.get(f"/v1/jobs/{job['id']}/result", headers=staff).status_code == 409
    assert _count(session, Labourer) == before


def test_a_roster_commit_gives_its_counts_and_its_whole_report(
    client: TestClient, auth: Headers, session: Session, new_id_number: Callable[..., str]
) -> None:
    staff = auth("staff")
    rows = [["王五", new_id_number(), "", "430981", "未就业", "是", "省外", "电焊", "4000"],
            ["赵六", new_id_number(), "", "430981", "未就业", "否", "本县", "", ""]]  # fmt: skip
    answer = client.post("/v1/labourers/import?dry_run=false", headers=staff,
                         files={"file": ("roster.csv", _roster(rows))})  # fmt: skip
    job = client.get(answer.headers["Location"], headers=staff).json()
    assert job["state"] == "succeeded", job
    assert job["result"]["created"] == 2 and job["result"]["rows"] == 2
    assert job["links"]["result"] == f"/v1/jobs/{job['id']}/result"
    report = client.get(job["links"]["result"], headers=staff).json()
    assert [line["outcome"] for line in report["lines"]] == ["created", "created"]
    assert all(line["labourer_id"] for line in report["lines"])


def test_a_roster_that_is_not_a_roster_fails_its_job_naming_the_file(
    client: TestClient, auth: Headers
) -> None:
    staff = auth("staff")
    answer = client.post("/v1/labourers/import?dry_run=false", headers=staff,
                         files={"file": ("roster.pdf", b"%PDF-1.4")})  # fmt: skip
    job = client.get(answer.headers["Location"], headers=staff).json()
    assert job["state"] == "failed" and job["error"]["status"] == 422
    assert job["error"]["errors"][0]["field"] == "body.file"


def test_the_targets_workbook_as_a_job_downloads_the_same_sheets(
    client: TestClient, auth: Headers
) -> None:
    staff = auth("staff")
    answer = client.post("/v1/reports/targets.xlsx", json={"region": "430981"}, headers=staff)
    assert answer.status_code == 202, answer.text
    job = client.get(answer.headers["Location"], headers=staff).json()
    assert job["state"] == "succeeded" and job["kind"] == "targets_workbook", job
    made = client.get(job["links"]["result"], headers=staff)
    assert made.status_code == 200
    assert made.headers["content-type"].startswith(XLSX)
    assert made.headers["content-disposition"].endswith(
        f'"targets-430981-{job["result"]["month"]}.xlsx"'
    )
    direct = client.get("/v1/reports/targets.xlsx", params={"region": "430981"}, headers=staff)
    assert _sheets(made.content) == _sheets(direct.content)
    future = client.post("/v1/reports/targets.xlsx", json={"region": "430981", "month": "2099-01"},
                         headers=staff)  # fmt: skip
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "body.month"
    outside = client.post("/v1/reports/targets.xlsx", json={"region": "430902"}, headers=staff)
    assert outside.status_code == 403


def _sheets(content: bytes) -> dict[str, list[tuple[object, ...]]]:
    book = load_workbook(io.BytesIO(content))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}
