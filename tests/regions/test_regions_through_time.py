"""Region codes through time (issue 16, item 5): former codes answer with their years and
successor, search finds former names, ranks the caller's province first and leaves weak
look-alikes out, and a hukou recorded under a former code is shown with its successor."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matching.regions.registry import RegionRegistry, get_registry

Auth = Callable[..., dict[str, str]]
Body = Callable[..., dict[str, object]]


@pytest.fixture(scope="module")
def registry() -> RegionRegistry:
    return get_registry()


def _search(client: TestClient, headers: dict[str, str], q: str, **params: Any) -> list[Any]:
    response = client.get("/v1/regions", params={"q": q, **params}, headers=headers)
    assert response.status_code == 200, response.text
    hits: list[Any] = response.json()
    return hits


def test_a_former_county_code_answers_with_its_years_and_successor(
    client: TestClient, auth: Auth
) -> None:
    response = client.get("/v1/regions/432302", headers=auth("staff"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["in_use"] is False
    assert (body["code"], body["name"], body["level"]) == ("432302", "沅江市", "county")
    assert body["years"] == [{"first": 1988, "last": 1993}]
    assert body["successor"] == {"code": "430981", "name": "沅江市", "level": "county"}
    assert body["seat"] == client.get("/v1/regions/430981", headers=auth()).json()["seat"]
    assert body["children"] == [] and body["parents"] == []


def test_a_former_prefecture_answers_in_either_form_and_one_without_successor_says_so(
    client: TestClient, auth: Auth
) -> None:
    for form in ("4323", "432300"):
        body = client.get(f"/v1/regions/{form}", headers=auth()).json()
        assert (body["code"], body["name"], body["in_use"]) == ("4323", "益阳地区", False)
        assert body["successor"]["code"] == "4309"
    yiyang_county = client.get("/v1/regions/432321", headers=auth()).json()
    assert yiyang_county["former_names"] == ["益阳县"]
    assert yiyang_county["successor"] is None and yiyang_county["seat"] is None


def test_a_current_region_lists_the_former_codes_it_succeeds(
    client: TestClient, auth: Auth
) -> None:
    body = client.get("/v1/regions/430981", headers=auth()).json()
    assert body["in_use"] is True and body["years"] == [] and body["successor"] is None
    former = {f["code"]: f for f in body["former_codes"]}
    assert former["432323"]["names"] == ["沅江县"]
    assert former["432323"]["years"] == [{"first": 1980, "last": 1987}]
    assert former["432302"]["years"] == [{"first": 1988, "last": 1993}]
    assert client.get("/v1/regions/999999", headers=auth()).status_code == 404


@pytest.mark.parametrize(
    ("query", "code", "successor"),
    [("沅江县", "432323", "430981"), ("益阳县", "432321", None), ("益阳地区", "4323", "4309")],
)
def test_search_finds_former_names(
    client: TestClient, auth: Auth, query: str, code: str, successor: str | None
) -> None:
    first = _search(client, auth("staff"), query)[0]
    assert (first["code"], first["in_use"]) == (code, False)
    assert (first["successor"] or {}).get("code") == successor
    assert first["years"]


def test_search_puts_the_current_region_before_its_former_names(
    client: TestClient, auth: Auth
) -> None:
    hits = _search(client, auth("staff"), "沅江")
    assert hits[0]["code"] == "430981" and hits[0]["in_use"] is True
    assert "432323" in [h["code"] for h in hits]
    # 432302 only changed its number: a search for 沅江市 already finds the region itself.
    assert "432302" not in [h["code"] for h in _search(client, auth(), "沅江市")]


def test_a_confident_match_drops_the_look_alikes(client: TestClient, auth: Auth) -> None:
    for query in ("朝阳区", "沅江市琼湖街道", "沅江县"):
        hits = _search(client, auth(), query)
        assert hits, query
        assert all(h["score"] >= 0.6 for h in hits), (query, hits)
    # Without a confident match, close spellings are all there is, and they stay.
    assert [h["code"] for h in _search(client, auth(), "沅疆市")] == ["430981"]


def test_search_puts_the_callers_province_first_within_a_tier(
    client: TestClient, auth: Auth, make_agency: Callable[..., Any]
) -> None:
    # 朝阳区 is in Beijing (110105) and in Changchun, Jilin (220104), both exact.
    assert [h["code"] for h in _search(client, auth(), "朝阳区")] == ["110105", "220104"]
    jilin_staff = auth("staff", regions=["220104"])
    assert [h["code"] for h in _search(client, jilin_staff, "朝阳区")] == ["220104", "110105"]
    jilin_agency = auth("agency", agency_id=make_agency(province_code="22").id)
    assert _search(client, jilin_agency, "朝阳区")[0]["code"] == "220104"
    # The caller's province never lifts a weaker match above a stronger one.
    hunan = _search(client, auth("staff"), "朝阳")
    scores = [(h["score"] >= 0.95, h["score"] >= 0.6) for h in hunan]
    assert scores == sorted(scores, reverse=True)


def test_registry_search_is_deterministic_with_history(registry: RegionRegistry) -> None:
    assert registry.search("益阳", province="43") == registry.search("益阳", province="43")
    codes = [hit.code for hit, _ in registry.search("益阳")]
    assert codes[0] == "4309"
    assert "432321" in codes  # 益阳县 by its short form


def test_a_hukou_under_a_former_code_is_shown_with_its_successor(
    client: TestClient, auth: Auth, labourer_body: Body
) -> None:
    staff = auth("staff")
    response = client.post(
        "/v1/labourers", json=labourer_body(hukou_region="432302"), headers=staff
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["hukou_region"] == "430981"
    assert body["hukou_region_name"] == "湖南省益阳市沅江市"
    assert body["hukou_region_recorded"] == "432302"
    assert body["hukou_region_recorded_name"] == "沅江市（1988–1993年）"
    # Placed under the successor: found in the successor's list and reachable by its staff.
    listed = client.get("/v1/labourers", params={"region": "430981"}, headers=staff).json()
    assert body["id"] in [item["id"] for item in listed["items"]]
    # Changed to a current code, the recorded former code goes.
    changed = client.patch(
        f"/v1/labourers/{body['id']}", json={"hukou_region": "430981006"}, headers=staff
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["hukou_region_recorded"] is None


def test_a_former_code_without_a_single_successor_is_refused_by_name(
    client: TestClient, auth: Auth, labourer_body: Body
) -> None:
    response = client.post(
        "/v1/labourers", json=labourer_body(hukou_region="432321"), headers=auth()
    )
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert error["field"] == "body.hukou_region"
    assert error["type"] == "former_region"
    assert "益阳县" in error["reason"] and "1993" in error["reason"]


def test_a_former_code_outside_the_staff_scope_is_refused(
    client: TestClient, auth: Auth, labourer_body: Body
) -> None:
    # 432302's successor 430981 lies outside a 赫山区 clerk's scope.
    response = client.post(
        "/v1/labourers",
        json=labourer_body(hukou_region="432302"),
        headers=auth("staff", regions=["430903"]),
    )
    assert response.status_code == 403, response.text
