"""Registering, reading, changing and listing labourers over HTTP."""

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.audit.models import AuditEntry
from matching.labourers.models import Labourer

Auth = Callable[..., dict[str, str]]
Body = Callable[..., dict[str, object]]


def test_register_derives_masks_and_normalises(
    client: TestClient, auth: Auth, labourer_body: Body, session: Session
) -> None:
    body = labourer_body(skills=[{"term": "电焊"}, {"term": "会开叉车"}, {"term": "吹拉弹唱"}])
    response = client.post("/v1/labourers", json=body, headers=auth("staff"))
    assert response.status_code == 201, response.text
    data = response.json()
    raw_id = str(body["id_number"])
    assert data["id_number"] == raw_id[:4] + "*" * 10 + raw_id[-4:]
    assert data["phone"] == "138****1234"
    assert data["sex"] == ("male" if int(raw_id[16]) % 2 else "female")
    assert (data["birth_date"], data["birth_year"], data["age"]) == (None, 1985, 41)
    assert data["hukou_region_name"].endswith("沅江市")
    assert {s["name"] for s in data["skills"]} >= {"电焊工"}
    assert data["unresolved_skills"] == ["吹拉弹唱"]
    assert [r["method"] for r in data["resolutions"]][-1] == "unresolved"
    assert data["employment_status"] == "unemployed"
    stored = session.get(Labourer, data["id"])
    assert stored is not None
    assert raw_id not in (stored.id_number_cipher or "") and stored.id_number_hash != raw_id


def test_same_id_number_twice_is_409_with_existing_id(
    client: TestClient, auth: Auth, labourer_body: Body
) -> None:
    body = labourer_body()
    first = client.post("/v1/labourers", json=body, headers=auth()).json()
    again = client.post("/v1/labourers", json={**body, "name": "李肆"}, headers=auth())
    assert again.status_code == 409
    assert again.json()["existing_id"] == first["id"]


def test_bad_id_number_names_the_field_and_writes_nothing(
    client: TestClient, auth: Auth, labourer_body: Body, session: Session
) -> None:
    before = session.scalar(select(func.count()).select_from(Labourer))
    body = labourer_body()
    broken = str(body["id_number"])[:-1] + ("0" if str(body["id_number"])[-1] != "0" else "1")
    response = client.post("/v1/labourers", json={**body, "id_number": broken}, headers=auth())
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.id_number"
    assert session.scalar(select(func.count()).select_from(Labourer)) == before


def test_unknown_region_is_422_naming_the_field(
    client: TestClient, auth: Auth, labourer_body: Body
) -> None:
    response = client.post(
        "/v1/labourers", json=labourer_body(hukou_region="999999"), headers=auth()
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.hukou_region"


def test_staff_scope_is_enforced(
    client: TestClient, auth: Auth, labourer_body: Body, new_id_number: Callable[..., str]
) -> None:
    outside = labourer_body(hukou_region="440106", id_number=new_id_number(region="440106"))
    assert client.post("/v1/labourers", json=outside, headers=auth("staff")).status_code == 403
    created = client.post("/v1/labourers", json=outside, headers=auth("admin")).json()
    assert client.get(f"/v1/labourers/{created['id']}", headers=auth("staff")).status_code == 403
    listed = client.get("/v1/labourers", headers=auth("staff")).json()["items"]
    assert created["id"] not in {x["id"] for x in listed}


def test_reveal_is_audited(
    client: TestClient, auth: Auth, labourer_body: Body, session: Session
) -> None:
    body = labourer_body()
    created = client.post("/v1/labourers", json=body, headers=auth()).json()
    masked = client.get(f"/v1/labourers/{created['id']}", headers=auth("staff")).json()
    assert "*" in masked["id_number"]
    reveals = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "reveal")
    assert session.scalar(reveals) == 0
    revealed = client.get(f"/v1/labourers/{created['id']}?reveal=true", headers=auth("staff"))
    assert revealed.json()["id_number"] == body["id_number"]
    assert revealed.json()["phone"] == "13807371234"
    assert revealed.json()["birth_date"] == "1985-06-12"
    assert masked["birth_date"] is None and masked["birth_year"] == 1985
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "reveal")).all()
    assert len(entries) == 1
    assert entries[0].labourer_id == created["id"]
    assert entries[0].request_id == revealed.headers["x-request-id"]


def test_update_and_effective_dated_status(
    client: TestClient, auth: Auth, labourer_body: Body
) -> None:
    headers = auth()
    created = client.post(
        "/v1/labourers", json=labourer_body(status_effective_from="2026-01-01"), headers=headers
    ).json()
    lid = created["id"]
    patched = client.patch(f"/v1/labourers/{lid}", json={"expected_wage": 5000}, headers=headers)
    assert patched.json()["expected_wage"] == 5000
    change = {"status": "employed_out_province", "effective_from": "2026-03-15"}
    assert (
        client.post(f"/v1/labourers/{lid}/status", json=change, headers=headers).status_code == 201
    )
    back = {"status": "unemployed", "effective_from": "2026-09-01"}
    client.post(f"/v1/labourers/{lid}/status", json=back, headers=headers)

    def on(day: str) -> str | None:
        url = f"/v1/labourers/{lid}/status?as_of={day}"
        status: str | None = client.get(url, headers=headers).json()["status"]
        return status

    assert on("2025-12-31") is None
    assert on("2026-03-14") == "unemployed"
    assert on("2026-03-15") == "employed_out_province"
    assert on("2026-08-31") == "employed_out_province"
    assert on("2026-09-01") == "unemployed"
    history = client.get(f"/v1/labourers/{lid}/status/history", headers=headers).json()
    assert [h["effective_from"] for h in history] == ["2026-01-01", "2026-03-15", "2026-09-01"]


def test_list_filters_and_cursor(client: TestClient, auth: Auth, labourer_body: Body) -> None:
    headers = auth()
    ids = []
    for i in range(5):
        body = labourer_body(sanwu=i % 2 == 0, relocation="county" if i < 2 else "anywhere")
        ids.append(client.post("/v1/labourers", json=body, headers=headers).json()["id"])
    page1 = client.get("/v1/labourers?limit=2&region=430981", headers=headers).json()
    page2 = client.get(
        f"/v1/labourers?limit=2&region=430981&cursor={page1['next_cursor']}", headers=headers
    ).json()
    assert [x["id"] for x in page1["items"] + page2["items"]] == ids[:4]
    sanwu = client.get("/v1/labourers?sanwu=true&region=430981", headers=headers).json()["items"]
    assert [x["id"] for x in sanwu] == [ids[0], ids[2], ids[4]]
    county = client.get("/v1/labourers?relocation=county", headers=headers).json()["items"]
    assert {x["id"] for x in county} >= {ids[0], ids[1]}
    bad = client.get("/v1/labourers?cursor=garbage", headers=headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.cursor"


def test_zero_employment_household_filter(
    client: TestClient, auth: Auth, labourer_body: Body
) -> None:
    headers = auth()
    a = client.post(
        "/v1/labourers", json=labourer_body(household_id="HH-1"), headers=headers
    ).json()
    b = client.post(
        "/v1/labourers", json=labourer_body(household_id="HH-2"), headers=headers
    ).json()
    c = client.post(
        "/v1/labourers",
        json=labourer_body(household_id="HH-2", employment_status="employed_local"),
        headers=headers,
    ).json()
    zero = client.get("/v1/labourers?zero_employment_household=true", headers=headers).json()[
        "items"
    ]
    ids = {x["id"] for x in zero}
    assert a["id"] in ids
    assert b["id"] not in ids and c["id"] not in ids


def test_near_duplicates_reported(client: TestClient, auth: Auth, labourer_body: Body) -> None:
    headers = auth()
    common = {
        "id_number": None,
        "birth_date": "1990-02-03",
        "sex": "female",
        "hukou_region": "430981",
    }
    a = client.post(
        "/v1/labourers", json=labourer_body(name="王小红", **common), headers=headers
    ).json()
    b = client.post(
        "/v1/labourers", json=labourer_body(name="王晓红", **common), headers=headers
    ).json()
    client.post("/v1/labourers", json=labourer_body(name="赵大", **common), headers=headers)
    groups = client.get("/v1/labourers/duplicates", headers=headers).json()
    pairs = [{x["id"] for x in g["labourers"]} for g in groups]
    assert {a["id"], b["id"]} in pairs
    assert all(len(p) == 2 for p in pairs)
    assert all(g["birth_year"] == 1990 and "birth_date" not in g for g in groups)
