"""Roster import: dry run reports every bad row and writes nothing; commit is all or none."""

import csv
import io
from collections.abc import Callable

from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import finished

from matching.labourers.models import Labourer
from matching.labourers.roster_format import HEADERS

Auth = Callable[..., dict[str, str]]
HEADER = [
    "姓名",
    "身份证号",
    "联系电话",
    "户籍地区划代码",
    "就业状态",
    "就业意愿",
    "外出意愿",
    "技能",
    "期望月薪",
]


def _csv(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Labourer)) or 0)


def _upload(client: TestClient, auth: Auth, content: bytes, name: str, dry_run: bool):  # type: ignore[no-untyped-def]
    answer = client.post(
        f"/v1/labourers/import?dry_run={str(dry_run).lower()}",
        files={"file": (name, content)},
        headers=auth("staff"),
    )
    return finished(client, answer)  # a commit is a job


def test_template_downloads_with_chinese_headers(client: TestClient, auth: Auth) -> None:
    xlsx = client.get("/v1/labourers/import/template", headers=auth("staff"))
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == list(HEADERS)
    as_csv = client.get("/v1/labourers/import/template?format=csv", headers=auth("staff"))
    assert as_csv.content.decode("utf-8-sig").splitlines()[0].split(",")[0] == "姓名"


def test_template_example_row_imports(client: TestClient, auth: Auth, session: Session) -> None:
    content = client.get("/v1/labourers/import/template", headers=auth("staff")).content
    report = _upload(client, auth, content, "template.xlsx", dry_run=True).json()
    assert report["errors"] == []
    assert report["valid"] == 1


def test_dry_run_reports_every_bad_row_and_writes_nothing(
    client: TestClient, auth: Auth, session: Session, new_id_number: Callable[..., str]
) -> None:
    good = new_id_number()
    rows = [
        ["王五", good, "13900001111", "430981", "未就业", "是", "省外", "电焊、砌墙", "4000"],
        ["", new_id_number(), "", "430981", "未就业", "是", "县内", "", ""],
        ["赵六", good, "", "430981", "未就业", "是", "县内", "", ""],
        ["钱七", "430981199913320000", "", "430981", "未就业", "是", "县内", "", ""],
        ["孙八", new_id_number(), "12345", "430981", "打零工", "也许", "县内", "", "很多"],
        ["周九", new_id_number(), "", "999999", "未就业", "是", "县内", "", ""],
    ]
    before = _count(session)
    report = _upload(client, auth, _csv(rows), "roster.csv", dry_run=True).json()
    assert report["rows"] == 6
    assert report["valid"] == 1
    lines = {(e["line"], e["field"]) for e in report["errors"]}
    assert (3, "姓名") in lines
    assert (4, "身份证号") in lines  # same ID as line 2
    assert (5, "身份证号") in lines
    assert {e["line"] for e in report["errors"]} >= {3, 4, 5, 6, 7}
    assert (7, "户籍地区划代码") in lines
    assert _count(session) == before


def test_commit_with_any_error_writes_none(
    client: TestClient, auth: Auth, session: Session, new_id_number: Callable[..., str]
) -> None:
    rows = [
        ["王五", new_id_number(), "", "430981", "未就业", "是", "省外", "电焊", "4000"],
        ["坏行", "not-an-id", "", "430981", "未就业", "是", "省外", "", ""],
    ]
    before = _count(session)
    response = _upload(client, auth, _csv(rows), "roster.csv", dry_run=False)
    assert response.status_code == 422
    assert response.json()["report"]["errors"][0]["line"] == 3
    assert _count(session) == before


def test_commit_writes_all_rows_from_xlsx_and_gbk_csv(
    client: TestClient, auth: Auth, session: Session, new_id_number: Callable[..., str]
) -> None:
    before = _count(session)
    xlsx_rows: list[list[object]] = [
        ["王五", new_id_number(), 13900001111, "430981", "未就业", "是", "省外", "电焊", 4500],
        ["赵六", new_id_number(), "", "430981", "省外就业", "是", "省内", "保洁", ""],
    ]
    report = _upload(client, auth, _xlsx(xlsx_rows), "roster.xlsx", dry_run=False).json()
    assert report["created"] == 2, report
    gbk = _csv([["孙八", new_id_number(), "", "430981", "未就业", "否", "本县", "", ""]], "gb18030")
    assert _upload(client, auth, gbk, "roster.csv", dry_run=False).json()["created"] == 1
    assert _count(session) == before + 3
    again = _upload(client, auth, _xlsx(xlsx_rows), "roster.xlsx", dry_run=True).json()
    assert all("already registered as labourer" in e["reason"] for e in again["errors"])
    assert len(again["errors"]) == 2


def test_wrong_file_type_is_422(client: TestClient, auth: Auth) -> None:
    response = _upload(client, auth, b"%PDF-1.4", "roster.pdf", dry_run=True)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.file"


def test_a_body_that_is_not_multipart_is_a_400_problem(
    client: TestClient, auth: Auth, session: Session
) -> None:
    """A broken multipart body (found by schemathesis): a documented 400, nothing written."""
    before = session.scalar(select(func.count()).select_from(Labourer))
    boundary = "4cb04cccaaaf81892a2579d6c35631aa"
    response = client.post(
        "/v1/labourers/import?dry_run=false",
        content=f"--{boundary}\r\n0.33--{boundary}--\r\n".encode(),
        headers={**auth("staff"), "content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert session.scalar(select(func.count()).select_from(Labourer)) == before


def test_the_status_start_date_column(
    client: TestClient, auth: Auth, session: Session, new_id_number: Callable[..., str]
) -> None:
    """状态起始日期: the day the current status began, as clerks write it; not in the future."""
    header = ["姓名", "身份证号", "户籍地区划代码", "就业状态", "状态起始日期"]
    rows = [
        ["甲", new_id_number(), "430981", "未就业", "2026/3/1"],
        ["乙", new_id_number(), "430981", "未就业", "2026年3月1日"],
        ["丙", new_id_number(), "430981", "未就业", "20260301"],
        ["丁", new_id_number(), "430981", "未就业", ""],  # blank: the import day
        ["戊", new_id_number(), "430981", "未就业", "三月初"],
        ["己", new_id_number(), "430981", "未就业", "2099-01-01"],
    ]
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    report = _upload(client, auth, out.getvalue().encode(), "roster.csv", dry_run=True).json()
    assert report["valid"] == 4
    errors = {e["line"]: e for e in report["errors"]}
    assert set(errors) == {6, 7}
    assert errors[6]["field"] == "状态起始日期" and "not a date" in errors[6]["reason"]
    assert "after today" in errors[7]["reason"]
    book = load_workbook(io.BytesIO(client.get("/v1/labourers/import/template",
                                               headers=auth("staff")).content))  # fmt: skip
    assert "状态起始日期" in [c.value for c in book.worksheets[0][1]]
    notes = {row[0].value: row[1].value for row in book["填写说明"].iter_rows(min_row=2)}
    assert "2026年3月1日" in notes["状态起始日期"]
