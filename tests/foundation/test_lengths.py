"""A body field never admits a longer string than its column holds: PostgreSQL refuses the
row (a 500 after validation passed) where SQLite would store it; schemathesis found
contact_phone (32 allowed, 20 stored)."""

from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import String

from matching.agencies.models import Agency
from matching.agencies.schemas import AgencyCreate
from matching.auth.models import ApiKey
from matching.auth.schemas import ApiKeyCreate
from matching.employment.models import Employment, ServiceRecord
from matching.employment.schemas import EmploymentCreate, ServiceCreate
from matching.labourers.models import Labourer
from matching.labourers.schemas import LabourerCreate, LabourerUpdate
from matching.posts.models import Post
from matching.posts.schemas import PostCreate, PostUpdate

PAIRS: list[tuple[type[BaseModel], Any]] = [
    (PostCreate, Post), (PostUpdate, Post), (LabourerCreate, Labourer),
    (LabourerUpdate, Labourer), (AgencyCreate, Agency), (ApiKeyCreate, ApiKey),
    (EmploymentCreate, Employment), (ServiceCreate, ServiceRecord),
]  # fmt: skip
# Given in a longer form and stored normalised: 440000 → 44.
NORMALISED = {("AgencyCreate", "province_code")}


def _max_length(prop: dict[str, Any]) -> int | None:
    lengths = [p.get("maxLength") for p in [prop, *prop.get("anyOf", [])]]
    found = [n for n in lengths if isinstance(n, int)]
    return max(found) if found else None


@pytest.mark.parametrize(("body", "model"), PAIRS, ids=lambda x: getattr(x, "__name__", ""))
def test_no_body_field_is_longer_than_its_column(body: type[BaseModel], model: Any) -> None:
    columns = model.__table__.columns
    for name, prop in body.model_json_schema()["properties"].items():
        allowed = _max_length(prop)
        if allowed is None or name not in columns or not isinstance(columns[name].type, String):
            continue
        if (body.__name__, name) in NORMALISED:
            continue
        stored = columns[name].type.length
        if stored is not None:
            assert allowed <= stored, f"{body.__name__}.{name}: {allowed} > {stored}"
