"""The monthly roster update: matched by ID number, new people created, known people get only
what changed (a new status as a new period), unchanged rows skipped; every error of a row at
once; a commit is all or nothing."""

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import finished

from matching.audit.models import AuditEntry
from matching.clock import FixedClock
from matching.labourers.models import Labourer, StatusPeriod

Auth = Callable[..., dict[str, str]]
HEADER = ["姓名", "身份证号", "联系电话", "户籍地区划代码", "就业状态", "状态起始日期", "技能",
          "期望月薪", "外出意愿"]  # fmt: skip


@pytest.fixture(autouse=True)
def _today(test_clock: FixedClock) -> None:
    test_clock.set(datetime(2026, 11, 20, 2, tzinfo=UTC))


def _csv(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode("utf-8-sig")


def _import(  # type: ignore[no-untyped-def]
    client: TestClient, headers: dict[str, str], content: bytes, *, commit: bool, mode: str
):
    answer = client.post(
        f"/v1/labourers/import?dry_run={str(not commit).lower()}&mode={mode}",
        files={"file": ("roster.csv", content)},
        headers=headers,
    )
    return finished(client, answer)  # a commit is a job


@pytest.fixture
def registered(
    client: TestClient, auth: Auth, new_id_number: Callable[..., str]
) -> tuple[dict[str, str], list[list[str]]]:
    """Three people imported on 1 October: the rows as the clerk's sheet has them."""
    rows = [
        ["王建国", new_id_number(), "13907371111", "430981006", "未就业", "2026-10-01",
         "电焊", "4000", "省外"],
        ["李秀英", new_id_number(), "13907372222", "430981100", "未就业", "2026-10-01",
         "缝纫", "3500", "县内"],
        ["张春生", new_id_number(), "", "430981101", "县内就业", "2026-10-01", "", "", "县内"],
    ]  # fmt: skip
    headers = auth("staff")
    response = _import(client, headers, _csv(rows), commit=True, mode="create")
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 3
    return headers, rows


def _by_line(report: Any) -> dict[int, Any]:
    return {line["line"]: line for line in report["lines"]}


def _labourer(client: TestClient, auth: Auth, row: list[str]) -> Any:
    """The labourer a roster row names, found by its ID number."""
    found = client.get(f"/v1/labourers?id_number={row[1]}", headers=auth("staff"))
    return found.json()["items"][0]


@pytest.fixture
def next_month(
    registered: tuple[dict[str, str], list[list[str]]], new_id_number: Callable[..., str]
) -> tuple[dict[str, str], list[list[str]]]:
    """The roster a month on: one person as before, one with a new phone and a higher
    expected wage, one who lost the job on 3 November, and a newcomer."""
    headers, rows = registered
    unchanged, moved, hired = (list(r) for r in rows)
    moved[2], moved[7] = "13907379999", "4800"
    hired[4], hired[5] = "未就业", "2026-11-03"
    newcomer = ["赵小梅", new_id_number(), "", "430981102", "未就业", "", "", "", "本县"]
    return headers, [unchanged, moved, hired, newcomer]


def test_the_dry_run_says_what_each_row_does_and_writes_nothing(
    client: TestClient,
    auth: Auth,
    session: Session,
    next_month: tuple[dict[str, str], list[list[str]]],
) -> None:
    headers, rows = next_month
    moved = rows[1]
    before = session.scalar(select(func.count()).select_from(StatusPeriod))
    report = _import(client, headers, _csv(rows), commit=False, mode="update").json()
    assert report["mode"] == "update" and report["dry_run"] is True
    assert report["counts"] == {"created": 1, "updated": 2, "unchanged": 1, "error": 0}
    assert report["created"] == 0 and report["updated"] == 0  # nothing written on a dry run
    lines = _by_line(report)
    assert lines[2]["outcome"] == "unchanged" and lines[2]["changes"] == []
    assert lines[3]["outcome"] == "updated"
    changes = {c["field"]: (c["old"], c["new"]) for c in lines[3]["changes"]}
    assert changes == {"expected_wage": (3500, 4800), "phone": ("139****2222", "139****9999")}
    status = {c["field"]: (c["old"], c["new"]) for c in lines[4]["changes"]}
    assert status == {
        "employment_status": ("employed_local", "unemployed"),
        "status_effective_from": ("2026-10-01", "2026-11-03"),
    }
    assert lines[5]["outcome"] == "created" and lines[5]["labourer_id"] is None
    assert _labourer(client, auth, moved)["expected_wage"] == 3500
    assert session.scalar(select(func.count()).select_from(StatusPeriod)) == before


def test_a_commit_writes_only_the_changes_and_a_second_run_changes_nothing(
    client: TestClient,
    auth: Auth,
    session: Session,
    next_month: tuple[dict[str, str], list[list[str]]],
) -> None:
    headers, rows = next_month
    unchanged, moved, hired, _ = rows
    sheet = _csv(rows)
    untouched = _labourer(client, auth, unchanged)
    response = _import(client, headers, sheet, commit=True, mode="update")
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["created"], report["updated"]) == (1, 2)
    assert _by_line(report)[5]["labourer_id"] is not None

    after = _labourer(client, auth, moved)
    assert after["expected_wage"] == 4800 and after["phone"] == "139****9999"
    assert after["skills"][0]["name"]  # a column the row left as it was is kept
    assert _labourer(client, auth, unchanged)["updated_at"] == untouched["updated_at"]
    person = _labourer(client, auth, hired)
    history = client.get(f"/v1/labourers/{person['id']}/status/history", headers=headers).json()
    assert [(p["status"], p["effective_from"]) for p in history] == [
        ("employed_local", "2026-10-01"),
        ("unemployed", "2026-11-03"),
    ]
    assert person["employment_status"] == "unemployed" and person["status_since"] == "2026-11-03"
    actions = {
        (entry.labourer_id, entry.action, entry.fields)
        for entry in session.scalars(
            select(AuditEntry).where(AuditEntry.action.in_(["update", "status"]))
        )
    }
    assert (after["id"], "update", "expected_wage,phone") in actions
    assert (person["id"], "status", "employment_status") in actions
    assert not any(labourer_id == untouched["id"] for labourer_id, _, _ in actions)

    again = _import(client, headers, sheet, commit=True, mode="update").json()
    assert again["counts"] == {"created": 0, "updated": 0, "unchanged": 4, "error": 0}


def test_a_blank_cell_changes_nothing_and_a_kept_skill_keeps_its_level(
    client: TestClient,
    auth: Auth,
    session: Session,
    labourer_body: Callable[..., dict[str, object]],
) -> None:
    body = labourer_body(skills=[{"term": "电焊", "level": "senior"}], expected_wage=5000)
    created = client.post("/v1/labourers", json=body, headers=auth("staff")).json()
    row = ["李四", str(body["id_number"]), "", "430981", "", "", "电焊、叉车", "", ""]
    response = _import(client, auth("staff"), _csv([row]), commit=True, mode="update")
    line = _by_line(response.json())[2]
    assert [c["field"] for c in line["changes"]] == ["skills"]
    after = client.get(f"/v1/labourers/{created['id']}", headers=auth("staff")).json()
    assert after["expected_wage"] == 5000 and after["phone"] == created["phone"]
    levels = {s["name"]: s["level"] for s in after["skills"]}
    assert levels["电焊工"] == "senior" and len(levels) == 2, levels


def test_every_error_of_a_row_comes_at_once(client: TestClient, auth: Auth) -> None:
    row = ["", "430981199913320000", "12345", "430981", "打零工", "三月初", "", "很多", "也许"]
    report = _import(client, auth("staff"), _csv([row]), commit=False, mode="update").json()
    columns = {e["field"] for e in report["errors"]}
    assert columns == {"姓名", "身份证号", "联系电话", "就业状态", "状态起始日期", "期望月薪",
                       "外出意愿"}, report["errors"]  # fmt: skip
    line = _by_line(report)[2]
    assert line["outcome"] == "error" and len(line["errors"]) == len(report["errors"])
    assert report["counts"]["error"] == 1 and report["valid"] == 0


def test_a_registration_names_every_refused_field_at_once(
    client: TestClient, auth: Auth, labourer_body: Callable[..., dict[str, object]]
) -> None:
    body = labourer_body(
        phone="12345", residence_region="999999", status_effective_from="2099-01-01"
    )
    response = client.post("/v1/labourers", json=body, headers=auth("staff"))
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"body.phone", "body.residence_region", "body.status_effective_from"}


def test_rows_an_update_refuses(
    client: TestClient,
    auth: Auth,
    session: Session,
    registered: tuple[dict[str, str], list[list[str]]],
    labourer_body: Callable[..., dict[str, object]],
    new_id_number: Callable[..., str],
) -> None:
    headers, rows = registered
    elsewhere = labourer_body(hukou_region="430902")  # 赫山区, outside the staff key's 430981
    assert client.post("/v1/labourers", json=elsewhere, headers=auth("admin")).status_code == 201
    too_early = list(rows[0])
    too_early[4], too_early[5] = "省外就业", "2026-09-01"  # before the period of 1 October
    moved_out = list(rows[1])
    moved_out[3] = "430902001"
    sheet = _csv(
        [
            ["无证号", "", "", "430981", "未就业", "", "", "", ""],
            ["外县人", str(elsewhere["id_number"]), "", "430981", "未就业", "", "", "", ""],
            too_early,
            moved_out,
        ]
    )
    report = _import(client, headers, sheet, commit=False, mode="update").json()
    reasons = {e["line"]: (e["field"], e["reason"]) for e in report["errors"]}
    assert reasons[2][0] == "身份证号" and "matched by ID number" in reasons[2][1]
    assert reasons[3][0] == "身份证号" and "outside this key's regions" in reasons[3][1]
    assert "labourer" not in reasons[3][1]  # another county's person: no id given away
    assert reasons[4][0] == "状态起始日期" and "before the current status" in reasons[4][1]
    assert reasons[5][0] == "户籍地区划代码"
    created = _import(client, headers, sheet, commit=False, mode="create").json()
    assert "mode=update" in {e["line"]: e["reason"] for e in created["errors"]}[4]


def test_a_commit_with_one_bad_row_changes_nobody(
    client: TestClient,
    auth: Auth,
    session: Session,
    registered: tuple[dict[str, str], list[list[str]]],
) -> None:
    headers, rows = registered
    moved = list(rows[1])
    moved[7] = "4800"
    hired = list(rows[0])
    hired[4], hired[5] = "县内就业", "2026-11-16"
    bad = list(rows[2])
    bad[7] = "很多"
    response = _import(client, headers, _csv([moved, hired, bad]), commit=True, mode="update")
    assert response.status_code == 422
    report = response.json()["report"]
    assert report["counts"] == {"created": 0, "updated": 2, "unchanged": 0, "error": 1}
    assert {"field": "status_effective_from", "old": "2026-10-01", "new": "2026-11-16"} in (
        _by_line(report)[3]["changes"]
    )
    assert _labourer(client, auth, moved)["expected_wage"] == 3500
    assert _labourer(client, auth, hired)["employment_status"] == "unemployed"


def test_the_same_status_day_restates_the_period(
    client: TestClient,
    auth: Auth,
    session: Session,
    registered: tuple[dict[str, str], list[list[str]]],
) -> None:
    headers, rows = registered
    corrected = list(rows[2])
    corrected[4] = "省外就业"  # registered as 县内就业 from 1 October: it was 省外 all along
    response = _import(client, headers, _csv([corrected]), commit=True, mode="update")
    assert response.status_code == 200, response.text
    person = _labourer(client, auth, corrected)
    history = client.get(f"/v1/labourers/{person['id']}/status/history", headers=headers).json()
    assert [(p["status"], p["effective_from"]) for p in history] == [
        ("employed_out_province", "2026-10-01")
    ]


def test_a_known_name_changes_its_spellings(
    client: TestClient,
    auth: Auth,
    session: Session,
    registered: tuple[dict[str, str], list[list[str]]],
) -> None:
    headers, rows = registered
    renamed = list(rows[0])
    renamed[0] = "王建军"
    _import(client, headers, _csv([renamed]), commit=True, mode="update")
    found = client.get("/v1/labourers?name=wjj", headers=headers).json()["items"]
    assert [p["name"] for p in found] == ["王建军"]
    stored = session.scalar(select(Labourer.name_spellings).where(Labourer.name == "王建军"))
    assert stored is not None and "|wangjianjun|" in stored


def test_the_template_explains_the_monthly_update(client: TestClient, auth: Auth) -> None:
    content = client.get("/v1/labourers/import/template", headers=auth("staff")).content
    notes = load_workbook(io.BytesIO(content))["填写说明"]
    explained = {row[0].value: row[1].value for row in notes.iter_rows(min_row=2) if row[0].value}
    assert "mode=update" in explained["每月更新"]


def test_row_errors_follow_accept_language(client: TestClient, auth: Auth) -> None:
    row = ["", "", "", "430981", "打零工", "", "", "", ""]
    english = {**auth("staff"), "Accept-Language": "en"}
    report = _import(client, english, _csv([row]), commit=False, mode="create").json()
    reasons = {e["field"]: e["reason"] for e in report["errors"]}
    assert reasons["姓名"] == "Field required / 必填"
    assert reasons["就业状态"].startswith("unknown value '打零工'")
    chinese = _import(client, auth("staff"), _csv([row]), commit=False, mode="create").json()
    reasons = {e["field"]: e["reason"] for e in chinese["errors"]}
    assert reasons["姓名"] == "必填 / Field required"
    assert reasons["就业状态"].startswith("无法识别，请填写所列之一 / unknown value")


def test_a_period_recorded_ahead_does_not_block_todays_change(
    client: TestClient, auth: Auth, registered: tuple[dict[str, str], list[list[str]]]
) -> None:
    """A job that starts next month is recorded ahead; the roster's change of today goes in
    before it, and the period in force is the one compared with."""
    headers, rows = registered
    person = _labourer(client, auth, rows[0])
    ahead = {"status": "employed_out_province", "effective_from": "2026-12-15"}
    assert client.post(
        f"/v1/labourers/{person['id']}/status", json=ahead, headers=headers
    ).status_code in (200, 201)
    changed = list(rows[0])
    changed[4], changed[5] = "县内就业", "2026-11-18"
    report = _import(client, headers, _csv([changed]), commit=True, mode="update").json()
    assert _by_line(report)[2]["changes"][0] == {
        "field": "employment_status", "old": "unemployed", "new": "employed_local",
    }  # fmt: skip
    history = client.get(f"/v1/labourers/{person['id']}/status/history", headers=headers).json()
    assert [p["effective_from"] for p in history] == ["2026-10-01", "2026-11-18", "2026-12-15"]


def test_a_row_under_a_former_code_and_then_its_successor(
    client: TestClient, auth: Auth, new_id_number: Callable[..., str]
) -> None:
    """An old roster gives 432302 (沅江市 until 1993); next month's gives the current code."""
    headers = auth("staff")
    row = ["陈桂兰", new_id_number(), "", "432302", "未就业", "2026-10-01", "", "", "县内"]
    created = _import(client, headers, _csv([row]), commit=True, mode="create")
    assert created.status_code == 200, created.text
    person = _labourer(client, auth, row)
    assert (person["hukou_region"], person["hukou_region_recorded"]) == ("430981", "432302")
    row[3] = "430981"
    report = _import(client, headers, _csv([row]), commit=False, mode="update").json()
    line = _by_line(report)[2]
    assert line["outcome"] == "updated"
    assert line["changes"] == [{"field": "hukou_region_recorded", "old": "432302", "new": None}]
    row[3] = "432321"  # 益阳县: no single successor
    refused = _import(client, headers, _csv([row]), commit=False, mode="update").json()
    errors = _by_line(refused)[2]["errors"]
    assert [e["field"] for e in errors] == ["户籍地区划代码"], errors
    assert "益阳县" in errors[0]["reason"]
