"""Matching over HTTP: ranking with reasons, freshness of the index, scopes and anonymity."""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import statements_with

from matching import clock
from matching.app import create_app
from matching.labourers.models import Labourer
from matching.matches.schemas import LabourerMatches, PostMatches
from matching.rules.candidate import anonymised_profile
from matching.settings import Settings

Auth = Callable[..., dict[str, str]]
Body = Callable[..., dict[str, object]]
YUANJIANG_TOWN = "430981006"  # 琼湖街道


def _post(client: TestClient, headers: dict[str, str], body: dict[str, object]) -> int:
    response = client.post("/v1/posts", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _labourer(client: TestClient, headers: dict[str, str], body: dict[str, object]) -> int:
    response = client.post("/v1/labourers", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_ranking_breakdown_and_reasons(
    client: TestClient, auth: Auth, labourer_body: Body, post_body: Body
) -> None:
    admin = auth()
    lid = _labourer(
        client, admin, labourer_body(hukou_region=YUANJIANG_TOWN, relocation="anywhere")
    )
    near = _post(
        client, admin, post_body(workplace_region="430981", employer="沅江船厂", title="电焊工")
    )
    far = _post(client, admin, post_body(workplace_region="441900", title="电焊工"))
    cleaner = _post(
        client,
        admin,
        post_body(
            workplace_region="430981",
            title="保洁员",
            employer="某物业",
            required_skills=[{"term": "保洁"}],
        ),
    )
    client.put(f"/v1/labourers/{lid}/app-link", headers=admin)
    data = client.get(f"/v1/labourers/{lid}/matches?k=10", headers=auth("app")).json()
    ids = [m["post"]["id"] for m in data["items"]]
    assert ids[0] == near
    assert set(ids) == {near, far, cleaner}
    assert ids.index(far) > 0 and ids.index(cleaner) > 0
    top = data["items"][0]
    assert set(top["breakdown"]) == {"location", "skills", "wage", "preference", "priority"}
    assert 0 <= top["score"] <= 1
    zh = " ".join(r["zh"] for r in top["reasons"])
    assert "同县" in zh and "技能匹配" in zh
    assert all(r["en"] for r in top["reasons"])
    scores = [m["score"] for m in data["items"]]
    assert scores == sorted(scores, reverse=True)


def test_a_write_is_visible_to_the_next_request(
    client: TestClient, auth: Auth, labourer_body: Body, post_body: Body
) -> None:
    admin = auth()
    lid = _labourer(client, admin, labourer_body(relocation="anywhere"))
    first = _post(client, admin, post_body(workplace_region="430981"))
    assert [
        m["post"]["id"]
        for m in client.get(f"/v1/labourers/{lid}/matches", headers=admin).json()["items"]
    ] == [first]
    second = _post(client, admin, post_body(workplace_region="430981", employer="另一家"))
    ids = {
        m["post"]["id"]
        for m in client.get(f"/v1/labourers/{lid}/matches", headers=admin).json()["items"]
    }
    assert ids == {first, second}
    client.post(f"/v1/posts/{first}/withdraw", headers=admin)
    ids = {
        m["post"]["id"]
        for m in client.get(f"/v1/labourers/{lid}/matches", headers=admin).json()["items"]
    }
    assert ids == {second}


def test_a_post_shown_again_is_shown_as_it_is_now(
    client: TestClient, auth: Auth, labourer_body: Body, post_body: Body, connection: Connection
) -> None:
    """A match shows its posts from what the process kept (no post row read) only while the
    index holds the same record of the post."""
    admin = auth()
    lid = _labourer(client, admin, labourer_body(relocation="anywhere"))
    pid = _post(client, admin, post_body(workplace_region="430981", openings=3))

    def shown() -> tuple[dict[str, Any], list[str]]:
        with statements_with(connection, "FROM post") as post_reads:  # posts, post_skills
            items = client.get(f"/v1/labourers/{lid}/matches", headers=admin).json()["items"]
        assert [m["post"]["id"] for m in items] == [pid]
        post: dict[str, Any] = items[0]["post"]
        return post, post_reads

    post, post_reads = shown()
    assert post["title"] == "电焊工"
    assert post_reads  # the first time: read and presented
    post, post_reads = shown()
    assert post["title"] == "电焊工"
    assert post_reads == []  # kept: no post row read
    changed = client.patch(f"/v1/posts/{pid}", json={"title": "电焊工（夜班）", "openings": 4},
                           headers=admin)  # fmt: skip
    assert changed.status_code == 200, changed.text
    now, _ = shown()
    assert now["title"] == "电焊工（夜班）" and now["openings"] == 4


def test_several_processes_share_one_database(
    settings: Settings,
    session_factory: sessionmaker[Session],
    app: FastAPI,
    auth: Auth,
    labourer_body: Body,
    post_body: Body,
) -> None:
    other = create_app(settings)
    other.state.sessionmaker = session_factory
    admin = auth()
    with TestClient(app) as one, TestClient(other) as two:
        lid = _labourer(one, admin, labourer_body(relocation="anywhere"))
        assert two.get(f"/v1/labourers/{lid}/matches", headers=admin).json()["items"] == []
        pid = _post(one, admin, post_body(workplace_region="430981"))
        items = two.get(f"/v1/labourers/{lid}/matches", headers=admin).json()["items"]
        assert [m["post"]["id"] for m in items] == [pid]


def test_relocation_is_a_hard_filter_and_explained(
    client: TestClient, auth: Auth, labourer_body: Body, post_body: Body
) -> None:
    admin = auth()
    lid = _labourer(client, admin, labourer_body(relocation="county"))
    away = _post(client, admin, post_body(workplace_region="441900"))
    home = _post(client, admin, post_body(workplace_region="430981"))
    ids = [
        m["post"]["id"]
        for m in client.get(f"/v1/labourers/{lid}/matches", headers=admin).json()["items"]
    ]
    assert ids == [home]
    explained = client.get(f"/v1/labourers/{lid}/matches/{away}", headers=admin).json()
    assert explained["eligible"] is False
    assert explained["failed"]
    assert all(r["zh"] and r["en"] for r in explained["failed"])
    ok = client.get(f"/v1/labourers/{lid}/matches/{home}", headers=admin).json()
    assert ok["eligible"] is True and ok["failed"] == []


def test_filters_on_type_region_and_wage(
    client: TestClient, auth: Auth, labourer_body: Body, post_body: Body
) -> None:
    admin = auth()
    lid = _labourer(client, admin, labourer_body(relocation="anywhere"))
    cheap = _post(
        client,
        admin,
        post_body(workplace_region="430981", wage_min=2000, wage_max=2500, post_type="workshop"),
    )
    rich = _post(client, admin, post_body(workplace_region="441900", wage_min=6000, wage_max=8000))
    url = f"/v1/labourers/{lid}/matches"
    assert [
        m["post"]["id"]
        for m in client.get(url + "?post_type=workshop", headers=admin).json()["items"]
    ] == [cheap]
    assert [
        m["post"]["id"] for m in client.get(url + "?region=44", headers=admin).json()["items"]
    ] == [rich]
    assert [
        m["post"]["id"] for m in client.get(url + "?min_wage=5000", headers=admin).json()["items"]
    ] == [rich]
    assert client.get(url + "?k=101", headers=admin).status_code == 422


def test_candidates_scope_and_anonymity(
    client: TestClient,
    auth: Auth,
    labourer_body: Body,
    post_body: Body,
    new_id_number: Callable[..., str],
) -> None:
    admin = auth()
    mine = _labourer(client, admin, labourer_body(relocation="anywhere"))
    nanning = labourer_body(
        hukou_region="450102", id_number=new_id_number(region="450102"), relocation="anywhere"
    )
    other = _labourer(client, admin, nanning)
    agency = auth("agency")
    pid = _post(client, agency, post_body(workplace_region="441900"))
    everyone = client.get(f"/v1/posts/{pid}/candidates", headers=admin).json()
    assert {c["labourer_id"] for c in everyone["items"]} >= {mine, other}
    staff = client.get(
        f"/v1/posts/{pid}/candidates", headers=auth("staff", regions=["430981"])
    ).json()
    assert {c["labourer_id"] for c in staff["items"]} == {mine}
    anonymous = client.get(f"/v1/posts/{pid}/candidates", headers=agency).json()
    assert anonymous["anonymised"] is True and anonymous["count"] >= 2
    text = str(anonymous)
    assert all(c["labourer_id"] is None and c["name"] is None for c in anonymous["items"])
    assert "李四" not in text and "138" not in text
    assert client.get(f"/v1/posts/{pid}/candidates", headers=auth("agency")).status_code == 404


def test_an_open_posts_candidates_read_no_post_and_a_withdrawn_ones_are_still_listed(
    client: TestClient, auth: Auth, labourer_body: Body, post_body: Body, connection: Connection
) -> None:
    """An open post is searched as the post index holds it (an agency's is read for its owner
    only); a post the index does not hold, as the database has it."""
    admin = auth()
    lid = _labourer(client, admin, labourer_body())
    pid = _post(client, admin, post_body(workplace_region="430981"))
    first = client.get(f"/v1/posts/{pid}/candidates", headers=admin).json()  # builds the index
    with statements_with(connection, "FROM posts") as sent:
        again = client.get(f"/v1/posts/{pid}/candidates", headers=admin).json()
    assert again == first and [c["labourer_id"] for c in again["items"]] == [lid]
    assert sent == []
    withdrawn = client.post(f"/v1/posts/{pid}/withdraw", headers=admin)
    assert withdrawn.status_code == 200, withdrawn.text
    listed = client.get(f"/v1/posts/{pid}/candidates", headers=admin)
    assert listed.status_code == 200 and listed.json()["items"] == []  # no longer open
    assert client.get("/v1/posts/2147483647/candidates", headers=admin).status_code == 404


def test_candidates_are_presented_from_the_index_as_from_their_records(
    client: TestClient, auth: Auth, labourer_body: Body, post_body: Body, session: Session
) -> None:
    """The candidate list shows its labourers from the matching index: each profile is the one
    the labourer's own record gives (rules.candidate.anonymised_profile), names included."""
    admin = auth()
    ids = [
        _labourer(client, admin, labourer_body(relocation=relocation, skills=skills,
                                               expected_wage=wage))
        for relocation, skills, wage in (
            ("anywhere", [{"term": "电焊"}, {"term": "叉车"}], 5000),
            ("province", [{"term": "缝纫"}], None),
            ("anywhere", [], 3000),
        )
    ]  # fmt: skip
    pid = _post(client, admin, post_body(workplace_region="430981"))
    listed = client.get(f"/v1/posts/{pid}/candidates", headers=admin).json()["items"]
    shown = {c["labourer_id"]: c for c in listed if c["labourer_id"] in ids}
    assert set(shown) == set(ids)
    today = clock.today()
    for lid in ids:
        record = session.get(Labourer, lid)
        assert record is not None
        assert shown[lid]["profile"] == anonymised_profile(record, today)
        assert shown[lid]["name"] == record.name
    assert len(shown[ids[0]]["profile"]["skills"]) == 2


def test_matches_and_candidates_are_sent_as_fastapi_would_send_them(
    client: TestClient, auth: Auth, labourer_body: Body, post_body: Body
) -> None:
    """The two hot routes serialise their model once (schemas.json_response) instead of letting
    FastAPI check their return value: the bytes are what FastAPI's JSON response gives, and
    they are a valid instance of the documented model."""
    admin = auth()
    lid = _labourer(client, admin, labourer_body(relocation="anywhere", skills=[{"term": "电焊"}]))
    pid = _post(client, admin, post_body(workplace_region="430981", wage_min=3333, wage_max=5555))
    for path, model in (
        (f"/v1/labourers/{lid}/matches", PostMatches),
        (f"/v1/posts/{pid}/candidates", LabourerMatches),
    ):
        response = client.get(path, headers=admin)
        assert (
            response.status_code == 200 and response.headers["content-type"] == "application/json"
        )
        parsed = model.model_validate_json(response.content, strict=False)
        assert parsed.items, path
        assert response.content == JSONResponse(parsed.model_dump(mode="json")).body


def test_employed_labourer_gets_no_posts(
    client: TestClient, auth: Auth, labourer_body: Body, post_body: Body
) -> None:
    admin = auth()
    lid = _labourer(client, admin, labourer_body(employment_status="employed_local"))
    _post(client, admin, post_body(workplace_region="430981"))
    data = client.get(f"/v1/labourers/{lid}/matches", headers=admin).json()
    assert data["seeking"] is False and data["items"] == []


def test_profiles_from_the_labourer_index_keep_scope_and_freshness(
    client: TestClient,
    auth: Auth,
    labourer_body: Body,
    post_body: Body,
    new_id_number: Callable[..., str],
) -> None:
    admin = auth()
    lid = _labourer(client, admin, labourer_body(relocation="anywhere"))
    outsider = _labourer(
        client,
        admin,
        labourer_body(hukou_region="450102", id_number=new_id_number(region="450102")),
    )
    pid = _post(client, admin, post_body(workplace_region="430981"))
    client.get(f"/v1/posts/{pid}/candidates", headers=admin)  # builds the labourer index
    staff = auth("staff", regions=["430981"])
    assert client.get(f"/v1/labourers/{outsider}/matches", headers=staff).status_code == 403
    assert client.get("/v1/labourers/2147483647/matches", headers=admin).status_code == 404
    items = client.get(f"/v1/labourers/{lid}/matches", headers=staff).json()["items"]
    assert [m["post"]["id"] for m in items] == [pid]
    change = {"status": "employed_local", "effective_from": clock.today().isoformat()}
    client.post(f"/v1/labourers/{lid}/status", json=change, headers=admin)
    after = client.get(f"/v1/labourers/{lid}/matches", headers=staff).json()
    assert after["seeking"] is False and after["items"] == []
