"""A roster .xlsx is a zip: a few KB can unpack to gigabytes of blank rows or declare a sheet of
16,384 columns by a million rows. Such files are refused from the package, before openpyxl
parses them; an ordinary workbook with stray cells far to the right still imports."""

import io
import re
import zipfile
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from matching.labourers import roster_format

Auth = Callable[..., dict[str, str]]


def _upload(client: TestClient, auth: Auth, content: bytes) -> dict[str, object]:
    files = {"file": ("roster.xlsx", content)}
    response = client.post("/v1/labourers/import?dry_run=true", files=files, headers=auth("staff"))
    assert response.status_code in (200, 422), response.text
    body: dict[str, object] = response.json()
    return body


def _roster(client: TestClient, auth: Auth) -> bytes:
    template = client.get("/v1/labourers/import/template", headers=auth("staff"))
    content: bytes = template.content
    return content


def _with_sheet(content: bytes, rewrite: Callable[[bytes], bytes]) -> bytes:
    """The same package with its first sheet's XML rewritten."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w") as dst:
        for entry in src.infolist():
            data = src.read(entry)
            if entry.filename == "xl/worksheets/sheet1.xml":
                data = rewrite(data)
            dst.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _refusal(body: dict[str, object]) -> str:
    return str(body.get("detail", "")) + str(body.get("errors", ""))


def test_a_sheet_that_declares_a_million_rows_is_refused(client: TestClient, auth: Auth) -> None:
    def declare(xml: bytes) -> bytes:
        xml = re.sub(rb"<dimension [^>]*/>", b"", xml)
        return xml.replace(b"<sheetViews>", b'<dimension ref="A1:XFD1048576"/><sheetViews>', 1)

    bomb = _with_sheet(_roster(client, auth), declare)
    assert len(bomb) < 20_000
    assert "1,048,576 rows" in _refusal(_upload(client, auth, bomb))


def test_a_sheet_of_blank_rows_is_refused(client: TestClient, auth: Auth) -> None:
    def pad(xml: bytes) -> bytes:
        return xml.replace(b"</sheetData>", b'<row r="3"/>' * 500_000 + b"</sheetData>", 1)

    bomb = _with_sheet(_roster(client, auth), pad)
    assert len(bomb) < 100_000  # 6 MB of XML in a few KB
    assert "mostly empty space" in _refusal(_upload(client, auth, bomb))


def test_a_workbook_that_unpacks_too_far_is_refused(
    client: TestClient, auth: Auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(roster_format, "MAX_UNPACKED_BYTES", 4096)
    assert "unpacks to" in _refusal(_upload(client, auth, _roster(client, auth)))


def test_not_a_zip_at_all(client: TestClient, auth: Auth) -> None:
    assert "not a readable .xlsx" in _refusal(_upload(client, auth, b"PK\x03\x04 broken"))


def test_cells_far_to_the_right_are_not_read(
    client: TestClient, auth: Auth, new_id_number: Callable[..., str]
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号", "户籍地区划代码", "就业状态"])
    sheet.append(["张三", new_id_number(), "430981", "未就业"])
    sheet.cell(row=2, column=16_000, value="a note far away")  # the sheet is now XFD wide
    out = io.BytesIO()
    book.save(out)
    body = _upload(client, auth, out.getvalue())
    assert body.get("valid") == 1, body
