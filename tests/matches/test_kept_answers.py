"""What a worker keeps of labourers' answers between matches, and the stamps that say whose
answers changed (matches.answers, migration 0019): a match reads no push while nothing of the
labourer's changed, and any change — an outcome recorded, a push changed or deleted by hand in
SQL, an answered post's occupation corrected — counts at the next request."""

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from tests.conftest import statements_with

from matching.app import create_app
from matching.auth import service as keys
from matching.auth.models import Role
from matching.changes import ANSWERS, current_seqs
from matching.database import session_scope
from matching.matches.answers import KeptAnswers
from matching.rules import feedback
from matching.settings import Settings

Auth = Callable[..., dict[str, str]]
Body = Callable[..., dict[str, object]]


@pytest.fixture
def push_reads(connection: Connection) -> Iterator[list[str]]:
    """The statements that read a labourer's answers, as the test's requests send them."""
    with statements_with(connection, "FROM pushes JOIN posts") as sent:
        yield sent


def _created(response: Any) -> int:
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _pushed(
    client: TestClient, headers: dict[str, str], labourer: int, posts: list[int]
) -> list[int]:
    body = {"post_ids": posts, "labourer_ids": [labourer], "channel": "sms"}
    response = client.post("/v1/pushes", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return [int(item["id"]) for item in response.json()["items"]]


def _answer(client: TestClient, headers: dict[str, str], push: int, state: str) -> None:
    response = client.post(f"/v1/pushes/{push}/events", json={"state": state}, headers=headers)
    assert response.status_code == 200, response.text


def _matches(client: TestClient, headers: dict[str, str], labourer: int) -> dict[int, Any]:
    response = client.get(f"/v1/labourers/{labourer}/matches", headers=headers)
    assert response.status_code == 200, response.text
    return {item["post"]["id"]: item for item in response.json()["items"]}


@pytest.fixture
def two_labourers(
    client: TestClient, auth: Auth, labourer_body: Body, post_body: Body
) -> dict[str, Any]:
    """Two labourers, each pushed the same three posts of one occupation (nothing answered
    yet)."""
    admin = auth()
    body = post_body(occupation="电焊工")
    posts = [_created(client.post("/v1/posts", json=body, headers=admin)) for _ in "abc"]
    labourers = [
        _created(client.post("/v1/labourers", json=labourer_body(), headers=admin)) for _ in "xy"
    ]
    pushes = {lab: _pushed(client, admin, lab, posts) for lab in labourers}
    return {"admin": admin, "posts": posts, "labourers": labourers, "pushes": pushes}


def test_a_match_reads_the_answers_once_while_none_of_the_labourers_change(
    client: TestClient, two_labourers: dict[str, Any], push_reads: list[str]
) -> None:
    admin, (first, second) = two_labourers["admin"], two_labourers["labourers"]
    for labourer in (first, second, first, second):
        assert all(m["refused_on"] is None for m in _matches(client, admin, labourer).values())
    assert len(push_reads) == 2  # once each: the second time, kept
    refused = two_labourers["pushes"][first][0]
    _answer(client, admin, refused, "declined")
    push_reads.clear()
    marked = _matches(client, admin, first)[two_labourers["posts"][0]]
    assert marked["refused_on"] is not None
    _matches(client, admin, second)
    assert len(push_reads) == 1  # the first labourer's again; the second's are still kept


@pytest.mark.parametrize(
    "by_hand",
    [
        "UPDATE pushes SET state = 'declined' WHERE id = :push",
        "UPDATE pushes SET state = 'no_response' WHERE id = :push",
    ],
    ids=["declined", "no-response"],
)
def test_an_answer_changed_by_hand_counts_at_the_next_match(
    client: TestClient, two_labourers: dict[str, Any], session: Session, by_hand: str
) -> None:
    admin, first = two_labourers["admin"], two_labourers["labourers"][0]
    post = two_labourers["posts"][1]
    assert _matches(client, admin, first)[post]["refused_on"] is None
    # As an operator would in psql: no service code runs, the triggers stamp the labourer.
    session.execute(text(by_hand), {"push": two_labourers["pushes"][first][1]})
    assert _matches(client, admin, first)[post]["refused_on"] is not None
    session.execute(text("DELETE FROM push_events WHERE push_id = :push"),
                    {"push": two_labourers["pushes"][first][1]})  # fmt: skip
    session.execute(text("DELETE FROM pushes WHERE id = :push"),
                    {"push": two_labourers["pushes"][first][1]})  # fmt: skip
    assert _matches(client, admin, first)[post]["refused_on"] is None


def test_correcting_an_answered_posts_occupation_stamps_who_answered_it(
    client: TestClient, two_labourers: dict[str, Any], session: Session
) -> None:
    admin, (first, second) = two_labourers["admin"], two_labourers["labourers"]
    _answer(client, admin, two_labourers["pushes"][first][0], "declined")
    other_post = two_labourers["posts"][2]  # same occupation as the declined one
    lowered = _matches(client, admin, first)[other_post]["taste_factor"]
    _matches(client, admin, second)
    seq = current_seqs(session)[ANSWERS]
    session.execute(text("UPDATE posts SET occupation_id = NULL WHERE id = :post"),
                    {"post": two_labourers["posts"][0]})  # fmt: skip
    assert current_seqs(session)[ANSWERS] == seq + 1
    stamped = session.scalars(text("SELECT labourer_id FROM answer_stamps WHERE seq > :seq"),
                              {"seq": seq}).all()  # fmt: skip
    assert stamped == [first]  # the second labourer answered nothing
    # The decline no longer counts against posts of that occupation.
    assert _matches(client, admin, first)[other_post]["taste_factor"] > lowered


def test_the_counter_moves_for_answers_only(
    client: TestClient, two_labourers: dict[str, Any], session: Session
) -> None:
    admin, first = two_labourers["admin"], two_labourers["labourers"][0]
    pushes = two_labourers["pushes"][first]

    def seq() -> int:
        return current_seqs(session)[ANSWERS]

    before = seq()  # the pushes made above are no answer
    _answer(client, admin, pushes[0], "delivered")
    assert seq() == before  # delivered is no answer either
    _answer(client, admin, pushes[0], "viewed")
    assert seq() == before + 1
    session.execute(text("UPDATE pushes SET note = 'x' WHERE id = :push"), {"push": pushes[0]})
    assert seq() == before + 1  # a note is no answer
    session.execute(
        text("UPDATE pushes SET state = 'pushed' WHERE id = :push"), {"push": pushes[0]}
    )
    assert seq() == before + 2  # an answer taken back is a change
    session.execute(text("UPDATE pushes SET state = 'viewed' WHERE labourer_id = :lab"),
                    {"lab": first})  # fmt: skip
    # PostgreSQL: one number for the statement (its rows' stamps share it); SQLite: one a row.
    postgresql = session.get_bind().dialect.name == "postgresql"
    assert seq() == (before + 3 if postgresql else before + 2 + len(pushes))
    stamp = session.scalar(text("SELECT seq FROM answer_stamps WHERE labourer_id = :lab"),
                           {"lab": first})  # fmt: skip
    assert stamp == seq()


def test_the_stamps_are_written_at_the_commit_without_holding_up_other_answers(
    fresh_settings: Settings, labourer_body: Body, post_body: Body
) -> None:
    """On PostgreSQL the answers counter is locked from its bump until the commit: bumped at
    each statement, one open transaction that answered would hold up every other answer."""
    if not fresh_settings.database_url.startswith("postgresql"):
        pytest.skip("SQLite's writers take turns: its triggers stamp at once")
    app = create_app(fresh_settings)
    for session in session_scope(app.state.sessionmaker):
        _, secret = keys.create_key(session, name="t", role=Role.admin)
    admin = {"Authorization": f"Bearer {secret}"}
    with TestClient(app, raise_server_exceptions=False) as client:
        post = _created(client.post("/v1/posts", json=post_body(), headers=admin))
        labourers = [
            _created(client.post("/v1/labourers", json=labourer_body(), headers=admin))
            for _ in "xy"
        ]
        first, second = (_pushed(client, admin, lab, [post])[0] for lab in labourers)
    app.state.engine.dispose()
    engine = create_engine(fresh_settings.database_url)
    answers = "SELECT seq FROM change_counters WHERE name = 'answers'"
    try:
        with engine.connect() as open_one, engine.connect() as other:
            before = open_one.exec_driver_sql(answers).scalar_one()
            open_one.execute(text("UPDATE pushes SET state = 'declined' WHERE id = :id"),
                             {"id": first})  # fmt: skip
            # Not committed: nothing counted yet, and another answer goes through at once.
            other.exec_driver_sql("SET lock_timeout = '2s'")
            other.execute(text("UPDATE pushes SET state = 'viewed' WHERE id = :id"),
                          {"id": second})  # fmt: skip
            other.commit()
            after_other = other.exec_driver_sql(answers).scalar_one()
            other.rollback()
            assert after_other == before + 1
            open_one.commit()
            rows = other.exec_driver_sql("SELECT labourer_id, seq FROM answer_stamps")
            stamps: dict[int, int] = {int(lab): int(seq) for lab, seq in rows}
            assert stamps == {labourers[1]: before + 1, labourers[0]: before + 2}
            assert other.exec_driver_sql(answers).scalar_one() == before + 2
    except OperationalError as exc:  # the lock_timeout: the counter was held until the commit
        pytest.fail(f"an open answer held up another: {exc}")
    finally:
        engine.dispose()


def test_answers_read_before_another_request_caught_up_are_not_kept(
    two_labourers: dict[str, Any], session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Answers read as of one counter could be older than a stamp that another request,
    catching up to a newer counter meanwhile, already dropped: they are not kept."""
    first = two_labourers["labourers"][0]
    kept, seq, since = KeptAnswers(), current_seqs(session)[ANSWERS], date(2026, 1, 1)
    reads: list[int] = []
    read = feedback.answers_of

    def read_while_another_catches_up(*args: Any) -> Any:
        reads.append(args[1])
        rows = read(*args)
        if len(reads) == 1:
            kept.answers(session, two_labourers["labourers"][1], since, seq + 1)
        return rows

    monkeypatch.setattr(feedback, "answers_of", read_while_another_catches_up)
    kept.answers(session, first, since, seq)
    kept.answers(session, first, since, seq + 1)
    kept.answers(session, first, since, seq + 1)
    assert reads == [first, two_labourers["labourers"][1], first]  # not kept, then kept
