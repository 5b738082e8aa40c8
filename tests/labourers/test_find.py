"""Finding a person (issue 16, item 1): by name or pinyin, full ID number, phone or household,
within the caller's regions; look-ups by identifier are audited; lists sort and page."""

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.audit.models import AuditEntry
from matching.kit.personal import PersonalData
from matching.kit.spelling import spellings
from matching.migrations_state import alembic_config
from matching.settings import Settings, get_settings

Auth = Callable[..., dict[str, str]]
Body = Callable[..., dict[str, object]]
NAMES = ["张建国", "张建华", "章剑", "曾国藩", "王_五", "李四"]


@pytest.fixture
def people(client: TestClient, auth: Auth, labourer_body: Body) -> dict[str, Any]:
    staff = auth("staff")
    ids = {}
    for n, name in enumerate(NAMES):
        body = labourer_body(name=name, phone=f"1380737{n:04d}", household_id=f"H-{n % 2}")
        response = client.post("/v1/labourers", json=body, headers=staff)
        assert response.status_code == 201, response.text
        ids[name] = {"id": response.json()["id"], "id_number": body["id_number"]}
    return {"staff": staff, "ids": ids}


def _names(client: TestClient, headers: dict[str, str], **params: Any) -> list[str]:
    response = client.get("/v1/labourers", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return sorted(item["name"] for item in response.json()["items"])


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("张建国", ["张建国"]),
        ("张建", ["张建华", "张建国"]),
        ("zhangjianguo", ["张建国"]),
        ("ZhangJian", ["张建华", "张建国", "章剑"]),  # 章剑 is zhang jian too
        ("zhangjianh", ["张建华"]),
        ("zjg", ["张建国"]),
        ("Zhang Jianguo", ["张建国"]),  # typed with a space, as on a name card
        ("zj", ["张建华", "张建国", "章剑"]),  # 章剑 is zhang jian too
        ("zengguofan", ["曾国藩"]),  # a surname read two ways: the clerk's reading finds it
        ("cengguofan", ["曾国藩"]),
        ("王_", ["王_五"]),  # _ is a character, not a wildcard
        ("王%", []),
        ("xyz", []),
    ],
)
def test_find_by_name_or_pinyin(
    client: TestClient, people: dict[str, Any], typed: str, found: list[str]
) -> None:
    assert _names(client, people["staff"], name=typed) == found


def test_find_by_full_id_number_is_audited(
    client: TestClient, people: dict[str, Any], session: Session
) -> None:
    wanted = people["ids"]["李四"]
    assert _names(client, people["staff"], id_number=wanted["id_number"]) == ["李四"]
    lowercase_x = wanted["id_number"].lower()  # a check digit typed as x is the same number
    assert _names(client, people["staff"], id_number=lowercase_x) == ["李四"]
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "lookup")).all()
    assert [(e.labourer_id, e.fields) for e in entries][-2:] == [(wanted["id"], "id_number")] * 2


def test_an_id_number_nobody_has_finds_nobody_and_is_still_audited(
    client: TestClient, people: dict[str, Any], session: Session, new_id_number: Any
) -> None:
    assert _names(client, people["staff"], id_number=new_id_number()) == []
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None and (entry.action, entry.labourer_id) == ("lookup", None)


def test_a_malformed_identifier_is_a_422_naming_it(
    client: TestClient, people: dict[str, Any]
) -> None:
    for param, value in (("id_number", "430981198506121230"), ("phone", "12345"), ("name", " ")):
        response = client.get("/v1/labourers", params={param: value}, headers=people["staff"])
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == f"query.{param}"


def test_find_by_phone_in_any_written_form(
    client: TestClient, people: dict[str, Any], session: Session
) -> None:
    for typed in ("13807370003", "138 0737 0003", "+86 138-0737-0003"):
        assert _names(client, people["staff"], phone=typed) == ["曾国藩"]
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None and (entry.action, entry.fields) == ("lookup", "phone")


def test_a_phone_change_moves_the_look_up(client: TestClient, people: dict[str, Any]) -> None:
    who = people["ids"]["李四"]["id"]
    changed = client.patch(
        f"/v1/labourers/{who}", json={"phone": "13900001111"}, headers=people["staff"]
    )
    assert changed.status_code == 200, changed.text
    assert _names(client, people["staff"], phone="13807370005") == []
    assert _names(client, people["staff"], phone="13900001111") == ["李四"]
    renamed = client.patch(f"/v1/labourers/{who}", json={"name": "李思"}, headers=people["staff"])
    assert renamed.status_code == 200
    assert _names(client, people["staff"], name="lisi") == ["李思"]


def test_find_by_household(client: TestClient, people: dict[str, Any]) -> None:
    assert _names(client, people["staff"], household_id="H-1") == ["张建华", "曾国藩", "李四"]


def test_nobody_is_found_outside_the_callers_regions(
    client: TestClient, people: dict[str, Any], auth: Auth
) -> None:
    elsewhere = auth("staff", regions=["430902"])
    wanted = people["ids"]["张建国"]["id_number"]
    assert _names(client, elsewhere, id_number=wanted) == []
    assert _names(client, elsewhere, name="zjg") == []


def _all_pages(client: TestClient, headers: dict[str, str], sort: str) -> list[dict[str, Any]]:
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"sort": sort, "limit": 2, "region": "430981"}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/labourers", params=params, headers=headers)
        assert page.status_code == 200, page.text
        seen.extend(page.json()["items"])
        cursor = page.json()["next_cursor"]
        if not cursor:
            return seen


@pytest.mark.parametrize(
    "sort", ["id", "name", "-name", "registered", "-registered", "changed", "-changed", "status"]
)
def test_every_sort_pages_through_everyone_once_in_order(
    client: TestClient, people: dict[str, Any], sort: str, test_clock: Any, auth: Auth
) -> None:
    staff = people["staff"]
    test_clock.advance(timedelta(minutes=5))  # one labourer changed later than the others
    first = people["ids"]["张建国"]["id"]
    today = client.get("/v1/clock", headers=auth()).json()["today"]
    moved = client.post(
        f"/v1/labourers/{first}/status",
        json={"status": "employed_local", "effective_from": today},
        headers=staff,
    )
    assert moved.status_code in (200, 201), moved.text
    changed = client.patch(f"/v1/labourers/{first}", json={"expected_wage": 4100}, headers=staff)
    assert changed.status_code == 200, changed.text
    rows = _all_pages(client, staff, sort)
    ids = [r["id"] for r in rows]
    assert sorted(ids) == sorted(x["id"] for x in people["ids"].values())  # each once
    if sort in ("name", "-name"):
        names = [r["name"] for r in rows]
        assert names == sorted(names, reverse=sort.startswith("-"))
    if sort == "-changed":
        assert ids[0] == first
    if sort == "changed":
        assert ids[-1] == first
    if sort == "-registered":
        assert ids == sorted(ids, reverse=True)
    if sort == "status":  # seekers first, the one now employed last
        assert ids[-1] == first


def test_a_cursor_of_another_sort_is_refused(client: TestClient, people: dict[str, Any]) -> None:
    staff = people["staff"]
    page = client.get("/v1/labourers", params={"sort": "name", "limit": 2}, headers=staff)
    cursor = page.json()["next_cursor"]
    for sort in ("-name", "id", "registered"):
        response = client.get(
            "/v1/labourers", params={"sort": sort, "cursor": cursor}, headers=staff
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "query.cursor"


def test_the_migration_fills_spellings_and_phone_hashes_of_existing_rows(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows written before revision 0009 are found by pinyin and phone after it."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = alembic_config(settings.migrations_dir, url)
    command.upgrade(config, "0008")
    personal = PersonalData(settings)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO labourers (name, phone_cipher, phone_mask, hukou_region, "
                "poverty_status, labour_ability, wants_work, relocation, preferred_occupations, "
                "unresolved_skills, sanwu, lianghousheng, disabled, change_seq, created_at, "
                "updated_at) VALUES (:name, :cipher, '138****1234', '430981', 'registered', "
                "'able', 1, 'anywhere', '[]', '[]', 0, 0, 0, 0, '2026-11-01 00:00:00', "
                "'2026-11-01 00:00:00')"
            ),
            [
                {"name": "张建国", "cipher": personal.seal_phone("13807371234").cipher},
                {"name": "曾丽", "cipher": None},
            ],
        )
    monkeypatch.setenv("MATCHING_DATA_KEY", settings.data_key.get_secret_value())
    monkeypatch.setenv("MATCHING_HASH_KEY", settings.hash_key.get_secret_value())
    get_settings.cache_clear()
    try:
        command.upgrade(config, "head")
    finally:
        get_settings.cache_clear()
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT name_spellings, phone_hash FROM labourers ORDER BY id")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("|zhangjianguo|zjg|", personal.phone_digest("13807371234")),
        (spellings("曾丽"), None),
    ]
