"""The figures a region can set are the same in the API schema and in the shared rules."""

from matching.reports.models import RegionTarget
from matching.reports.schemas import TargetSet
from matching.rules.targets import DEFAULTS, FIELDS


def test_fields_are_the_schemas_and_the_tables() -> None:
    assert tuple(TargetSet.model_fields) == FIELDS
    assert set(FIELDS) <= set(RegionTarget.__table__.columns.keys())
    assert set(DEFAULTS) <= set(FIELDS)
