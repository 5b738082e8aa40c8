"""Swagger UI and ReDoc served from the package: stations may have no internet."""

from functools import lru_cache
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, Response

STATIC_URL = "/docs-assets"
_ASSETS = Path(fastapi_offline.__file__).parent / "static"


# ReDoc's attribution footer loads its logo from a CDN: point it at a bundled image instead.
_REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@lru_cache(maxsize=1)
def _redoc_bundle() -> bytes:
    """The ReDoc bundle with its one CDN reference replaced by a local asset."""
    text = (_ASSETS / "redoc.standalone.js").read_text(encoding="utf-8")
    return text.replace(_REDOC_CDN_LOGO, f"{STATIC_URL}/favicon.png").encode("utf-8")


def install_offline_docs(app: FastAPI) -> None:
    """Mount the bundled assets and the two documentation pages."""

    @app.get(f"{STATIC_URL}/redoc.standalone.js", include_in_schema=False)
    def redoc_bundle() -> Response:
        return Response(
            _redoc_bundle(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    app.mount(STATIC_URL, StaticFiles(directory=_ASSETS), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    title = f"就业扶贫岗位匹配服务 {app.title}"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} — Swagger UI",
            swagger_js_url=f"{STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_URL}/favicon.png",
            swagger_ui_parameters={
                "persistAuthorization": True,
                "displayRequestDuration": True,
                "filter": True,
                "tryItOutEnabled": True,
                "docExpansion": "none",
            },
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} — ReDoc",
            redoc_js_url=f"{STATIC_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{STATIC_URL}/favicon.png",
            with_google_fonts=False,
        )
