"""Swagger UI and ReDoc render fully with every non-loopback request blocked (no CDN)."""

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, Route, sync_playwright

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}


@pytest.fixture(scope="module")
def browser_page() -> Iterator[Page]:
    """A headless Debian Chromium page (never a downloaded browser)."""
    if not shutil.which(CHROMIUM):
        pytest.fail("Debian's chromium is not installed: run scripts/system-deps")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(locale="zh-CN")
        yield context.new_page()
        browser.close()


class NetworkLog:
    """Blocks and records every request that leaves loopback; records failures."""

    def __init__(self, page: Page) -> None:
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.bad_status: list[str] = []
        page.route("**/*", self._route)
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        page.on(
            "response",
            lambda r: self.bad_status.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )

    def _route(self, route: Route) -> None:
        host = urlparse(route.request.url).hostname or ""
        if host in LOOPBACK or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()


def test_swagger_ui_offline_authorize_and_execute(
    browser_page: Page, live_server: tuple[str, str], tmp_path: Path
) -> None:
    base_url, admin_key = live_server
    page = browser_page
    network = NetworkLog(page)
    page.goto(f"{base_url}/docs", wait_until="networkidle")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert "就业扶贫" in page.inner_text(".swagger-ui .info")
    assert page.locator(".opblock-tag-section").count() >= 3

    page.click("button.authorize")
    page.fill(".modal-ux input", admin_key)
    page.click(".modal-ux .auth-btn-wrapper button.authorize")
    page.click(".modal-ux button.btn-done")

    page.click("#operations-tag-keys")  # tags start collapsed (docExpansion: none)
    operation = page.locator("#operations-keys-list_api_keys")
    operation.locator(".opblock-summary-control").click()
    # tryItOutEnabled is set, so the form is already in "try it out" mode.
    operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for(timeout=20_000)
    assert status.inner_text().strip().startswith("200")
    assert "demo admin" in operation.locator(".live-responses-table").inner_text()
    page.screenshot(path=str(tmp_path / "swagger.png"), full_page=False)

    assert network.blocked == []
    assert network.failed == []
    assert network.bad_status == []


def test_redoc_renders_offline(browser_page: Page, live_server: tuple[str, str]) -> None:
    base_url, _ = live_server
    page = browser_page
    network = NetworkLog(page)
    page.goto(f"{base_url}/redoc", wait_until="networkidle")
    page.wait_for_selector("[role=search], .api-content", timeout=30_000)
    assert "就业扶贫" in page.inner_text("body")
    assert network.blocked == []
    assert network.failed == []
