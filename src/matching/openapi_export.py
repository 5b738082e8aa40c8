"""The committed OpenAPI document, rendered deterministically from the app."""

import json

from matching.settings import Settings


def render_openapi() -> str:
    """The OpenAPI document as stable, pretty JSON (independent of the local environment)."""
    from matching.app import create_app

    app = create_app(Settings(database_url="sqlite://", log_level="WARNING"))
    return json.dumps(app.openapi(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
