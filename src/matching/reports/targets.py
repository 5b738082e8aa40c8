"""Per-region yearly targets: stored per region, inherited from the nearest ancestor."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.regions.registry import get_registry
from matching.reports.models import RegionTarget
from matching.reports.schemas import TargetSet

# docs/domain.md, "Targets", and the policy texts (湘人社 2020 就业扶贫 targets).
DEFAULTS: dict[str, float] = {
    "push_ratio": 0.5,
    "success_rate": 0.15,
    "employed_share": 0.6,
    "stable_share": 0.75,
    "willing_employment": 0.95,
    "unit_employment": 0.5,
    "services_311": 1.0,
    "zero_employment_households": 0,
}
FIELDS = tuple(TargetSet.model_fields)


@dataclass(frozen=True, slots=True)
class Resolved:
    """A target value and the region that set it (None: the policy default)."""

    value: float | None
    set_by: str | None


def ancestors(code: str) -> list[str]:
    """The region and every ancestor, nearest first."""
    return [r.code for r in reversed(get_registry().chain(code))]


def rows_for(session: Session, codes: set[str], year: int) -> dict[str, RegionTarget]:
    """Stored targets of the given regions for a year."""
    if not codes:
        return {}
    return {
        t.region: t
        for t in session.scalars(
            select(RegionTarget).where(RegionTarget.region.in_(codes), RegionTarget.year == year)
        )
    }


def resolve(code: str, rows: dict[str, RegionTarget]) -> dict[str, Resolved]:
    """Each figure's target for a region: its own, else the nearest ancestor's, else the default."""
    chain = ancestors(code)
    out = {}
    for name in FIELDS:
        resolved = Resolved(DEFAULTS.get(name), None)
        for region in chain:
            row = rows.get(region)
            value = getattr(row, name) if row is not None else None
            if value is not None:
                resolved = Resolved(float(value), region)
                break
        out[name] = resolved
    return out


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
