"""The monthly targets report: every figure against its definition, per region and child region,
reproducible for past months, and downloadable as Excel."""

import io
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import update
from sqlalchemy.orm import Session

from matching.clock import FixedClock
from matching.labourers.models import Labourer

Headers = Callable[..., dict[str, str]]
TOWN_A, TOWN_B = "430981100", "430981101"  # 南大膳镇, 黄茅洲镇 of 沅江市


def _at(test_clock: FixedClock, day: date) -> None:
    """Set the service's one clock to 10:00 China time on `day`."""
    test_clock.set(datetime(day.year, day.month, day.day, 2, tzinfo=UTC))


def _figures(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["key"]: f for f in report["figures"]}


@pytest.fixture
def county(
    test_clock: FixedClock,
    client: TestClient,
    auth: Headers,
    session: Session,
    labourer_body: Callable[..., dict[str, Any]],
    post_body: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """Ten labourers in two towns, registered in January, with known histories."""
    _at(test_clock, date(2026, 10, 5))
    admin = auth("admin")

    def person(
        town: str, status: str = "unemployed", since: str = "2026-01-01", **extra: Any
    ) -> int:
        body = labourer_body(hukou_region=town, employment_status=status,
                             status_effective_from=since, **extra)  # fmt: skip
        response = client.post("/v1/labourers", json=body, headers=admin)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    people = {
        "a1": person(TOWN_A, household_id="H1"),
        "a2": person(TOWN_A, household_id="H1"),
        "a3": person(TOWN_A, household_id="H2"),
        "a4": person(TOWN_A, "employed_local", "2026-02-01", household_id="H3"),  # stable
        "a5": person(TOWN_A, "employed_out_province", "2026-09-01"),  # not yet 6 months
        "a6": person(TOWN_A, labour_ability="none"),
        "b1": person(TOWN_B, household_id="H4"),
        "b2": person(TOWN_B, wants_work=False),
        "b3": person(TOWN_B, "self_employed", "2026-01-15", poverty_status="exited"),
    }
    _at(test_clock, date(2026, 10, 20))  # a status may not begin after the day it is recorded
    people["b4"] = person(TOWN_B, "employed_local", "2026-10-20")  # employed after the 1st
    _at(test_clock, date(2026, 10, 5))
    # Registered in January (the API stamps today): the report counts people registered by then.
    session.execute(
        update(Labourer)
        .where(Labourer.id.in_(people.values()))
        .values(created_at=datetime(2026, 1, 1, tzinfo=UTC))
    )
    session.flush()
    posts = [
        client.post(
            "/v1/posts", json=post_body(openings=5, workplace_region="430981"), headers=admin
        ).json()["id"]
        for _ in range(3)
    ]
    return {"people": people, "posts": posts, "admin": admin}


def _push(
    client: TestClient, admin: dict[str, str], posts: list[int], labourers: list[int]
) -> list[dict[str, Any]]:
    body = {"post_ids": posts, "labourer_ids": labourers, "channel": "app"}
    response = client.post("/v1/pushes", json=body, headers=admin)
    assert response.status_code == 201, response.text
    return list(response.json()["items"])


def _report(
    client: TestClient, headers: dict[str, str], month: str, region: str = "430981"
) -> dict[str, Any]:
    response = client.get(
        "/v1/reports/targets", params={"region": region, "month": month}, headers=headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_every_figure_follows_its_definition(
    test_clock: FixedClock, client: TestClient, county: dict[str, Any]
) -> None:
    p, posts, admin = county["people"], county["posts"], county["admin"]
    _at(test_clock, date(2026, 10, 10))
    pushes = _push(client, admin, posts[:2], [p["a1"]]) + _push(
        client, admin, posts[:1], [p["a2"], p["b1"]]
    )
    hire = client.post(
        f"/v1/pushes/{pushes[0]['id']}/events",
        json={"state": "hired", "hire": {"monthly_wage": 3000}},
        headers=admin,
    )
    assert hire.status_code == 200, hire.text
    for kind in ("guidance", "training_info", "recommendation"):
        client.post(f"/v1/labourers/{p['a2']}/services", json={"kind": kind}, headers=admin)
    client.post(f"/v1/labourers/{p['a4']}/employments",
                json={"employer": "沅江某厂", "start_date": "2026-02-01", "monthly_wage": 4000},
                headers=admin)  # fmt: skip

    report = _report(client, admin, "2026-10")
    f = _figures(report)
    assert report["as_of"] == "2026-10-10"
    # U on 1 October: able, willing, unemployed: a1 a2 a3 b1 (b4 found work on the 20th; a6
    # cannot work, b2 does not want to).
    assert f["unemployed_willing"]["value"] == 4
    assert (f["push_ratio"]["numerator"], f["push_ratio"]["denominator"]) == (4, 4)
    assert f["push_ratio"]["value"] == 1.0 and f["push_ratio"]["met"] is True
    assert f["reach"]["value"] == 0.75  # a1, a2, b1
    assert (f["success_rate"]["numerator"], f["success_rate"]["value"]) == (1, 0.25)
    assert f["success_rate"]["met"] is True  # > 15%
    # Employed on the 10th among the 9 able: a1 (hired today), a4, a5, b3; b4 only from the 20th.
    assert (f["employed_share"]["numerator"], f["employed_share"]["denominator"]) == (4, 9)
    assert f["employed_share"]["met"] is False
    assert f["stable_share"]["numerator"] == 2  # a4 since February, b3 since January
    # Able, willing, not exited: everyone able but b2 (unwilling) and b3 (exited) = 7; employed 3.
    assert (f["willing_employment"]["numerator"], f["willing_employment"]["denominator"]) == (3, 7)
    assert f["unit_employment"]["numerator"] == 3  # b3 is self-employed
    assert f["mean_wage"]["value"] == 3500.0  # the two jobs held on the 10th
    assert f["mean_wage"]["met"] is None  # no wage a year earlier to compare with
    assert f["services_311"]["detail"]["guidance_1"] == 1
    assert f["services_311"]["numerator"] == 0  # a2 has 2 recommendations (1 push + 1 record)
    # Households: H1 (a1 now employed) no; H2 (a3) yes; H3 (a4 employed) no; H4 (b1) yes.
    assert f["zero_employment_households"]["value"] == 2
    assert f["zero_employment_households"]["met"] is False
    towns = {c["region"]: _figures(c) for c in report["children"]}
    assert towns[TOWN_A]["unemployed_willing"]["value"] == 3
    assert towns[TOWN_B]["unemployed_willing"]["value"] == 1
    assert towns[TOWN_A]["push_ratio"]["numerator"] + towns[TOWN_B]["push_ratio"]["numerator"] == 4
    assert len(report["children"]) == len(
        [c for c in report["children"] if c["region"].startswith("430981")]
    )
    assert report["met"] + report["not_met"] == sum(x["met"] is not None for x in report["figures"])


def test_past_months_are_reproducible(
    test_clock: FixedClock, client: TestClient, county: dict[str, Any], session: Session,
    labourer_body: Callable[..., dict[str, Any]],
) -> None:  # fmt: skip
    p, posts, admin = county["people"], county["posts"], county["admin"]
    _at(test_clock, date(2026, 10, 10))
    october = _push(client, admin, posts[:1], [p["a1"], p["a3"]])
    _at(test_clock, date(2026, 11, 5))
    before = _report(client, admin, "2026-10")
    # Things recorded in November: a new labourer, a status change, a push, a new job...
    client.post("/v1/labourers", json=labourer_body(hukou_region=TOWN_A), headers=admin)
    change = {"status": "employed_local", "effective_from": "2026-11-03"}
    client.post(f"/v1/labourers/{p['b1']}/status", json=change, headers=admin)
    _push(client, admin, posts[1:2], [p["a2"]])
    after_unrelated = _report(client, admin, "2026-10")
    assert after_unrelated["figures"] == before["figures"]
    assert after_unrelated["children"] == before["children"]
    # ...and a hire of an October push inside its window: that, and only that, changes October.
    hired = client.post(
        f"/v1/pushes/{october[0]['id']}/events", json={"state": "hired"}, headers=admin
    )
    assert hired.status_code == 200, hired.text
    after_hire = _figures(_report(client, admin, "2026-10"))
    changed = {k for k, v in _figures(before).items() if after_hire[k] != v}
    assert changed == {"success_rate"}
    assert after_hire["success_rate"]["value"] == 0.5


def test_a_hire_after_the_window_is_not_a_success(
    test_clock: FixedClock, client: TestClient, county: dict[str, Any]
) -> None:
    p, posts, admin = county["people"], county["posts"], county["admin"]
    _at(test_clock, date(2026, 8, 3))
    push = _push(client, admin, posts[:1], [p["a1"]])[0]
    _at(test_clock, date(2026, 10, 3))  # 61 days later
    assert (
        client.post(
            f"/v1/pushes/{push['id']}/events", json={"state": "hired"}, headers=admin
        ).status_code
        == 200
    )
    assert _figures(_report(client, admin, "2026-08"))["success_rate"]["numerator"] == 0


def test_targets_are_inherited_and_judged(
    test_clock: FixedClock, client: TestClient, auth: Headers, county: dict[str, Any]
) -> None:
    admin = county["admin"]
    _at(test_clock, date(2026, 10, 10))
    set_province = client.put("/v1/targets/43/2026", json={"employed_share": 0.3}, headers=admin)
    assert set_province.status_code == 200, set_province.text
    client.put(f"/v1/targets/{TOWN_B}/2026", json={"employed_share": 0.9}, headers=admin)
    report = _report(client, admin, "2026-10")
    share = _figures(report)["employed_share"]
    assert (share["target"], share["target_set_by"], share["met"]) == (0.3, "43", True)
    towns = {c["region"]: _figures(c) for c in report["children"]}
    assert towns[TOWN_B]["employed_share"]["target"] == 0.9
    assert towns[TOWN_A]["employed_share"]["target_set_by"] == "43"
    assert _figures(report)["push_ratio"]["target"] == 0.5  # the policy default
    effective = client.get(f"/v1/targets/{TOWN_B}/2026", headers=auth("staff")).json()
    assert {t["key"]: t["set_by_region"] for t in effective}["employed_share"] == TOWN_B
    bad = client.put("/v1/targets/43/2026", json={"success_rate": 1.5}, headers=admin)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.success_rate"
    assert client.put("/v1/targets/43/2026", json={}, headers=auth("staff")).status_code == 403
    assert client.put("/v1/targets/999999/2026", json={}, headers=admin).status_code == 422


def test_scope_and_month_checks(client: TestClient, auth: Headers, county: dict[str, Any]) -> None:
    town_staff = auth("staff", regions=[TOWN_A])
    assert (
        client.get(
            "/v1/reports/targets", params={"region": TOWN_A, "month": "2026-10"}, headers=town_staff
        ).status_code
        == 200
    )
    assert (
        client.get(
            "/v1/reports/targets",
            params={"region": "430981", "month": "2026-10"},
            headers=town_staff,
        ).status_code
        == 403
    )
    future = client.get(
        "/v1/reports/targets",
        params={"region": "430981", "month": "2027-01"},
        headers=county["admin"],
    )
    assert future.status_code == 422
    assert future.json()["errors"][0]["field"] == "query.month"
    assert (
        client.get(
            "/v1/reports/targets",
            params={"region": "430981", "month": "2026-1"},
            headers=county["admin"],
        ).status_code
        == 422
    )


def test_the_report_downloads_as_a_workbook_with_chinese_headers(
    test_clock: FixedClock, client: TestClient, county: dict[str, Any]
) -> None:
    _at(test_clock, date(2026, 10, 10))
    response = client.get(
        "/v1/reports/targets.xlsx",
        params={"region": "430981", "month": "2026-10"},
        headers=county["admin"],
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "targets-430981-2026-10.xlsx" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["任务完成情况", "任务分解表", "图表"]
    summary = book["任务完成情况"]
    assert "沅江市" in summary["A1"].value
    assert [c.value for c in summary[4]][:4] == ["指标", "Figure", "单位", "完成值"]
    labels = [row[0].value for row in summary.iter_rows(min_row=5, max_row=18)]
    assert "推荐成功率" in labels
    town = book["任务分解表"]
    assert town["A1"].value == "区划代码"
    codes = [row[0].value for row in town.iter_rows(min_row=2)]
    assert codes[0] == "430981" and TOWN_A in codes


def _xlsx(client: TestClient, headers: dict[str, str], month: str) -> bytes:
    response = client.get(
        "/v1/reports/targets.xlsx", params={"region": "430981", "month": month}, headers=headers
    )
    assert response.status_code == 200, response.text
    return bytes(response.content)


def test_the_town_table_gives_what_is_left_to_do(
    test_clock: FixedClock, client: TestClient, county: dict[str, Any]
) -> None:
    p, posts, admin = county["people"], county["posts"], county["admin"]
    _at(test_clock, date(2026, 10, 10))
    _push(client, admin, posts[:1], [p["a1"]])
    client.post(f"/v1/labourers/{p['a2']}/services", json={"kind": "guidance"}, headers=admin)
    report = _report(client, admin, "2026-10")
    towns = {c["region"]: c["tasks"] for c in report["children"]}
    # U: a1 a2 a3 in town A, b1 in town B; the push target is half of U, rounded up.
    assert towns[TOWN_A] == {
        "pushes_needed": 1,  # ceil(1.5) = 2, one made
        "seekers_not_reached": 2,  # a2, a3
        "missing_recommendations": 3,
        "missing_guidance": 2,  # a2 has had hers
        "missing_training_info": 3,
    }
    assert towns[TOWN_B]["pushes_needed"] == 1 and towns[TOWN_B]["seekers_not_reached"] == 1
    assert report["tasks"]["pushes_needed"] == 1  # ceil(2) - 1 for the county
    book = load_workbook(io.BytesIO(_xlsx(client, admin, "2026-10")))
    table = book["任务分解表"]
    header = [c.value for c in table[1]]
    assert header[2:7] == ["本月还需推送人次", "本月未推送求职人数", "岗位推荐不足3次人数",
                           "缺职业指导人数", "缺培训信息人数"]  # fmt: skip
    rows = {row[0].value: [c.value for c in row] for row in table.iter_rows(min_row=2)}
    assert rows[TOWN_A][2:7] == [1, 2, 3, 2, 3]
    # One unit per heading: "月均工资 (元)", not "(元) (元)".
    assert "月均工资 (元)" in header and not any("(元) (元)" in str(h) for h in header)


def test_the_mean_wage_counts_every_job_of_the_month(
    test_clock: FixedClock, client: TestClient, county: dict[str, Any]
) -> None:
    p, admin = county["people"], county["admin"]
    _at(test_clock, date(2026, 10, 10))
    jobs: list[tuple[int, dict[str, Any]]] = [
        (p["a4"], {"start_date": "2026-02-01", "monthly_wage": 4000}),  # held all month
        (p["a5"], {"start_date": "2026-09-01", "end_date": "2026-10-03", "monthly_wage": 2000}),
        (p["b3"], {"start_date": "2026-09-01", "end_date": "2026-09-30", "monthly_wage": 9000}),
        (p["b4"], {"start_date": "2026-10-05"}),  # no wage recorded: not in the mean
    ]
    for labourer, job in jobs:
        response = client.post(
            f"/v1/labourers/{labourer}/employments", json={"employer": "沅江某厂", **job},
            headers=admin,
        )  # fmt: skip
        assert response.status_code == 201, response.text
    wage = _figures(_report(client, admin, "2026-10"))["mean_wage"]
    # a4's 4000 and a5's 2000 (ended on the 3rd, still a job of October); b3's ended before.
    assert (wage["value"], wage["numerator"], wage["denominator"]) == (3000.0, 6000, 2)
    assert wage["name_zh"] == "月均工资" and wage["unit"] == "yuan"


def test_the_workbook_charts_the_towns_and_the_last_twelve_months(
    test_clock: FixedClock, client: TestClient, county: dict[str, Any]
) -> None:
    p, posts, admin = county["people"], county["posts"], county["admin"]
    _at(test_clock, date(2026, 10, 10))
    pushes = _push(client, admin, posts[:2], [p["a1"]]) + _push(client, admin, posts[:1], [p["b1"]])
    client.post(
        f"/v1/pushes/{pushes[0]['id']}/events",
        json={"state": "hired", "hire": {"monthly_wage": 3000}},
        headers=admin,
    )
    report = _report(client, admin, "2026-10")
    content = _xlsx(client, admin, "2026-10")
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["任务完成情况", "任务分解表", "图表"]
    sheet = book["图表"]
    last_town = 2 + len(report["children"])
    towns = {row[0]: row for row in sheet.iter_rows(min_row=3, max_row=last_town, values_only=True)}
    assert towns[TOWN_A][1] == "南大膳镇"
    for child in report["children"]:
        figures = _figures(child)
        row = towns[child["region"]]
        push, success = figures["push_ratio"], figures["success_rate"]
        assert list(row[2:6]) == [
            push["value"],
            push["target"],
            success["value"],
            success["target"],
        ]
    months = [r for r in sheet.iter_rows(min_row=last_town + 5, values_only=True) if r[0]]
    assert [m[0] for m in months] == [f"2025-{m}" for m in ("11", "12")] + [
        f"2026-{m:02d}" for m in range(1, 11)
    ]
    county_figures = _figures(report)
    assert months[-1][1] == county_figures["push_ratio"]["value"]
    assert months[-1][3] == county_figures["success_rate"]["value"]
    assert months[-1][5:7] == (4, 3)  # U, pushes
    assert months[-2][1] == 0.0 and months[-2][3] is None  # September: U 4, no pushes
    september = _figures(_report(client, admin, "2026-09"))["unemployed_willing"]["value"]
    assert months[-2][5] == september == 4  # each month's U as its own report counts it
    assert months[0][1] is None  # November 2025: nobody registered yet
    # Native charts: two bar charts with a target line, and the twelve months as lines.
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        charts = sorted(n for n in archive.namelist() if n.startswith("xl/charts/chart"))
        xml = [archive.read(name).decode() for name in charts]
    assert len(xml) == 3
    assert all("<barChart>" in x and "<lineChart>" in x for x in xml[:2])
    assert "<lineChart>" in xml[2] and "<barChart>" not in xml[2]
    assert f"'图表'!$C$3:$C${last_town}" in xml[0] and f"'图表'!$D$3:$D${last_town}" in xml[0]
    assert f"'图表'!$E$3:$E${last_town}" in xml[1]
