"""The OpenAPI document as a contract (issue 18): a client generated from the committed document
by openapi-python-client, with its default settings, is installed and runs a partner agency's day
and a county clerk's day against the live test server.

Every answer must parse into the generated model the document names — never None, never a bare
dict — and no model may hold members the document does not declare (attrs models keep those in
`additional_properties`). Timestamps leave in one UTC form, and breakdown components are rounded
like their total.
"""

import csv
import importlib
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "job_matching_api_client"
TOWN = "430981"
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """Generate the client from openapi/openapi.json, install it into a directory of its own
    and import it (removed from sys.path afterwards)."""
    work = tmp_path_factory.mktemp("client")
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(bin_dir / "openapi-python-client"), "generate", "--fail-on-warning",
         "--path", str(ROOT / "openapi" / "openapi.json"), "--output-path", str(work / "src")],
        check=True, capture_output=True, text=True,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},  # its ruff pass uses the project's ruff
    )  # fmt: skip
    # Under a site-packages directory, as an installed client is: not code under test for
    # hypothesis, which draws constants from local modules (a stateful run must not see them).
    site = work / "site-packages"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(site), str(work / "src")],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    sys.path.insert(0, str(site))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(site))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _api(generated: ModuleType, tag: str, operation: str) -> Any:
    return importlib.import_module(f"{generated.__name__}.api.{tag}.{operation}")


def _models(generated: ModuleType) -> Any:
    return importlib.import_module(f"{generated.__name__}.models")


def _undeclared(value: Any, path: str = "") -> list[str]:
    """Members of a parsed answer the document does not declare, anywhere inside it."""
    if not hasattr(value, "__attrs_attrs__"):
        if isinstance(value, list):
            return [m for i, item in enumerate(value) for m in _undeclared(item, f"{path}[{i}]")]
        return []
    declared = [f.name for f in value.__attrs_attrs__ if f.name != "additional_properties"]
    if not declared:  # the document declares a map (counts by outcome …): keys are its data
        return []
    found = [f"{path}.{name}" for name in getattr(value, "additional_properties", {})]
    for name in declared:
        found += _undeclared(getattr(value, name), f"{path}.{name}")
    return found


def _parsed(response: Any, model: str, status: int = 200) -> Any:
    """The answer's parsed body: the status and model expected, every member declared."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert type(response.parsed).__name__ == model, type(response.parsed)
    assert _undeclared(response.parsed) == [], _undeclared(response.parsed)
    stamps = {m.group(0) for m in _TIMESTAMP.finditer(response.content.decode())}
    assert all(s.endswith("Z") for s in stamps), stamps
    return response.parsed


@pytest.fixture(scope="session")
def admin(generated: ModuleType, live_server: tuple[str, str]) -> Any:
    base_url, admin_key = live_server
    return generated.AuthenticatedClient(base_url=base_url, token=admin_key)


def _client_for(generated: ModuleType, admin: Any, **key: Any) -> Any:
    models = _models(generated)
    create = _api(generated, "keys", "create_api_key")
    minted = _parsed(
        create.sync_detailed(client=admin, body=models.ApiKeyCreate.from_dict(key)),
        "ApiKeyCreated",
        201,
    )
    return generated.AuthenticatedClient(base_url=str(admin._base_url), token=minted.key)


def test_an_agencys_day_through_the_generated_client(generated: ModuleType, admin: Any) -> None:
    models = _models(generated)
    agency = _parsed(
        _api(generated, "agencies", "create_agency").sync_detailed(
            client=admin,
            body=models.AgencyCreate.from_dict({"name": "东莞市人力资源服务中心（契约测试）",
                                                "province_code": "44"}),
        ),
        "AgencyRead",
        201,
    )  # fmt: skip
    partner = _client_for(
        generated, admin, name="契约测试 agency", role="agency", agency_id=agency.id
    )

    def item(n: int, **change: Any) -> Any:
        body = {"external_id": f"CT-{n}", "employer": "东莞市某电子厂", "title": "电子装配工",
                "post_type": "enterprise", "workplace_region": "441900", "openings": 10,
                "wage_min": 4500, "wage_max": 6000, "housing": True, **change}  # fmt: skip
        return models.PostBatchItem.from_dict(body)

    batch = models.PostBatch(items=[item(1), item(2), item(3, wage_min=9000, wage_max=100)])
    upsert = _api(generated, "posts", "upsert_posts_batch")
    first = upsert.sync_detailed(client=partner, body=batch, idempotency_key="ct-batch-1")
    result = _parsed(first, "BatchResult")
    assert [i.result for i in result.items] == ["created", "created", "rejected"]
    assert result.items[2].errors[0].field == "body.items[2]"  # the item as a whole
    replay = upsert.sync_detailed(client=partner, body=batch, idempotency_key="ct-batch-1")
    assert _parsed(replay, "BatchResult").to_dict() == result.to_dict()
    assert replay.headers["idempotent-replayed"] == "true"

    listed = _parsed(
        _api(generated, "posts", "list_posts").sync_detailed(client=partner), "PostPage"
    )
    own = [p.id for p in listed.items]
    assert sorted(own) == sorted(i.post_id for i in result.items[:2])
    changed = _parsed(
        _api(generated, "posts", "update_post").sync_detailed(
            own[0], client=partner, body=models.PostUpdate.from_dict({"openings": 12})
        ),
        "PostWritten",
    )
    assert changed.openings == 12
    withdrawn = _api(generated, "posts", "withdraw_post").sync_detailed(own[1], client=partner)
    assert _parsed(withdrawn, "PostRead").status == "withdrawn"
    counts = _api(generated, "pushes", "post_outcomes").sync_detailed(own[0], client=partner)
    assert _parsed(counts, "OutcomeCounts").pushes == 0
    report = _api(generated, "reports", "agency_post_outcomes").sync_detailed(client=partner)
    assert len(_parsed(report, "OutcomePage").items) >= 2

    # A refusal parses too: another agency's post is a 404 problem.
    everyone = _api(generated, "posts", "list_posts").sync_detailed(client=admin, limit=200)
    theirs = next(
        p.id
        for p in _parsed(everyone, "PostPage").items
        if p.agency_id is not None and p.agency_id != agency.id
    )  # a demo partner agency's post
    other = _api(generated, "posts", "get_post").sync_detailed(theirs, client=partner)
    assert other.status_code == 404 and type(other.parsed).__name__ == "Problem"


def _roster() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "身份证号", "联系电话", "户籍地区划代码", "技能"])
    writer.writerow(["赵六", "430981199003150011", "13907371111", TOWN, "电焊"])
    writer.writerow(["钱七", "430981199003150012", "13907372222", TOWN, "电焊"])  # check digit
    return out.getvalue().encode("utf-8-sig")


def test_a_clerks_day_through_the_generated_client(generated: ModuleType, admin: Any) -> None:
    models = _models(generated)
    types = importlib.import_module(f"{generated.__name__}.types")
    clerk = _client_for(generated, admin, name="契约测试 staff", role="staff",
                        region_scopes=[TOWN])  # fmt: skip

    template = _api(generated, "labourers", "get_roster_template").sync_detailed(client=clerk)
    assert template.status_code == 200
    assert template.parsed.payload.read()[:2] == b"PK"  # an .xlsx, as bytes
    upload = models.BodyImportRoster(
        file=types.File(payload=io.BytesIO(_roster()), file_name="roster.csv",
                        mime_type="text/csv")
    )  # fmt: skip
    dry = _api(generated, "labourers", "import_roster").sync_detailed(client=clerk, body=upload)
    report = _parsed(dry, "ImportReportRead")
    assert report.rows == 2 and report.valid == 1
    assert report.errors[0].location == "body.file[3].身份证号"

    listed = _api(generated, "labourers", "list_labourers").sync_detailed(
        client=clerk, employment_status=models.EmploymentStatus.UNEMPLOYED, wants_work=True
    )
    labourer = _parsed(listed, "LabourerPage").items[0]
    matches = _api(generated, "matching", "match_posts_for_labourer").sync_detailed(
        labourer.id, client=clerk, k=5
    )
    found = _parsed(matches, "PostMatches")
    assert found.items, "the demo labourer has posts in reach"
    top = found.items[0]
    for component in top.breakdown.to_dict().values():
        assert component == round(component, 4)
    explained = _api(generated, "matching", "explain_match").sync_detailed(
        labourer.id, top.post.id, client=clerk
    )
    assert _parsed(explained, "PairExplanation").eligible

    pushed = _api(generated, "pushes", "create_pushes").sync_detailed(
        client=clerk,
        body=models.PushCreate.from_dict(
            {"post_ids": [top.post.id], "labourer_ids": [labourer.id], "channel": "sms"}
        ),
    )
    push = _parsed(pushed, "PushBatchResult", 201).items[0]
    event = _api(generated, "pushes", "record_push_event").sync_detailed(
        push.id, client=clerk, body=models.EventCreate.from_dict({"state": "viewed"})
    )
    assert _parsed(event, "PushRead").state == "viewed"
    back = _api(generated, "pushes", "record_push_event").sync_detailed(
        push.id, client=clerk, body=models.EventCreate.from_dict({"state": "delivered"})
    )
    conflict = back.parsed  # a step back: the conflict's own members parse as declared
    assert back.status_code == 409 and type(conflict).__name__ == "Problem"
    assert conflict.current_state == "viewed" and "applied" in conflict.allowed

    figures = _api(generated, "reports", "targets_report").sync_detailed(client=clerk, region=TOWN)
    assert _parsed(figures, "TargetsReport").region == TOWN
    workbook = _api(generated, "reports", "targets_report_xlsx").sync_detailed(
        client=clerk, region=TOWN
    )
    assert workbook.status_code == 200 and workbook.parsed.payload.read()[:2] == b"PK"


def test_the_package_name_is_installable(generated: ModuleType) -> None:
    assert generated.__name__.isascii() and generated.__name__.isidentifier()
    document = json.loads((ROOT / "openapi" / "openapi.json").read_text())
    assert document["info"]["title"].isascii()
