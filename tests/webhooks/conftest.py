"""A service of its own whose outbox a Deliverer sends to the receiver (tests/conftest.py)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import Receiver

from matching.app import create_app
from matching.auth import service as keys
from matching.auth.models import Role
from matching.database import session_scope
from matching.settings import Settings
from matching.webhooks.delivery import Deliverer, DeliveryPolicy


@dataclass
class Partner:
    """A service with a committed database, an agency that listens, and its keys."""

    client: TestClient
    admin: dict[str, str]
    staff: dict[str, str]
    agency: dict[str, str]
    agency_id: int
    secret: str
    deliverer: Callable[..., Deliverer]


@pytest.fixture
def partner(fresh_settings: Settings, receiver: Receiver, test_clock: Any) -> Iterator[Partner]:
    """The agency listens at the receiver with a fresh secret; `deliverer(**policy)` sends."""
    app = create_app(fresh_settings)
    secrets: dict[str, str] = {}
    for session in session_scope(app.state.sessionmaker):
        from matching.agencies.models import Agency

        agency = Agency(name="东莞市人力资源服务中心", province_code="44")
        session.add(agency)
        session.flush()
        agency_id = agency.id
        for role, extra in ((Role.admin, {}), (Role.staff, {"region_scopes": ["430981"]}),
                            (Role.agency, {"agency_id": agency_id})):  # fmt: skip
            _, secrets[role.value] = keys.create_key(
                session, name=f"webhooks {role.value}", role=role, **extra
            )
    headers = {r: {"Authorization": f"Bearer {s}"} for r, s in secrets.items()}

    def deliverer(**policy: Any) -> Deliverer:
        options = {"public_only": False, "first_retry_s": 0.05, **policy}
        return Deliverer(app.state.sessionmaker, app.state.personal.cipher,
                         DeliveryPolicy(**options), seed=7)  # fmt: skip

    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            url = f"/v1/agencies/{agency_id}"
            patched = client.patch(url, json={"callback_url": receiver.url},
                                   headers=headers["agency"])  # fmt: skip
            assert patched.status_code == 200, patched.text
            issued = client.post(f"{url}/webhook-secret", json={}, headers=headers["agency"])
            assert issued.status_code == 201, issued.text
            yield Partner(client, headers["admin"], headers["staff"], headers["agency"],
                          agency_id, issued.json()["secret"], deliverer)  # fmt: skip
    finally:
        app.state.engine.dispose()
