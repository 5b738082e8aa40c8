"""Setting a region's yearly targets (reading them, with inheritance: rules.targets)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.reports.models import RegionTarget
from matching.reports.schemas import TargetSet
from matching.rules.targets import FIELDS


def upsert(
    session: Session, region: str, year: int, body: TargetSet, *, key_id: int | None
) -> RegionTarget:
    """Set a region's targets for a year (every field: a field sent as null is cleared)."""
    row = session.scalar(
        select(RegionTarget).where(RegionTarget.region == region, RegionTarget.year == year)
    )
    if row is None:
        row = RegionTarget(region=region, year=year)
        session.add(row)
    for name in FIELDS:
        setattr(row, name, getattr(body, name))
    row.updated_by_key_id = key_id
    session.flush()
    return row
