"""No combination of fields in any response rebuilds an ID number: an ID number is region (6),
birth date (8), sequence (3) and a check digit, and a masked one shows its last four. So no
response that shows the mask also shows the full birth date; with the birth year alone, the
month and day stay unknown (about 33 days of the year pass the check digit)."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from matching.kit.idnumber import id_check_digit

Auth = Callable[..., dict[str, str]]


def _rebuilds(shown: dict[str, Any]) -> set[str]:
    """Every ID number consistent with what one labourer's response shows."""
    mask, region = shown.get("id_number"), shown.get("hukou_region")
    if not mask or not region or "*" not in mask:
        return set()
    last4 = mask[-4:]
    if shown.get("birth_date"):
        births = [date.fromisoformat(shown["birth_date"])]
    else:
        year = shown["birth_year"]
        first = date(year, 1, 1)
        births = [first + timedelta(days=d) for d in range((date(year + 1, 1, 1) - first).days)]
    out = set()
    for birth in births:
        first17 = f"{region[:6]}{birth:%Y%m%d}{last4[:3]}"
        if first17.startswith(mask[:4]) and id_check_digit(first17) == last4[3]:
            out.add(first17 + last4[3])
    return out


def test_no_view_rebuilds_an_id_number(
    client: TestClient, auth: Auth, labourer_body: Callable[..., dict[str, object]],
    new_id_number: Callable[..., str],
) -> None:  # fmt: skip
    staff = auth("staff", regions=["430981"])
    real = {}
    for birth in ("19850612", "19900203", "19900203", "20000229"):
        body = labourer_body(id_number=new_id_number(birth=birth), name="王小红")
        created = client.post("/v1/labourers", json=body, headers=staff)
        assert created.status_code == 201, created.text
        real[created.json()["id"]] = body["id_number"]
        # What the service showed before: the full birth date next to the mask rebuilds it.
        leaked = {**created.json(), "birth_date": f"{birth[:4]}-{birth[4:6]}-{birth[6:]}"}
        assert _rebuilds(leaked) == {body["id_number"]}
    views = [client.post("/v1/labourers", json=labourer_body(), headers=staff).json()]
    views += client.get("/v1/labourers?limit=200", headers=staff).json()["items"]
    views += [client.get(f"/v1/labourers/{i}", headers=staff).json() for i in real]
    views += [client.patch(f"/v1/labourers/{i}", json={"expected_wage": 4100},
                           headers=staff).json() for i in real]  # fmt: skip
    for group in client.get("/v1/labourers/duplicates", headers=staff).json():
        views += [{**member, "birth_year": group["birth_year"]} for member in group["labourers"]]
    checked = 0
    for shown in views:
        if shown.get("id") in real:
            candidates = _rebuilds(shown)
            assert real[shown["id"]] in candidates and len(candidates) > 5, shown
            checked += 1
    assert checked >= 4 * 3
    revealed = client.get(f"/v1/labourers/{next(iter(real))}?reveal=true", headers=staff).json()
    assert revealed["birth_date"] is not None  # the audited reveal still shows everything
