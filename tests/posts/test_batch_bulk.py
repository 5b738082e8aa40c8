"""The batch's bulk write path: new posts are written without ORM objects, and must read back
exactly like a post published on its own; large batches cross the query chunking."""

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.posts.models import Post, PostSkill

Auth = Callable[..., dict[str, str]]
Body = Callable[..., dict[str, object]]

# Everything the write path normalises: region padding, an occupation, a taxonomy id, a typo, an
# unresolvable term, a repeated skill, optional fields and an expired validity.
RICH = {
    "workplace_region": "441900000000",
    "occupation": "电焊工",
    "description": "两班倒 / shifts",
    "sex_requirement": "male",
    "education_min": "junior",
    "age_min": 18,
    "age_max": 50,
    "meals": True,
    "seasonal": True,
    "min_duration_months": 3,
    "valid_from": "2020-01-01",
    "valid_until": "2020-06-30",
    "contact_phone": "0769-12345678",
    "required_skills": [
        {"term": "S0001", "min_level": "junior"},
        {"term": "电悍工", "required": False},
        {"term": "xyzzy"},
        {"term": "电焊"},
        {"term": "叉车证"},
    ],
}
VOLATILE = {"id", "external_id", "created_at", "updated_at"}


def test_batch_post_reads_back_like_a_single_post(
    client: TestClient, auth: Auth, post_body: Body, session: Session
) -> None:
    headers = auth("agency")
    single = client.post("/v1/posts", json=post_body(external_id="ONE", **RICH), headers=headers)
    assert single.status_code == 201, single.text
    pushed = client.post(
        "/v1/posts/batch", json={"items": [post_body(external_id="TWO", **RICH)]}, headers=headers
    ).json()
    assert pushed["counts"]["created"] == 1
    post_id = pushed["items"][0]["post_id"]
    # The same vacancy under a second id of the same agency: a look-alike it may read.
    assert pushed["items"][0]["near_duplicates"] == [single.json()["id"]]
    read = client.get(f"/v1/posts/{post_id}", headers=headers).json()
    expected = {k: v for k, v in single.json().items() if k not in VOLATILE}
    del expected["resolutions"], expected["near_duplicates"]
    assert {k: v for k, v in read.items() if k not in VOLATILE} == expected
    assert read["status"] == "expired"
    assert read["created_at"] and read["updated_at"]

    def row(pid: int) -> dict[str, object]:
        post = session.get(Post, pid)
        assert post is not None
        return {
            c.key: getattr(post, c.key)
            for c in Post.__table__.columns
            if c.key not in VOLATILE | {"change_seq", "content_hash"}  # hash covers external_id
        }

    assert row(post_id) == row(single.json()["id"])
    skills = session.scalars(
        select(PostSkill.skill_id, PostSkill.required, PostSkill.min_level, PostSkill.source_text)
        .where(PostSkill.post_id == post_id)
        .order_by(PostSkill.skill_id)
    ).all()
    assert (
        skills
        == session.scalars(
            select(
                PostSkill.skill_id, PostSkill.required, PostSkill.min_level, PostSkill.source_text
            )
            .where(PostSkill.post_id == single.json()["id"])
            .order_by(PostSkill.skill_id)
        ).all()
    )
    again = client.post(
        "/v1/posts/batch", json={"items": [post_body(external_id="TWO", **RICH)]}, headers=headers
    ).json()
    assert again["items"][0]["result"] == "unchanged"


def test_batch_of_many_posts_then_unchanged_then_updated(
    client: TestClient, auth: Auth, post_body: Body
) -> None:
    headers = auth("agency")
    items = [
        post_body(external_id=f"N-{i}", title=f"普工{i}", wage_max=6000 + i) for i in range(620)
    ]
    first = client.post("/v1/posts/batch", json={"items": items}, headers=headers).json()
    assert first["counts"] == {"created": 620, "updated": 0, "unchanged": 0, "rejected": 0}
    ids = [r["post_id"] for r in first["items"]]
    assert len(set(ids)) == 620
    items[7]["openings"] = 9
    items[555]["required_skills"] = [{"term": "叉车证"}]
    second = client.post("/v1/posts/batch", json={"items": items}, headers=headers).json()
    assert second["counts"] == {"created": 0, "updated": 2, "unchanged": 618, "rejected": 0}
    assert [r["post_id"] for r in second["items"]] == ids
    skills = client.get(f"/v1/posts/{ids[555]}", headers=headers).json()["required_skills"]
    assert [s["skill_id"] for s in skills] == ["S0112"]  # 叉车证
    # Another agency's identical posts are look-alikes, found across the whole batch — told to
    # admin (the duplicates list), not to the agency, which may not read the first one's posts.
    other = client.post("/v1/posts/batch", json={"items": items}, headers=auth("agency")).json()
    assert other["counts"]["created"] == 620
    assert all(r["near_duplicates"] == [] for r in other["items"])
    groups = client.get("/v1/posts/duplicates", headers=auth()).json()
    paired = {frozenset(g["post_ids"]) for g in groups}
    pairs = {frozenset({a, r["post_id"]}) for a, r in zip(ids, other["items"], strict=True)}
    assert len(groups) >= 500 and paired <= pairs  # the list holds its first 500 groups


def test_a_rejected_update_leaves_the_post_as_it_was(
    client: TestClient,
    auth: Callable[..., dict[str, str]],
    post_body: Callable[..., dict[str, Any]],
) -> None:
    """An update refused half-way (the region is checked after other fields are set) writes
    nothing: not the fields before the bad one, not the skills."""
    headers = auth("agency")
    item = post_body(external_id="KEEP-1", title="焊工", required_skills=[{"term": "电焊"}])
    created = client.post("/v1/posts/batch", json={"items": [item]}, headers=headers).json()
    post_id = created["items"][0]["post_id"]
    before = client.get(f"/v1/posts/{post_id}", headers=headers).json()
    bad = {**item, "title": "改了的标题", "employer": "另一家厂", "wage_max": 9000,
           "required_skills": [{"term": "叉车"}], "workplace_region": "999999"}  # fmt: skip
    second = client.post("/v1/posts/batch", json={"items": [bad]}, headers=headers).json()
    assert second["items"][0]["result"] == "rejected"
    assert "workplace_region" in second["items"][0]["errors"][0]["field"]
    after = client.get(f"/v1/posts/{post_id}", headers=headers).json()
    assert after == before
