"""One 三来三往 exchange through the running service (issue 17): an origin county sends a
seeker list to a Dongguan agency, the agency answers with posts, the county matches the list and
pushes, two labourers are hired, both sides read the report — and every step reaches the
agency as a notice whose signature verifies with the Standard Webhooks reference library."""

import time
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook
from tests.conftest import Receiver, Service, finished

TOWN = "430981100"


def _labourers(http: httpx.Client, staff: dict[str, str], body: Any) -> dict[str, list[int]]:
    """Seven seekers of one town: three welders and two seamstresses who will go anywhere, one
    with no trade who will too, and a welder who stays in the county (not on the list)."""
    made: dict[str, list[int]] = {"weld": [], "sew": [], "none": [], "local": []}
    specs = (
        [("weld", "电焊", "anywhere")] * 3
        + [("sew", "缝纫", "anywhere")] * 2
        + [("none", None, "anywhere"), ("local", "电焊", "county")]
    )
    for kind, skill, relocation in specs:
        fields = {
            "hukou_region": TOWN,
            "relocation": relocation,
            "status_effective_from": "2026-01-01",
            "skills": [{"term": skill, "level": "junior"}] if skill else [],
        }
        response = http.post("/v1/labourers", json=body(**fields), headers=staff)
        assert response.status_code == 201, response.text
        made[kind].append(response.json()["id"])
    return made


def test_one_exchange_from_seeker_list_to_hires(
    service: tuple[Service, Any, dict[str, dict[str, str]]],
    receiver: Receiver,
    labourer_body: Any,
    post_body: Any,
) -> None:
    running, _, headers = service
    staff, agency, admin = headers["staff"], headers["agency"], headers["admin"]
    agency_id = int(headers["agency_id"]["id"])
    running.start(admin)
    http = httpx.Client(base_url=running.base, timeout=60)
    http.patch(
        f"/v1/agencies/{agency_id}", json={"callback_url": receiver.url}, headers=agency
    ).raise_for_status()
    secret = http.post(f"/v1/agencies/{agency_id}/webhook-secret", json={}, headers=agency).json()[
        "secret"
    ]
    people = _labourers(http, staff, labourer_body)

    # 1. The county sends its 求职清单.
    sent = http.post(
        "/v1/exchanges", json={"region": "430981", "agency_id": agency_id}, headers=staff
    )
    assert sent.status_code == 201, sent.text
    exchange = sent.json()
    assert exchange["state"] == "sent" and exchange["seekers"] == 6  # the local welder is not
    lines = {line["trade"]: line for line in exchange["lines"]}
    assert lines["电焊工"]["count"] == 3 and lines["缝纫工"]["count"] == 2
    assert all(line["housing_needed"] == line["count"] for line in exchange["lines"])
    seen = http.get(f"/v1/exchanges/{exchange['id']}", headers=agency).json()
    assert seen["lines"] == exchange["lines"]  # the partner sees lines, never people

    # 2. The agency answers with its 岗位供给清单.
    def post(external_id: str, title: str, skills: list[dict[str, str]], line: int | None) -> Any:
        item = post_body(
            external_id=external_id,
            title=title,
            occupation=title,
            required_skills=skills,
            openings=2,
            workplace_region="441900",
        )
        return item | ({"exchange_line": line} if line else {})

    answer = http.post(
        f"/v1/exchanges/{exchange['id']}/posts",
        headers=agency,
        json={
            "items": [
                post("DG-W-1", "电焊工", [{"term": "电焊"}], lines["电焊工"]["line_no"]),
                post("DG-S-1", "缝纫工", [{"term": "缝纫"}], lines["缝纫工"]["line_no"]),
                post("DG-G-1", "普工", [], None),
                post(
                    "DG-X-1", "普工", [], 99
                ),  # no such line: the post is written, the line refused
            ]
        },
    )
    assert answer.status_code == 200, answer.text
    results = answer.json()["items"]
    assert [r["result"] for r in results] == ["created"] * 4
    assert results[3]["errors"][0]["field"] == "body.items[3].exchange_line"
    assert http.get(f"/v1/exchanges/{exchange['id']}", headers=staff).json()["state"] == "answered"

    # 3. The county matches the list with the posts offered, and pushes.
    plan = http.post(f"/v1/exchanges/{exchange['id']}/plan", json={}, headers=staff)
    assert plan.status_code == 201, plan.text
    on_list = set(people["weld"] + people["sew"] + people["none"])
    offered = {r["post_id"] for r in results[:3]}
    pairs = {
        (lab["labourer_id"], p["post_id"]) for lab in plan.json()["labourers"] for p in lab["posts"]
    }
    assert pairs and {lab for lab, _ in pairs} <= on_list and {p for _, p in pairs} <= offered
    committed = finished(http, http.post(f"/v1/plans/{plan.json()['id']}/commit", headers=staff))
    assert committed.status_code == 200, committed.text
    assert http.get(f"/v1/exchanges/{exchange['id']}", headers=staff).json()["state"] == "matched"
    pushes = http.get("/v1/pushes", params={"region": "430981"}, headers=staff).json()["items"]
    assert pushes and len(pushes) == len(pairs)

    # 4. Two of them are hired.
    hired: list[int] = []
    for push in pushes:
        if push["labourer_id"] in hired or len(hired) == 2:
            continue
        for state in ("applied", "hired"):
            moved = http.post(
                f"/v1/pushes/{push['id']}/events", json={"state": state}, headers=staff
            )
            assert moved.status_code == 200, moved.text
        hired.append(push["labourer_id"])

    # 5. Both sides read what came of it; then the county closes it.
    full = http.get(f"/v1/exchanges/{exchange['id']}/report", headers=staff).json()
    assert full["totals"]["asked"] == 6 and full["totals"]["hires"] == 2
    assert full["totals"]["pushes"] == len(pushes)
    assert full["totals"]["posts_offered"] == 4  # the one whose line was refused counts unlined
    offered_per_line = {line["trade"]: line["posts_offered"] for line in full["lines"]}
    assert offered_per_line["电焊工"] == offered_per_line["缝纫工"] == 1
    assert offered_per_line["未指定清单行"] == 2  # no line named, and the refused line
    assert {m["labourer_id"] for m in full["members"] if m["hired"]} == set(hired)
    partner = http.get(f"/v1/exchanges/{exchange['id']}/report", headers=agency).json()
    assert partner["anonymised"] and partner["members"] is None
    assert partner["totals"] == full["totals"]
    book = http.get(f"/v1/exchanges/{exchange['id']}/report.xlsx", headers=agency)
    assert book.status_code == 200 and book.content[:2] == b"PK"
    closed = http.post(f"/v1/exchanges/{exchange['id']}/close", headers=staff).json()
    assert closed["state"] == "closed" and closed["closed_at"] is not None

    # 6. The agency heard every step, each notice signed.
    expected = {
        "exchange.sent",
        "exchange.answered",
        "exchange.matched",
        "exchange.closed",
        "push.created",
        "push.applied",
        "push.hired",
    }
    deadline, got = time.monotonic() + 30, []
    while time.monotonic() < deadline:
        got = list(receiver.received)
        if expected <= {r.notice["type"] for r in got}:
            break
        time.sleep(0.1)
    verifier = Webhook(secret)
    types = [verifier.verify(r.body, r.headers)["type"] for r in got]
    assert expected <= set(types)
    assert types.count("push.created") == len(pushes) and types.count("push.hired") == 2
    assert all("name" not in r.body.decode() for r in got if r.notice["type"].startswith("push"))
    told = next(r.notice["data"]["exchange"] for r in got if r.notice["type"] == "exchange.sent")
    assert [line["count"] for line in told["lines"]] == [line["count"] for line in seen["lines"]]
