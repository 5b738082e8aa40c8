"""The report through the running service, whose own engine lets a province's report run its
"311" statement on a second connection (PostgreSQL) — it must agree with the one-connection path."""

import httpx


def test_a_provinces_report_agrees_with_its_only_countys(live_server: tuple[str, str]) -> None:
    base, key = live_server
    headers = {"Authorization": f"Bearer {key}"}

    def figures(region: str) -> dict[str, tuple[object, object, object]]:
        response = httpx.get(
            f"{base}/v1/reports/targets", params={"region": region}, headers=headers, timeout=60
        )
        assert response.status_code == 200, response.text
        return {
            f["key"]: (f["value"], f["numerator"], f["denominator"])
            for f in response.json()["figures"]
        }

    # The demo data lives in 沅江市 only, so 湖南 (two connections) and 沅江市 (one) count the
    # same labourers; posts elsewhere (workshops, bases) may differ.
    province, county = figures("43"), figures("430981")
    for name in ("unemployed_willing", "push_ratio", "employed_share", "stable_share",
                 "willing_employment", "unit_employment", "services_311",
                 "zero_employment_households"):  # fmt: skip
        assert province[name] == county[name], name
    assert county["unemployed_willing"][0]
