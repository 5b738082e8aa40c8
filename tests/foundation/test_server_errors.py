"""A 500, if one happens, is a well-formed answer: problem details with the request id, on a
connection that stays usable, and a log line without the row that failed."""

import logging
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError

from matching.app import create_app
from matching.settings import Settings

ROW = "Failing row contains (7, 张建国, 4309**********1234, 1985-06-12, 430981)"


class _DriverError(Exception):
    sqlstate = "23502"


@pytest.fixture
def failing_server(settings: Settings) -> Iterator[str]:
    """The service under uvicorn with one extra route that fails the way a database does."""
    app: FastAPI = create_app(settings)

    @app.get("/_test/boom")
    def boom() -> None:
        detail = f'null value in column "name"\nDETAIL: {ROW}'
        raise IntegrityError("UPDATE labourers SET name=%(name)s", {"name": "张建国"},
                             _DriverError(detail))  # fmt: skip

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.engine.dispose()


def test_a_500_is_problem_details_on_a_connection_that_stays(
    failing_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    errors = logging.getLogger("matching.errors")  # the service's loggers do not propagate
    errors.addHandler(caplog.handler)
    caplog.set_level(logging.INFO)
    with httpx.Client(base_url=failing_server, timeout=10) as client:
        failed = client.get("/_test/boom")
        again = client.get("/healthz")  # the same keep-alive connection
    assert failed.status_code == 500
    assert failed.headers["content-type"].startswith("application/problem+json")
    body = failed.json()
    assert body["request_id"] == failed.headers["x-request-id"]
    assert body["type"].endswith("internal-error") and "request id" in body["detail"]
    assert again.status_code == 200
    assert failed.headers.get("connection") != "close"
    errors.removeHandler(caplog.handler)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "unhandled error" in logged and "IntegrityError" in logged and "23502" in logged
    assert "张建国" not in logged and "Failing row" not in logged and "1985-06-12" not in logged
    assert "null value" not in logged  # no message at all, only types, frames and SQLSTATE
