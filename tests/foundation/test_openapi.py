"""The committed OpenAPI document is the app's, and every operation declares its errors."""

import json
from pathlib import Path

from matching.openapi_export import render_openapi


def test_committed_openapi_is_current(project_root: Path) -> None:
    committed = (project_root / "openapi" / "openapi.json").read_text(encoding="utf-8")
    assert committed == render_openapi(), "run `matching openapi` and commit openapi/openapi.json"


def test_operations_are_documented() -> None:
    document = json.loads(render_openapi())
    seen_ids = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            assert operation.get("operationId") and operation["operationId"] not in seen_ids, where
            seen_ids.add(operation["operationId"])
            if operation["x-roles"]:
                assert {"401", "403"} <= set(operation["responses"]), where
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) and status != "503":
                    assert "application/problem+json" in response["content"], (where, status)
